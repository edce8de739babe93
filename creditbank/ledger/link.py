"""One sequencer for all of a server's processes (ADR 0023).

``creditbank serve --workers N`` runs the sequencer (and the LRS's statement writer) in
its supervising process, and every worker forwards its appends there over a local socket.
The HTTP work (parsing, validation, signing, reads) then runs on every core, while the
log keeps one writer whose group commits stay whole and whose caches stay warm, instead
of N sequencers taking turns at the database's write lock.

The protocol is a call that answers with a future: the worker sends ``(call id, name,
arguments)``, the host runs ``ops[name](*arguments)`` (which queues the work and returns
a Future) and sends back the outcome, a value or a ``CreditBankError``, once it is
settled: for an append, after its batch has committed durably. Answers settled together
travel together (a list per message). Messages are pickled, on
``multiprocessing.connection`` over a Unix socket in a private directory, and a peer must
answer the connection's HMAC challenge with the key the server hands its workers through
their environment before any message is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Connection, Listener
from typing import Any

from creditbank.core.errors import CreditBankError, Unavailable

log = logging.getLogger(__name__)

Op = Callable[..., "Future[Any]"]
GONE = "the server's sequencer process is not running"


def settled(value: Any) -> Future[Any]:
    """A future already holding ``value`` (an op answered at once)."""
    future: Future[Any] = Future()
    future.set_result(value)
    return future


class SequencerHost:
    """Serves ``ops`` to the workers that connect to ``address``; one thread per worker
    reads its calls, and each call's answer is sent by whoever settles its future."""

    def __init__(self, address: str, authkey: bytes, ops: Mapping[str, Op]) -> None:
        self.address = address
        self._authkey = authkey
        self._ops = dict(ops)
        self._listener = Listener(address, family="AF_UNIX", authkey=authkey)
        self._closed = False
        self._lock = threading.Lock()
        self._connections: list[Connection] = []
        self._readers: list[threading.Thread] = []
        self._accepting = threading.Thread(
            target=self._accept, name="creditbank-link-accept", daemon=True
        )

    def start(self) -> None:
        self._accepting.start()

    def close(self) -> None:
        """Stop taking calls. The workers stop first (their requests wait for answers);
        what is still queued is settled by the ledger's own close."""
        with self._lock:
            self._closed = True
        with contextlib.suppress(OSError, EOFError, AuthenticationError):  # wake accept()
            Client(self.address, family="AF_UNIX", authkey=self._authkey).close()
        self._accepting.join(timeout=10)
        self._listener.close()
        with self._lock:
            for conn in self._connections:
                _hang_up(conn)
            readers = list(self._readers)
        for reader in readers:
            reader.join(timeout=10)

    def _accept(self) -> None:
        while True:
            try:
                conn = self._listener.accept()
            except (OSError, EOFError, AuthenticationError) as exc:
                if self._closed:
                    return
                log.warning("a process failed to connect to the sequencer: %s", exc)
                continue
            with self._lock:
                if self._closed:
                    conn.close()
                    return
                reader = threading.Thread(
                    target=self._serve, args=(conn,), name="creditbank-link", daemon=True
                )
                self._connections.append(conn)
                self._readers.append(reader)
            reader.start()

    def _serve(self, conn: Connection) -> None:
        outbox = _Outbox(conn)
        while True:
            try:
                call_id, name, args = conn.recv()
            except (EOFError, OSError):
                break  # the worker stopped (or the host is closing)
            try:
                future = self._ops[name](*args)
            except CreditBankError as exc:
                future = Future()
                future.set_exception(exc)
            future.add_done_callback(functools.partial(outbox.answer, call_id))
        outbox.close()


def _hang_up(conn: Connection) -> None:
    """Shut the connection's socket down both ways: a thread blocked reading it gets
    end-of-file (closing the descriptor alone does not wake it)."""
    with contextlib.suppress(OSError, ValueError):
        sock = socket.socket(fileno=os.dup(conn.fileno()))
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.close()


Answer = tuple[int, bool, Any]  # (call id, settled with a value, the value or the error)


class _Outbox:
    """The answers for one worker, sent by a thread of their own: the sequencer, which
    settles the calls, only queues each answer and goes on to its next batch, and the
    answers of one batch go in one message."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._queued: list[Answer] = []
        self._ready = threading.Condition()
        self._closed = False
        self._sender = threading.Thread(target=self._send, name="creditbank-link", daemon=True)
        self._sender.start()

    def answer(self, call_id: int, future: Future[Any]) -> None:
        """Queue a settled call's outcome (a future's done callback)."""
        try:
            answer: Answer = (call_id, True, future.result())
        except CreditBankError as exc:
            answer = (call_id, False, exc)
        except Exception as exc:  # a bug behind the op: the worker answers 503, not a hang
            log.exception("a forwarded call failed")
            answer = (call_id, False, Unavailable(f"the sequencer failed: {exc}"))
        with self._ready:
            self._queued.append(answer)
            self._ready.notify()

    def close(self) -> None:
        """Send what is queued, then close the connection."""
        with self._ready:
            self._closed = True
            self._ready.notify()
        self._sender.join(timeout=10)
        self._conn.close()

    def _send(self) -> None:
        while True:
            with self._ready:
                while not self._queued and not self._closed:
                    self._ready.wait()
                answers, self._queued = self._queued, []
            if not answers:
                return  # closed, and nothing left to send
            try:
                self._conn.send(answers)
            except (OSError, ValueError):
                return  # the worker is gone: its calls died with it


class SequencerLink:
    """A worker's connection to the server's sequencer: ``call`` sends; the answers are
    read by a thread of the link's own or, once ``read_on`` hands them to the server's
    event loop, by the loop, and settle the callers' futures."""

    def __init__(self, address: str, authkey: bytes) -> None:
        try:
            self._conn = Client(address, family="AF_UNIX", authkey=authkey)
        except (OSError, EOFError, AuthenticationError) as exc:
            raise Unavailable(f"{GONE} ({address}: {exc})") from exc
        self._send_lock = threading.Lock()
        self._pending: dict[int, Future[Any]] = {}
        self._ids = itertools.count()
        self._broken = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread_stop = threading.Event()
        self._reader = threading.Thread(target=self._read, name="creditbank-link", daemon=True)
        self._reader.start()

    @property
    def running(self) -> bool:
        """Whether the host is connected (see ``host_running`` for its sequencer)."""
        return not self._broken

    def host_running(self, timeout: float = 2.0) -> bool:
        """Whether the host is connected and its sequencer takes appends (asked: one
        round trip, for readiness probes)."""
        if self._broken:
            return False
        try:
            return bool(self.call("running").result(timeout=timeout))
        except (CreditBankError, TimeoutError):
            return False

    def call(self, name: str, *args: Any, into: Future[Any] | None = None) -> Future[Any]:
        """Run ``name`` on the host; its outcome arrives in ``into`` (or a new future).
        Unavailable, at once, when the host is gone."""
        future: Future[Any] = into if into is not None else Future()
        with self._send_lock:
            if self._broken:
                raise Unavailable(GONE)
            call_id = next(self._ids)
            self._pending[call_id] = future
            try:
                self._conn.send((call_id, name, args))
            except (OSError, ValueError) as exc:
                self._pending.pop(call_id, None)
                raise Unavailable(f"{GONE} ({exc})") from exc
        return future

    def read_on(self, loop: asyncio.AbstractEventLoop) -> None:
        """Read the answers on ``loop`` (the worker's, from its start-up, on that loop):
        a request waiting for the sequencer then resumes without waiting for a reading
        thread to get the GIL and hand the answer over."""
        self._thread_stop.set()
        self._reader.join()
        if not self._broken:
            self._loop = loop
            loop.add_reader(self._conn.fileno(), self._readable)
            # libuv (uvloop) makes a watched descriptor non-blocking; the link's reads
            # and writes are whole messages, so it is made blocking again
            os.set_blocking(self._conn.fileno(), True)

    def close(self) -> None:
        with self._send_lock:
            self._broken = True
            _hang_up(self._conn)
        self._thread_stop.set()
        self._reader.join(timeout=10)
        if self._loop is not None:
            with contextlib.suppress(RuntimeError, ValueError, OSError):  # loop closed
                self._loop.remove_reader(self._conn.fileno())
        self._conn.close()

    def _read(self) -> None:
        while not self._thread_stop.is_set():
            try:
                if self._conn.poll(0.05):
                    self._settle(self._conn.recv())
            except (EOFError, OSError):
                self._gone()
                return

    def _readable(self) -> None:
        try:
            while self._conn.poll():
                self._settle(self._conn.recv())
        except (EOFError, OSError):
            if self._loop is not None:
                with contextlib.suppress(ValueError, OSError):
                    self._loop.remove_reader(self._conn.fileno())
            self._gone()

    def _settle(self, answers: list[Answer]) -> None:
        for call_id, ok, value in answers:
            future = self._pending.pop(call_id, None)
            if future is None:
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def _gone(self) -> None:
        """The host went away: what it had not answered is refused."""
        with self._send_lock:
            self._broken = True
            pending, self._pending = self._pending, {}
        for future in pending.values():
            future.set_exception(Unavailable(GONE))
