"""Reads for code on the event loop: inline on SQLite, in threads on a database server.

The LRS's statement POST runs on the event loop (``creditbank.ledger.steps``), so that a
request waiting for the sequencer holds no thread. Its reads before it decides are local
index lookups on SQLite, cheaper than a hand-off to a thread and back. On PostgreSQL they
are round trips to the server (the pool's ping, the query, the rollback): 0.85 ms on an
idle machine with the server on it, and more under load or across a network, during
which the worker's every other request waited. Steps yield the future ``read`` gives
and go on when it is settled.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Connection, Engine

from creditbank.core.errors import Unavailable
from creditbank.db.engine import is_sqlite

T = TypeVar("T")

THREADS = 8  # reads under way at once per process; more wait their turn


class ReadThreads:
    """Runs a read on a connection of its own, off the caller's thread where it must.
    On a database server the connection is in autocommit: each of the read's
    statements sees the database as of its own start."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.inline = is_sqlite(engine)
        self._pool: ThreadPoolExecutor | None = None
        self._closed = False

    def read(self, fn: Callable[[Connection], T]) -> Future[T]:
        """``fn(connection)``'s outcome (its value, or what it raised) as a future."""
        if not self.inline:
            if self._closed:
                raise Unavailable("the bank is shutting down")
            if self._pool is None:
                self._pool = ThreadPoolExecutor(THREADS, thread_name_prefix="creditbank-read")
            return self._pool.submit(self._run, fn)
        done: Future[T] = Future()
        try:
            done.set_result(self._run(fn))
        except Exception as exc:  # the caller's steps take it from the future
            done.set_exception(exc)
        return done

    def _run(self, fn: Callable[[Connection], T]) -> T:
        conn = self.engine.connect()
        if not self.inline:
            # no BEGIN and ROLLBACK round trips around a read: each statement reads
            # the database as of its own start
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        with conn:
            return fn(conn)

    def close(self) -> None:
        """Let reads under way finish; start no others."""
        self._closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=True)
