"""The offline verifier, end to end: a small log built here, receipts, and tampering."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from creditbank.core import verify
from creditbank.core.canonical import canonical_bytes
from creditbank.core.errors import VerificationError
from creditbank.core.tlog import merkle
from creditbank.core.tlog.checkpoint import Checkpoint, format_checkpoint, sign_checkpoint
from creditbank.core.tlog.note import add_signature, cosign, sign_note, verifier_key_string
from creditbank.core.tlog.receipt import RECEIPT_EXTENSION, Receipt, format_receipt, parse_receipt
from creditbank.core.verify import (
    VerifiedEntry,
    author_key_id,
    verify_checkpoint,
    verify_checkpoint_consistency,
    verify_entry_inclusion,
    verify_entry_signature,
    verify_receipt,
)

ORIGIN = "creditbank.local/ledger"


def make_key(label: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())


def raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes_raw()


LOG = make_key("log")
LOG_VKEY = verifier_key_string(ORIGIN, raw(LOG))
AUTHOR = make_key("author")
WITNESS = make_key("witness")
WITNESS_VKEY = verifier_key_string("witness.example", raw(WITNESS), 0x04)


def make_entry(i: int, author: Ed25519PrivateKey = AUTHOR) -> dict[str, Any]:
    statement = {"account": f"A-{i:04d}", "course": "WELD-101", "credits": 3, "hours": "12.5"}
    return {
        "v": 1,
        "kind": "completion.recorded",
        "statement": statement,
        "key_id": author_key_id(raw(author)),
        "sig": base64.b64encode(author.sign(canonical_bytes(statement))).decode(),
        "integrated_at": "2025-03-01T10:00:00Z",
    }


class Log:
    """A tiny log over arbitrary leaf bytes, made the way the server makes one."""

    def __init__(self, leaves: list[bytes], key: Ed25519PrivateKey = LOG, origin: str = ORIGIN):
        self.leaves = leaves
        created, frontier = merkle.append_leaves(0, {}, [merkle.leaf_hash(x) for x in leaves])
        self.nodes = dict(created)
        self.checkpoint = Checkpoint(
            origin, len(leaves), merkle.hash_range(list(frontier.values()))
        )
        self.note = sign_checkpoint(self.checkpoint, origin, key)

    def root(self, size: int) -> bytes:
        return merkle.hash_range([self.nodes[n] for n in merkle.range_nodes(0, size)])

    def proof(self, index: int) -> tuple[bytes, ...]:
        ranges = merkle.inclusion_proof_ranges(index, len(self.leaves))
        return tuple(merkle.hashes_for_ranges(ranges, self.nodes.__getitem__))

    def receipt(self, index: int) -> Receipt:
        return Receipt(index, self.proof(index), self.note, self.leaves[index])


ENTRIES = [make_entry(i) for i in range(7)]
LOG7 = Log([canonical_bytes(e) for e in ENTRIES])


# --- receipts -----------------------------------------------------------------------


@pytest.mark.parametrize("index", range(7), ids=lambda i: f"index-{i}")
def test_every_receipt_verifies(index: int) -> None:
    verified = verify_receipt(format_receipt(LOG7.receipt(index)), LOG_VKEY)
    assert verified == VerifiedEntry(index, LOG7.leaves[index], ENTRIES[index], LOG7.checkpoint)
    verify_entry_signature(verified.entry, raw(AUTHOR))


def _text(r: Receipt) -> str:
    return format_receipt(r)


def _flip(proof: tuple[bytes, ...], i: int) -> tuple[bytes, ...]:
    return (*proof[:i], bytes([proof[i][0] ^ 1]) + proof[i][1:], *proof[i + 1 :])


R3 = LOG7.receipt(3)
OTHER_LOG = Log(LOG7.leaves, key=make_key("other log"))
FOREIGN_ORIGIN = sign_note(
    format_checkpoint(replace(LOG7.checkpoint, origin="x.example")), ORIGIN, LOG
)

RECEIPT_TAMPERING: dict[str, tuple[Callable[[], str], str]] = {
    "no-extra": (lambda: _text(replace(R3, extra=None)), "no 'extra' line"),
    "other-entry-bytes": (lambda: _text(replace(R3, extra=LOG7.leaves[4])), "does not match"),
    "other-index": (lambda: _text(replace(R3, index=2)), "does not match"),
    "index-past-end": (lambda: _text(replace(R3, index=7)), "not in a tree of size 7"),
    "flipped-proof": (lambda: _text(replace(R3, proof=_flip(R3.proof, 1))), "does not match"),
    "short-proof": (lambda: _text(replace(R3, proof=R3.proof[:-1])), "too short"),
    "long-proof": (lambda: _text(replace(R3, proof=(*R3.proof, R3.proof[0]))), "too long"),
    "checkpoint-size-edited": (
        lambda: _text(replace(R3, checkpoint_note=LOG7.note.replace("\n7\n", "\n8\n"))),
        "does not verify",
    ),
    "other-log-key": (lambda: _text(OTHER_LOG.receipt(3)), "no signature from a known key"),
    "foreign-origin": (
        lambda: _text(replace(R3, checkpoint_note=FOREIGN_ORIGIN)),
        "origin mismatch",
    ),
    "not-a-receipt": (lambda: "hello\n\nworld\n", "receipt header"),
}


@pytest.mark.parametrize("case", list(RECEIPT_TAMPERING), ids=str)
def test_tampered_receipts_rejected(case: str) -> None:
    make, message = RECEIPT_TAMPERING[case]
    with pytest.raises(VerificationError, match=message):
        verify_receipt(make(), LOG_VKEY)


@pytest.mark.parametrize(
    ("leaf", "message"),
    [
        (b'{"v": 1}', "not RFC 8785 canonical"),
        (b'{"b":1,"a":2}', "not RFC 8785 canonical"),
        (b'{"a":1,"a":1}', "not RFC 8785 canonical"),
        (b'{"a":1.5}', "cannot be canonicalized"),
        (b"[1,2]", "must be a JSON object"),
        (b"\xff", "not UTF-8 JSON"),
        (b"not json", "not UTF-8 JSON"),
    ],
    ids=["whitespace", "key-order", "duplicate-key", "float", "array", "not-utf8", "not-json"],
)
def test_included_but_non_canonical_leaves_rejected(leaf: bytes, message: str) -> None:
    """Properly logged leaves that are not canonical entries still fail verification."""
    log = Log([canonical_bytes(ENTRIES[0]), leaf])
    verify_receipt(_text(log.receipt(0)), LOG_VKEY)
    with pytest.raises(VerificationError, match=message):
        verify_receipt(_text(log.receipt(1)), LOG_VKEY)


def test_receipt_with_witness_policy() -> None:
    cosigned = add_signature(
        LOG7.note, cosign(LOG7.note, "witness.example", WITNESS, 1_740_000_000)
    )
    text = _text(replace(R3, checkpoint_note=cosigned))
    assert verify_receipt(text, LOG_VKEY, witness_keys=[WITNESS_VKEY]).index == 3
    assert verify_receipt(text, LOG_VKEY).index == 3  # unknown cosignature ignored
    with pytest.raises(VerificationError, match="witness cosignatures"):
        verify_receipt(_text(R3), LOG_VKEY, witness_keys=[WITNESS_VKEY])


def test_receipt_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / f"entry-3{RECEIPT_EXTENSION}"
    path.write_text(_text(R3), encoding="utf-8")
    assert parse_receipt(path.read_text(encoding="utf-8")) == R3
    assert verify_receipt(path.read_text(encoding="utf-8"), LOG_VKEY).entry == ENTRIES[3]


# --- checkpoints and proofs -----------------------------------------------------------


def test_verify_checkpoint() -> None:
    assert verify_checkpoint(LOG7.note, LOG_VKEY) == LOG7.checkpoint
    assert verify_checkpoint(LOG7.note, LOG_VKEY, origin=ORIGIN) == LOG7.checkpoint


@pytest.mark.parametrize(
    "key",
    [LOG_VKEY.replace("+", "-", 1), LOG_VKEY[:-2], WITNESS_VKEY, ""],
    ids=["mangled", "truncated", "cosigner-key", "empty"],
)
def test_verify_checkpoint_bad_keys(key: str) -> None:
    with pytest.raises(VerificationError):
        verify_checkpoint(LOG7.note, key)


def test_verify_entry_inclusion() -> None:
    verify_entry_inclusion(LOG7.leaves[5], 5, LOG7.proof(5), LOG7.checkpoint)
    with pytest.raises(VerificationError, match="expected"):
        verify_entry_inclusion(LOG7.leaves[5] + b" ", 5, LOG7.proof(5), LOG7.checkpoint)


def test_checkpoint_consistency() -> None:
    big = Log([canonical_bytes(make_entry(i)) for i in range(20)])
    small = Checkpoint(ORIGIN, 7, big.root(7))
    assert small.root_hash == LOG7.checkpoint.root_hash  # same first seven entries
    ranges = merkle.consistency_proof_ranges(7, 20)
    proof = merkle.hashes_for_ranges(ranges, big.nodes.__getitem__)
    verify_checkpoint_consistency(LOG7.checkpoint, big.checkpoint, proof)
    with pytest.raises(VerificationError, match="does not match"):
        verify_checkpoint_consistency(
            LOG7.checkpoint, big.checkpoint, [proof[0], *proof[1:-1], bytes(32)]
        )
    with pytest.raises(VerificationError, match="smaller"):
        verify_checkpoint_consistency(big.checkpoint, LOG7.checkpoint, proof)
    with pytest.raises(VerificationError, match="different logs"):
        verify_checkpoint_consistency(
            LOG7.checkpoint, replace(big.checkpoint, origin="x.example"), proof
        )


def test_forked_log_is_not_consistent() -> None:
    """A log that rewrote entry 2 cannot prove consistency with what it signed before."""
    forked = [canonical_bytes(e) for e in ENTRIES]
    forked[2] = canonical_bytes(make_entry(99))
    fork = Log([*forked, *(canonical_bytes(make_entry(i)) for i in range(7, 12))])
    ranges = merkle.consistency_proof_ranges(7, 12)
    proof = merkle.hashes_for_ranges(ranges, fork.nodes.__getitem__)
    with pytest.raises(VerificationError, match="first root"):
        verify_checkpoint_consistency(LOG7.checkpoint, fork.checkpoint, proof)


# --- entry signatures ---------------------------------------------------------------


def test_author_key_id_by_hand() -> None:
    pub = raw(AUTHOR)
    assert author_key_id(pub) == hashlib.sha256(pub).hexdigest()[:32]
    assert len(author_key_id(pub)) == 32
    with pytest.raises(VerificationError, match="32 raw bytes"):
        author_key_id(pub[:31])


def test_entry_signature_verifies() -> None:
    verify_entry_signature(ENTRIES[0], raw(AUTHOR))
    # parsed back from the canonical bytes, it still verifies
    verify_entry_signature(json.loads(canonical_bytes(ENTRIES[0])), raw(AUTHOR))


def _with(**changes: object) -> dict[str, Any]:
    entry = dict(ENTRIES[0])
    for k, v in changes.items():
        if v is None:
            del entry[k]
        else:
            entry[k] = v
    return entry


SIGNATURE_FAILURES: dict[str, tuple[dict[str, Any], bytes, str]] = {
    "other-author": (ENTRIES[0], raw(make_key("mallory")), "names author key"),
    "statement-edited": (
        _with(statement={**ENTRIES[0]["statement"], "credits": 30}),
        raw(AUTHOR),
        "does not verify",
    ),
    "signed-by-other-key": (
        {**make_entry(0, make_key("mallory")), "key_id": author_key_id(raw(AUTHOR))},
        raw(AUTHOR),
        "does not verify",
    ),
    "sig-not-base64": (_with(sig="!!!"), raw(AUTHOR), "not valid base64"),
    "sig-wrong-length": (_with(sig=base64.b64encode(b"x" * 63).decode()), raw(AUTHOR), "64"),
    "version-2": (_with(v=2), raw(AUTHOR), "version"),
    "version-bool": (_with(v=True), raw(AUTHOR), "'v'"),
    "version-string": (_with(v="1"), raw(AUTHOR), "'v'"),
    "no-statement": (_with(statement=None), raw(AUTHOR), "'statement'"),
    "statement-list": (_with(statement=[1]), raw(AUTHOR), "'statement'"),
    "no-key-id": (_with(key_id=None), raw(AUTHOR), "'key_id'"),
    "no-sig": (_with(sig=None), raw(AUTHOR), "'sig'"),
    "float-in-statement": (_with(statement={"credits": 1.5}), raw(AUTHOR), "canonicalized"),
    "short-public-key": (ENTRIES[0], raw(AUTHOR)[:31], "32 raw bytes"),
}


@pytest.mark.parametrize("case", list(SIGNATURE_FAILURES), ids=str)
def test_entry_signature_failures(case: str) -> None:
    entry, public_key, message = SIGNATURE_FAILURES[case]
    with pytest.raises(VerificationError, match=message):
        verify_entry_signature(entry, public_key)


# --- isolation ----------------------------------------------------------------------

FORBIDDEN = (
    "sqlalchemy",
    "sqlmodel",
    "fastapi",
    "starlette",
    "httpx",
    "alembic",
    "uvicorn",
    "pydantic",
    "typer",
    "psycopg",
    "creditbank.api",
    "creditbank.ledger",
    "creditbank.db",
    "creditbank.cli",
)
ALLOWED_OWN = (
    "creditbank",
    "creditbank.core",
    "creditbank.core.verify",
    "creditbank.core.verify.log",
    "creditbank.core.verify.certificate",
    "creditbank.core.verify.bundle",
    "creditbank.core.verify.policy",
    "creditbank.core.verify.result",
    "creditbank.core.errors",
    "creditbank.core.canonical",
    "creditbank.core.authorship",
)


@pytest.mark.parametrize("module", ["creditbank.core.verify", "creditbank.core.verify.certificate"])
def test_verifier_imports_nothing_of_the_server(module: str) -> None:
    code = (
        f"import {module}, sys, json; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('creditbank',) + tuple(f.split('.')[0] for f in sys.argv[1:]))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *FORBIDDEN],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    loaded = json.loads(result.stdout)
    bad = [m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert bad == []
    own = [m for m in loaded if m.startswith("creditbank")]
    assert all(m in ALLOWED_OWN or m.startswith("creditbank.core.tlog") for m in own), own
    assert module in own  # the probe really imported it


def test_public_api_is_exported() -> None:
    for name in verify.__all__:
        assert hasattr(verify, name), name
