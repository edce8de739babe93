"""Banks that witness each other, on two real servers: cosignatures that verify by the
signed-note rules, forks refused and reported, a stale old size answered 409, appends
that never wait for a witness, and verifiers that ask for a quorum."""

from __future__ import annotations

import hashlib
import socket
import threading
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from creditbank.cli.main import app as cli
from creditbank.core.errors import VerificationError
from creditbank.core.tlog.checkpoint import Checkpoint, sign_checkpoint
from creditbank.core.tlog.note import open_note, parse_verifier_key
from creditbank.core.tlog.witness import SIZE_CONTENT_TYPE, format_add_checkpoint
from creditbank.core.verify import verify_checkpoint, verify_receipt
from creditbank.federation import config as federation_config
from creditbank.federation.config import load_config
from creditbank.federation.cosigner import CosignResult, cosign_round
from creditbank.federation.service import cosign_now
from creditbank.ledger import store
from creditbank.tooling.factories import post_notice, register
from tests.federation.conftest import Pair, Peer, post_checkpoint


def grow(peer: Peer, n: int = 1) -> None:
    """Append ``n`` notices to the peer's log."""
    key = peer.bank.authority_key()
    for _ in range(n):
        post_notice(peer.bank, "authority", key)


def latest(peer: Peer) -> tuple[int, str]:
    with peer.bank.engine.connect() as conn:
        return store.latest_checkpoint(conn)


def forged(peer: Peer, size: int, seed: bytes = b"fork") -> str:
    """A checkpoint of ``size`` with a made-up root, signed with the peer's own log key:
    what a log showing someone a second history would sign."""
    root = hashlib.sha256(seed).digest()
    key = peer.bank.log_key
    return sign_checkpoint(Checkpoint(peer.bank.origin, size, root), key.name, key.private_key)


def split_views(peer: Peer) -> list[dict[str, object]]:
    found: list[dict[str, object]] = httpx.get(f"{peer.url}/v1/federation/split-views").json()
    return found


def test_a_cosignature_verifies_by_the_signed_note_rules(pair: Pair) -> None:
    bj, tj = pair.beijing, pair.tianjin
    grow(bj, 3)
    [result] = cosign_now(bj.bank.engine, bj.keys_dir)
    assert result.cosigned
    assert result.size == latest(bj)[0]
    note = httpx.get(f"{bj.url}/tlog/checkpoint").text
    witness = parse_verifier_key(tj.witness_key)
    opened = open_note(note, [parse_verifier_key(bj.bank.verifier_key), witness])
    cosigned = opened.verified_by(witness)
    assert cosigned is not None
    assert cosigned.timestamp is not None
    cp = verify_checkpoint(note, bj.bank.verifier_key, witness_keys=[tj.witness_key])
    assert cp.size == latest(bj)[0]
    # Tianjin's witness now holds Beijing's tree head, durably
    state = httpx.get(f"{tj.url}/v1/federation/witness").json()
    assert state["logs"] == [
        {
            "origin": bj.bank.origin,
            "key": bj.bank.verifier_key,
            "size": cp.size,
            "updated_at": state["logs"][0]["updated_at"],
        }
    ]


def test_the_log_key_cannot_stand_in_for_a_witness(pair: Pair) -> None:
    bj = pair.beijing
    grow(bj)
    note = httpx.get(f"{bj.url}/tlog/checkpoint").text
    # the log key as a cosigner key (type 0x04) names a key nobody cosigned with
    from creditbank.core.tlog.witness import witness_verifier_key

    as_witness = witness_verifier_key(bj.bank.origin, bj.bank.log_key.public_key)
    with pytest.raises(VerificationError, match="witness cosignatures"):
        verify_checkpoint(note, bj.bank.verifier_key, witness_keys=[as_witness])


def test_the_witness_follows_the_log_with_consistency_proofs(pair: Pair) -> None:
    bj = pair.beijing
    sizes: list[int] = []
    for n in (1, 4, 2):
        grow(bj, n)
        [result] = cosign_now(bj.bank.engine, bj.keys_dir)
        assert result.cosigned, result.problem
        assert result.size is not None
        sizes.append(result.size)
    assert sizes == sorted(sizes)
    assert len(set(sizes)) == 3
    # the same checkpoint again: cosigned already, nothing asked
    [again] = cosign_now(bj.bank.engine, bj.keys_dir)
    assert again.cosigned
    assert again.size == sizes[-1]
    assert split_views(pair.tianjin) == []


def test_a_stale_old_size_gets_409_with_the_known_size(pair: Pair) -> None:
    bj, tj = pair.beijing, pair.tianjin
    grow(bj, 2)
    [done] = cosign_now(bj.bank.engine, bj.keys_dir)
    _size, note = latest(bj)
    response = post_checkpoint(tj.url, format_add_checkpoint(0, [], note))
    assert response.status_code == 409
    assert response.headers["content-type"].startswith(SIZE_CONTENT_TYPE)
    assert response.text == f"{done.size}\n"
    assert split_views(tj) == []  # a stale client is not a split view


def test_a_fork_of_the_same_size_is_refused_recorded_and_reported(pair: Pair) -> None:
    bj, tj = pair.beijing, pair.tianjin
    grow(bj, 2)
    [done] = cosign_now(bj.bank.engine, bj.keys_dir)
    assert done.size is not None
    fork = forged(bj, done.size)
    response = post_checkpoint(tj.url, format_add_checkpoint(done.size, [], fork))
    assert response.status_code == 409
    assert response.text == f"{done.size}\n"
    [report] = split_views(tj)
    assert report["kind"] == "fork"
    assert report["origin"] == bj.bank.origin
    assert report["submitted_checkpoint"] == fork
    assert report["known_size"] == done.size
    # the evidence holds both checkpoints, each signed by the log: proof by itself
    for note in (report["known_checkpoint"], report["submitted_checkpoint"]):
        assert verify_checkpoint(str(note), bj.bank.verifier_key).size == done.size
    # and the witness still stands by the first history
    [again] = cosign_now(bj.bank.engine, bj.keys_dir)
    assert again.cosigned


def test_a_smaller_forked_tree_is_refused_and_reported(pair: Pair) -> None:
    bj, tj = pair.beijing, pair.tianjin
    grow(bj, 2)
    [first] = cosign_now(bj.bank.engine, bj.keys_dir)
    grow(bj, 3)
    [second] = cosign_now(bj.bank.engine, bj.keys_dir)
    assert first.size is not None
    assert second.size is not None
    fork = forged(bj, first.size, b"smaller")
    response = post_checkpoint(tj.url, format_add_checkpoint(second.size, [], fork))
    assert response.status_code == 409
    [report] = split_views(tj)
    assert report["kind"] == "fork"
    assert report["submitted_checkpoint"] == fork


def test_a_larger_tree_not_consistent_with_the_witnessed_one_is_refused(pair: Pair) -> None:
    bj, tj = pair.beijing, pair.tianjin
    grow(bj, 2)
    [done] = cosign_now(bj.bank.engine, bj.keys_dir)
    assert done.size is not None
    size = done.size + 5
    fork = forged(bj, size, b"larger")
    with bj.bank.engine.connect() as conn:
        proof = store.consistency_proof(conn, done.size - 1, done.size)  # some real hashes
    response = post_checkpoint(tj.url, format_add_checkpoint(done.size, proof, fork))
    assert response.status_code == 422
    [report] = split_views(tj)
    assert report["kind"] == "unproven"
    assert "not consistent" in str(report["reason"])


@pytest.mark.parametrize(
    ("make", "status"),
    [
        (lambda bj: "old 1\n\nnot a checkpoint\n", 400),
        (lambda bj: "old 01\n\n" + latest(bj)[1], 400),
        (lambda bj: format_add_checkpoint(latest(bj)[0] + 1, [], latest(bj)[1]), 400),
        (lambda bj: format_add_checkpoint(0, [], _other_log_checkpoint()), 404),
        (lambda bj: format_add_checkpoint(0, [], _signed_by_stranger(bj)), 403),
        (lambda bj: format_add_checkpoint(0, [bytes(32)], latest(bj)[1]), 422),
    ],
    ids=[
        "not-a-checkpoint",
        "leading-zero",
        "old-beyond-new",
        "unknown-log",
        "bad-key",
        "proof-from-zero",
    ],
)
def test_the_witness_refuses_what_the_spec_refuses(pair: Pair, make: object, status: int) -> None:
    bj, tj = pair.beijing, pair.tianjin
    grow(bj)
    response = post_checkpoint(tj.url, make(bj))  # type: ignore[operator]
    assert response.status_code == status, response.text
    if status != 409:
        assert response.headers["content-type"] == "application/problem+json"
    assert split_views(tj) == []


def _other_log_checkpoint() -> str:
    from creditbank.core.keys import KeyPair

    key = KeyPair.generate("elsewhere.example/ledger")
    return sign_checkpoint(Checkpoint(key.name, 1, bytes(32)), key.name, key.private_key)


def _signed_by_stranger(bj: Peer) -> str:
    from creditbank.core.keys import KeyPair

    key = KeyPair.generate(bj.bank.origin)  # the right name, another key
    return sign_checkpoint(Checkpoint(key.name, 1, bytes(32)), key.name, key.private_key)


def test_witness_state_survives_a_restart(pair: Pair) -> None:
    """Per-log state is in the database: a new app on the same bank still knows it."""
    from creditbank.federation.witness import witnessed_logs

    bj, tj = pair.beijing, pair.tianjin
    grow(bj, 2)
    [done] = cosign_now(bj.bank.engine, bj.keys_dir)
    from creditbank.bank import open_bank

    reopened = open_bank(tj.bank.settings)
    try:
        assert witnessed_logs(reopened.engine)[0]["size"] == done.size
    finally:
        reopened.close()


class _Hanging:
    """A TCP server that accepts and never answers until released: a stuck witness."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conns = []
        self.sock.settimeout(0.05)
        while not self.release.is_set():
            try:
                conns.append(self.sock.accept()[0])
            except TimeoutError:
                continue
        for c in conns:
            c.close()
        self.sock.close()


def test_a_stuck_witness_never_blocks_appends(pair: Pair) -> None:
    bj, tj = pair.beijing, pair.tianjin
    stuck = _Hanging()
    try:
        federation_config.add_cosigner(
            bj.keys_dir, f"http://127.0.0.1:{stuck.port}/witness", _new_witness_key()
        )
        # a minute per request: the round cannot end before the witness is released
        config = replace(load_config(bj.keys_dir), timeout_seconds=60.0)
        federation_config.save_config(bj.keys_dir, config)
        results: list[CosignResult] = []
        round_ = threading.Thread(
            target=lambda: results.extend(cosign_round(bj.bank.engine, load_config(bj.keys_dir)))
        )
        round_.start()
        # while the round waits on the stuck witness, appends go through
        before = latest(bj)[0]
        grow(bj, 3)
        assert latest(bj)[0] == before + 3
        assert round_.is_alive()  # still waiting on the stuck witness
    finally:
        stuck.release.set()
    round_.join(timeout=60)
    by_witness = {r.witness: r for r in results}
    live = by_witness[load_config(bj.keys_dir).cosigners[0].witness_id]
    assert live.cosigned
    dead = [r for r in results if not r.cosigned]
    assert len(dead) == 1
    assert dead[0].problem
    assert tj.bank.origin != bj.bank.origin


def _new_witness_key() -> str:
    from creditbank.core.keys import KeyPair
    from creditbank.core.tlog.witness import witness_verifier_key

    key = KeyPair.generate("stuck.example/witness")
    return witness_verifier_key(key.name, key.public_key)


def test_a_dead_witness_leaves_the_log_served_and_appending(pair: Pair) -> None:
    bj = pair.beijing
    federation_config.add_cosigner(bj.keys_dir, "http://127.0.0.1:9/witness", _new_witness_key())
    grow(bj, 2)
    results = cosign_now(bj.bank.engine, bj.keys_dir)
    assert sorted(r.cosigned for r in results) == [False, True]
    cp = verify_checkpoint(
        httpx.get(f"{bj.url}/tlog/checkpoint").text,
        bj.bank.verifier_key,
        witness_keys=[pair.tianjin.witness_key],
    )
    assert cp.size == latest(bj)[0]


def test_the_background_task_cosigns_new_checkpoints(pair: Pair) -> None:
    """With witnesses configured at start, the server asks them by itself."""
    from creditbank.federation.cosigner import start_cosigning

    bj, tj = pair.beijing, pair.tianjin
    task = start_cosigning(bj.bank.engine, bj.keys_dir)
    assert task is not None
    try:
        grow(bj, 2)
        size = latest(bj)[0]
        deadline = threading.Event()
        for _ in range(600):  # waits for the task, up to a minute; asserts no speed
            note = httpx.get(f"{bj.url}/tlog/checkpoint").text
            try:
                cp = verify_checkpoint(note, bj.bank.verifier_key, witness_keys=[tj.witness_key])
            except VerificationError:
                cp = None
            if cp is not None and cp.size == size:
                break
            deadline.wait(0.1)
        assert cp is not None
        assert cp.size == size
    finally:
        task.stop()


def test_receipts_carry_the_cosignatures_they_have(pair: Pair, tmp_path: Path) -> None:
    bj, tj = pair.beijing, pair.tianjin
    provider = register(bj.bank, "prov-x")
    appended = post_notice(bj.bank, "prov-x", provider)
    # handed out at append: no witness has seen that checkpoint yet
    with pytest.raises(VerificationError):
        verify_receipt(appended.receipt, bj.bank.verifier_key, [tj.witness_key], 1)
    cosign_now(bj.bank.engine, bj.keys_dir)
    text = httpx.get(f"{bj.url}/v1/ledger/entries/{appended.index}/receipt").text
    entry = verify_receipt(text, bj.bank.verifier_key, [tj.witness_key], 1)
    assert entry.index == appended.index
    # the CLI: --witness and --quorum
    path = tmp_path / "r.tlog-proof"
    path.write_text(text)
    runner = CliRunner()
    ok = runner.invoke(
        cli,
        [
            "verify",
            str(path),
            "--key",
            bj.bank.verifier_key,
            "--witness",
            tj.witness_key,
            "--quorum",
            "1",
        ],
    )
    assert ok.exit_code == 0, ok.output
    other = _new_witness_key()
    short = runner.invoke(
        cli,
        [
            "verify",
            str(path),
            "--key",
            bj.bank.verifier_key,
            "--witness",
            tj.witness_key,
            "--witness",
            other,
            "--quorum",
            "2",
        ],
    )
    assert short.exit_code == 1
    assert "expected at least 2" in short.output
    bad = runner.invoke(cli, ["verify", str(path), "--key", bj.bank.verifier_key, "--quorum", "1"])
    assert bad.exit_code == 1
    assert "--witness" in bad.output
