"""The table models are the schema: the Alembic migrations create exactly what the
SQLModel classes declare (columns, types, nullability, keys, indexes), on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import creditbank.db.tables  # noqa: F401  (the models register on SQLModel.metadata)
from creditbank.bank import Bank


def test_migrations_create_exactly_the_table_models(bank: Bank) -> None:
    with bank.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []
