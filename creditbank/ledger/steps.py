"""A service written once as steps, run from a thread or from the event loop.

A write that waits for the sequencer (a future settled once its batch has committed) is
a generator: each time it must wait, it yields the future and, resumed, reads its
outcome. ``run_blocking`` waits in the calling thread (the CLI, tests, threadpool
routes); ``run_awaiting`` awaits on the event loop, so a request waiting for the
sequencer holds no thread, and costs no hand-off to and from the thread pool.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from collections.abc import Generator
from concurrent.futures import Future
from typing import Any, TypeVar

from creditbank.core.errors import Unavailable

T = TypeVar("T")

Steps = Generator["Future[Any]", None, T]
"""Steps that yield the futures they wait for and return a ``T``."""

TIMEOUT = 120.0  # seconds: a step the sequencer has not settled by then is refused


def run_blocking(steps: Steps[T], timeout: float = TIMEOUT) -> T:
    """Run ``steps``, waiting for each future in this thread."""
    try:
        future = next(steps)
        while True:
            concurrent.futures.wait([future], timeout=timeout)
            future = _resume(steps, future)
    except StopIteration as finished:
        result: T = finished.value
        return result


async def run_awaiting(steps: Steps[T], timeout: float = TIMEOUT) -> T:
    """Run ``steps`` on the event loop, awaiting each future."""
    try:
        future = next(steps)
        while True:
            if not future.done():
                await _settled(future, timeout)
            future = _resume(steps, future)
    except StopIteration as finished:
        result: T = finished.value
        return result


def _resume(steps: Steps[Any], future: Future[Any]) -> Future[Any]:
    """The steps' next future once ``future`` is settled (StopIteration when they are
    done); Unavailable, the steps closed, when it is not settled in time."""
    if not future.done():
        steps.close()
        raise Unavailable("the sequencer did not answer in time")
    return steps.send(None)


async def _settled(future: Future[Any], timeout: float) -> None:
    """Wait until ``future`` is settled (or ``timeout``). Not ``asyncio.wrap_future``: its
    asyncio copy of a refusal would be logged as never retrieved, and cancelling the
    waiting request would cancel the sequencer's future. A future settled on this loop
    (the server's sequencer answers on it, see ``SequencerLink.read_on``) wakes the
    request at once, without a hand-off through the loop's wake-up pipe."""
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[None] = loop.create_future()

    def wake(_: Future[Any]) -> None:
        try:
            here = asyncio.get_running_loop() is loop
        except RuntimeError:
            here = False
        if here:
            _release(waiter)
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(_release, waiter)

    future.add_done_callback(wake)
    expiry = loop.call_later(timeout, _release, waiter)
    try:
        await waiter
    finally:
        expiry.cancel()


def _release(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
