"""store.deferred_writes: held projection writes are seen by every later read, in order."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from creditbank.bank import Bank
from creditbank.db import tables
from creditbank.db.engine import WRITE
from creditbank.ledger import store

INSERT = "INSERT INTO learner_entries (account, idx, kind) VALUES (?, ?, ?)"


def test_reads_see_held_writes_in_order(bank: Bank) -> None:
    t = tables.learner_entries
    with bank.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        with store.deferred_writes(conn):
            store.write(conn, INSERT, ("CB0000000001", 900_001, "a.b"))
            assert store.query(conn, "SELECT kind FROM learner_entries WHERE idx = ?", (900_001,))
            store.write(conn, INSERT, ("CB0000000001", 900_002, "a.b"))
            store.write(conn, "UPDATE learner_entries SET kind = ? WHERE idx = ?", ("c.d", 900_002))
            rows = conn.execute(select(t.c.idx, t.c.kind).where(t.c.idx > 900_000)).all()
            assert [tuple(r) for r in rows] == [(900_001, "a.b"), (900_002, "c.d")]
            store.write(conn, INSERT, ("CB0000000001", 900_003, "e.f"))
        # the end of the block sends the rest
        assert store.query(conn, "SELECT kind FROM learner_entries WHERE idx = ?", (900_003,))
        conn.rollback()


def test_a_held_write_that_fails_raises_dbapierror(bank: Bank) -> None:
    with bank.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        with store.deferred_writes(conn):
            store.write(conn, INSERT, ("CB0000000001", 900_001, "a.b"))
            store.write(conn, INSERT, ("CB0000000001", 900_001, "a.b"))  # same primary key
            with pytest.raises(DBAPIError):
                store.flush_writes(conn)
        conn.rollback()
