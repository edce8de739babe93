"""The offline verifier: everything a certifying body needs to check the ledger's claims.

Given only the log's verifier key string, this checks checkpoints, inclusion and
consistency proofs, ``.tlog-proof`` receipts, and entry author signatures. It imports
only the standard library, ``cryptography``, ``rfc8785`` and creditbank's pure modules
(``creditbank.core.tlog``, ``creditbank.core.errors``, ``creditbank.core.canonical``), never server,
database or web code, so it can be vendored alone. Every failure raises
:class:`~creditbank.core.errors.VerificationError` saying what was expected and what was found.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from creditbank.core.canonical import canonical_bytes
from creditbank.core.errors import CreditBankError, VerificationError
from creditbank.core.tlog import merkle
from creditbank.core.tlog.checkpoint import Checkpoint, open_checkpoint
from creditbank.core.tlog.merkle import verify_consistency, verify_inclusion
from creditbank.core.tlog.note import Verifier, decode_base64, parse_verifier_key
from creditbank.core.tlog.receipt import parse_receipt

__all__ = [
    "ENTRY_VERSION",
    "Checkpoint",
    "VerificationError",
    "VerifiedEntry",
    "Verifier",
    "author_key_id",
    "parse_entry",
    "parse_verifier_key",
    "verify_checkpoint",
    "verify_checkpoint_consistency",
    "verify_consistency",
    "verify_entry_inclusion",
    "verify_entry_signature",
    "verify_inclusion",
    "verify_receipt",
]

ENTRY_VERSION = 1
AUTHOR_KEY_ID_BYTES = 16

_T = TypeVar("_T")


@dataclass(frozen=True)
class VerifiedEntry:
    """An entry proven to be at ``index`` in the log whose signed head is ``checkpoint``."""

    index: int
    entry_bytes: bytes
    entry: dict[str, Any]
    checkpoint: Checkpoint


def author_key_id(public_key: bytes) -> str:
    """How entries name an author key: hex of SHA-256(raw 32-byte Ed25519 key)[:16]."""
    if len(public_key) != 32:
        raise VerificationError(f"author key must be 32 raw bytes, got {len(public_key)}")
    return hashlib.sha256(public_key).digest()[:AUTHOR_KEY_ID_BYTES].hex()


def verify_checkpoint(
    note: str,
    verifier_key: str,
    origin: str | None = None,
    witness_keys: Sequence[str] = (),
    witness_quorum: int | None = None,
) -> Checkpoint:
    """Check a signed checkpoint against the log's verifier key string and return it.

    ``origin`` defaults to the key's name. Witness keys are cosigner (type 0x04) verifier
    strings; at least ``witness_quorum`` of them (default: all) must have cosigned.
    """
    return open_checkpoint(
        note,
        parse_verifier_key(verifier_key),
        origin=origin,
        witnesses=[parse_verifier_key(k) for k in witness_keys],
        witness_quorum=witness_quorum,
    )


def verify_entry_inclusion(
    entry_bytes: bytes, index: int, proof: Sequence[bytes], checkpoint: Checkpoint
) -> None:
    """Check that ``entry_bytes`` is the leaf at ``index`` under a verified checkpoint."""
    verify_inclusion(
        index, checkpoint.size, merkle.leaf_hash(entry_bytes), proof, checkpoint.root_hash
    )


def verify_checkpoint_consistency(old: Checkpoint, new: Checkpoint, proof: Sequence[bytes]) -> None:
    """Check that the log at ``new`` only appended to the log at ``old``."""
    if old.origin != new.origin:
        raise VerificationError(
            f"checkpoints of different logs: expected origin {old.origin!r}, got {new.origin!r}"
        )
    if new.size < old.size:
        raise VerificationError(
            f"newer checkpoint is smaller: expected size >= {old.size}, got {new.size}"
        )
    verify_consistency(old.size, new.size, proof, old.root_hash, new.root_hash)


def parse_entry(entry_bytes: bytes) -> dict[str, Any]:
    """Parse leaf bytes as an entry: one JSON object, in exactly its RFC 8785 form."""
    try:
        value = json.loads(entry_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VerificationError(f"entry is not UTF-8 JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise VerificationError(f"entry must be a JSON object, got {type(value).__name__}")
    try:
        canonical = canonical_bytes(value)
    except CreditBankError as exc:  # floats or values JCS cannot encode
        raise VerificationError(f"entry cannot be canonicalized: {exc}") from exc
    if canonical != entry_bytes:
        # Duplicate keys, whitespace or key order would make two byte strings, hence two
        # leaf hashes, for one entry; the log only ever writes the canonical one.
        raise VerificationError(
            f"entry bytes are not RFC 8785 canonical: expected {canonical[:80]!r}..., "
            f"got {entry_bytes[:80]!r}..."
        )
    return value


def verify_receipt(
    text: str,
    verifier_key: str,
    witness_keys: Sequence[str] = (),
    witness_quorum: int | None = None,
) -> VerifiedEntry:
    """Verify a ``.tlog-proof`` receipt offline and return the entry it proves."""
    # 1. well-formed receipt
    receipt = parse_receipt(text)
    # 2. the checkpoint is signed by the log (and cosigned per the witness policy)
    cp = verify_checkpoint(
        receipt.checkpoint_note,
        verifier_key,
        witness_keys=witness_keys,
        witness_quorum=witness_quorum,
    )
    # 3. creditbank receipts carry the entry bytes as the extra data
    if receipt.extra is None:
        raise VerificationError("receipt has no 'extra' line: expected the entry bytes")
    # 4. leaf_hash(extra) is at index under the checkpoint's root
    verify_entry_inclusion(receipt.extra, receipt.index, receipt.proof, cp)
    # 5. the leaf is a canonical entry
    entry = parse_entry(receipt.extra)
    return VerifiedEntry(receipt.index, receipt.extra, entry, cp)


def _field(entry: Mapping[str, Any], name: str, kind: type[_T]) -> _T:
    value = entry.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise VerificationError(
            f"entry field {name!r}: expected {kind.__name__}, got {type(value).__name__}"
        )
    return value


def verify_entry_signature(entry: Mapping[str, Any], public_key: bytes) -> None:
    """Check the author's Ed25519 signature over the entry's canonical statement."""
    # 1. the entry's shape
    version = _field(entry, "v", int)
    if version != ENTRY_VERSION:
        raise VerificationError(f"entry version: expected {ENTRY_VERSION}, got {version}")
    statement = _field(entry, "statement", dict)
    entry_key_id = _field(entry, "key_id", str)
    sig_text = _field(entry, "sig", str)
    # 2. the key is the one the entry names
    expected = author_key_id(public_key)
    if entry_key_id != expected:
        raise VerificationError(
            f"entry names author key {entry_key_id}, but the key given is {expected}"
        )
    # 3. Ed25519 over the RFC 8785 bytes of the statement
    sig = decode_base64(sig_text, what="entry signature")
    if len(sig) != 64:
        raise VerificationError(f"entry signature: expected 64 bytes, got {len(sig)}")
    try:
        message = canonical_bytes(statement)
    except CreditBankError as exc:
        raise VerificationError(f"entry statement cannot be canonicalized: {exc}") from exc
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(sig, message)
    except (InvalidSignature, ValueError) as exc:
        raise VerificationError(
            f"author signature does not verify for key {expected} over the statement"
        ) from exc
