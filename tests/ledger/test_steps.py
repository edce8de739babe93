"""Services written as steps (creditbank.ledger.steps) run alike from a thread and from
the event loop: each yielded future is waited for, its outcome read by the steps, and a
future nobody settles in time is refused."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from concurrent.futures import Future
from typing import Any

import pytest

from creditbank.core.errors import Conflict, Unavailable
from creditbank.ledger.steps import Steps, run_awaiting, run_blocking


def _later(outcome: Any) -> Future[Any]:
    """A future settled by another thread shortly (as the sequencer settles them)."""
    future: Future[Any] = Future()

    def settle() -> None:
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)

    threading.Timer(0.01, settle).start()
    return future


def _steps() -> Steps[list[Any]]:
    seen: list[Any] = []
    first = _later(1)
    yield first
    seen.append(first.result())
    refused = _later(Conflict("taken", field="id"))
    yield refused
    try:
        refused.result()
    except Conflict as exc:
        seen.append(exc.field)
    done: Future[Any] = Future()
    done.set_result(3)
    yield done  # already settled: no wait
    seen.append(done.result())
    return seen


def test_a_thread_and_the_event_loop_run_the_same_steps_alike(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert run_blocking(_steps()) == [1, "id", 3]
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        assert asyncio.run(run_awaiting(_steps())) == [1, "id", 3]
        gc.collect()
    # the refusal was read by the steps: no copy of it is left "never retrieved"
    assert caplog.records == []


def _never() -> Steps[None]:
    yield Future()


def test_a_future_not_settled_in_time_is_unavailable() -> None:
    with pytest.raises(Unavailable, match="did not answer in time"):
        run_blocking(_never(), timeout=0.05)
    with pytest.raises(Unavailable, match="did not answer in time"):
        asyncio.run(run_awaiting(_never(), timeout=0.05))
