"""C2SP tlog-checkpoint: the signed tree head, as a signed note.

The body is ``origin``, decimal tree size, base64 root hash, then optional extension
lines, each ending in a newline. The log signs it with its Ed25519 note key, whose name
is the origin; witnesses may add ``cosignature/v1`` signatures.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from creditbank.core.errors import VerificationError
from creditbank.core.tlog.merkle import HASH_SIZE
from creditbank.core.tlog.note import (
    SIG_COSIGNATURE_V1,
    SIG_ED25519,
    Verifier,
    decode_base64,
    open_note,
    sign_note,
)

MAX_TREE_SIZE = 2**63 - 1
"""Sizes beyond a signed 64-bit integer are refused (they fit no database column)."""

_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: which log, how many leaves, and the RFC 9162 root over them."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise ValueError(f"invalid checkpoint origin {self.origin!r}")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise ValueError(f"checkpoint size {self.size} is out of range")
        if len(self.root_hash) != HASH_SIZE:
            raise ValueError(f"root hash must be {HASH_SIZE} bytes, got {len(self.root_hash)}")
        for line in self.extensions:
            if not line or "\n" in line:
                raise ValueError(f"invalid checkpoint extension line {line!r}")


def format_checkpoint(cp: Checkpoint) -> str:
    """The checkpoint's note text (what gets signed), ending in a newline."""
    lines = [cp.origin, str(cp.size), base64.b64encode(cp.root_hash).decode("ascii")]
    return "".join(f"{line}\n" for line in (*lines, *cp.extensions))


def parse_checkpoint(body: str) -> Checkpoint:
    """Parse checkpoint note text strictly, per tlog-checkpoint's "Note text" section."""
    if not body.endswith("\n"):
        raise VerificationError("checkpoint does not end with a newline")
    if _CONTROL.search(body) is not None:
        raise VerificationError("checkpoint contains a control character other than newline")
    # at least three non-empty lines; extension lines, if any, non-empty too
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise VerificationError(f"checkpoint has {len(lines)} lines, expected at least 3")
    if any(not line for line in lines):
        raise VerificationError("checkpoint has an empty line")
    origin, size_text, root_text, *extensions = lines
    # 1. origin: any non-empty line (clients must not assume it is a URL)
    # 2. tree size: ASCII decimal, no leading zeroes
    if _DECIMAL.fullmatch(size_text) is None:
        raise VerificationError(f"checkpoint size {size_text!r} is not a canonical decimal")
    size = int(size_text)
    if size > MAX_TREE_SIZE:
        raise VerificationError(f"checkpoint size {size} exceeds {MAX_TREE_SIZE}")
    # 3. root hash: base64 of 32 bytes
    root_hash = decode_base64(root_text, what="checkpoint root hash")
    if len(root_hash) != HASH_SIZE:
        raise VerificationError(
            f"checkpoint root hash: expected {HASH_SIZE} bytes, got {len(root_hash)}"
        )
    return Checkpoint(origin, size, root_hash, tuple(extensions))


def sign_checkpoint(cp: Checkpoint, name: str, private_key: Ed25519PrivateKey) -> str:
    """The checkpoint as a signed note; ``name`` is the log's key name, equal to the origin."""
    if name != cp.origin:
        raise ValueError(f"key name {name!r} must equal the checkpoint origin {cp.origin!r}")
    return sign_note(format_checkpoint(cp), name, private_key)


def open_checkpoint(
    note: str,
    verifier: Verifier,
    origin: str | None = None,
    witnesses: Sequence[Verifier] = (),
    witness_quorum: int | None = None,
) -> Checkpoint:
    """Verify a signed checkpoint and return it.

    ``origin`` defaults to the log key's name. Each witness in ``witnesses`` that
    cosigned must verify; at least ``witness_quorum`` of them (default: all) must have.
    """
    if verifier.sig_type != SIG_ED25519:
        raise VerificationError("the log's key must be an Ed25519 (type 0x01) key")
    if any(w.sig_type != SIG_COSIGNATURE_V1 for w in witnesses):
        raise VerificationError("witness keys must be cosignature/v1 (type 0x04) keys")
    quorum = len(witnesses) if witness_quorum is None else witness_quorum
    if not 0 <= quorum <= len(witnesses):
        raise VerificationError(f"witness quorum {quorum} is not in 0..{len(witnesses)}")
    # 1. signatures: unknown ones ignored, known ones must all verify
    opened = open_note(note, [verifier, *witnesses])
    # 2. the log itself must have signed (a witness alone is not enough)
    if opened.verified_by(verifier) is None:
        raise VerificationError(
            f"checkpoint is not signed by the log key {verifier.name}+{verifier.key_id.hex()}"
        )
    # 3. the body must be a checkpoint of the expected log
    cp = parse_checkpoint(opened.text)
    expected_origin = verifier.name if origin is None else origin
    if cp.origin != expected_origin:
        raise VerificationError(
            f"checkpoint origin mismatch: expected {expected_origin!r}, got {cp.origin!r}"
        )
    # 4. witness policy
    cosigned = [w for w in witnesses if opened.verified_by(w) is not None]
    if len(cosigned) < quorum:
        missing = ", ".join(w.name for w in witnesses if w not in cosigned)
        raise VerificationError(
            f"checkpoint has {len(cosigned)} witness cosignatures, expected at least "
            f"{quorum} (missing: {missing})"
        )
    return cp
