"""Access and learners: API tokens, learner credentials, the personal-data vault (off the
ledger), authentication events, and the learner-account projection.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "learner_accounts",
        sa.Column("account", sa.String(13), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("opened_index", sa.BigInteger, nullable=False),
        sa.Column("updated_index", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "learner_vault",
        sa.Column("account", sa.String(13), primary_key=True),
        sa.Column("id_lookup", sa.String(64), nullable=True, unique=True),
        sa.Column("wrapped_key", sa.LargeBinary, nullable=True),
        sa.Column("ciphertext", sa.LargeBinary, nullable=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("erased_at", sa.String(40), nullable=True),
    )
    op.create_table(
        "learner_credentials",
        sa.Column("account", sa.String(13), primary_key=True),
        sa.Column("password_hash", sa.Text, nullable=True),
        sa.Column("activation_hash", sa.String(64), nullable=True),
        sa.Column("activation_expires", sa.String(40), nullable=True),
        sa.Column("failed_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_until", sa.String(40), nullable=True),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_id", sa.String(16), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=True),
        sa.Column("account", sa.String(13), nullable=True),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("expires_at", sa.String(40), nullable=False),
        sa.Column("revoked_at", sa.String(40), nullable=True),
    )
    op.create_table(
        "auth_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(64), nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_table(
        "learner_entries",
        sa.Column("account", sa.String(13), primary_key=True),
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "learner_entries",
        "auth_events",
        "api_tokens",
        "learner_credentials",
        "learner_vault",
        "learner_accounts",
    ):
        op.drop_table(table)
