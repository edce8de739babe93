"""One sequencer under many writers: threads, processes and two servers on one database.

Whatever the interleaving, the log must come out gap-free and fork-free: new entries take
exactly the consecutive indexes after the log's previous size, every receipt verifies
offline and its checkpoint is a stored one that is consistent with the final checkpoint,
the entry at each receipt's index is the receipt's entry byte for byte, every stored
checkpoint is consistent with the next, and the audit passes. A statement posted by many
writers at once lands once; every other writer gets the original receipt back.

The helpers here (``Ack``, ``assert_log_sound``, ``Server``) are shared with
``test_crash.py``.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from sqlalchemy import Engine, select, text

from creditbank.access.tokens import create_token
from creditbank.bank import Bank, open_bank
from creditbank.core.entry import SignedStatement
from creditbank.core.keys import KeyPair
from creditbank.core.tlog import merkle
from creditbank.core.tlog.merkle import verify_consistency, verify_inclusion
from creditbank.core.tlog.note import parse_signer_key
from creditbank.core.tlog.receipt import parse_receipt
from creditbank.core.verify import verify_checkpoint, verify_receipt
from creditbank.ledger import reads, store
from creditbank.ledger.audit import audit
from creditbank.ledger.sequencer import Appended
from creditbank.registry import default_handlers
from creditbank.settings import Settings
from tests.factories import b64, notice, register

ROOT = Path(__file__).resolve().parents[2]
CREDITBANK = Path(sys.executable).with_name("creditbank")
ACTORS = ("prov-0", "prov-1", "prov-2", "prov-3")
SHARED = 4
"""Statements every writer posts: each must land once, the other posts are duplicates."""


# --- what a writer got back, and what the log must look like afterwards ---------------


@dataclass(frozen=True)
class Ack:
    """An acknowledged write: the statement's (actor, id) and the log's answer."""

    actor: str
    sid: str
    index: int
    entry: bytes
    receipt: str
    duplicate: bool

    @classmethod
    def of(cls, signed: SignedStatement, a: Appended) -> Ack:
        return cls(signed.actor, str(signed.idem_key), a.index, a.entry, a.receipt, a.duplicate)

    @classmethod
    def from_http(cls, signed: SignedStatement, body: dict[str, Any]) -> Ack:
        return cls(
            signed.actor,
            str(signed.idem_key),
            body["index"],
            base64.b64decode(body["entry"]),
            body["receipt"],
            body["duplicate"],
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "actor": self.actor,
            "sid": self.sid,
            "index": self.index,
            "entry": b64(self.entry),
            "receipt": self.receipt,
            "duplicate": self.duplicate,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Ack:
        entry = base64.b64decode(d["entry"])
        return cls(d["actor"], d["sid"], d["index"], entry, d["receipt"], d["duplicate"])


def log_size(engine: Engine) -> int:
    with engine.connect() as conn:
        return store.tree_size(conn)


def assert_log_sound(
    engine: Engine,
    verifier_key: str,
    origin: str,
    acks: Sequence[Ack],
    *,
    appended_from: int | None = None,
) -> int:
    """Check the whole log and every acknowledged write against it; return the log size.

    With ``appended_from``, ``acks`` must account for every entry from that index on
    (nothing was lost or written unacknowledged): their new indexes are exactly
    ``appended_from .. size - 1``.
    """
    with engine.connect() as conn:
        state = store.read_state(conn)
        assert state is not None
        size = state.size
        # 1. the entries: exactly 0 .. size - 1 (the primary key rules out duplicates)
        stored = {index: data for index, data, _ in store.iter_entries(conn)}
        assert list(stored) == list(range(size))
        # 2. every stored checkpoint verifies, sizes grow, and each is consistent with the next
        rows = conn.execute(select(store.C.c.size, store.C.c.note).order_by(store.C.c.size))
        notes: dict[int, str] = {size: note for size, note in rows}
        checkpoints = [verify_checkpoint(n, verifier_key, origin=origin) for n in notes.values()]
        assert [cp.size for cp in checkpoints] == list(notes)
        assert all(a.size < b.size for a, b in itertools.pairwise(checkpoints))
        final = checkpoints[-1]
        assert (final.size, final.root_hash) == (size, state.root_hash)
        for old, new in itertools.pairwise(checkpoints):
            proof = store.consistency_proof(conn, old.size, new.size)
            verify_consistency(old.size, new.size, proof, old.root_hash, new.root_hash)
        # 3. every receipt: verifies offline, is the entry at its index, and its checkpoint is
        #    a stored one consistent with the final checkpoint
        consistent: set[int] = set()
        by_statement: defaultdict[tuple[str, str], list[Ack]] = defaultdict(list)
        for ack in acks:
            verified = verify_receipt(ack.receipt, verifier_key)
            assert verified.index == ack.index
            assert verified.entry_bytes == ack.entry == stored[ack.index]
            statement = verified.entry["statement"]
            assert (statement["actor"], statement["id"]) == (ack.actor, ack.sid)
            cp = verified.checkpoint
            assert parse_receipt(ack.receipt).checkpoint_note == notes[cp.size]
            if cp.size not in consistent:
                proof = store.consistency_proof(conn, cp.size, final.size)
                verify_consistency(cp.size, final.size, proof, cp.root_hash, final.root_hash)
                consistent.add(cp.size)
            by_statement[(ack.actor, ack.sid)].append(ack)
    # 4. a statement lands once; a re-post gets the original receipt, byte for byte
    for group in by_statement.values():
        assert len({(a.index, a.receipt) for a in group}) == 1
        assert sum(not a.duplicate for a in group) <= 1
    new = sorted(a.index for a in acks if not a.duplicate)
    assert len(new) == len(set(new))
    if appended_from is not None:
        assert new == list(range(appended_from, size))
        assert all(any(not a.duplicate for a in g) for g in by_statement.values())
    # 5. the audit agrees
    report = audit(engine, verifier_key, origin, default_handlers())
    assert report.ok, f"audit: {report.problem} at {report.first_bad_index}"
    assert report.entries == size
    return size


def plan(keys: dict[str, KeyPair], name: str, count: int, shared_at: int) -> list[SignedStatement]:
    """``count`` notices of one writer, with the shared statements spliced in at offsets
    that differ per writer. Signing is deterministic, so every writer (in any process)
    holds byte-identical shared statements."""
    actor = ACTORS[shared_at % len(ACTORS)]
    own = [notice(actor, keys[actor], sid=f"{name}-{n}", text=f"{name} #{n}") for n in range(count)]
    for n in range(SHARED):
        shared = notice("prov-0", keys["prov-0"], sid=f"shared-{n}", text="posted by every writer")
        own.insert((shared_at * 3 + n * 5) % (len(own) + 1), shared)
    return own


def register_actors(bank: Bank) -> dict[str, KeyPair]:
    return {actor: register(bank, actor) for actor in ACTORS}


# --- (a) threads in one process ---------------------------------------------------------

THREADS, PER_THREAD = 16, 25


def test_threads_get_consecutive_indexes(bank: Bank) -> None:
    keys = register_actors(bank)
    start = log_size(bank.engine)
    plans = [plan(keys, f"t{t}", PER_THREAD, t) for t in range(THREADS)]
    barrier = threading.Barrier(THREADS)

    def run(statements: list[SignedStatement]) -> list[Ack]:
        barrier.wait(timeout=30)
        return [Ack.of(s, bank.ledger.append(s)) for s in statements]

    with ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(run, p) for p in plans]
        acks = [ack for f in futures for ack in f.result()]
    size = assert_log_sound(
        bank.engine, bank.verifier_key, bank.settings.origin, acks, appended_from=start
    )
    assert size == start + THREADS * PER_THREAD + SHARED
    assert sum(a.duplicate for a in acks) == (THREADS - 1) * SHARED


# --- (b) processes sharing one bank ---------------------------------------------------

PROCESSES, PROCESS_THREADS, PER_PROCESS_THREAD = 4, 4, 15


def key_from_string(text: str) -> KeyPair:
    signer = parse_signer_key(text)
    return KeyPair(signer.name, signer.private_key)


def worker_main() -> None:
    """A writer process: open the bank, say ``ready``, wait for ``go`` on stdin, append
    its plan from several threads and write its acknowledgements to ``job["out"]``."""
    job = json.loads(sys.argv[1])
    keys = {actor: key_from_string(text) for actor, text in job["keys"].items()}
    worker = job["worker"]
    plans = [
        plan(keys, f"p{worker}-t{t}", PER_PROCESS_THREAD, worker * PROCESS_THREADS + t)
        for t in range(PROCESS_THREADS)
    ]
    settings = Settings(
        data_dir=Path(job["data_dir"]), database_url=job["database_url"], batch_max_wait_ms=1
    )
    bank = open_bank(settings)
    try:
        print("ready", flush=True)
        if sys.stdin.readline().strip() != "go":
            raise SystemExit("no go")

        def run(statements: list[SignedStatement]) -> list[Ack]:
            return [Ack.of(s, bank.ledger.append(s)) for s in statements]

        with ThreadPoolExecutor(PROCESS_THREADS) as pool:
            acks = [ack for f in [pool.submit(run, p) for p in plans] for ack in f.result()]
    finally:
        bank.close()
    Path(job["out"]).write_text(json.dumps([a.to_json() for a in acks]))


@pytest.mark.slow
def test_processes_share_one_ledger(bank: Bank, tmp_path: Path) -> None:
    keys = register_actors(bank)
    start = log_size(bank.engine)
    outs = [tmp_path / f"worker-{w}.json" for w in range(PROCESSES)]
    with contextlib.ExitStack() as stack:
        procs = []
        for w, out in enumerate(outs):
            job = {
                "worker": w,
                "data_dir": str(bank.settings.data_dir),
                "database_url": bank.settings.resolved_database_url,
                "keys": {actor: key.to_string() for actor, key in keys.items()},
                "out": str(out),
            }
            err = stack.enter_context((tmp_path / f"worker-{w}.err").open("wb"))
            procs.append(
                stack.enter_context(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-c",
                            "from tests.ledger.test_concurrency import worker_main; worker_main()",
                            json.dumps(job),
                        ],
                        cwd=ROOT,
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        stderr=err,
                        text=True,
                    )
                )
            )
        # start together, once every process has the bank open
        for w, proc in enumerate(procs):
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            assert line == "ready", (tmp_path / f"worker-{w}.err").read_text()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for w, proc in enumerate(procs):
            assert proc.wait(timeout=120) == 0, (tmp_path / f"worker-{w}.err").read_text()
    acks = [Ack.from_json(d) for out in outs for d in json.loads(out.read_text())]
    size = assert_log_sound(
        bank.engine, bank.verifier_key, bank.settings.origin, acks, appended_from=start
    )
    assert size == start + PROCESSES * PROCESS_THREADS * PER_PROCESS_THREAD + SHARED
    assert sum(a.duplicate for a in acks) == (PROCESSES * PROCESS_THREADS - 1) * SHARED


# --- (c) two servers, one PostgreSQL database -----------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """A ``creditbank serve`` process on a free local port."""

    def __init__(self, data_dir: Path, database_url: str, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                str(CREDITBANK),
                "serve",
                "--data-dir",
                str(data_dir),
                "--database-url",
                database_url,
                "--port",
                str(self.port),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=5) as client:
            while True:
                if self.proc.poll() is not None:
                    pytest.fail(f"server exited with {self.proc.returncode}:\n{self.log()}")
                try:
                    if client.get("/tlog/checkpoint").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"server not ready after {timeout}s:\n{self.log()}")
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no goodbye."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> int:
        """SIGTERM and wait for a graceful shutdown; returns the exit code (uvicorn
        re-raises the signal once it has shut down, so a clean stop is -SIGTERM)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        return self.proc.returncode

    def close(self) -> None:
        self.stop()
        self._log.close()


@contextlib.contextmanager
def serving(data_dir: Path, database_url: str, log_path: Path) -> Iterator[Server]:
    server = Server(data_dir, database_url, log_path)
    try:
        server.wait_ready()
        yield server
    finally:
        server.close()


def issue_tokens(bank: Bank, keys: dict[str, KeyPair]) -> dict[str, str]:
    """A bearer token per actor: the API takes a statement only from its author."""
    now = datetime.now(UTC)
    return {
        actor: create_token(
            bank.engine,
            role="provider",
            actor_id=actor,
            label="test",
            now=now,
            ttl=timedelta(days=1),
        )[0]
        for actor in keys
    }


def post(client: httpx.Client, signed: SignedStatement, tokens: dict[str, str]) -> httpx.Response:
    body = {
        "statement": signed.statement,
        "key_id": signed.key_id,
        "signature": b64(signed.signature),
    }
    headers = {"Authorization": f"Bearer {tokens[signed.actor]}"}
    return client.post("/v1/ledger/entries", json=body, headers=headers)


def http_ack(signed: SignedStatement, response: httpx.Response) -> Ack:
    assert response.status_code in (200, 201), response.text
    ack = Ack.from_http(signed, response.json())
    assert ack.duplicate == (response.status_code == 200)
    return ack


HTTP_CLIENTS, PER_CLIENT = 8, 20


@pytest.mark.slow
def test_two_servers_share_one_postgres_ledger(bank: Bank, tmp_path: Path) -> None:
    if bank.engine.dialect.name != "postgresql":
        pytest.skip("several servers on one database is the PostgreSQL deployment")
    keys = register_actors(bank)
    tokens = issue_tokens(bank, keys)
    start = log_size(bank.engine)
    url = bank.settings.resolved_database_url
    data_dir = bank.settings.data_dir
    with (
        serving(data_dir, url, tmp_path / "server-a.log") as a,
        serving(data_dir, url, tmp_path / "server-b.log") as b,
    ):
        servers = (a, b)
        barrier = threading.Barrier(HTTP_CLIENTS)

        def run(c: int) -> list[Ack]:
            plan_c = plan(keys, f"h{c}", PER_CLIENT, c)
            with (
                httpx.Client(base_url=a.url, timeout=60) as ca,
                httpx.Client(base_url=b.url, timeout=60) as cb,
            ):
                clients = (ca, cb)
                barrier.wait(timeout=30)
                return [
                    http_ack(s, post(clients[(c + n) % 2], s, tokens)) for n, s in enumerate(plan_c)
                ]

        with ThreadPoolExecutor(HTTP_CLIENTS) as pool:
            futures = [pool.submit(run, c) for c in range(HTTP_CLIENTS)]
            acks = [ack for f in futures for ack in f.result()]
        with httpx.Client(timeout=30) as client:
            # both servers publish the same head, the one in the database
            heads = [client.get(f"{s.url}/tlog/checkpoint") for s in servers]
            assert [r.status_code for r in heads] == [200, 200]
            assert heads[0].text == heads[1].text
            final = verify_checkpoint(heads[0].text, bank.verifier_key)
            proven: set[int] = set()
            for n, ack in enumerate(acks):
                other = servers[n % 2]
                # each entry is in the final tree, by either server's inclusion proof
                r = client.get(
                    f"{other.url}/v1/ledger/proofs/inclusion",
                    params={"index": ack.index, "size": final.size},
                )
                assert r.status_code == 200, r.text
                body = r.json()
                assert body["tree_size"] == final.size
                assert base64.b64decode(body["leaf_hash"]) == merkle.leaf_hash(ack.entry)
                # (its "root_hash" field is checked by test_proof_roots_ignore_row_order)
                proof = [base64.b64decode(h) for h in body["hashes"]]
                verify_inclusion(
                    ack.index, final.size, merkle.leaf_hash(ack.entry), proof, final.root_hash
                )
                # each receipt's checkpoint is consistent with the head, by either server
                cp = verify_receipt(ack.receipt, bank.verifier_key).checkpoint
                if cp.size in proven:
                    continue
                r = client.get(
                    f"{other.url}/v1/ledger/proofs/consistency",
                    params={"first": cp.size, "second": final.size},
                )
                assert r.status_code == 200, r.text
                proof = [base64.b64decode(h) for h in r.json()["hashes"]]
                verify_consistency(cp.size, final.size, proof, cp.root_hash, final.root_hash)
                proven.add(cp.size)
        for server in servers:
            assert server.stop() in (0, -signal.SIGTERM), server.log()
            assert "Traceback" not in server.log()
    size = assert_log_sound(
        bank.engine, bank.verifier_key, bank.settings.origin, acks, appended_from=start
    )
    assert final.size == size == start + HTTP_CLIENTS * PER_CLIENT + SHARED
    assert sum(a.duplicate for a in acks) == (HTTP_CLIENTS - 1) * SHARED


def test_proof_roots_ignore_row_order(bank: Bank) -> None:
    """Several writers (server processes) insert tree nodes from different connections,
    and PostgreSQL places each backend's inserts in its own target page, so rows come
    back in no particular order. CLUSTER makes that deterministic: it stores tree_nodes
    in (level, idx) order, the reverse of a frontier's left-to-right order."""
    if bank.engine.dialect.name != "postgresql":
        pytest.skip("CLUSTER is PostgreSQL's; SQLite keeps rows in insertion order")
    key = register(bank, "prov-0")
    for n in (1, 2, 3, 5, 8, 13):
        results = bank.ledger.append_many([notice("prov-0", key) for _ in range(n)])
        assert all(isinstance(r, Appended) for r in results)
    with bank.engine.begin() as conn:
        conn.execute(text("CLUSTER tree_nodes USING tree_nodes_pkey"))
        roots = {
            size: b64(bytes(root))
            for size, root in conn.execute(select(store.C.c.size, store.C.c.root_hash))
        }
    for size, root in roots.items():
        assert reads.inclusion(bank.engine, 0, size)["root_hash"] == root, size
        consistency = reads.consistency(bank.engine, 1, size)
        assert consistency["second_root_hash"] == root, size


# --- (d) the tree's frontier, carried from batch to batch ------------------------------


def test_a_sequencer_starts_from_its_own_frontier_and_reads_it_after_another_writer(
    bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sequencer grows the tree from the frontier its last batch left, but only while
    the log is still at that size: after another writer's batch it reads the frontier
    again, and the checkpoints stay consistent whoever wrote."""
    from creditbank.ledger import sequencer

    keys = register_actors(bank)
    start = log_size(bank.engine)
    given: list[bool] = []
    grow = sequencer.grow

    def spy(*args: Any, **kwargs: Any) -> Any:
        given.append(args[-1] is not None)
        return grow(*args, **kwargs)

    monkeypatch.setattr(sequencer, "grow", spy)
    other = open_bank(bank.settings)
    acks: list[Ack] = []
    try:
        for n, (writer, name) in enumerate(
            [(bank, "a"), (bank, "a"), (other, "b"), (bank, "a"), (bank, "a")]
        ):
            signed = notice("prov-0", keys["prov-0"], sid=f"{name}-{n}", text=f"#{n}")
            acks.append(Ack.of(signed, writer.ledger.append(signed)))
    finally:
        other.close()
    # "a" wrote last before (registering the actors): it starts from its own frontier,
    # but not right after "b" wrote; "b"'s first batch reads it
    assert given == [True, True, False, False, True]
    assert_log_sound(
        bank.engine, bank.verifier_key, bank.settings.origin, acks, appended_from=start
    )
