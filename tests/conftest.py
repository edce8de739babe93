"""Shared fixtures: a real database per test (SQLite always, PostgreSQL when
CREDITBANK_TEST_DATABASE_URL is set), a freshly initialized bank on it, and the privacy
scan that reads every such bank's ledger when its test ends."""

from __future__ import annotations

import bisect
import contextlib
import itertools
import json
import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from creditbank.bank import Bank, init_bank
from creditbank.ledger import store
from creditbank.settings import Settings
from tests.factories import PERSONAL_DATA

PG_URL = os.environ.get("CREDITBANK_TEST_DATABASE_URL")


def find_personal_data(entries: Sequence[bytes], personal: Iterable[str]) -> list[tuple[int, str]]:
    """(entry position, datum) for every personal datum found in an entry, raw or as the
    JSON-escaped text the entry would hold, in entry order.

    One pass over the entries, whatever the number of data: every window of the length of
    the shortest needle is looked up among the needles' prefixes, and only a hit is
    compared in full (a search per datum costs seconds on the demo's ledger)."""
    needles = {
        needle: datum
        for datum in personal
        for needle in (datum.encode(), json.dumps(datum).strip('"').encode())
        if needle
    }
    if not needles:
        return []
    blob = b"\0".join(entries)  # JSON text holds no raw NUL: no match spans two entries
    starts = list(itertools.accumulate((len(e) + 1 for e in entries[:-1]), initial=0))
    width = min(len(n) for n in needles)
    by_prefix: dict[bytes, list[bytes]] = {}
    for needle in needles:
        by_prefix.setdefault(needle[:width], []).append(needle)
    found: set[tuple[int, str]] = set()
    for at in range(len(blob) - width + 1):
        for needle in by_prefix.get(blob[at : at + width], ()):
            if blob.startswith(needle, at):
                found.add((bisect.bisect_right(starts, at) - 1, needles[needle]))
    return sorted(found)


class PrivacyScan:
    """No personal data on the ledger: scans a bank's entries for every datum registered
    in this process (tests.factories.PERSONAL_DATA) and fails on a find. Each test process
    (each xdist worker) scans the banks it builds, so nothing depends on test order or on
    which process runs what; the counts show that the scan ran."""

    def __init__(self, personal: set[str]) -> None:
        self.personal = personal
        self.ledgers = 0
        self.entries = 0

    def check(self, bank: Bank) -> None:
        with bank.engine.connect() as conn:
            entries = [data for _, data, _ in store.iter_entries(conn)]
        self.ledgers += 1
        self.entries += len(entries)
        leaks = find_personal_data(entries, self.personal)
        assert leaks == [], f"personal data on the ledger (entry index, datum): {leaks[:5]}"


@pytest.fixture(scope="session")
def privacy_scan() -> PrivacyScan:
    return PrivacyScan(PERSONAL_DATA)


@contextlib.contextmanager
def scanned(bank: Bank, scan: PrivacyScan) -> Iterator[Bank]:
    """Hand out ``bank``; at the end scan its ledger (if the body finished), then close it."""
    try:
        yield bank
        scan.check(bank)
    finally:
        bank.close()


def _pg_schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of each engine; PostgreSQL gets a throwaway schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bank.db'}"
        return
    if not PG_URL:
        pytest.skip("CREDITBANK_TEST_DATABASE_URL is not set")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield _pg_schema_url(PG_URL, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, batch_max_wait_ms=1)


class FakeClock:
    """A controllable clock for rules that depend on `now`."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 22, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def bank(settings: Settings, clock: FakeClock, privacy_scan: PrivacyScan) -> Iterator[Bank]:
    """A new bank; its ledger goes through the privacy scan when the test ends."""
    with scanned(init_bank(settings, clock=clock), privacy_scan) as b:
        yield b


@pytest.fixture
def client(bank: Bank) -> Iterator[Any]:
    """The API on the test's bank, through httpx's ASGI transport (see ASGIClient)."""
    import httpx
    from anyio.from_thread import start_blocking_portal

    from creditbank.api.app import create_app
    from tests.api.conftest import ASGIClient

    app = create_app(bank)
    with start_blocking_portal() as portal:
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bank.test"
        )
        try:
            yield ASGIClient(portal, http)
        finally:
            portal.call(http.aclose)
