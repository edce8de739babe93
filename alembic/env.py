"""Alembic environment: runs on a connection handed in by creditbank.db.migrate, or on
the URL from creditbank's settings when called as `alembic upgrade head`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import creditbank.db.tables  # noqa: F401  (registers the table models on SQLModel.metadata)
from creditbank.db.engine import make_engine
from creditbank.settings import get_settings

config = context.config


def _run(connection: Connection) -> None:
    # The table models are the target: `alembic revision --autogenerate` diffs against them.
    context.configure(connection=connection, target_metadata=SQLModel.metadata)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = make_engine(get_settings().resolved_database_url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()
