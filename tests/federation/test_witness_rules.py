"""The witness's decision as a pure function (c2sp.org/tlog-witness, add-checkpoint),
table-driven on a real tree, and the request format."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from creditbank.core.errors import VerificationError
from creditbank.core.keys import KeyPair
from creditbank.core.tlog import merkle
from creditbank.core.tlog.checkpoint import Checkpoint, sign_checkpoint
from creditbank.core.tlog.note import open_note, parse_verifier_key
from creditbank.core.tlog.witness import (
    AddCheckpoint,
    Cosigned,
    Refused,
    Seen,
    decide,
    format_add_checkpoint,
    parse_add_checkpoint,
    witness_verifier_key,
)

LOG = KeyPair.generate("peer.example/ledger")
WITNESS = KeyPair.generate("me.example/witness")
LEAVES = [merkle.leaf_hash(f"entry {i}".encode()) for i in range(20)]


def root(size: int) -> bytes:
    return merkle.root_from_leaves(LEAVES[:size])


def note(size: int, root_hash: bytes | None = None, key: KeyPair = LOG) -> str:
    cp = Checkpoint(LOG.name, size, root(size) if root_hash is None else root_hash)
    return sign_checkpoint(cp, key.name, key.private_key)


def proof(first: int, second: int) -> tuple[bytes, ...]:
    """RFC 9162 consistency proof from the naive reference tree."""
    nodes: dict[merkle.NodeId, bytes] = {}
    for lv in range(6):
        width = 1 << lv
        for ix in range(len(LEAVES) // width):
            nodes[(lv, ix)] = merkle.root_from_leaves(LEAVES[ix * width : (ix + 1) * width])
    ranges = merkle.consistency_proof_ranges(first, second)
    return tuple(merkle.hash_range([nodes[n] for n in merkle.range_nodes(a, b)]) for a, b in ranges)


def seen(size: int) -> Seen:
    return Seen(size, root(size), note(size), {size: root(size), 3: root(3)})


Case = tuple[Callable[[], AddCheckpoint], Seen | None, int | None, str | None]
CASES: dict[str, Case] = {
    "first-from-zero": (lambda: AddCheckpoint(0, (), note(5)), None, None, None),
    "extends-with-proof": (lambda: AddCheckpoint(5, proof(5, 9), note(9)), seen(5), None, None),
    "same-again": (lambda: AddCheckpoint(5, (), note(5)), seen(5), None, None),
    "stale-old-size": (lambda: AddCheckpoint(3, proof(3, 9), note(9)), seen(5), 409, None),
    "old-beyond-new": (lambda: AddCheckpoint(9, (), note(5)), seen(5), 400, None),
    "bad-proof": (lambda: AddCheckpoint(5, proof(4, 9), note(9)), seen(5), 422, "unproven"),
    "fork-same-size": (
        lambda: AddCheckpoint(5, (), note(5, hashlib.sha256(b"x").digest())),
        seen(5),
        409,
        "fork",
    ),
    "fork-smaller-seen-size": (
        lambda: AddCheckpoint(5, (), note(3, hashlib.sha256(b"y").digest())),
        seen(5),
        409,
        "fork",
    ),
    "other-key": (
        lambda: AddCheckpoint(0, (), note(5, key=KeyPair.generate(LOG.name))),
        None,
        403,
        None,
    ),
    "proof-from-zero": (lambda: AddCheckpoint(0, (b"\0" * 32,), note(5)), None, 422, None),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_witness_decides_as_the_spec_says(name: str) -> None:
    make, before, status, split = CASES[name]
    request = make()
    outcome = decide(
        request,
        log=parse_verifier_key(LOG.verifier_key),
        seen=before,
        witness_name=WITNESS.name,
        witness_key=WITNESS.private_key,
        now=1_790_000_000,
    )
    if status is None:
        assert isinstance(outcome, Cosigned)
        # the line is a cosignature/v1 by the witness key on that very checkpoint
        key = parse_verifier_key(witness_verifier_key(WITNESS.name, WITNESS.public_key))
        opened = open_note(request.checkpoint_note + outcome.line, [key])
        verified = opened.verified_by(key)
        assert verified is not None
        assert verified.timestamp == 1_790_000_000
    else:
        assert isinstance(outcome, Refused)
        assert outcome.status == status
        assert outcome.split == split
        if status == 409:
            assert outcome.known_size == (0 if before is None else before.size)


def test_the_request_format_round_trips() -> None:
    body = format_add_checkpoint(5, proof(5, 9), note(9))
    parsed = parse_add_checkpoint(body)
    assert parsed == AddCheckpoint(5, proof(5, 9), note(9))


@pytest.mark.parametrize(
    "body",
    [
        "old 5\n",  # no blank line
        "old -1\n\n" + note(5),
        "new 5\n\n" + note(5),
        "old 5\nnot base64!\n\n" + note(5),
        "old 5\n" + "AAAA\n" + "\n" + note(5),  # a 3-byte hash
        "old 0\n" + "".join(f"{'A' * 43}=\n" for _ in range(64)) + "\n" + note(5),
    ],
    ids=["no-blank-line", "negative", "not-old", "bad-base64", "short-hash", "64-lines"],
)
def test_malformed_requests_are_refused(body: str) -> None:
    with pytest.raises(VerificationError):
        parse_add_checkpoint(body)
