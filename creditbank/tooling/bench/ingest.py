"""`creditbank bench ingest`: completions converted to credits at scale.

Figures: the bulk import rate (signed completions through the batched path: signatures
verified, credits decided, projections updated, durable and checkpointed) for N
completions of M learners; the same through HTTP batches; balance and progress query
latency at M learners against the same at 1,000 learners; and the rebuild rate. The
baseline in the same run is raw Ed25519 verification on one core.
"""

from __future__ import annotations

import base64
import gc
import itertools
import json
import random
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from creditbank.access import service as access
from creditbank.access.service import PersonIn
from creditbank.access.tokens import create_token
from creditbank.bank import Bank, init_bank
from creditbank.catalogue.service import publish_catalogue
from creditbank.core.entry import SignedStatement, format_time, sign_statement
from creditbank.core.keys import KeyPair
from creditbank.credits import service as credit_service
from creditbank.ledger import audit
from creditbank.ledger.sequencer import Appended
from creditbank.registry import default_handlers
from creditbank.standards.catalogue import Catalogue, load_catalogue
from creditbank.tooling.bench.common import (
    Figure,
    ed25519_verify_rate,
    percentile,
    post_load,
    render,
    server,
    throwaway_settings,
)
from creditbank.tooling.factories import register, register_course

BATCH = 1000
SIGNED_AHEAD = 50  # batches signed before a timed run of append_batches
PROVIDER = "prov-ingest"
# data-annotator level 5 and 4 units: several courses per unit, modes mixed
COURSES = [
    (f"c{i}", unit, mode)
    for i, (unit, mode) in enumerate(
        [
            ("DAN-5-01", "online"),
            ("DAN-5-02", "offline"),
            ("DAN-5-03", "workplace"),
            ("DAN-5-01", "offline"),
            ("DAN-5-02", "online"),
            ("DAN-4-01", "offline"),
            ("DAN-4-02", "online"),
            ("DAN-4-03", "workplace"),
            ("DAN-4-04", "offline"),
            ("DAN-4-01", "online"),
        ]
    )
]


def _setup(bank: Bank, root: Path) -> KeyPair:
    catalogue = load_catalogue(root)
    publish_catalogue(
        bank.ledger,
        Catalogue(
            tuple(s for s in catalogue.standards if s.id == "data-annotator"), catalogue.programs
        ),
        bank.authority_key(),
    )
    key = register(bank, PROVIDER, name="ingest benchmark provider")
    now = bank.ledger.clock()
    for course_id, unit, mode in COURSES:
        register_course(
            bank,
            PROVIDER,
            key,
            course_id,
            title=course_id,
            standard_id="data-annotator",
            level=int(unit.split("-")[1]),
            unit_code=unit,
            mode=mode,
            hours="32.0",
            valid_from=now - timedelta(days=3650),
            valid_until=now + timedelta(days=3650),
        )
    return key


def open_accounts(bank: Bank, n: int, progress: Progress) -> list[str]:
    """n learner accounts (personal data sealed as in production), in chunks for the bar."""
    task = progress.add_task("opening accounts", total=n)
    now = bank.ledger.clock()
    accounts: list[str] = []
    for start in range(0, n, 2000):
        people = [
            PersonIn(name=f"learner {i}", id_type="passport", id_number=f"EB{i:09d}")
            for i in range(start, min(n, start + 2000))
        ]
        accounts.extend(o.account for o in access.open_accounts(bank, people, PROVIDER, now))
        progress.update(task, completed=len(accounts))
    return accounts


def _completions(
    key: KeyPair, learners: list[str], n: int, now: datetime, prefix: str, seed: int
) -> Iterator[list[SignedStatement]]:
    rng = random.Random(seed)  # noqa: S311  (reproducible synthetic data)
    for start in range(0, n, BATCH):
        yield [
            sign_statement(
                {
                    "kind": "completion.recorded",
                    "actor": PROVIDER,
                    "id": f"{prefix}-{i}",
                    "body": {
                        "learner": rng.choice(learners),
                        "course_id": rng.choice(COURSES)[0],
                        "completed_at": format_time(now - timedelta(days=rng.randrange(1, 700))),
                        "score": rng.choice([45, 61, 70, 78, 85, 92, 99]),
                        "hours_attended": "32.0",
                    },
                },
                key,
            )
            for i in range(start, min(n, start + BATCH))
        ]


def bulk_rate(
    bank: Bank, key: KeyPair, learners: list[str], n: int, progress: Progress, prefix: str = "bulk"
) -> float:
    """Completions per second through ``Ledger.append_batches`` (``append_many`` with the
    next batch's signatures verified on the second core meanwhile). Signing is the
    provider's cost: statements are signed ahead, untimed, SIGNED_AHEAD batches at a time,
    so the timed part holds nothing but the ledger's work."""
    if bank.ledger.signatures is not None:
        bank.ledger.signatures.start()
    task = progress.add_task("bulk import", total=n)
    spent = 0.0
    batches = _completions(key, learners, n, bank.ledger.clock(), prefix, 1)
    while chunk := list(itertools.islice(batches, SIGNED_AHEAD)):
        # The signed-ahead statements are the harness's, not the ledger's: keep the
        # cyclic GC from rescanning them (reference counting still frees them).
        gc.freeze()
        t0 = time.perf_counter()
        for batch, outcomes in zip(chunk, bank.ledger.append_batches(chunk), strict=True):
            bad = [o for o in outcomes if not isinstance(o, Appended)]
            if bad:
                raise RuntimeError(f"bulk import refused a completion: {bad[0]}")
            progress.update(task, advance=len(batch))
        spent += time.perf_counter() - t0
        del chunk
        gc.unfreeze()
    return n / spent


def http_rate(bank: Bank, key: KeyPair, learners: list[str], n: int, workers: int) -> float:
    """Completions per second through POST /v1/completions/batch (batches of 500, 4 clients)."""
    token, _, _ = create_token(
        bank.engine,
        role="provider",
        actor_id=PROVIDER,
        label="bench",
        now=bank.ledger.clock(),
        ttl=timedelta(hours=2),
    )
    bodies = []
    for batch in _completions(key, learners, n, bank.ledger.clock(), "http", 2):
        for half in (batch[:500], batch[500:]):
            if half:
                bodies.append(
                    json.dumps(
                        {
                            "statements": [
                                {
                                    "statement": dict(s.statement),
                                    "key_id": s.key_id,
                                    "signature": base64.b64encode(s.signature).decode(),
                                }
                                for s in half
                            ]
                        }
                    ).encode()
                )
    with server(bank.settings, workers) as base:
        result = post_load(base, "/v1/completions/batch", bodies, 4, token)
    if any(s != 200 for s in result.statuses):
        raise RuntimeError(f"HTTP batch failed: {result.first_error}")
    return n / result.seconds


def query_p99(bank: Bank, learners: list[str], samples: int = 1000) -> tuple[float, float]:
    """(balance p99 ms, progress p99 ms) for random learners, read as the API reads them."""
    rng = random.Random(3)  # noqa: S311
    now = bank.ledger.clock()
    bal, prog = [], []
    for _ in range(samples):
        learner = rng.choice(learners)
        t0 = time.perf_counter()
        credit_service.balance(bank.engine, learner, now)
        t1 = time.perf_counter()
        credit_service.progress(bank.engine, learner, now)
        t2 = time.perf_counter()
        bal.append(t1 - t0)
        prog.append(t2 - t1)
    return percentile(bal, 99) * 1000, percentile(prog, 99) * 1000


def run_ingest_bench(
    *,
    learners: int,
    completions: int,
    http_completions: int,
    rebuild: bool = True,
    data_dir: Path | None,
    database_url: str | None,
    root: Path,
    console: Console,
    http_workers: int = 2,
) -> list[Figure]:
    engine_name = (
        "PostgreSQL" if database_url and database_url.startswith("postgresql") else "SQLite"
    )
    console.print(
        f"[bold]creditbank bench ingest[/bold] on {engine_name}: {completions:,} completions, "
        f"{learners:,} learners"
    )
    figures = [
        Figure("Ed25519 verify, raw, one core (baseline)", ed25519_verify_rate(), "verifies/s")
    ]
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    with progress:
        # the small population first: the 1,000-learner query baseline
        with throwaway_settings(None, database_url) as settings:
            small = init_bank(settings)
            try:
                key = _setup(small, root)
                few = open_accounts(small, 1000, progress)
                bulk_rate(small, key, few, 10_000, progress)
                small_bal, small_prog = query_p99(small, few)
            finally:
                small.close()
        with throwaway_settings(data_dir, database_url) as settings:
            bank = init_bank(settings)
            try:
                key = _setup(bank, root)
                t0 = time.perf_counter()
                population = open_accounts(bank, learners, progress)
                accounts_rate = learners / (time.perf_counter() - t0)
                rate = bulk_rate(bank, key, population, completions, progress)
                figures.append(
                    Figure(
                        "learner accounts opened",
                        accounts_rate,
                        "accounts/s",
                        "",
                        "personal data sealed, group commit",
                    )
                )
                figures.append(
                    Figure(
                        "bulk import (verified, converted, projections updated)",
                        rate,
                        "completions/s",
                        ">= 5,000" if engine_name == "SQLite" else ">= 3,000",
                        f"{completions:,} completions, {learners:,} learners",
                    )
                )
                if http_completions:
                    h = http_rate(bank, key, population, http_completions, http_workers)
                    figures.append(
                        Figure(
                            f"HTTP batches of 500, {http_workers} server process(es)",
                            h,
                            "completions/s",
                            "",
                            f"{h / rate:.2f}x bulk",
                        )
                    )
                bal, prog = query_p99(bank, population)
                figures.append(Figure("balance query p99, 1,000 learners", small_bal, "ms"))
                figures.append(
                    Figure(
                        f"balance query p99, {learners:,} learners",
                        bal,
                        "ms",
                        "<= 10, <= 2x",
                        f"{bal / small_bal:.2f}x at 1,000",
                    )
                )
                figures.append(Figure("progress query p99, 1,000 learners", small_prog, "ms"))
                figures.append(
                    Figure(
                        f"progress query p99, {learners:,} learners",
                        prog,
                        "ms",
                        "<= 10, <= 2x",
                        f"{prog / small_prog:.2f}x at 1,000",
                    )
                )
                if rebuild:
                    t0 = time.perf_counter()
                    count = audit.rebuild(bank.engine, default_handlers())
                    figures.append(
                        Figure(
                            "rebuild",
                            count / (time.perf_counter() - t0),
                            "entries/s",
                            "",
                            f"{count:,} entries",
                        )
                    )
            finally:
                bank.close()
    render(console, f"ingest benchmark ({engine_name})", figures)
    return figures
