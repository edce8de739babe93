"""`creditbank bench ledger`: the ledger's speed, against baselines from the same run.

Figures: raw Ed25519 verification on one core (the ceiling for signed appends); batched
appends (signature verified, durable, checkpointed); appends over HTTP from 32 concurrent
clients with p50/p99 latency; inclusion-proof latency at 1,000 and 1,000,000 leaves; and
the audit rate.
"""

from __future__ import annotations

import base64
import json
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from sqlalchemy import Engine, insert

from creditbank.access.tokens import create_token
from creditbank.bank import Bank, init_bank, open_bank
from creditbank.core.entry import SignedStatement, format_time, sign_statement
from creditbank.core.keys import KeyPair
from creditbank.core.tlog import merkle
from creditbank.db import tables
from creditbank.db.engine import WRITE, make_engine
from creditbank.db.migrate import upgrade
from creditbank.ledger import audit, store
from creditbank.ledger.sequencer import Appended
from creditbank.registry import default_handlers
from creditbank.settings import Settings
from creditbank.tooling.bench.common import (
    Figure,
    ed25519_verify_rate,
    median,
    percentile,
    post_load,
    render,
    server,
    throwaway_settings,
)
from creditbank.tooling.factories import register

BATCH = 1000
ROUNDS = 3


def _statements(actor: str, key: KeyPair, n: int, prefix: str) -> list[SignedStatement]:
    return [
        sign_statement(
            {
                "kind": "notice.published",
                "actor": actor,
                "id": f"{prefix}-{i}",
                "body": {"text": f"synthetic benchmark notice {i}"},
            },
            key,
        )
        for i in range(n)
    ]


def batched_append_rate(bank: Bank, key: KeyPair, n: int, prefix: str = "batched") -> float:
    statements = _statements(key.name, key, n, prefix)
    if bank.ledger.signatures is not None:
        bank.ledger.signatures.start()  # a long-running importer pays the spawn once
    start = time.perf_counter()
    for i in range(0, n, BATCH):
        for r in bank.ledger.append_many(statements[i : i + BATCH]):
            if not isinstance(r, Appended):
                raise r
    return n / (time.perf_counter() - start)


def http_append(
    settings: Settings,
    key: KeyPair,
    token: str,
    n: int,
    clients: int = 32,
    workers: int = 1,
    prefix: str = "http",
) -> tuple[float, float, float]:
    """(entries/s, p50 ms, p99 ms) for ``n`` signed posts from ``clients`` connections."""
    bodies = [
        json.dumps(
            {
                "statement": dict(s.statement),
                "key_id": s.key_id,
                "signature": base64.b64encode(s.signature).decode(),
            }
        ).encode()
        for s in _statements(key.name, key, n, prefix)
    ]
    with server(settings, workers) as base:
        result = post_load(base, "/v1/ledger/entries", bodies, clients, token)
    if result.first_error or any(s != 201 for s in result.statuses):
        raise RuntimeError(f"HTTP appends failed, first: {result.first_error}")
    return (
        n / result.seconds,
        median(result.latencies) * 1000,
        percentile(result.latencies, 99) * 1000,
    )


def build_synthetic_tree(engine: Engine, size: int) -> None:
    """Store the nodes of a tree of ``size`` synthetic leaves (proof latency needs only
    the tree, not the entries)."""
    upgrade(engine)
    frontier: dict[merkle.NodeId, bytes] = {}
    done = 0
    with engine.connect().execution_options(**WRITE) as conn, conn.begin():
        while done < size:
            chunk = min(50_000, size - done)
            leaves = [merkle.leaf_hash(i.to_bytes(8, "big")) for i in range(done, done + chunk)]
            created, frontier = merkle.append_leaves(done, frontier, leaves)
            conn.execute(
                insert(store.N), [{"level": lv, "idx": ix, "hash": h} for (lv, ix), h in created]
            )
            done += chunk
        conn.execute(
            insert(tables.log_state).values(
                id=1,
                size=size,
                root_hash=merkle.hash_range(list(frontier.values())),
                integrated_at=format_time(datetime.now(UTC)),
            )
        )


def proof_latency(engine: Engine, size: int, samples: int = 2000) -> tuple[float, float]:
    """(median ms, p99 ms) of an inclusion proof at a random index, read from storage as
    the proof routes read it (a read-only connection: upper nodes kept)."""
    rng = random.Random(size)  # noqa: S311  (picks benchmark indexes, not secrets)
    times: list[float] = []
    with engine.connect() as conn:
        for _ in range(samples):
            index = rng.randrange(size)
            t0 = time.perf_counter()
            store.inclusion_proof(conn, index, size, committed=True)
            times.append(time.perf_counter() - t0)
    return median(times) * 1000, percentile(times, 99) * 1000


def run_ledger_bench(
    *,
    entries: int,
    data_dir: Path | None,
    database_url: str | None,
    http_entries: int,
    proof_tree: int,
    console: Console,
    http_workers: int = 2,
) -> list[Figure]:
    figures: list[Figure] = []
    engine_name = (
        "PostgreSQL" if database_url and database_url.startswith("postgresql") else "SQLite"
    )
    console.print(f"[bold]creditbank bench ledger[/bold] on {engine_name}: {entries:,} entries")
    verify_rate = ed25519_verify_rate()
    figures.append(Figure("Ed25519 verify, raw, one core (baseline)", verify_rate, "verifies/s"))

    with throwaway_settings(data_dir, database_url) as settings:
        # A named data dir keeps what the benchmark writes (and may hold a ledger already).
        existing = settings.log_key_path.exists()
        bank = open_bank(settings) if existing else init_bank(settings)
        try:
            actor = f"prov-bench-{uuid.uuid4().hex[:8]}"  # a fresh provider for every run
            key = register(bank, actor, name="benchmark provider")
            # The machine is small and noisy: every rate is the median of ROUNDS runs.
            rates = [batched_append_rate(bank, key, entries, f"b{r}") for r in range(ROUNDS)]
            rate = median(rates)
            figures.append(
                Figure(
                    "batched append (verified, durable, checkpointed)",
                    rate,
                    "entries/s",
                    ">= 5,000",
                    f"median of {ROUNDS}; {rate / verify_rate:.2f}x raw verify; "
                    f"{rate / 450:.1f}x Trillian's ~450/s",
                )
            )
            if http_entries:
                token, _, _ = create_token(
                    bank.engine,
                    role="provider",
                    actor_id=actor,
                    label="benchmark",
                    now=bank.ledger.clock(),
                    ttl=timedelta(hours=1),
                )
                runs = [
                    http_append(
                        settings, key, token, http_entries, workers=http_workers, prefix=f"h{r}"
                    )
                    for r in range(ROUNDS)
                ]
                http_rate = median([r[0] for r in runs])
                p50 = median([r[1] for r in runs])
                p99 = median([r[2] for r in runs])
                figures.append(
                    Figure(
                        f"HTTP append, 32 clients, {http_workers} server process(es)",
                        http_rate,
                        "entries/s",
                        ">= 1,000",
                        f"median of {ROUNDS}; {http_rate / rate:.2f}x batched",
                    )
                )
                figures.append(Figure("HTTP append latency p50", p50, "ms", "", "median of runs"))
                figures.append(
                    Figure("HTTP append latency p99", p99, "ms", "<= 250", "median of runs")
                )
            report = audit.audit(bank.engine, bank.verifier_key, bank.origin, default_handlers())
            if not report.ok:
                raise RuntimeError(f"audit failed: {report.problem}")
            audit_rate = report.entries / report.seconds
            figures.append(
                Figure(
                    "audit",
                    audit_rate,
                    "entries/s",
                    ">= 5,000",
                    f"{report.entries:,} entries, {report.checkpoints:,} checkpoints",
                )
            )
        finally:
            bank.close()

    small_median = 0.0
    for size in (1000, proof_tree):
        with throwaway_settings(None, database_url) as settings:
            engine = make_engine(settings.resolved_database_url, durable=False)
            try:
                t0 = time.perf_counter()
                build_synthetic_tree(engine, size)
                build = time.perf_counter() - t0
                med, p99 = proof_latency(engine, size)
            finally:
                engine.dispose()
        if size == 1000:
            small_median = med
            figures.append(
                Figure(
                    "inclusion proof at 1,000 leaves, median", med, "ms", "", f"p99 {p99:.3f} ms"
                )
            )
        else:
            figures.append(
                Figure(
                    f"inclusion proof at {size:,} leaves, median",
                    med,
                    "ms",
                    "<= 2 ms, <= 2x at 1,000",
                    f"p99 {p99:.3f} ms; {med / small_median:.2f}x at 1,000; "
                    f"tree built in {build:.0f}s",
                )
            )
    render(console, f"ledger benchmark ({engine_name})", figures)
    return figures
