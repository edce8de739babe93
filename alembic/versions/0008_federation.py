"""Federation: witnessing peer logs, cosignatures of this log, recognition of peer records.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkpoint_cosignatures",
        sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("witness", sa.String(200), primary_key=True),
        sa.Column("line", sa.Text, nullable=False),
        sa.Column("cosigned_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "cosigner_state",
        sa.Column("witness", sa.String(200), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "witnessed_logs",
        sa.Column("origin", sa.String(200), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("root_hash", sa.LargeBinary, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "witnessed_roots",
        sa.Column("origin", sa.String(200), primary_key=True),
        sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("root_hash", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "split_views",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("origin", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("observed_at", sa.String(40), nullable=False),
        sa.Column("known_size", sa.BigInteger, nullable=False),
        sa.Column("known_note", sa.Text, nullable=False),
        sa.Column("old_size", sa.BigInteger, nullable=False),
        sa.Column("submitted", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_split_views_origin", "split_views", ["origin"])
    op.create_table(
        "recognition_agreements",
        sa.Column("agreement_id", sa.String(64), primary_key=True),
        sa.Column("peer_origin", sa.String(200), nullable=False),
        sa.Column("terms", sa.Text, nullable=False),
        sa.Column("valid_from", sa.String(40), nullable=False),
        sa.Column("valid_until", sa.String(40), nullable=False),
        sa.Column("agreed_index", sa.BigInteger, nullable=False),
        sa.Column("ended_index", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "recognitions",
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("learner", sa.String(13), nullable=False),
        sa.Column("record", sa.String(16), nullable=False),
        sa.Column("agreement_id", sa.String(64), nullable=False),
        sa.Column("peer_origin", sa.String(200), nullable=False),
        sa.Column("peer_ref", sa.String(64), nullable=False),
        sa.Column("standard_id", sa.String(64), nullable=False),
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.Column("unit_code", sa.String(32), nullable=True),
        sa.Column("credits_tenths", sa.Integer, nullable=True),
        sa.Column("expires_at", sa.String(40), nullable=True),
        sa.Column("request_index", sa.BigInteger, nullable=False),
        sa.Column("revoked_index", sa.BigInteger, nullable=True),
        sa.UniqueConstraint("peer_origin", "peer_ref", name="uq_recognitions_peer_ref"),
    )
    op.create_index("ix_recognitions_learner", "recognitions", ["learner", "standard_id", "level"])


def downgrade() -> None:
    op.drop_index("ix_recognitions_learner", table_name="recognitions")
    op.drop_index("ix_split_views_origin", table_name="split_views")
    for table in (
        "recognitions",
        "recognition_agreements",
        "split_views",
        "witnessed_roots",
        "witnessed_logs",
        "cosigner_state",
        "checkpoint_cosignatures",
    ):
        op.drop_table(table)
