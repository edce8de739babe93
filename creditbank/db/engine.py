"""Engine factory: SQLite (WAL, durable commits) or PostgreSQL, same code above it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

WRITE = {"creditbank_write": True}
"""Execution option marking a transaction that will append: on SQLite it begins with
BEGIN IMMEDIATE so two writers queue on the lock instead of failing mid-transaction."""


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, pool_size: int = 8, durable: bool = True) -> Engine:
    """Build an engine for ``url`` with the pragmas and pools the ledger relies on."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 60},
            pool_size=pool_size,
            max_overflow=32,
        )
        _configure_sqlite(engine, durable=durable)
        return engine
    kwargs: dict[str, Any] = {"pool_size": pool_size, "max_overflow": 32, "pool_pre_ping": True}
    if url.endswith("#nopool"):
        url, kwargs = url[: -len("#nopool")], {"poolclass": NullPool}
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine, *, durable: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN is ours to issue.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk (WAL fsynced) before it returns - acknowledged
        # writes survive a crash or power loss.
        cursor.execute("PRAGMA synchronous=FULL" if durable else "PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("creditbank_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")
