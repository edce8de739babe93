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


def test_a_future_settled_on_the_loop_itself_wakes_the_steps() -> None:
    """The server's sequencer answers on the worker's loop: settled there, the waiting
    steps go on (no thread is involved at all)."""

    async def main() -> list[Any]:
        loop = asyncio.get_running_loop()
        answer: Future[Any] = Future()

        def steps() -> Steps[list[Any]]:
            yield answer
            return [answer.result()]

        loop.call_later(0.01, answer.set_result, 7)
        return await run_awaiting(steps(), timeout=5)

    assert asyncio.run(main()) == [7]


def test_a_cancelled_request_leaves_the_sequencers_future_alone() -> None:
    pending: Future[Any] = Future()

    def steps() -> Steps[None]:
        yield pending

    async def main() -> None:
        task = asyncio.ensure_future(run_awaiting(steps(), timeout=5))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert not pending.cancelled()
    pending.set_result(1)  # the sequencer still settles it, and nothing is woken
