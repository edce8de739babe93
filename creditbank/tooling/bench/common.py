"""Benchmark plumbing: throwaway databases, a server subprocess, percentiles, tables."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text

from creditbank.settings import Settings


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: str = ""
    note: str = ""


def ed25519_verify_rate(seconds: float = 1.0) -> float:
    """Raw Ed25519 verifications a second on one core: the machine's speed in the same run
    (these machines' speed differs from day to day, so figures are read beside it)."""
    key = Ed25519PrivateKey.generate()
    message = b'{"actor":"prov-bench","body":{"text":"synthetic"},"id":"n-1"}'
    sig = key.sign(message)
    public = key.public_key()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(200):
            public.verify(sig, message)
        count += 200
    return count / (time.perf_counter() - start)


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return 0.0
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples) if samples else 0.0


def render(console: Console, title: str, figures: Sequence[Figure]) -> None:
    table = Table(title=title)
    for col in ("figure", "value", "unit", "target", "note"):
        table.add_column(col, overflow="fold")
    for f in figures:
        value = f"{f.value:,.0f}" if f.value >= 100 else f"{f.value:,.3f}"
        table.add_row(f.name, value, f.unit, f.target, f.note)
    console.print(table)


@contextlib.contextmanager
def throwaway_settings(data_dir: Path | None, database_url: str | None) -> Iterator[Settings]:
    """Settings for a fresh ledger: a temp dir (and, on PostgreSQL, a fresh schema)
    unless the caller named a data dir."""
    with contextlib.ExitStack() as stack:
        if data_dir is None:
            data_dir = Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="creditbank-bench-"))
            )
            data_dir = data_dir / "data"
            if database_url and database_url.startswith("postgresql"):
                schema = f"bench_{uuid.uuid4().hex[:12]}"
                admin = create_engine(database_url)
                with admin.begin() as conn:
                    conn.execute(text(f"CREATE SCHEMA {schema}"))

                def _drop() -> None:
                    with admin.begin() as conn:
                        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
                    admin.dispose()

                stack.callback(_drop)
                sep = "&" if "?" in database_url else "?"
                database_url = f"{database_url}{sep}options=-csearch_path%3D{schema}"
        overrides: dict[str, object] = {"data_dir": data_dir}
        if database_url:
            overrides["database_url"] = database_url
        yield Settings(**overrides)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Served:
    """A running `creditbank serve`: its base URL and the pid of its main process."""

    base: str
    pid: int


@contextlib.contextmanager
def served(
    settings: Settings, workers: int = 1, *, log_path: Path | None = None
) -> Iterator[Served]:
    """Run `creditbank serve` for ``settings`` in a subprocess until ready (/readyz).

    Its request log goes, as JSON lines, to ``log_path`` when given; else only its
    warnings reach this process's standard error. It runs in a session of its own and is
    stopped (SIGTERM, then SIGKILL for the whole group) however the caller ends.
    """
    port = free_port()
    cmd = [
        sys.executable,
        "-P",
        "-m",
        "creditbank",
        "serve",
        "--data-dir",
        str(settings.data_dir),
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    if settings.database_url:
        cmd += ["--database-url", settings.database_url]
    env = dict(os.environ)
    env.update(
        {"CREDITBANK_LOG_FORMAT": "json", "CREDITBANK_LOG_LEVEL": "info"}
        if log_path is not None
        else {"CREDITBANK_LOG_LEVEL": "warning"}
    )
    with contextlib.ExitStack() as stack:
        stderr = None if log_path is None else stack.enter_context(log_path.open("ab"))
        proc = subprocess.Popen(  # noqa: S603
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180  # workers start slowly on a busy machine
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the benchmark server did not start")
                time.sleep(0.1)
            yield Served(base, proc.pid)
        finally:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=15)
            with contextlib.suppress(ProcessLookupError):  # anything left of its group
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextlib.contextmanager
def server(settings: Settings, workers: int = 1) -> Iterator[str]:
    """Run `creditbank serve` for ``settings`` in a subprocess; yields its base URL."""
    with served(settings, workers) as running:
        yield running.base


@dataclass
class LoadResult:
    seconds: float
    latencies: list[float]
    statuses: list[int]
    first_error: str


def post_load(
    base: str,
    path: str,
    bodies: Sequence[bytes],
    clients: int,
    token: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> LoadResult:
    """POST each body once from ``clients`` concurrent keep-alive connections.

    A deliberately small HTTP/1.1 client on asyncio streams: the load generator shares
    the machine's two cores with the server, so it must cost far less than the server
    per request (a full-featured client would measure itself, not the server).
    """
    import asyncio
    from urllib.parse import urlsplit

    url = urlsplit(base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    latencies: list[float] = []
    statuses: list[int] = []
    errors: list[str] = []
    queue = list(reversed(bodies))
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    auth += "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())

    async def one_client() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while queue:
                body = queue.pop()
                head = (
                    f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{auth}"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                ).encode()
                t0 = time.perf_counter()
                writer.write(head + body)
                await writer.drain()
                status_line = await reader.readline()
                length = 0
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                payload = await reader.readexactly(length)
                latencies.append(time.perf_counter() - t0)
                status = int(status_line.split()[1])
                statuses.append(status)
                if status >= 300 and not errors:
                    errors.append(f"{status} {payload[:200]!r}")
        finally:
            writer.close()
            await writer.wait_closed()

    async def main() -> float:
        start = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        return time.perf_counter() - start

    seconds = asyncio.run(main())
    return LoadResult(seconds, latencies, statuses, errors[0] if errors else "")
