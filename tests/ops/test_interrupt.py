"""A command that starts processes stops them however it ends: Ctrl-C (SIGINT to the
whole process group, as a terminal sends it) or SIGTERM leave no signature-pool worker,
no multiprocessing resource tracker and no benchmark server behind."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PG_URL
from tests.ops.processes import alive, descendants, in_session, start, stop, wait_for

pytestmark = pytest.mark.slow

ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _database(engine: str) -> list[str]:
    if engine == "sqlite":
        return []
    if not PG_URL:
        pytest.skip("CREDITBANK_TEST_DATABASE_URL is not set")
    return ["--database-url", PG_URL]


def _has(proc: subprocess.Popen[bytes], marker: str) -> bool:
    return any(marker in cmd for cmd in alive(descendants(proc)))


def _stopped_cleanly(proc: subprocess.Popen[bytes], started: list[str]) -> None:
    """The command exits, and nothing it started (or anything in its session) remains."""
    try:
        output, _ = proc.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        pytest.fail("the command did not stop")
    assert proc.returncode != 0
    assert b"Traceback" not in output, output.decode(errors="replace")[-2000:]
    wait_for(
        lambda: alive(in_session(proc.pid)) == [],
        30,
        f"left running: {alive(in_session(proc.pid))} (started: {started})",
    )


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_bench_ingest_stops_its_signature_workers(
    tmp_path: Path, engine: str, sig: signal.Signals
) -> None:
    args = ["bench", "ingest", "--learners", "1000", "--completions", "200000"]
    proc = start(*args, "--http-completions", "0", *_database(engine), cwd=tmp_path)
    try:
        wait_for(lambda: _has(proc, "spawn_main"), 180, "no signature worker started")
        started = alive(descendants(proc))
        assert any("resource_tracker" in cmd for cmd in started)
        if sig == signal.SIGINT:
            os.killpg(proc.pid, sig)  # Ctrl-C: the whole group
        else:
            proc.send_signal(sig)  # a supervisor stopping the command
        _stopped_cleanly(proc, started)
    finally:
        stop(proc)


def test_bench_soak_stops_its_servers_on_ctrl_c(tmp_path: Path) -> None:
    args = ["bench", "soak", "--minutes", "5", "--learners", "100", "--completions", "1000"]
    proc = start(*args, cwd=tmp_path)
    try:
        wait_for(lambda: _has(proc, " serve "), 180, "no server started")
        wait_for(lambda: len(alive(descendants(proc))) >= 4, 60, "the workers did not start")
        started = descendants(proc)  # the servers run in a session of their own
        os.killpg(proc.pid, signal.SIGINT)
        _stopped_cleanly(proc, alive(started))
        wait_for(lambda: alive(started) == [], 30, f"left running: {alive(started)}")
    finally:
        stop(proc)
