"""Commands that start processes (the signature pool's worker, benchmark servers) stop
them however they end: normally, on error, on Ctrl-C (SIGINT) and on SIGTERM or SIGHUP,
which are turned into the same interrupt so that every ``finally`` runs
(``Bank.close`` stopping the pool, a benchmark's server being stopped).

Whatever multiprocessing child the command started and is still alive at the end is then
terminated, and the multiprocessing resource tracker it started is stopped: nothing the
command started outlives it.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import multiprocessing
import signal
import threading
from collections.abc import Callable, Iterator
from multiprocessing import resource_tracker
from types import FrameType
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")
STOP_TIMEOUT = 5.0
_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _tracker_running() -> bool:
    return getattr(resource_tracker._resource_tracker, "_fd", None) is not None


@contextlib.contextmanager
def processes_stopped() -> Iterator[None]:
    """Run a command so that the processes it starts stop with it (module docstring)."""
    before = {p.pid for p in multiprocessing.active_children()}
    tracker_was_running = _tracker_running()
    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in _SIGNALS:
            previous[sig] = signal.signal(sig, _interrupt)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for child in multiprocessing.active_children():
            if child.pid in before:
                continue
            child.join(timeout=STOP_TIMEOUT)
            if child.is_alive():
                child.terminate()
                child.join(timeout=STOP_TIMEOUT)
        if not tracker_was_running and _tracker_running():
            # closing the tracker's pipe ends it. First let the finalizers of what the
            # command dropped (its pool's semaphores) unregister with it, so it does not
            # unlink them behind their backs (which breaks their cleanup later in a
            # process, such as a test run, that goes on after the command)
            gc.collect()
            with contextlib.suppress(OSError, ChildProcessError):
                resource_tracker._resource_tracker._stop()  # type: ignore[attr-defined]


def stops_processes(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorate a command with :func:`processes_stopped`."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with processes_stopped():
            return fn(*args, **kwargs)

    return wrapper
