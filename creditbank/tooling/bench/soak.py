"""`creditbank bench soak`: the bank under a steady mixed load for minutes or hours.

Two API processes (`creditbank serve --workers 2`) on one database take what a city's
traffic looks like: providers posting completions (one at a time and in batches),
learners reading their balance and progress, verifiers fetching the checkpoint, tiles and
certificate bundles. For every interval (a minute by default) the soak reports each
operation's throughput and p50/p99 latency as the clients saw them, the server's own
figures read from its ``/metrics`` (requests, entries logged, commit latency, tree size,
checkpoint age, queue depth), the errors (any answer but a success, or a refused
statement in a batch: there must be none) and the memory (RSS) of every process, which
must stay flat.

The load is open-loop at a fixed rate: requests start on schedule whether or not earlier
ones have finished (up to ``clients`` at once), so a slow server shows as latency, not as
a quietly lower rate. The setup (a catalogue, a provider, a certifying body, learners
with completions, certificates) is untimed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from creditbank.access.tokens import create_token
from creditbank.bank import Bank, init_bank
from creditbank.core.entry import format_time, sign_statement
from creditbank.core.keys import KeyPair
from creditbank.core.tlog.tiles import TILE_WIDTH, entries_path, tile_path
from creditbank.ledger import store
from creditbank.tooling.bench.common import percentile, served, throwaway_settings
from creditbank.tooling.bench.ingest import COURSES, PROVIDER, _setup, bulk_rate, open_accounts
from creditbank.tooling.demo_money import CERTIFIER, STANDARD, certify
from creditbank.tooling.factories import register

BATCH = 20  # completions per batch a provider posts
LEARNER_TOKENS = 200  # learners signed in (each with a token of their own)

# Operation -> share of requests (percent): what a city's day looks like, reads first.
MIX: dict[str, int] = {
    "balance": 30,  # learners
    "progress": 20,
    "completion": 15,  # providers: one completion as it happens
    "batch": 3,  # ... or a day's worth from an LMS
    "checkpoint": 5,  # verifiers and monitors
    "tile": 15,
    "bundle": 12,  # employers checking a certificate
}


@dataclass
class World:
    """What the load needs of the setup."""

    key: KeyPair
    provider_token: str
    learners: list[str]
    learner_tokens: dict[str, str]
    certificates: list[str]
    size: int  # the log's size when the load starts


@dataclass
class Sample:
    at: float
    op: str
    seconds: float
    ok: bool
    status: int
    problem: str = ""


@dataclass
class OpFigures:
    op: str
    count: int
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


@dataclass
class ServerFigures:
    """From /metrics: deltas over the interval, levels at its end."""

    requests_per_second: float = 0.0
    server_errors: int = 0
    authored_per_second: float = 0.0
    derived_per_second: float = 0.0
    commit_p99_ms: float = 0.0
    tree_size: int = 0
    checkpoint_age_seconds: float = 0.0
    queue_depth: float = 0.0


@dataclass
class Interval:
    index: int
    ops: list[OpFigures]
    server: ServerFigures
    rss_mb: dict[str, float]
    load_average: float  # the machine's, over the last minute, at the interval's end


@dataclass
class SoakReport:
    engine: str
    seconds: float
    rate: float
    interval_seconds: float
    intervals: list[Interval] = field(default_factory=list)
    totals: list[OpFigures] = field(default_factory=list)
    errors: int = 0
    first_errors: list[str] = field(default_factory=list)
    rss_growth_mb: dict[str, float] = field(default_factory=dict)
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def ok(self) -> bool:
        return self.errors == 0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


# --- setup ------------------------------------------------------------------------------


def prepare(bank: Bank, root: Path, learners: int, completions: int, console: Console) -> World:
    """A provider with its courses, a certifying body, ``learners`` accounts with
    ``completions`` completions among them, and certificates for those who became
    eligible (applied, assessed, issued through the ledger's rules)."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    )
    with progress:
        key = _setup(bank, root)
        keys = {CERTIFIER: register(bank, CERTIFIER, "certifier", standards=[STANDARD])}
        accounts = open_accounts(bank, learners, progress)
        bulk_rate(bank, key, accounts, completions, progress, prefix="soak-setup")
    certified = certify(bank, keys, lambda _days: None, random.Random(7), console)  # noqa: S311
    now = bank.ledger.clock()
    ttl = timedelta(days=2)
    provider_token, _, _ = create_token(
        bank.engine, role="provider", actor_id=PROVIDER, label="soak", now=now, ttl=ttl
    )
    signed_in = random.Random(8).sample(accounts, min(LEARNER_TOKENS, len(accounts)))  # noqa: S311
    tokens = {
        account: create_token(
            bank.engine, role="learner", account=account, label="soak", now=now, ttl=ttl
        )[0]
        for account in signed_in
    }
    with bank.engine.connect() as conn:
        size = store.tree_size(conn)
    return World(key, provider_token, accounts, tokens, [c.number for c in certified], size)


# --- the load ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    op: str
    method: str
    path: str
    token: str | None = None
    body: bytes = b""


class Traffic:
    """Makes the next request of the mix (signing the providers' statements)."""

    def __init__(self, world: World, seed: int = 11) -> None:
        self.world = world
        self.rng = random.Random(seed)  # noqa: S311  (reproducible synthetic load)
        self.ids = itertools.count()
        self.size = world.size  # the latest tree size a verifier saw
        self.ops = list(MIX)
        self.weights = list(MIX.values())
        self.signed_in = list(world.learner_tokens)

    def next(self) -> Request:
        op = self.rng.choices(self.ops, self.weights)[0]
        w = self.world
        if op in ("balance", "progress"):
            learner = self.rng.choice(self.signed_in)
            path = f"/v1/learners/{learner}/{op}"
            return Request(op, "GET", path, w.learner_tokens[learner])
        if op == "completion":
            return Request(op, "POST", "/v1/completions", w.provider_token, self._statement())
        if op == "batch":
            items = [json.loads(self._statement()) for _ in range(BATCH)]
            body = json.dumps({"statements": items}).encode()
            return Request(op, "POST", "/v1/completions/batch", w.provider_token, body)
        if op == "checkpoint":
            return Request(op, "GET", "/tlog/checkpoint")
        if op == "tile":
            return Request(op, "GET", f"/tlog/{self._tile()}")
        if not w.certificates:  # no one certified: a verifier checks the log instead
            return Request("checkpoint", "GET", "/tlog/checkpoint")
        number = self.rng.choice(w.certificates)
        return Request(op, "GET", f"/v1/certificates/{number}/verification")

    def _statement(self) -> bytes:
        now = datetime.now(UTC)
        signed = sign_statement(
            {
                "kind": "completion.recorded",
                "actor": PROVIDER,
                "id": f"soak-{os.getpid()}-{next(self.ids)}",
                "body": {
                    "learner": self.rng.choice(self.world.learners),
                    "course_id": self.rng.choice(COURSES)[0],
                    "completed_at": format_time(now - timedelta(days=self.rng.randrange(1, 300))),
                    "score": self.rng.choice([61, 70, 78, 85, 92, 99]),
                    "hours_attended": "32.0",
                },
            },
            self.world.key,
        )
        return json.dumps(
            {
                "statement": dict(signed.statement),
                "key_id": signed.key_id,
                "signature": base64.b64encode(signed.signature).decode(),
            }
        ).encode()

    def _tile(self) -> str:
        """A full level-0 hash tile or entry bundle (immutable, what a CDN would cache),
        else the partial tile at the log's end."""
        full = self.size // TILE_WIDTH
        if full == 0:
            return tile_path(0, 0, max(1, self.size))
        n = self.rng.randrange(full)
        return tile_path(0, n) if self.rng.random() < 0.5 else entries_path(n)


class _Closed(OSError):
    """The connection was closed before any byte of an answer."""


class Connection:
    """A keep-alive HTTP/1.1 connection on asyncio streams: cheap per request, so the
    load generator costs far less than the servers it loads (see ``post_load``)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, request: Request) -> tuple[int, bytes]:
        """Send ``request``; on a kept-alive connection the server closed meanwhile (its
        idle timeout: nothing was read), once more on a new one, as HTTP clients do."""
        reused = self.writer is not None
        try:
            return await self._send(request)
        except _Closed:
            if not reused:
                raise
        return await self._send(request)

    async def _send(self, request: Request) -> tuple[int, bytes]:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        auth = f"Authorization: Bearer {request.token}\r\n" if request.token else ""
        body = f"Content-Type: application/json\r\nContent-Length: {len(request.body)}\r\n"
        head = (
            f"{request.method} {request.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"{auth}{body if request.body else ''}\r\n"
        ).encode()
        try:
            self.writer.write(head + request.body)
            await self.writer.drain()
            status_line = await self.reader.readline()
            if not status_line:
                raise _Closed("the server closed the connection")
            length = 0
            while True:
                line = await self.reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            payload = await self.reader.readexactly(length)
            return int(status_line.split()[1]), payload
        except (OSError, asyncio.IncompleteReadError, IndexError, ValueError):
            await self.close()
            raise

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


def _judge(request: Request, status: int, payload: bytes, traffic: Traffic) -> tuple[bool, str]:
    """Whether an answer is a success (and for a batch: every statement accepted)."""
    if status >= 300:
        return False, f"{request.op}: {status} {payload[:200]!r}"
    if request.op == "batch":
        rejected = json.loads(payload).get("rejected", 0)
        if rejected:
            return False, f"batch: {rejected} statement(s) refused: {payload[:300]!r}"
    if request.op == "checkpoint":
        lines = payload.split(b"\n")
        if len(lines) > 1 and lines[1].isdigit():
            traffic.size = max(traffic.size, int(lines[1]))
    return True, ""


async def _load(
    base: str,
    traffic: Traffic,
    *,
    seconds: float,
    rate: float,
    clients: int,
    on_sample: Callable[[Sample], None],
) -> None:
    """Start ``rate`` requests a second for ``seconds``, at most ``clients`` at once (when
    all are busy the next one waits, and the rate achieved falls below ``rate``)."""
    url = urlsplit(base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    idle = [Connection(host, port) for _ in range(clients)]
    free = asyncio.Semaphore(clients)
    start = time.perf_counter()
    pending: set[asyncio.Task[None]] = set()

    async def one(request: Request) -> None:
        conn = idle.pop()
        t0 = time.perf_counter()
        try:
            status, payload = await conn.send(request)
            ok, problem = _judge(request, status, payload, traffic)
        except (OSError, asyncio.IncompleteReadError, IndexError, ValueError) as exc:
            status, ok, problem = 0, False, f"{request.op}: {type(exc).__name__}: {exc}"
        finally:
            idle.append(conn)
            free.release()
        on_sample(Sample(t0 - start, request.op, time.perf_counter() - t0, ok, status, problem))

    end = start + seconds
    for n in itertools.count():
        due = start + n / rate
        if due >= end:
            break
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await free.acquire()
        if time.perf_counter() >= end:  # behind schedule: the time is up all the same
            free.release()
            break
        task = asyncio.create_task(one(traffic.next()))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.gather(*pending)
    for conn in idle:
        await conn.close()


# --- what the servers say ---------------------------------------------------------------


def scrape(base: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """The server's /metrics: sample name -> [(labels, value)]."""
    import httpx

    text = httpx.get(f"{base}/metrics", timeout=10).text
    out: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[s.name].append((dict(s.labels), s.value))
    return out


def _total(
    m: dict[str, list[tuple[dict[str, str], float]]],
    name: str,
    where: Callable[[dict[str, str]], bool] = lambda _: True,
) -> float:
    return sum(v for labels, v in m.get(name, []) if where(labels))


def _histogram_quantile(
    before: dict[str, list[tuple[dict[str, str], float]]],
    after: dict[str, list[tuple[dict[str, str], float]]],
    name: str,
    q: float,
) -> float:
    """The upper bound of the bucket holding quantile ``q`` of what was observed between
    two scrapes (Prometheus's histogram_quantile without interpolation)."""

    def buckets(m: dict[str, list[tuple[dict[str, str], float]]]) -> dict[float, float]:
        out: dict[float, float] = defaultdict(float)
        for labels, v in m.get(f"{name}_bucket", []):
            out[float(labels["le"])] += v
        return out

    b0, b1 = buckets(before), buckets(after)
    bounds = sorted(b1)
    if not bounds:
        return 0.0
    counts = [b1[b] - b0.get(b, 0.0) for b in bounds]
    total = counts[-1]
    if total <= 0:
        return 0.0
    for bound, count in zip(bounds, counts, strict=True):
        if count >= q * total:
            return bound
    return bounds[-1]


def server_figures(
    before: dict[str, list[tuple[dict[str, str], float]]],
    after: dict[str, list[tuple[dict[str, str], float]]],
    seconds: float,
) -> ServerFigures:
    def delta(name: str, where: Callable[[dict[str, str]], bool] = lambda _: True) -> float:
        return _total(after, name, where) - _total(before, name, where)

    not_metrics = lambda labels: labels.get("route") != "/metrics"  # noqa: E731
    return ServerFigures(
        requests_per_second=delta("creditbank_http_requests_total", not_metrics) / seconds,
        server_errors=int(
            delta("creditbank_http_requests_total", lambda labels: labels["status"] >= "500")
        ),
        authored_per_second=delta(
            "creditbank_entries_total", lambda labels: labels["origin"] == "authored"
        )
        / seconds,
        derived_per_second=delta(
            "creditbank_entries_total", lambda labels: labels["origin"] == "derived"
        )
        / seconds,
        commit_p99_ms=_histogram_quantile(before, after, "creditbank_commit_seconds", 0.99) * 1000,
        tree_size=int(_total(after, "creditbank_tree_size")),
        checkpoint_age_seconds=_total(after, "creditbank_checkpoint_age_seconds"),
        queue_depth=_total(after, "creditbank_sequencer_queue_depth"),
    )


class Memory:
    """RSS of the servers' processes and of the load generator, sampled in a thread."""

    def __init__(self, server_pid: int, every: float) -> None:
        self.server = psutil.Process(server_pid)
        self.every = every
        self.latest: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soak-memory", daemon=True)

    def processes(self) -> dict[str, psutil.Process]:
        named = {"load generator": psutil.Process(), "server main": self.server}
        try:
            workers = sorted(self.server.children(recursive=True), key=lambda p: p.pid)
        except psutil.Error:
            workers = []
        # uvicorn's supervisor starts a resource tracker and the workers; the tracker is tiny
        n = 0
        for p in workers:
            try:
                if "resource_tracker" in " ".join(p.cmdline()):
                    continue
            except psutil.Error:
                continue
            n += 1
            named[f"server worker {n}"] = p
        return named

    def sample(self) -> dict[str, float]:
        out = {}
        for name, p in self.processes().items():
            try:
                out[name] = p.memory_info().rss / 2**20
            except psutil.Error:
                continue
        self.latest = out
        return out

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def __enter__(self) -> Memory:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


# --- the run ----------------------------------------------------------------------------


def _figures(op: str, samples: list[Sample], seconds: float) -> OpFigures:
    latencies = [s.seconds for s in samples]
    return OpFigures(
        op,
        len(samples),
        len(samples) / seconds if seconds else 0.0,
        percentile(latencies, 50) * 1000,
        percentile(latencies, 99) * 1000,
        sum(1 for s in samples if not s.ok),
    )


def _by_op(samples: list[Sample], seconds: float) -> list[OpFigures]:
    grouped: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        grouped[s.op].append(s)
    return [_figures(op, grouped[op], seconds) for op in MIX if op in grouped]


def run_soak(
    *,
    seconds: float,
    interval: float,
    rate: float,
    clients: int,
    learners: int,
    completions: int,
    data_dir: Path | None,
    database_url: str | None,
    root: Path,
    console: Console,
    workers: int = 2,
) -> SoakReport:
    engine = "PostgreSQL" if database_url and database_url.startswith("postgresql") else "SQLite"
    console.print(
        f"[bold]creditbank bench soak[/bold] on {engine}: {seconds / 60:g} min at "
        f"{rate:g} requests/s, {workers} server processes"
    )
    report = SoakReport(engine, seconds, rate, interval)
    with throwaway_settings(data_dir, database_url) as settings:
        bank = init_bank(settings)
        try:
            world = prepare(bank, root, learners, completions, console)
        finally:
            bank.close()
        console.print(
            f"setup: {learners:,} learners, {completions:,} completions, "
            f"{len(world.certificates):,} certificates"
        )
        log_path = settings.data_dir / "server.log"
        with served(settings, workers, log_path=log_path) as server:
            samples: list[Sample] = []
            lock = threading.Lock()

            def keep(sample: Sample) -> None:
                with lock:
                    samples.append(sample)
                    if not sample.ok and len(report.first_errors) < 10:
                        report.first_errors.append(sample.problem)

            traffic = Traffic(world)
            with Memory(server.pid, every=min(5.0, interval / 2)) as memory:
                load = threading.Thread(
                    target=lambda: asyncio.run(
                        _load(
                            server.base,
                            traffic,
                            seconds=seconds,
                            rate=rate,
                            clients=clients,
                            on_sample=keep,
                        )
                    ),
                    name="soak-load",
                )
                started = time.perf_counter()
                before = scrape(server.base)
                load.start()
                for index in itertools.count():
                    end = min(seconds, (index + 1) * interval)
                    while load.is_alive() and time.perf_counter() - started < end:
                        load.join(timeout=min(1.0, end - (time.perf_counter() - started)))
                    if not load.is_alive():
                        load.join()
                    width = min(interval, time.perf_counter() - started - index * interval)
                    after = scrape(server.base)
                    with lock:
                        mine = [s for s in samples if index * interval <= s.at < end]
                    figures = Interval(
                        index,
                        _by_op(mine, width),
                        server_figures(before, after, max(width, 1e-9)),
                        memory.sample(),
                        os.getloadavg()[0],
                    )
                    report.intervals.append(figures)
                    _print_interval(console, figures, interval)
                    before = after
                    if end >= seconds or not load.is_alive():
                        break
                load.join()
            report.totals = _by_op(samples, seconds)
            report.errors = sum(1 for s in samples if not s.ok) + sum(
                i.server.server_errors for i in report.intervals
            )
    report.rss_growth_mb = _growth(report.intervals)
    report.load_average = os.getloadavg()
    render_report(console, report)
    return report


def _growth(intervals: list[Interval]) -> dict[str, float]:
    """RSS at the end minus RSS after the first interval (the warm-up), per process."""
    if len(intervals) < 2:
        return {}
    first, last = intervals[0].rss_mb, intervals[-1].rss_mb
    return {name: last[name] - first[name] for name in last if name in first}


def _print_interval(console: Console, figures: Interval, interval: float) -> None:
    ops = ", ".join(
        f"{o.op} {o.per_second:.1f}/s p50 {o.p50_ms:.1f} p99 {o.p99_ms:.1f} ms"
        + (f" [red]{o.errors} errors[/red]" if o.errors else "")
        for o in figures.ops
    )
    rss = ", ".join(f"{k} {v:.0f}" for k, v in figures.rss_mb.items())
    s = figures.server
    elapsed = round((figures.index + 1) * interval)
    console.print(
        f"[bold]{elapsed // 60}:{elapsed % 60:02d}[/bold] {ops}; server "
        f"{s.requests_per_second:.1f} req/s, {s.authored_per_second:.1f}+"
        f"{s.derived_per_second:.1f} entries/s, commit p99 <= {s.commit_p99_ms:g} ms, "
        f"tree {s.tree_size:,}; RSS MB {rss}; load {figures.load_average:.2f}",
        highlight=False,
        soft_wrap=True,
    )


def render_report(console: Console, report: SoakReport) -> None:
    from rich.table import Table

    table = Table(title=f"soak ({report.engine}): {report.seconds / 60:g} min, all intervals")
    for col in ("operation", "requests", "per s", "p50 ms", "p99 ms", "errors"):
        table.add_column(col, overflow="fold")
    for o in report.totals:
        table.add_row(
            o.op,
            f"{o.count:,}",
            f"{o.per_second:.1f}",
            f"{o.p50_ms:.1f}",
            f"{o.p99_ms:.1f}",
            str(o.errors),
        )
    console.print(table)
    memory = Table(title="memory (RSS, MB): after the first interval, at the end")
    for col in ("process", "first", "last", "growth"):
        memory.add_column(col, overflow="fold")
    if report.intervals:
        first, last = report.intervals[0].rss_mb, report.intervals[-1].rss_mb
        for name, value in last.items():
            memory.add_row(
                name,
                f"{first.get(name, 0.0):.0f}",
                f"{value:.0f}",
                f"{report.rss_growth_mb.get(name, 0.0):+.1f}",
            )
    console.print(memory)
    verdict = "[green]no errors[/green]" if report.ok else f"[red]{report.errors} errors[/red]"
    achieved = sum(o.count for o in report.totals) / report.seconds if report.seconds else 0.0
    console.print(
        f"{verdict}; {achieved:.1f} requests/s of {report.rate:g} asked; load average "
        f"{report.load_average[0]:.2f}",
        highlight=False,
    )
    for problem in report.first_errors:
        console.print(f"  {problem}", highlight=False, soft_wrap=True)
