"""`creditbank bench xapi`: the LRS under an LMS's load.

Figures: completion statements posted one per request (how an LMS forwards by default)
from 8 and from 32 concurrent clients, and in batches of 100; each statement is validated,
stored, and logged as a signed completion with its receipt. Baselines in the same run: the
signed completion route (``POST /v1/completions``) at the same 8 and 32 clients, each
xAPI figure given as a ratio to it, and Ralph LRS with its filesystem backend when a
``ralph`` command is installed. First, raw Ed25519 verifications on one core: the
machine's speed in the same run, since these machines' speed differs from day to day.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from rich.console import Console

from creditbank.access import service as access
from creditbank.access.service import PersonIn
from creditbank.access.tokens import create_token
from creditbank.bank import init_bank
from creditbank.catalogue.service import publish_catalogue
from creditbank.core.entry import format_time, sign_statement
from creditbank.core.keys import KeyPair
from creditbank.core.xapi.credit import Mappings, decide
from creditbank.core.xapi.model import parse_statement
from creditbank.credits.gateway import enable_xapi
from creditbank.standards.catalogue import Catalogue, load_catalogue
from creditbank.tooling.bench.common import (
    Figure,
    ed25519_verify_rate,
    free_port,
    median,
    percentile,
    post_load,
    render,
    server,
    throwaway_settings,
)
from creditbank.tooling.factories import register, register_course

PROVIDER = "prov-lrs"
LMS = "https://lms.example.cn"
COURSES = [f"course-v1:BENCH+C{i}+2026" for i in range(10)]
PLAYED = "https://w3id.org/xapi/video/verbs/played"
VERSION = {"X-Experience-API-Version": "1.0.3"}


def _statement(learner: str, course: str, when: str) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "account": {"homePage": LMS, "name": learner}},
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/completed",
            "display": {"en-US": "completed"},
        },
        "object": {"objectType": "Activity", "id": f"{LMS}/courses/{course}/"},
        "result": {"score": {"scaled": 0.85}, "success": True, "duration": "PT30H"},
        "timestamp": when,
    }


def _statements(learners: list[str], n: int, start: int, when: str) -> list[dict[str, object]]:
    """n completions, each of another (learner, course) as far as there are pairs."""
    return [
        _statement(
            learners[(start + i) % len(learners)],
            COURSES[(start + i) // len(learners) % len(COURSES)],
            when,
        )
        for i in range(n)
    ]


def _signed_completion(statement: dict[str, object], key: KeyPair) -> dict[str, object]:
    """The completion the xAPI statement becomes, as the provider would sign and post it."""
    decision = decide(
        parse_statement(statement),
        str(statement["id"]),
        provider=PROVIDER,
        mappings=Mappings({}, {}),
        stored=datetime.now(UTC),
    )
    assert decision.completion is not None
    signed = sign_statement(decision.completion, key)
    return {
        "statement": dict(signed.statement),
        "key_id": signed.key_id,
        "signature": base64.b64encode(signed.signature).decode(),
    }


def _run(
    base: str, token: str, bodies: list[bytes], clients: int, per_request: int, auth: dict[str, str]
) -> tuple[float, float, float]:
    result = post_load(
        base, "/xapi/statements", bodies, clients, token or None, {**VERSION, **auth}
    )
    if result.first_error or any(s != 200 for s in result.statuses):
        raise RuntimeError(f"xAPI posts failed, first: {result.first_error}")
    return (
        len(bodies) * per_request / result.seconds,
        median(result.latencies) * 1000,
        percentile(result.latencies, 99) * 1000,
    )


@contextlib.contextmanager
def _ralph(command: str) -> Iterator[tuple[str, dict[str, str]] | None]:
    """A Ralph LRS (filesystem backend) on a free port when ``command`` (ralph-malph's
    ``ralph``, which needs its own environment: it pins FastAPI 0.114) is installed: its
    base URL and Basic credentials; None otherwise."""
    found = shutil.which(command)
    if found is None:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="ralph-bench-") as tmp:
        env = {
            **os.environ,
            "RALPH_APP_DIR": tmp,
            "RALPH_AUTH_FILE": str(Path(tmp) / "auth.json"),
            "RALPH_RUNSERVER_BACKEND": "fs",
            "RALPH_BACKENDS__DATA__FS__DEFAULT_DIRECTORY_PATH": tmp,
        }
        subprocess.run(  # noqa: S603
            [
                found,
                "auth",
                "-u",
                "bench",
                "-p",
                "bench",
                "-s",
                "all",
                "-M",
                "mailto:bench@example.cn",
                "-w",
            ],
            env=env,
            check=True,
            capture_output=True,
            cwd=tmp,
        )
        port = free_port()
        proc = subprocess.Popen(  # noqa: S603
            [
                found,
                "runserver",
                "-b",
                "fs",
                "--fs-default-directory-path",
                tmp,
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=tmp,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"{base}/__heartbeat__", timeout=1).status_code == 200:
                        break
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("Ralph LRS did not start")
                time.sleep(0.2)
            basic = base64.b64encode(b"bench:bench").decode()
            auth = {"Authorization": f"Basic {basic}"}
            # one statement first: Ralph's filesystem backend creates its file on the
            # first write, and concurrent first writes race for it
            first = _statement("CB12345678906", COURSES[0], "2026-01-01T00:00:00Z")
            httpx.post(f"{base}/xAPI/statements", json=first, headers={**VERSION, **auth})
            yield base, auth
        finally:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=15)
            with contextlib.suppress(ProcessLookupError):  # its reloader's worker
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run_xapi_bench(
    *,
    statements: int,
    batched: int,
    learners: int,
    data_dir: Path | None,
    database_url: str | None,
    root: Path,
    console: Console,
    workers: int = 2,
    ralph: str = "ralph",
) -> list[Figure]:
    engine_name = (
        "PostgreSQL" if database_url and database_url.startswith("postgresql") else "SQLite"
    )
    console.print(
        f"[bold]creditbank bench xapi[/bold] on {engine_name}: {statements:,} statements per "
        f"run, {batched:,} in batches of 100, {workers} server process(es)"
    )
    figures = [
        Figure(
            "Ed25519 verify, raw, one core (machine speed)",
            ed25519_verify_rate(),
            "verifies/s",
            "",
            "this machine's speed in this run: read the rates beside it",
        )
    ]
    with throwaway_settings(data_dir, database_url) as settings:
        bank = init_bank(settings)
        try:
            catalogue = load_catalogue(root)
            publish_catalogue(
                bank.ledger,
                Catalogue(
                    tuple(s for s in catalogue.standards if s.id == "data-annotator"),
                    catalogue.programs,
                ),
                bank.authority_key(),
            )
            key = register(bank, PROVIDER, name="LRS benchmark provider")
            now = bank.ledger.clock()
            for course in COURSES:
                register_course(
                    bank,
                    PROVIDER,
                    key,
                    course,
                    title=course,
                    standard_id="data-annotator",
                    level=5,
                    unit_code="DAN-5-01",
                    mode="online",
                    hours="32.0",
                    valid_from=now - timedelta(days=3650),
                    valid_until=now + timedelta(days=3650),
                )
            enable_xapi(bank, key)
            people = [
                PersonIn(name=f"learner {i}", id_type="passport", id_number=f"EX{i:09d}")
                for i in range(learners)
            ]
            accounts = [o.account for o in access.open_accounts(bank, people, PROVIDER, now)]
            token, _, _ = create_token(
                bank.engine,
                role="provider",
                actor_id=PROVIDER,
                label="bench",
                now=now,
                ttl=timedelta(hours=2),
            )
            when = format_time(now - timedelta(days=1))
            offset = 0
            with server(settings, workers) as base:
                # the baselines: the same completions, signed by the provider, one per
                # request on the signed completion route (the bank's own append path)
                signed_rates: dict[int, float] = {}
                for clients in (8, 32):
                    bodies = [
                        json.dumps(_signed_completion(s, key)).encode()
                        for s in _statements(accounts, statements, offset, when)
                    ]
                    offset += statements
                    result = post_load(base, "/v1/completions", bodies, clients, token)
                    if result.first_error or any(s != 201 for s in result.statuses):
                        raise RuntimeError(f"completion posts failed, first: {result.first_error}")
                    signed_rates[clients] = statements / result.seconds
                    figures.append(
                        Figure(
                            f"signed completion route, {clients} clients (baseline)",
                            signed_rates[clients],
                            "completions/s",
                            "",
                            f"p50 {median(result.latencies) * 1000:.0f} ms, "
                            f"p99 {percentile(result.latencies, 99) * 1000:.0f} ms",
                        )
                    )
                for clients, target in ((8, ">= 1,000"), (32, ">= 1,000; p99 <= 250 ms")):
                    bodies = [
                        json.dumps(s).encode()
                        for s in _statements(accounts, statements, offset, when)
                    ]
                    offset += statements
                    rate, p50, p99 = _run(base, token, bodies, clients, 1, {})
                    figures.append(
                        Figure(
                            f"xAPI, 1 statement/request, {clients} clients",
                            rate,
                            "statements/s",
                            target,
                            f"p50 {p50:.0f} ms, p99 {p99:.0f} ms; "
                            f"{rate / signed_rates[clients]:.2f}x the signed route",
                        )
                    )
                played = [
                    json.dumps({**s, "verb": {"id": PLAYED}}).encode()
                    for s in _statements(accounts, statements, offset, when)
                ]
                rate, p50, p99 = _run(base, token, played, 32, 1, {})
                figures.append(
                    Figure(
                        "xAPI video played (stored, no ledger entry), 32 clients",
                        rate,
                        "statements/s",
                        "",
                        f"p50 {p50:.0f} ms, p99 {p99:.0f} ms",
                    )
                )
                statements_b = _statements(accounts, batched, offset, when)
                bodies = [
                    json.dumps(statements_b[i : i + 100]).encode()
                    for i in range(0, len(statements_b), 100)
                ]
                rate, p50, p99 = _run(base, token, bodies, 4, 100, {})
                figures.append(
                    Figure(
                        "xAPI, batches of 100, 4 clients",
                        rate,
                        "statements/s",
                        ">= 3,000",
                        f"p50 {p50:.0f} ms, p99 {p99:.0f} ms per batch",
                    )
                )
            with _ralph(ralph) as lrs:
                if lrs is None:
                    figures.append(
                        Figure(
                            "Ralph LRS (fs backend)",
                            0,
                            "statements/s",
                            "",
                            "not measured: no `ralph` command installed",
                        )
                    )
                else:
                    ralph_base, auth = lrs
                    for clients in (8, 32):
                        bodies = [
                            json.dumps(s).encode()
                            for s in _statements(accounts, statements, 0, when)
                        ]
                        result = post_load(
                            ralph_base,
                            "/xAPI/statements",
                            bodies,
                            clients,
                            None,
                            {**VERSION, **auth},
                        )
                        ok = sum(1 for s in result.statuses if s == 200)
                        figures.append(
                            Figure(
                                f"Ralph LRS (fs), 1 statement/request, {clients} clients",
                                ok / result.seconds,
                                "statements/s",
                                "",
                                f"p99 {percentile(result.latencies, 99) * 1000:.0f} ms"
                                + (f"; {result.first_error}" if result.first_error else ""),
                            )
                        )
        finally:
            bank.close()
    render(console, "creditbank bench xapi", figures)
    return figures
