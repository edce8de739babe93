"""store.rows_matching: a batch's reads of many keys at once, planned as index lookups."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection

from creditbank.bank import Bank
from creditbank.db.engine import WRITE
from creditbank.ledger import store

INSERT = "INSERT INTO learner_entries (account, idx, kind) VALUES (?, ?, ?)"
ACCOUNT = [("account", "text")]


def _entries(conn: Connection, rows: list[tuple[str, int, str]]) -> None:
    for row in rows:
        store.write(conn, INSERT, row)


ROWS = [
    ("CB0000000001", 900_001, "a.b"),
    ("CB0000000001", 900_002, "c.d"),
    ("CB0000000002", 900_003, "a.b"),
    ("CB0000000003", 900_004, "a.b"),
]


@pytest.mark.parametrize("per_query", [1, 2, 500])
def test_every_row_of_every_key_once(
    bank: Bank, per_query: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "KEYS_PER_QUERY", per_query)
    with bank.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        _entries(conn, ROWS)
        keys = [("CB0000000001",), ("CB0000000003",), ("CB0000000001",), ("CB0000000009",)]
        found = store.rows_matching(conn, "learner_entries", "idx, kind", ACCOUNT, keys)
        assert sorted(found) == [
            ("CB0000000001", 900_001, "a.b"),
            ("CB0000000001", 900_002, "c.d"),
            ("CB0000000003", 900_004, "a.b"),
        ]
        assert store.rows_matching(conn, "learner_entries", "idx", ACCOUNT, []) == []
        conn.rollback()


def test_two_key_columns_and_a_narrowing_condition(bank: Bank) -> None:
    with bank.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        _entries(conn, ROWS)
        pairs = [("CB0000000001", 900_002), ("CB0000000002", 900_003), ("CB0000000002", 900_001)]
        found = store.rows_matching(
            conn, "learner_entries", "kind", [("account", "text"), ("idx", "bigint")], pairs
        )
        assert sorted(found) == [("CB0000000001", 900_002, "c.d"), ("CB0000000002", 900_003, "a.b")]
        narrowed = store.rows_matching(
            conn,
            "learner_entries",
            "idx",
            ACCOUNT,
            [("CB0000000001",), ("CB0000000002",)],
            where="kind = ?",
            params=("a.b",),
        )
        assert sorted(narrowed) == [("CB0000000001", 900_001), ("CB0000000002", 900_003)]
        conn.rollback()


def test_postgresql_looks_each_key_up_in_the_index_without_statistics(bank: Bank) -> None:
    """On a table that grew since it was last analyzed (autovacuum off or behind), an IN
    list of hundreds of keys can be planned as a scan of the whole table; the lateral
    form is an index lookup per key whatever the statistics say."""
    if bank.engine.dialect.name != "postgresql":
        pytest.skip("SQLite plans an IN list on an indexed column as index lookups itself")
    with bank.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        rows = [(f"CB{n // 4:010d}", 1_000_000 + n, "a.b") for n in range(20_000)]
        conn.exec_driver_sql(INSERT.replace("?", "%s"), rows)
        keys = [(f"CB{n:010d}",) for n in range(0, 5_000, 17)]
        sql, args = store.matching_sql("postgresql", "learner_entries", "idx", ACCOUNT, keys)
        plan = "\n".join(r[0] for r in store.query(conn, f"EXPLAIN {sql}", args))
        assert "Seq Scan on learner_entries" not in plan, plan
        assert "Index" in plan, plan
        found = store.rows_matching(conn, "learner_entries", "idx", ACCOUNT, keys)
        assert len(found) == 4 * len(keys)
        conn.rollback()
