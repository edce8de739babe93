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

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from creditbank.core.errors import Unavailable
from creditbank.db.engine import is_sqlite

T = TypeVar("T")

THREADS = 8  # reads under way at once per process; more wait their turn


class ReadThreads:
    """Runs a read on a connection of its own, off the caller's thread where it must.

    On SQLite the read runs in the caller's thread; an event loop's thread keeps one
    connection for it, in a transaction for each read.

    On a database server each read thread keeps one connection, in autocommit: each of
    a read's statements sees the database as of its own start, and a read costs its
    statements' round trips only (no checkout, no ping, no ``BEGIN`` or ``ROLLBACK``).
    A connection the server dropped (a restart) is replaced and the read tried again
    once on the new one."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.inline = is_sqlite(engine)
        self._pool: ThreadPoolExecutor | None = None
        self._closed = False
        self._mine = threading.local()  # a read thread's connection
        self._held: list[Connection] = []  # every read thread's, to close at the end
        self._lock = threading.Lock()

    def read(self, fn: Callable[[Connection], T]) -> Future[T]:
        """``fn(connection)``'s outcome (its value, or what it raised) as a future."""
        if not self.inline:
            with self._lock:
                if self._closed:
                    raise Unavailable("the bank is shutting down")
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(THREADS, thread_name_prefix="creditbank-read")
                return self._pool.submit(self._in_thread, fn)
        done: Future[T] = Future()
        try:
            done.set_result(self._here(fn))
        except Exception as exc:  # the caller's steps take it from the future
            done.set_exception(exc)
        return done

    def _here(self, fn: Callable[[Connection], T]) -> T:
        """On SQLite: an event loop's thread keeps a connection for its requests' reads
        (a pool checkout and check-in cost more than the lookups); other callers (the
        CLI, tests) take one from the pool."""
        if self._closed or not on_an_event_loop():
            with self.engine.connect() as conn:
                return fn(conn)
        return self._once(fn)

    def _in_thread(self, fn: Callable[[Connection], T]) -> T:
        try:
            return self._once(fn)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            return self._once(fn)  # on a new connection: the old one is gone

    def _once(self, fn: Callable[[Connection], T]) -> T:
        conn: Connection | None = getattr(self._mine, "conn", None)
        if conn is None or conn.invalidated or conn.closed:
            if conn is not None:
                self._let_go(conn)
            conn = self.engine.connect()
            if not self.inline:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            self._mine.conn = conn
            with self._lock:
                self._held.append(conn)
        try:
            return fn(conn)
        finally:
            if not conn.invalidated:
                # SQLite: ends the read's transaction, so that it sees the next commits
                # and holds back no checkpoint; a server's: SQLAlchemy's own, nothing sent
                conn.rollback()

    def _let_go(self, conn: Connection) -> None:
        with self._lock:
            self._held.remove(conn)
        conn.close()

    def close(self) -> None:
        """Let reads under way finish, start no others, and close the connections."""
        with self._lock:
            self._closed = True
            pool = self._pool
        if pool is not None:
            pool.shutdown(wait=True)
        for conn in self._held:
            conn.close()
        self._held.clear()


def on_an_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
