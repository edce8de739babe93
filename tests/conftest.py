"""Shared fixtures: a real database per test (SQLite always, PostgreSQL when
CREDITBANK_TEST_DATABASE_URL is set), and a freshly initialized bank on it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from creditbank.bank import Bank, init_bank
from creditbank.settings import Settings

PG_URL = os.environ.get("CREDITBANK_TEST_DATABASE_URL")

# The privacy scan (tests/test_zz_privacy.py, run last): every bank the suite builds hands
# its ledger entries here at teardown, and every personal datum a test uses is registered
# by tests.factories.make_person.
LEDGER_ENTRIES: list[bytes] = []
PERSONAL_DATA: set[str] = set()


def collect_entries(bank: Bank) -> None:
    from creditbank.ledger import store

    with bank.engine.connect() as conn:
        LEDGER_ENTRIES.extend(data for _, data, _ in store.iter_entries(conn))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the privacy scan after every scenario that feeds it."""
    last = [i for i in items if i.get_closest_marker("privacy_scan")]
    items[:] = [i for i in items if not i.get_closest_marker("privacy_scan")] + last


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
def bank(settings: Settings, clock: FakeClock) -> Iterator[Bank]:
    b = init_bank(settings, clock=clock)
    try:
        yield b
        collect_entries(b)
    finally:
        b.close()


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
