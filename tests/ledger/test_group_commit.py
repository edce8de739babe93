"""GroupCommit: how a batch is closed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from creditbank.core.errors import Unavailable
from creditbank.ledger.group_commit import GroupCommit

LONG = 30.0  # a window no test waits out


def _group(
    batches: list[list[int]],
    gate: threading.Event,
    max_entries: int,
    clock: Callable[[], float] = time.monotonic,
) -> GroupCommit[int]:
    def commit(batch: list[int]) -> None:
        batches.append(list(batch))
        gate.wait(timeout=LONG)

    def refuse(item: int, error: Unavailable) -> None:
        raise AssertionError(f"{item} refused: {error}")

    return GroupCommit(
        commit, lambda _: None, refuse, max_entries=max_entries, max_wait=LONG, clock=clock
    )


def test_items_that_waited_out_the_window_behind_a_batch_go_at_once() -> None:
    """The window counts from an item's arrival: items that queued behind a committing
    batch for longer than ``max_wait`` close the next batch at once, instead of waiting
    a window from the moment they are taken up (which would hang this test)."""
    now = [0.0]
    batches: list[list[int]] = []
    gate = threading.Event()
    group = _group(batches, gate, max_entries=100, clock=lambda: now[0])
    group.max_wait = 0  # the first batch closes at once
    group.put(1)
    while not batches:  # the first batch is committing (held at the gate)
        time.sleep(0.005)
    group.max_wait = LONG
    group.put(2)
    group.put(3)
    now[0] += 2 * LONG  # they have waited out the window
    gate.set()
    deadline = time.monotonic() + LONG / 2
    while len(batches) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert batches == [[1], [2, 3]]
    group.close()


def test_a_full_batch_closes_before_its_window() -> None:
    batches: list[list[int]] = []
    gate = threading.Event()
    gate.set()
    group = _group(batches, gate, max_entries=2)
    for item in range(4):
        group.put(item)
    group.close()
    assert [len(b) for b in batches] == [2, 2]
    assert [i for b in batches for i in b] == [0, 1, 2, 3]
