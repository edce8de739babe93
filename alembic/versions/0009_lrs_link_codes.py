"""The LRS's one-time link codes: a provider's proof that an LMS account is the learner's.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lrs_link_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("agent", sa.Text, nullable=False),
        sa.Column("issued_at", sa.String(40), nullable=False),
        sa.Column("expires_at", sa.String(40), nullable=False),
        sa.Column("used", sa.Boolean, nullable=False),
    )
    op.create_index("ix_lrs_link_codes_agent", "lrs_link_codes", ["provider", "agent"])


def downgrade() -> None:
    op.drop_index("ix_lrs_link_codes_agent", table_name="lrs_link_codes")
    op.drop_table("lrs_link_codes")
