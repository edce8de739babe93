"""The SQLite engine's transactions: BEGIN (IMMEDIATE for appends) on the driver."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from creditbank.db.engine import WRITE, make_engine


def test_a_write_transaction_holds_the_lock_from_its_begin(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (n INTEGER)"))
        other = sqlite3.connect(tmp_path / "x.db", timeout=0)
        with engine.connect().execution_options(**WRITE) as conn, conn.begin():
            # BEGIN IMMEDIATE: the write lock is taken before the first write
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            conn.execute(text("INSERT INTO t VALUES (1)"))
        other.execute("BEGIN IMMEDIATE")  # released at commit
        other.rollback()
        other.close()
    finally:
        engine.dispose()


def test_a_begin_the_database_refuses_is_a_dbapierror(tmp_path: Path) -> None:
    """A lock not had in time at BEGIN comes back as SQLAlchemy's DBAPIError, as from any
    statement (the sequencer isolates a batch's database failures by it)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    holder = sqlite3.connect(tmp_path / "x.db")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (n INTEGER)"))
        holder.execute("BEGIN IMMEDIATE")
        with engine.connect() as conn:
            conn.execute(text("PRAGMA busy_timeout = 0"))
            conn.rollback()
            with pytest.raises(DBAPIError, match="locked"):
                conn.execution_options(**WRITE).begin()
    finally:
        holder.rollback()
        holder.close()
        engine.dispose()
