"""Benchmark plumbing: throwaway databases, a server subprocess, percentiles, tables."""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
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
        table.add_column(col)
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


@contextlib.contextmanager
def server(settings: Settings) -> Iterator[str]:
    """Run `creditbank serve` for ``settings`` in a subprocess; yields its base URL."""
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
    ]
    if settings.database_url:
        cmd += ["--database-url", settings.database_url]
    proc = subprocess.Popen(cmd, env=dict(os.environ), stdout=subprocess.DEVNULL)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/tlog/checkpoint", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the benchmark server did not start")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
