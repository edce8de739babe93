"""Crash safety: SIGKILL a loaded server; every acknowledged write survives it.

A real ``creditbank serve`` process takes concurrent HTTP posts and is killed with
SIGKILL once some receipts were acknowledged and while requests are still in flight (every
client keeps posting until its connection breaks). Twice, so the second server also starts
on a log its predecessor left behind mid-write. Then, on a restarted server:

- every acknowledged receipt still verifies offline, its entry is at its index with the
  same bytes, and its checkpoint is consistent with the final one;
- the log is gap-free and ``creditbank audit`` exits 0;
- every request that was in flight when the server died is either wholly in the log
  (re-posting it answers 200 with ``duplicate`` and a verifying receipt for the same
  entry) or wholly absent (re-posting it appends it at a new index).
"""

from __future__ import annotations

import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select

from creditbank.bank import Bank
from creditbank.core.entry import SignedStatement
from creditbank.core.keys import KeyPair
from creditbank.core.verify import verify_receipt
from creditbank.ledger import store
from tests.factories import notice
from tests.ledger.test_concurrency import (
    ACTORS,
    CREDITBANK,
    Ack,
    Server,
    assert_log_sound,
    http_ack,
    issue_tokens,
    log_size,
    post,
    register_actors,
    serving,
)

CLIENTS = 8
KILL_AFTER = 40
"""Acknowledged writes per round before the kill."""
ROUNDS = 2


def stored_entry(engine: Engine, signed: SignedStatement) -> tuple[int, bytes] | None:
    """Where the log holds ``signed`` (by its author and idempotency key), if anywhere."""
    e = store.E
    with engine.connect() as conn:
        row = conn.execute(
            select(e.c.idx, e.c.data).where(
                e.c.actor == signed.actor, e.c.idem_key == signed.idem_key
            )
        ).first()
    return None if row is None else (row.idx, bytes(row.data))


def load_and_kill(
    server: Server, engine: Engine, keys: dict[str, KeyPair], tokens: dict[str, str], round_: int
) -> tuple[list[Ack], list[SignedStatement]]:
    """Post from ``CLIENTS`` threads until the server dies; kill it after ``KILL_AFTER``
    acknowledgements. Returns the acknowledged writes and the in-flight statements.

    The kill aims at the worst moment: a batch committed whose receipts have not all
    reached their clients yet (the database holds more entries than were acknowledged).
    Where it lands is up to the scheduler; the assertions hold wherever it does.
    """
    base = log_size(engine)
    acks: list[Ack] = []
    in_flight: list[SignedStatement] = []
    lock = threading.Lock()
    enough = threading.Event()

    def client(c: int) -> None:
        actor = ACTORS[c % len(ACTORS)]
        with httpx.Client(base_url=server.url, timeout=60) as http:
            for n in range(100_000):  # unbounded in practice: the kill ends the loop
                signed = notice(actor, keys[actor], sid=f"r{round_}-c{c}-{n}", text=f"#{n}")
                try:
                    response = post(http, signed, tokens)
                except httpx.TransportError:
                    with lock:
                        in_flight.append(signed)
                    return
                ack = http_ack(signed, response)
                assert not ack.duplicate
                with lock:
                    acks.append(ack)
                    if len(acks) >= KILL_AFTER:
                        enough.set()
        raise AssertionError("the server outlived 100,000 posts")

    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(client, c) for c in range(CLIENTS)]
        try:
            # until enough writes were acknowledged (or a client failed: its error is raised
            # below, once the server is dead)
            deadline = time.monotonic() + 120
            while not enough.wait(timeout=0.05) and not any(f.done() for f in futures):
                assert time.monotonic() < deadline, server.log()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not any(f.done() for f in futures):
                committed = log_size(engine) - base
                with lock:
                    if committed > len(acks):
                        break
        finally:
            server.kill()
        for f in futures:
            f.result()
    assert len(in_flight) == CLIENTS  # each client was cut off mid-request
    return acks, in_flight


@pytest.mark.slow
def test_acknowledged_writes_survive_sigkill(bank: Bank, tmp_path: Path) -> None:
    keys = register_actors(bank)
    tokens = issue_tokens(bank, keys)
    url = bank.settings.resolved_database_url
    data_dir = bank.settings.data_dir
    acks: list[Ack] = []
    in_flight: list[SignedStatement] = []
    for round_ in range(ROUNDS):
        server = Server(data_dir, url, tmp_path / f"server-{round_}.log")
        try:
            server.wait_ready()
            round_acks, round_in_flight = load_and_kill(server, bank.engine, keys, tokens, round_)
        finally:
            server.close()
        assert server.proc.returncode == -9
        acks += round_acks
        in_flight += round_in_flight

    # The acknowledged writes are all there, and the log is whole.
    assert_log_sound(bank.engine, bank.verifier_key, bank.settings.origin, acks)

    # In-flight requests landed wholly or not at all; re-posting tells which, and the
    # answer must match what the database holds.
    before = log_size(bank.engine)
    reposts: list[Ack] = []
    present = 0
    with (
        serving(data_dir, url, tmp_path / "server-restarted.log") as server,
        httpx.Client(base_url=server.url, timeout=60) as http,
    ):
        for signed in in_flight:
            found = stored_entry(bank.engine, signed)
            ack = http_ack(signed, post(http, signed, tokens))
            verified = verify_receipt(ack.receipt, bank.verifier_key)
            assert verified.entry["statement"] == signed.statement
            if found is not None:
                present += 1
                assert ack.duplicate
                assert (ack.index, ack.entry) == found
                assert found[0] < before
            else:
                assert not ack.duplicate
                assert ack.index >= before
            reposts.append(ack)
    assert 0 <= present <= len(in_flight)
    size = assert_log_sound(bank.engine, bank.verifier_key, bank.settings.origin, acks + reposts)
    assert size == before + len(in_flight) - present

    # The command-line audit, as an operator would run it after the crash.
    result = subprocess.run(
        [str(CREDITBANK), "audit", "--data-dir", str(data_dir), "--database-url", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"audit OK: {size:,} entries" in result.stdout
