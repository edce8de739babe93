"""The catalogue projections: published standards and programs, courses and their
recognitions, and which standards each certifying body is accredited for.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "published_standards",
        sa.Column("standard_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.String(32), primary_key=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("published_index", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "published_programs",
        sa.Column("program_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.String(32), primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("published_index", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "courses",
        sa.Column("provider", sa.String(64), primary_key=True),
        sa.Column("course_id", sa.String(64), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("standard_id", sa.String(64), nullable=False),
        sa.Column("standard_version", sa.String(32), nullable=False),
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.Column("unit_code", sa.String(32), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("hours_tenths", sa.Integer, nullable=False),
        sa.Column("min_score", sa.SmallInteger, nullable=True),
        sa.Column("registered_index", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "course_recognitions",
        sa.Column("recognized_index", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("course_id", sa.String(64), nullable=False),
        sa.Column("credits_tenths", sa.Integer, nullable=False),
        sa.Column("valid_from", sa.String(40), nullable=False),
        sa.Column("valid_until", sa.String(40), nullable=False),
    )
    op.create_index(
        "ix_course_recognitions_course", "course_recognitions", ["provider", "course_id"]
    )
    op.create_table(
        "certifier_standards",
        sa.Column("actor_id", sa.String(64), primary_key=True),
        sa.Column("standard_id", sa.String(64), primary_key=True),
    )


def downgrade() -> None:
    for table in (
        "certifier_standards",
        "course_recognitions",
        "courses",
        "published_programs",
        "published_standards",
    ):
        op.drop_table(table)
