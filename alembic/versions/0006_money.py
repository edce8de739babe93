"""Certificate applications, rewards, budgets and enterprise subsidies.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "certificate_applications",
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("learner", sa.String(13), nullable=False),
        sa.Column("standard_id", sa.String(64), nullable=False),
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("applied_at", sa.String(40), nullable=False),
        sa.Column("assessor", sa.String(64), nullable=True),
        sa.Column("assessment", sa.Text, nullable=True),
        sa.Column("assessed_index", sa.BigInteger, nullable=True),
        sa.Column("certificate_number", sa.String(48), nullable=True),
    )
    op.create_index(
        "ix_applications_status", "certificate_applications", ["status", "standard_id"]
    )
    op.create_index(
        "ix_applications_learner", "certificate_applications", ["learner", "standard_id", "level"]
    )
    op.add_column("certificates", sa.Column("application_index", sa.BigInteger, nullable=True))
    op.create_table(
        "rewards",
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("learner", sa.String(13), nullable=False),
        sa.Column("certificate_number", sa.String(48), nullable=False),
        sa.Column("program_id", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("granted_index", sa.BigInteger, nullable=True),
        sa.Column("paid_index", sa.BigInteger, nullable=True),
        sa.Column("payment_reference", sa.String(100), nullable=True),
        sa.Column("cancelled_index", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_rewards_program", "rewards", ["program_id", "status"])
    op.create_index("ix_rewards_learner", "rewards", ["learner", "year"])
    op.create_index("ix_rewards_certificate", "rewards", ["certificate_number"])
    op.create_table(
        "budgets",
        sa.Column("program_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("set_index", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "subsidies",
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("learner", sa.String(13), nullable=False),
        sa.Column("certificate_number", sa.String(48), nullable=False),
        sa.Column("program_id", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("issued_at", sa.String(40), nullable=False),
        sa.Column("claim_until", sa.String(40), nullable=False),
    )
    op.create_index("ix_subsidies_learner", "subsidies", ["learner", "year"])
    op.create_index("ix_subsidies_certificate", "subsidies", ["certificate_number"])
    op.create_table(
        "subsidy_parts",
        sa.Column("entitlement_index", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("provider", sa.String(64), primary_key=True),
        sa.Column("program_id", sa.String(64), nullable=False),
        sa.Column("credits_tenths", sa.Integer, nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_index", sa.BigInteger, nullable=True),
        sa.Column("decided_index", sa.BigInteger, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("paid_index", sa.BigInteger, nullable=True),
        sa.Column("payment_reference", sa.String(100), nullable=True),
        sa.Column("cancelled_index", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_subsidy_parts_provider", "subsidy_parts", ["provider", "status"])
    op.create_index("ix_subsidy_parts_program", "subsidy_parts", ["program_id", "status"])


def downgrade() -> None:
    op.drop_table("subsidy_parts")
    op.drop_table("subsidies")
    op.drop_table("budgets")
    op.drop_table("rewards")
    op.drop_column("certificates", "application_index")
    op.drop_table("certificate_applications")
