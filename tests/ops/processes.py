"""Running a creditbank command as a user would, and finding what it left behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

CREDITBANK = Path(sys.executable).with_name("creditbank")


def _default_interrupts() -> None:
    # a test runner started in the background may ignore SIGINT; a terminal user's does not
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(*args: str, cwd: Path) -> subprocess.Popen[bytes]:
    """`creditbank ARGS` in a session (and process group) of its own, as a terminal runs
    a command: a Ctrl-C there reaches the whole group."""
    return subprocess.Popen(
        [str(CREDITBANK), *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_default_interrupts,
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    """However a test ends: kill what is left of the command's group, reap it and close its
    output pipe (an open pipe would be reported as unclosed in whichever test runs next)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def alive(processes: list[psutil.Process]) -> list[str]:
    """The command lines of those still running (zombies waiting to be reaped excluded)."""
    out = []
    for p in processes:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(" ".join(p.cmdline()))
        except psutil.NoSuchProcess:
            continue
    return out


def wait_for(what: Callable[[], bool], timeout: float, why: str) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, why
        time.sleep(0.2)


def descendants(proc: subprocess.Popen[bytes]) -> list[psutil.Process]:
    try:
        return psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def in_session(sid: int) -> list[psutil.Process]:
    """Every process of session ``sid``."""
    found = []
    for p in psutil.process_iter():
        try:
            if os.getsid(p.pid) == sid:
                found.append(p)
        except (ProcessLookupError, PermissionError):
            continue
    return found
