"""Engine factory: SQLite (WAL, durable commits) or PostgreSQL, same code above it."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

WRITE = {"creditbank_write": True}
"""Execution option marking a transaction that will append: on SQLite it begins with
BEGIN IMMEDIATE so two writers queue on the lock instead of failing mid-transaction."""


SQLITE_POOL = 40
SQLITE_MMAP = 1 << 31


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, pool_size: int = 8, durable: bool = True) -> Engine:
    """Build an engine for ``url`` with the pragmas and pools the ledger relies on."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1].split("?", 1)[0] if "///" in url else ""
        if path and path != ":memory:":
            _private_database_file(Path(path))
        # Keep a connection for each request a server runs at once (AnyIO's 40 worker
        # threads): a SQLite connection costs little to keep and a connection opened per
        # request under load (its pragmas run again) costs more than the request's reads.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 60},
            pool_size=max(pool_size, SQLITE_POOL),
            max_overflow=16,
        )
        _configure_sqlite(engine, durable=durable)
        return engine
    kwargs: dict[str, Any] = {"pool_size": pool_size, "max_overflow": 32, "pool_pre_ping": True}
    if url.endswith("#nopool"):
        url, kwargs = url[: -len("#nopool")], {"poolclass": NullPool}
    return create_engine(url, **kwargs)


def _private_database_file(path: Path) -> None:
    """Make the SQLite file (and, with it, the -wal and -shm files, which SQLite creates
    with the database file's mode) readable by its owner only: it holds password hashes,
    token hashes and sealed personal data. A new file is created 0600 in a directory
    created 0700; an existing file of ours loses any group and other permissions."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # SQLite takes an empty file as a new database
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
        try:
            st = (path.parent / name).stat()
        except FileNotFoundError:
            continue
        if st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) & 0o077:
            (path.parent / name).chmod(stat.S_IMODE(st.st_mode) & 0o700)


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
        # Read the file through a memory map (SQLite caps it at 2 GiB): the pages every
        # connection reads are the OS's cached pages, not copies into each connection's
        # small page cache (the sequencer's reads of random learners missed it).
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        sql = "BEGIN IMMEDIATE" if conn.get_execution_options().get("creditbank_write") else "BEGIN"
        # on the driver: SQLAlchemy's execution path cost more than the BEGIN itself, and
        # every transaction (each request's reads, each batch) begins here
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        try:
            dbapi.execute(sql)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(sql, None, exc, sqlite3.Error) from exc
