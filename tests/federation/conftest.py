"""Two banks, Beijing and Tianjin, each with its own data dir and database, each served
by a real uvicorn server on a free port, and each running a witness of the other."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import create_engine, text

from creditbank.api.app import create_app
from creditbank.bank import Bank, init_bank
from creditbank.core.keys import KeyPair
from creditbank.core.tlog.witness import witness_verifier_key
from creditbank.federation import config as federation_config
from creditbank.settings import Settings
from tests.client.conftest import free_port
from tests.conftest import PG_URL, FakeClock, PrivacyScan, _pg_schema_url, scanned


@dataclass
class Peer:
    """One bank of the pair: the bank, its server's URL, its witness key."""

    bank: Bank
    url: str
    witness: KeyPair

    @property
    def keys_dir(self) -> Path:
        return self.bank.settings.keys_dir

    @property
    def witness_key(self) -> str:
        return witness_verifier_key(self.witness.name, self.witness.public_key)


@dataclass
class Pair:
    beijing: Peer
    tianjin: Peer


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_database_urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    """Two empty databases of one engine (PostgreSQL: two throwaway schemas)."""
    if request.param == "sqlite":
        yield [f"sqlite:///{tmp_path / 'beijing.db'}", f"sqlite:///{tmp_path / 'tianjin.db'}"]
        return
    if not PG_URL:
        pytest.skip("CREDITBANK_TEST_DATABASE_URL is not set")
    schemas = [f"t_{uuid.uuid4().hex[:16]}" for _ in range(2)]
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        for schema in schemas:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield [_pg_schema_url(PG_URL, s) for s in schemas]
    finally:
        with admin.begin() as conn:
            for schema in schemas:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@contextlib.contextmanager
def served(bank: Bank) -> Iterator[str]:
    """The URL of a uvicorn server running the bank's app, stopped on leaving."""
    port = free_port()
    config = uvicorn.Config(
        create_app(bank), host="127.0.0.1", port=port, log_level="warning", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the uvicorn server did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def _bank(tmp_path: Path, name: str, url: str, clock: FakeClock) -> Bank:
    settings = Settings(
        data_dir=tmp_path / name,
        database_url=url,
        origin=f"{name}.example/ledger",
        batch_max_wait_ms=1,
    )
    return init_bank(settings, clock=clock)


@pytest.fixture
def pair(
    tmp_path: Path,
    two_database_urls: list[str],
    clock: FakeClock,
    privacy_scan: PrivacyScan,
) -> Iterator[Pair]:
    """Beijing and Tianjin, served, each witnessing the other's log and asking the other
    to cosign its own (configured after the servers started, so no background task runs:
    tests cosign with ``cosign_now``)."""
    beijing_url, tianjin_url = two_database_urls
    with (
        scanned(_bank(tmp_path, "beijing", beijing_url, clock), privacy_scan) as bj,
        scanned(_bank(tmp_path, "tianjin", tianjin_url, clock), privacy_scan) as tj,
        served(bj) as bj_url,
        served(tj) as tj_url,
    ):
        peers = []
        for bank, url in ((bj, bj_url), (tj, tj_url)):
            key = federation_config.create_witness_key(
                bank.settings.keys_dir, bank.origin.replace("/ledger", "/witness")
            )
            peers.append(Peer(bank, url, key))
        beijing, tianjin = peers
        for me, other in ((beijing, tianjin), (tianjin, beijing)):
            federation_config.add_peer_log(me.keys_dir, other.bank.origin, other.bank.verifier_key)
            config = federation_config.add_cosigner(
                me.keys_dir, other.url + "/witness", other.witness_key
            )
            # a loaded test machine may take longer than production's 5 s to answer;
            # stuck and dead witnesses are tested on their own (test_witness.py)
            federation_config.save_config(me.keys_dir, replace(config, timeout_seconds=60.0))
        yield Pair(beijing, tianjin)


def post_checkpoint(url: str, body: str) -> httpx.Response:
    return httpx.post(f"{url}/witness/add-checkpoint", content=body.encode(), timeout=10)
