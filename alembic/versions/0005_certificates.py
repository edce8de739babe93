"""Certificates: issued by accredited certifying bodies, revocable.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "certificates",
        sa.Column("number", sa.String(48), primary_key=True),
        sa.Column("learner", sa.String(13), nullable=False),
        sa.Column("standard_id", sa.String(64), nullable=False),
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.Column("issuer", sa.String(64), nullable=False),
        sa.Column("issued_index", sa.BigInteger, nullable=False),
        sa.Column("issued_at", sa.String(40), nullable=False),
        sa.Column("awards", sa.Text, nullable=False),
        sa.Column("assessment", sa.Text, nullable=False),
        sa.Column("revoked_index", sa.BigInteger, nullable=True),
        sa.Column("revoked_reason", sa.Text, nullable=True),
    )
    op.create_index("ix_certificates_learner", "certificates", ["learner", "standard_id", "level"])


def downgrade() -> None:
    op.drop_table("certificates")
