"""Group commit, in the manner of Tessera: concurrent appends queue up and one background
thread closes a batch at ``max_entries`` items or ``max_wait`` seconds after its first,
so a batch pays one transaction, one fsync and one checkpoint signature."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from creditbank.core.errors import Unavailable

T = TypeVar("T")


class GroupCommit(Generic[T]):
    """Batches queued items for ``commit``, then hands each to ``settle`` (which answers
    its caller). Items queued after ``close`` are given to ``refuse``."""

    def __init__(
        self,
        commit: Callable[[list[T]], None],
        settle: Callable[[T], None],
        refuse: Callable[[T, Unavailable], None],
        *,
        max_entries: int,
        max_wait: float,
    ) -> None:
        self._commit = commit
        self._settle = settle
        self._refuse = refuse
        self.max_entries = max_entries
        self.max_wait = max_wait
        self._queue: queue.Queue[T | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False

    def put(self, item: T) -> None:
        """Queue ``item`` (the thread starts on first use)."""
        if self._closed:
            raise Unavailable("the ledger is shutting down")
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="creditbank-sequencer", daemon=True
                )
                self._thread.start()
        self._queue.put(item)

    @property
    def running(self) -> bool:
        """Whether appends are taken: not closed, and the thread (once started) alive."""
        return not self._closed and (self._thread is None or self._thread.is_alive())

    def waiting(self) -> int:
        """How many items are queued behind the batch under way (approximately)."""
        return self._queue.qsize()

    def close(self) -> None:
        """Finish the batch under way, stop the thread, refuse what is still queued."""
        self._closed = True
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None
        self._refuse_queued()  # anything a racing put queued after the thread stopped

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                self._refuse_queued()
                return
            batch = [first]
            deadline = time.monotonic() + self.max_wait
            while len(batch) < self.max_entries:
                remaining = deadline - time.monotonic()
                try:
                    nxt = (
                        self._queue.get(timeout=remaining)
                        if remaining > 0
                        else self._queue.get_nowait()
                    )
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                batch.append(nxt)
            self._commit(batch)
            for item in batch:
                self._settle(item)

    def _refuse_queued(self) -> None:
        """At shutdown, answer what was queued after the stop marker instead of leaving
        its callers waiting."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                self._refuse(item, Unavailable("the ledger is shutting down"))
