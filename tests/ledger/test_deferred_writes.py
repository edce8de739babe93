"""store.deferred_writes: held projection writes are seen by every later read, in order."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, select
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
            with pytest.raises(DBAPIError) as refused:
                store.flush_writes(conn)
            assert refused.value.statement == INSERT  # the failing statement is named
        conn.rollback()


LE = "learner_entries"
UPDATE = "UPDATE learner_entries SET kind = ? WHERE idx = ?"
UPSERT = (
    "INSERT INTO eligibility (learner, standard_id, level, eligible, changed_index) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (learner, standard_id, level) "
    "DO UPDATE SET eligible = excluded.eligible, changed_index = excluded.changed_index"
)
KINDS = st.sampled_from(["a.b", "c.d", "e.f"])
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), st.integers(1, 6), KINDS),
        st.tuples(st.just("update"), st.integers(1, 6), KINDS),
        st.tuples(st.just("amend"), st.integers(1, 6), KINDS),
        st.tuples(st.just("upsert"), st.integers(1, 3), st.booleans()),
        st.tuples(st.just("read"), st.integers(1, 6), KINDS),
    ),
    max_size=30,
)


def _apply(conn: Connection, ops: list[tuple[str, int, Any]]) -> None:
    inserted: set[int] = set()
    for n, (op, key, value) in enumerate(ops):
        if op == "insert" and key not in inserted:
            inserted.add(key)
            store.write(conn, INSERT, ("CB0000000001", 900_000 + key, value), row=key)
        elif op == "update" or (op == "amend" and not store.amend_held(conn, LE, key, 2, value)):
            store.write(conn, UPDATE, (value, 900_000 + key))
        elif op == "upsert":
            store.write(conn, UPSERT, ("CB0000000001", "s", key, value, n))
        elif op == "read":
            store.query(conn, "SELECT count(*) FROM learner_entries")


def _state(conn: Connection) -> list[tuple[Any, ...]]:
    entries = store.query(
        conn, "SELECT idx, kind FROM learner_entries WHERE idx > 900000 ORDER BY idx"
    )
    levels = store.query(
        conn, "SELECT level, eligible, changed_index FROM eligibility ORDER BY level"
    )
    return [*entries, ("-",), *[(lv, bool(e), c) for lv, e, c in levels]]


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=OPS)
def test_held_writes_end_where_row_by_row_writes_do(bank: Bank, ops: list[Any]) -> None:
    """Held writes are sent table by table in runs of one statement, and an amended INSERT
    takes the place of its UPDATE: the tables end exactly as writing each row in turn."""
    with bank.engine.connect().execution_options(**WRITE) as conn:
        with conn.begin():
            _apply(conn, ops)
            expected = _state(conn)
            conn.rollback()
        with conn.begin():
            with store.deferred_writes(conn):
                _apply(conn, ops)
            assert _state(conn) == expected
            conn.rollback()


def test_an_amended_write_is_sent_with_its_new_value(bank: Bank) -> None:
    with bank.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        with store.deferred_writes(conn):
            store.write(conn, INSERT, ("CB0000000001", 900_001, "a.b"), row="r")
            assert store.amend_held(conn, LE, "r", 2, "c.d")
            assert store.query(conn, "SELECT kind FROM learner_entries WHERE idx = ?", (900_001,))
            # sent: there is nothing held to amend any more
            assert not store.amend_held(conn, LE, "r", 2, "e.f")
        assert not store.amend_held(
            conn, "learner_entries", "r", 2, "e.f"
        )  # nothing deferred at all
        rows = store.query(conn, "SELECT kind FROM learner_entries WHERE idx = ?", (900_001,))
        assert rows == [("c.d",)]
        conn.rollback()


def test_a_bulk_insert_sends_what_is_held_first_and_fails_as_dbapierror(bank: Bank) -> None:
    """``insert_nodes`` goes to the driver after the held writes (a later read sees
    both), and a row the database refuses raises DBAPIError like any statement."""
    node = (40, 900_001, b"\x01" * 32)
    with bank.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        with store.deferred_writes(conn):
            store.write(conn, INSERT, ("CB0000000001", 900_001, "a.b"))
            store.insert_nodes(conn, [node])
            held = store.query(conn, "SELECT kind FROM learner_entries WHERE idx = ?", (900_001,))
            assert held == [("a.b",)]
            assert store.read_nodes(conn, [(40, 900_001)]) == {(40, 900_001): node[2]}
            with pytest.raises(DBAPIError) as refused:
                store.insert_nodes(conn, [node])  # same primary key
            assert "tree_nodes" in str(refused.value.statement)
        conn.rollback()
