"""Credits: completions with their outcomes, awards, and eligibility per level.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "completions",
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("completion_id", sa.String(200), nullable=False),
        sa.Column("learner", sa.String(13), nullable=False),
        sa.Column("course_id", sa.String(64), nullable=False),
        sa.Column("completed_at", sa.String(40), nullable=False),
        sa.Column("score", sa.SmallInteger, nullable=True),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("award_index", sa.BigInteger, nullable=True),
        sa.Column("retracted_index", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_completions_learner", "completions", ["learner"])
    op.create_table(
        "awards",
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("learner", sa.String(13), nullable=False),
        sa.Column("standard_id", sa.String(64), nullable=False),
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.Column("unit_code", sa.String(32), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("course_id", sa.String(64), nullable=False),
        sa.Column("credits_tenths", sa.Integer, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("completion_index", sa.BigInteger, nullable=False),
        sa.Column("completed_at", sa.String(40), nullable=False),
        sa.Column("expires_at", sa.String(40), nullable=False),
        sa.Column("revoked_index", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_awards_learner", "awards", ["learner", "standard_id", "level"])
    op.create_table(
        "eligibility",
        sa.Column("learner", sa.String(13), primary_key=True),
        sa.Column("standard_id", sa.String(64), primary_key=True),
        sa.Column("level", sa.SmallInteger, primary_key=True),
        sa.Column("eligible", sa.Boolean, nullable=False),
        sa.Column("changed_index", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in ("eligibility", "awards", "completions"):
        op.drop_table(table)
