"""A statement POST runs on the event loop; its reads run there on SQLite (a local
lookup) and in the bank's read threads on PostgreSQL (a round trip there would hold
every other request of the worker)."""

from __future__ import annotations

import asyncio
import threading
import uuid
from typing import Any

import pytest
from sqlalchemy import Connection, func, select

from creditbank.bank import Bank
from creditbank.core.errors import InvalidInput, Unavailable
from creditbank.credits import lrs_store
from creditbank.db import tables
from creditbank.db.engine import is_sqlite
from creditbank.db.read_threads import ReadThreads, on_an_event_loop
from creditbank.tooling.factories import register
from tests.xapi.conftest import Lrs, completed


def test_a_read_is_inline_on_sqlite_and_in_a_thread_on_a_database_server(bank: Bank) -> None:
    def entries(conn: Connection) -> tuple[int, int]:
        count = conn.execute(select(func.count()).select_from(tables.log_entries)).scalar_one()
        return int(count), threading.get_ident()

    count, thread = bank.reads.read(entries).result(timeout=30)
    with bank.engine.connect() as conn:
        assert (
            count == conn.execute(select(func.count()).select_from(tables.log_entries)).scalar_one()
        )
    assert count > 0  # the bank's own first entries
    assert (thread == threading.get_ident()) is is_sqlite(bank.engine)


def test_what_a_read_raises_is_its_futures_outcome(bank: Bank) -> None:
    def refused(_: Connection) -> None:
        raise InvalidInput("no such thing", field="thing")

    error = bank.reads.read(refused).exception(timeout=30)
    assert isinstance(error, InvalidInput)
    assert error.field == "thing"


def test_once_closed_no_read_starts_on_a_database_server(bank: Bank) -> None:
    reads = ReadThreads(bank.engine)
    assert reads.read(lambda conn: conn.execute(select(1)).scalar_one()).result(timeout=30) == 1
    reads.close()
    if is_sqlite(bank.engine):  # inline: nothing to start, nothing to stop
        assert reads.read(lambda conn: conn.execute(select(2)).scalar_one()).result() == 2
    else:
        with pytest.raises(Unavailable):
            reads.read(lambda conn: conn.execute(select(2)).scalar_one())


def test_a_posts_reads_leave_the_event_loop_on_a_database_server(
    lrs: Lrs, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    real = lrs_store.request_reads

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(on_an_event_loop())
        return real(*args, **kwargs)

    monkeypatch.setattr(lrs_store, "request_reads", recording)
    sid = str(uuid.uuid4())
    r = lrs.post(completed(lrs.world.learner(), id=sid))
    assert r.status_code == 200, r.text
    assert r.json() == [sid]
    assert lrs.outcome(sid)["outcome"] == "credited"
    assert seen == [is_sqlite(lrs.world.bank.engine)]


def test_on_a_database_server_each_statement_of_a_read_reads_as_of_its_own_start(
    bank: Bank,
) -> None:
    """No BEGIN and ROLLBACK round trips around a read: on PostgreSQL the read's
    connection is in autocommit, so two statements see two transactions' clocks."""
    if is_sqlite(bank.engine):
        pytest.skip("SQLite reads run inline, in the caller's thread")

    def two_clocks(conn: Connection) -> tuple[Any, Any]:
        first = conn.exec_driver_sql("SELECT now()").scalar_one()
        conn.exec_driver_sql("SELECT pg_sleep(0.01)")
        return first, conn.exec_driver_sql("SELECT now()").scalar_one()

    first, second = bank.reads.read(two_clocks).result(timeout=30)
    assert second > first


def test_the_pools_connections_are_not_left_in_autocommit(bank: Bank) -> None:
    """A read thread keeps its autocommit connection to itself: those the pool hands to
    writers (a batch must be all or nothing) are in a transaction as ever."""
    if is_sqlite(bank.engine):
        pytest.skip("SQLite reads run inline, on the driver's own transaction control")
    for _ in range(20):
        bank.reads.read(lambda conn: conn.execute(select(1)).scalar_one()).result(timeout=30)
    held = [bank.engine.connect() for _ in range(12)]
    try:
        drivers = [conn.connection.dbapi_connection for conn in held]
        assert [getattr(driver, "autocommit", None) for driver in drivers] == [False] * 12
    finally:
        for conn in held:
            conn.close()


def _backend(conn: Connection) -> int:
    return int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def test_a_read_outlives_a_dropped_connection(bank: Bank) -> None:
    """The database server drops the read threads' connections (a restart): the next
    reads are answered, each on a new connection, not refused."""
    if is_sqlite(bank.engine):
        pytest.skip("SQLite has no server to drop a connection")
    before = {bank.reads.read(_backend).result(timeout=30) for _ in range(16)}
    with bank.engine.connect() as admin:
        for pid in before:
            admin.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
    after = {bank.reads.read(_backend).result(timeout=30) for _ in range(16)}
    assert after
    assert not after & before


def _entries(conn: Connection) -> tuple[int, int]:
    count = conn.execute(select(func.count()).select_from(tables.log_entries)).scalar_one()
    return int(count), id(conn.connection.dbapi_connection)


def test_reads_on_an_event_loop_see_each_commit_made_between_them(bank: Bank) -> None:
    """On SQLite the loop's thread keeps one connection for its reads (on PostgreSQL,
    each read thread does); each read ends its transaction, so the next one sees what
    was committed meanwhile, and a checkpoint of the whole WAL is not held back."""

    async def around_a_commit() -> tuple[tuple[int, int], tuple[int, int]]:
        first = bank.reads.read(_entries).result(timeout=30)
        register(bank, "prov-between")  # logged by the sequencer, on its own connection
        return first, bank.reads.read(_entries).result(timeout=30)

    (before, kept_before), (after, kept_after) = asyncio.run(around_a_commit())
    assert after > before
    if is_sqlite(bank.engine):
        assert kept_after == kept_before  # the loop's own connection, both times
        with bank.engine.connect() as conn:
            busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        assert busy == 0
