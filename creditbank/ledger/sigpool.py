"""Ed25519 on a second core, for bulk appends.

Verification is the largest single cost of a signed append and does not release the GIL,
so a big batch is split: a worker process verifies one part while the sequencing process
verifies the other. The result only says "this signature is valid for this public key";
whether the key is the author's and active is still decided under the log's lock.

The workers hold no key: they only verify. (The log key stays in the sequencing process;
derived decisions carry no per-entry signature, see ``creditbank.core.authorship``.)
This module imports nothing but ``cryptography`` so worker processes start fast.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import resource_tracker
from typing import TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

log = logging.getLogger(__name__)

Job = tuple[bytes, bytes, bytes]
"""(message, signature, public key)"""
CLOSE_TIMEOUT = 5.0  # seconds a stopping worker may take to finish its job
WORKERS = 1  # one job at a time is ever outstanding: the next batch, or half of this one
A = TypeVar("A")
R = TypeVar("R")


def verify_all(jobs: Sequence[Job]) -> list[bool]:
    out = []
    for message, signature, public_key in jobs:
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
            out.append(True)
        except (InvalidSignature, ValueError):
            out.append(False)
    return out


def _ignore_interrupts() -> None:
    """In a worker: leave Ctrl-C (which a terminal sends to the whole process group) to the
    parent, which stops the worker in :meth:`SignaturePool.close`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C back (block SIGINT) while a worker may be started: the worker inherits
    the blocked signal from its first instruction, so a Ctrl-C during its start-up cannot
    kill it half-way (printing a traceback), and its initializer then ignores it. Blocked,
    not ignored: a Ctrl-C that arrives meanwhile stays pending and interrupts this process
    as soon as the worker is started, rather than being lost. The resource tracker is
    started first: starting it unblocks SIGINT on its way out."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    resource_tracker.ensure_running()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


class SignaturePool:
    """A process pool of verifiers, started on first use."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._broken = False
        self._closed = False
        self._lock = threading.Lock()  # between a sequencing thread's submit and close

    def start(self) -> None:
        """Start the worker now (it takes a moment to spawn) rather than on first use."""
        self.verify([])

    def verify(self, jobs: Sequence[Job]) -> list[bool] | None:
        """Verify ``jobs``: the first half in the worker, the rest here, concurrently.

        None when no worker can run (for example a script without a ``__main__`` guard):
        the caller then verifies as usual, one signature at a time.
        """
        half = len(jobs) // 2
        remote = self.submit(jobs[:half])
        if remote is None:
            return None
        local = verify_all(jobs[half:])
        verdicts = self.result(remote)
        return None if verdicts is None else verdicts + local

    def submit(self, jobs: Sequence[Job]) -> Future[list[bool]] | None:
        """Start verifying all of ``jobs`` in the worker (for a pipeline that sequences
        one batch while the next one's signatures are checked); None as for ``verify``."""
        return self._submit(verify_all, list(jobs))

    def _submit(self, fn: Callable[[list[A]], list[R]], work: list[A]) -> Future[list[R]] | None:
        try:
            with self._lock, _interrupts_held():
                if self._broken or self._closed:
                    return None  # a closed pool starts no other worker (it would outlive it)
                if self._pool is None:
                    context = multiprocessing.get_context("spawn")
                    self._pool = ProcessPoolExecutor(
                        WORKERS, mp_context=context, initializer=_ignore_interrupts
                    )
                return self._pool.submit(fn, work)
        except (BrokenProcessPool, RuntimeError, OSError):
            self._give_up()
            return None

    def result(self, future: Future[list[R]]) -> list[R] | None:
        """The outcome of a submitted job; None if the worker died meanwhile."""
        try:
            return future.result()
        except (BrokenProcessPool, RuntimeError, OSError):
            self._give_up()
            return None

    def _give_up(self) -> None:
        log.warning("signature worker unavailable; verifying in-process", exc_info=True)
        self._broken = True
        self.close()

    def close(self) -> None:
        """Stop the worker: queued work is cancelled, the job under way (a batch's
        signatures, well under a second) is let finish, and a worker that does not stop
        then (or a broken pool's) is terminated, so no process outlives the pool, on
        interrupt or error as at the end. Work submitted afterwards (by a thread that
        was still sequencing) is verified by the caller instead."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list((getattr(pool, "_processes", None) or {}).values())
        manager: threading.Thread | None = getattr(pool, "_executor_manager_thread", None)
        try:
            pool.shutdown(wait=False, cancel_futures=True)
        finally:
            for process in processes:
                process.join(timeout=0 if self._broken else CLOSE_TIMEOUT)
                if process.is_alive():
                    process.terminate()
                    process.join(timeout=CLOSE_TIMEOUT)
            # the executor's manager thread holds the pool's queues (and their semaphores)
            # until it has seen the worker go; once it ends they are garbage and their
            # finalizers unregister them from the resource tracker, which must happen
            # before anything stops the tracker (``creditbank.cli.processes``)
            if manager is not None and manager is not threading.current_thread():
                manager.join(timeout=CLOSE_TIMEOUT)
