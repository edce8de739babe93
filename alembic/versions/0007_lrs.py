"""The xAPI LRS: stored statements, and each provider's LMS account and activity links.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lrs_statements",
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("statement_id", sa.String(36), nullable=False),
        sa.Column("stored", sa.String(40), nullable=False),
        sa.Column("verb_id", sa.Text, nullable=False),
        sa.Column("activity_id", sa.Text, nullable=True),
        sa.Column("agent", sa.Text, nullable=True),
        sa.Column("registration", sa.String(36), nullable=True),
        sa.Column("voids", sa.String(36), nullable=True),
        sa.Column("voided", sa.Boolean, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("ledger_index", sa.BigInteger, nullable=True),
        sa.Column("receipt", sa.Text, nullable=True),
        sa.UniqueConstraint("provider", "statement_id", name="uq_lrs_statements_id"),
    )
    op.create_index("ix_lrs_statements_seq", "lrs_statements", ["provider", "seq"])
    op.create_index("ix_lrs_statements_verb", "lrs_statements", ["provider", "verb_id"])
    op.create_index("ix_lrs_statements_activity", "lrs_statements", ["provider", "activity_id"])
    op.create_index("ix_lrs_statements_agent", "lrs_statements", ["provider", "agent"])
    op.create_index(
        "ix_lrs_statements_registration", "lrs_statements", ["provider", "registration"]
    )
    op.create_table(
        "lrs_learners",
        sa.Column("provider", sa.String(64), primary_key=True),
        sa.Column("agent", sa.Text, primary_key=True),
        sa.Column("learner", sa.String(13), nullable=False),
        sa.Column("linked_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "lrs_courses",
        sa.Column("provider", sa.String(64), primary_key=True),
        sa.Column("activity_id", sa.Text, primary_key=True),
        sa.Column("course_id", sa.String(64), nullable=False),
        sa.Column("linked_at", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("lrs_courses")
    op.drop_table("lrs_learners")
    op.drop_table("lrs_statements")
