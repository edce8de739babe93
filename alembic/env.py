"""Alembic environment: runs on a connection handed in by creditbank.db.migrate, or on
the URL from creditbank's settings when called as `alembic upgrade head`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from creditbank.db.engine import make_engine
from creditbank.settings import get_settings

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=None)
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
