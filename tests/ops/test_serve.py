"""`creditbank serve` as operators run it: the start-up line, and metrics that add up the
figures of every worker process (prometheus-client's multi-process mode)."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from creditbank.bank import init_bank, open_bank
from creditbank.settings import Settings
from creditbank.tooling.bench.common import free_port
from tests.factories import notice, register, token_for
from tests.ops.test_health import value

CREDITBANK = Path(sys.executable).with_name("creditbank")


def _command(settings: Settings, port: int, workers: int) -> list[str]:
    """`creditbank serve` on the settings' data dir and database."""
    return [
        str(CREDITBANK),
        "serve",
        "--data-dir",
        str(settings.data_dir),
        "--database-url",
        settings.resolved_database_url,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


def _serve(settings: Settings, log: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    """Start `creditbank serve --workers N` (JSON logs) and wait until it is ready; a port
    taken meanwhile by another process (free_port's race) is retried on a new one."""
    env = {**os.environ, "CREDITBANK_LOG_FORMAT": "json"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    for _ in range(3):
        port = free_port()
        with log.open("wb") as out:
            proc = subprocess.Popen(
                _command(settings, port, workers),
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300  # a busy machine starts workers slowly
        while proc.poll() is None:
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    return proc, base
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                pytest.fail(f"not ready:\n{log.read_text()}")
            time.sleep(0.1)
        if "address already in use" not in log.read_text().lower():
            pytest.fail(f"serve exited with {proc.returncode}:\n{log.read_text()}")
    pytest.fail("no free port")


@pytest.fixture(params=[1, 2], ids=["1 worker", "2 workers"])
def serving(
    settings: Settings, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[str, Path, Settings, int]]:
    """A running `creditbank serve --workers N`: (base URL, its log file, settings, N).
    One worker runs in the command's own process, which must not have imported
    prometheus-client before naming its multi-process directory (its figures were then
    kept where ``/metrics`` does not read them: an empty page)."""
    init_bank(settings).close()
    log = tmp_path / "serve.log"
    workers: int = request.param
    proc, base = _serve(settings, log, workers)
    try:
        yield base, log, settings, workers
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_serve_announces_itself_and_adds_up_every_workers_metrics(
    serving: tuple[str, Path, Settings, int],
) -> None:
    base, log, settings, workers = serving
    start = json.loads(log.read_text().splitlines()[0])
    assert start["event"] == "start"
    assert start["listen"] == base
    assert start["workers"] == workers
    assert start["database"] == settings.resolved_database_url  # no password in it to hide
    assert start["origin"] == settings.origin
    for _ in range(40):  # a new connection each: both workers take some
        assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
    text = httpx.get(f"{base}/metrics", timeout=10).text
    labels = {"method": "GET", "route": "/healthz", "status": "200"}
    assert value(text, "creditbank_http_requests_total", **labels) == 40
    answered = {
        line["request_id"]
        for line in map(json.loads, log.read_text().splitlines())
        if line.get("route") == "/healthz"
    }
    assert len(answered) == 40


def test_the_start_up_line_never_shows_a_password(tmp_path: Path) -> None:
    code = (
        "from creditbank.cli.serving import announce\n"
        "from creditbank.settings import Settings\n"
        f"s = Settings(data_dir={str(tmp_path)!r}, "
        "database_url='postgresql+psycopg://bank:s3cret-pw@db.example:5432/bank', "
        "log_format='json')\n"
        "announce(s, host='0.0.0.0', port=8000, workers=2, origin='bank.example/log')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    line = json.loads(result.stderr)
    assert line["database"] == "postgresql+psycopg://bank@db.example:5432/bank"
    assert line["origin"] == "bank.example/log"
    assert line["listen"] == "http://0.0.0.0:8000"
    assert "s3cret" not in result.stderr


def test_metrics_named_too_late_for_prometheus_client_stay_the_process_own(
    tmp_path: Path,
) -> None:
    """prometheus-client imported before the multi-process directory was named keeps its
    values in memory: the app's registry is then its own (a warning says so), never an
    empty page read from a directory nothing was written to."""
    code = (
        "import os, prometheus_client\n"
        f"os.environ['PROMETHEUS_MULTIPROC_DIR'] = {str(tmp_path)!r}\n"
        "from creditbank.api.metrics import Metrics\n"
        "m = Metrics()\n"
        "m.request_done('GET', '/healthz', 200, 0.01)\n"
        "print(m.shared)\n"
        "print(m.render().decode())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    shared, _, text = result.stdout.partition("\n")
    assert shared == "False"
    labels = {"method": "GET", "route": "/healthz", "status": "200"}
    assert value(text, "creditbank_http_requests_total", **labels) == 1
    assert "set after prometheus-client was imported" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("serving", [2], indirect=True, ids=["2 workers"])
def test_a_burst_of_keep_alive_connections_is_spread_over_the_workers(
    serving: tuple[str, Path, Settings, int],
) -> None:
    """An LMS opens its connections at once and keeps them: each worker listens on a
    socket of its own (SO_REUSEPORT), so one worker does not accept the whole burst."""
    base, log, _, _ = serving
    host, port = base.removeprefix("http://").split(":")
    connections = [socket.create_connection((host, int(port)), timeout=30) for _ in range(24)]
    try:
        for conn in connections:
            conn.sendall(f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        for conn in connections:
            assert conn.recv(4096).startswith(b"HTTP/1.1 200")
    finally:
        for conn in connections:
            conn.close()
    deadline = time.monotonic() + 30  # a request's line is logged once it is answered
    while True:
        served = Counter(
            line["pid"]
            for line in map(json.loads, log.read_text().splitlines())
            if line.get("route") == "/healthz"
        )
        if sum(served.values()) == 24 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert sum(served.values()) == 24
    assert len(served) == 2
    assert min(served.values()) >= 2, served  # by chance 0 or 1 of 24: 1 in 300,000


def test_several_workers_on_a_port_taken_is_one_line_and_exit_1(
    settings: Settings, tmp_path: Path
) -> None:
    init_bank(settings).close()
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = subprocess.run(
            _command(settings, port, 2),
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "COLUMNS": "200"},
        )
    assert result.returncode == 1
    refusal = [line for line in result.stderr.splitlines() if "error" in line]
    assert refusal == [
        f"error [port]: cannot listen on 127.0.0.1:{port} (Address already in use); "
        "choose another --port"
    ]
    assert "Traceback" not in result.stderr


def test_appends_through_the_server_are_in_its_metrics(
    serving: tuple[str, Path, Settings, int],
) -> None:
    """With several workers the supervising process sequences: its batch figures are in
    the workers' shared metrics like theirs."""
    base, _, settings, _ = serving
    bank = open_bank(settings)
    try:
        key = register(bank, "prov-m")
        token = token_for(bank, "prov-m")
    finally:
        bank.close()
    for _ in range(5):
        s = notice("prov-m", key)
        r = httpx.post(
            f"{base}/v1/ledger/entries",
            json={
                "statement": dict(s.statement),
                "key_id": s.key_id,
                "signature": base64.b64encode(s.signature).decode(),
            },
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert r.status_code == 201, r.text
    text = httpx.get(f"{base}/metrics", timeout=10).text
    assert value(text, "creditbank_entries_total", kind="notice.published", origin="authored") == 5
    assert value(text, "creditbank_batch_statements_count") >= 1
