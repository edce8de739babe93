"""C2SP tlog-proof v1: a self-contained, offline-verifiable receipt for one entry.

Layout: the header line, an optional ``extra`` line (base64), ``index N``, the inclusion
proof (one base64 hash a line, leaf's sibling first), a blank line, then the signed
checkpoint verbatim. creditbank puts the entry's canonical bytes (the Merkle leaf itself)
in ``extra``, so the receipt plus the log's public key proves the entry with nothing else.
Parsing here is syntax only; :mod:`creditbank.core.verify` checks signatures and the proof.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

from creditbank.core.errors import VerificationError
from creditbank.core.tlog.merkle import HASH_SIZE
from creditbank.core.tlog.note import decode_base64

RECEIPT_HEADER = "c2sp.org/tlog-proof@v1"
RECEIPT_EXTENSION = ".tlog-proof"
MAX_INDEX = 2**63 - 2
"""The largest index a tree of at most 2^63 - 1 leaves can hold."""
MAX_PROOF_HASHES = 63
"""An inclusion path in a tree of fewer than 2^63 leaves has at most 63 hashes."""

_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Receipt:
    """A parsed tlog-proof: nothing in it is trusted until verified."""

    index: int
    proof: tuple[bytes, ...]
    checkpoint_note: str
    extra: bytes | None

    def __post_init__(self) -> None:
        if not 0 <= self.index <= MAX_INDEX:
            raise ValueError(f"receipt index {self.index} is out of range")
        if len(self.proof) > MAX_PROOF_HASHES:
            raise ValueError(f"receipt proof has {len(self.proof)} hashes, too many")
        if any(len(h) != HASH_SIZE for h in self.proof):
            raise ValueError(f"every proof hash must be {HASH_SIZE} bytes")
        if not self.checkpoint_note.endswith("\n"):
            raise ValueError("the checkpoint note must end with a newline")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def format_receipt(r: Receipt) -> str:
    """The ``.tlog-proof`` text of a receipt."""
    lines = [RECEIPT_HEADER]
    if r.extra is not None:
        lines.append(f"extra {_b64(r.extra)}")
    lines.append(f"index {r.index}")
    lines.extend(_b64(h) for h in r.proof)
    return "".join(f"{line}\n" for line in lines) + "\n" + r.checkpoint_note


def format_receipts(receipts: Sequence[Receipt]) -> list[str]:
    """``format_receipt`` of each; the proof hashes that neighbouring entries share (all
    but their lowest levels) are encoded once."""
    encoded: dict[bytes, str] = {}
    out = []
    for r in receipts:
        lines = [RECEIPT_HEADER]
        if r.extra is not None:
            lines.append(f"extra {_b64(r.extra)}")
        lines.append(f"index {r.index}")
        for h in r.proof:
            text = encoded.get(h)
            if text is None:
                text = encoded[h] = _b64(h)
            lines.append(text)
        lines.append("")
        out.append("\n".join(lines) + "\n" + r.checkpoint_note)
    return out


def parse_receipt(text: str) -> Receipt:
    """Parse a ``.tlog-proof`` strictly; raise VerificationError on anything malformed."""
    head, sep, checkpoint_note = text.partition("\n\n")
    if not sep:
        raise VerificationError("receipt has no blank line before its checkpoint")
    if _CONTROL.search(head) is not None:
        raise VerificationError("receipt contains a control character other than newline")
    lines = head.split("\n")
    # 1. the header line
    if lines[0] != RECEIPT_HEADER:
        raise VerificationError(
            f"receipt header: expected {RECEIPT_HEADER!r}, got {lines[0][:64]!r}"
        )
    pos = 1
    # 2. optional extra data
    extra: bytes | None = None
    if pos < len(lines) and lines[pos].startswith("extra "):
        extra = decode_base64(lines[pos].removeprefix("extra "), what="receipt extra")
        pos += 1
    # 3. the index, canonical decimal
    if pos >= len(lines) or not lines[pos].startswith("index "):
        raise VerificationError("receipt has no 'index' line where one is required")
    index_text = lines[pos].removeprefix("index ")
    if _DECIMAL.fullmatch(index_text) is None:
        raise VerificationError(f"receipt index {index_text!r} is not a canonical decimal")
    index = int(index_text)
    if index > MAX_INDEX:
        raise VerificationError(f"receipt index {index} exceeds {MAX_INDEX}")
    pos += 1
    # 4. the inclusion proof, one 32-byte hash per line
    proof_lines = lines[pos:]
    if len(proof_lines) > MAX_PROOF_HASHES:
        raise VerificationError(f"receipt proof has {len(proof_lines)} hashes, too many")
    proof = tuple(decode_base64(line, what="receipt proof hash") for line in proof_lines)
    for i, h in enumerate(proof):
        if len(h) != HASH_SIZE:
            raise VerificationError(
                f"receipt proof hash {i}: expected {HASH_SIZE} bytes, got {len(h)}"
            )
    # 5. the checkpoint, verbatim (its signatures are checked by the verifier)
    if not checkpoint_note or not checkpoint_note.endswith("\n"):
        raise VerificationError("receipt checkpoint is empty or does not end with a newline")
    if checkpoint_note.startswith("\n"):
        raise VerificationError("receipt has more than one blank line before its checkpoint")
    return Receipt(index, proof, checkpoint_note, extra)
