"""C2SP tlog-witness: the ``add-checkpoint`` request and the witness's decision on it.

A witness cosigns a peer log's checkpoint only if it is consistent with everything the
witness saw of that log before; a checkpoint that is not is evidence of a split view.
This module is pure: the request bytes, the log's trusted key, what the witness saw
(:class:`Seen`) and the time come in; a :class:`Cosigned` (the ``cosignature/v1`` line and
the new state) or a :class:`Refused` (the HTTP status the spec asks for, and whether the
refusal is evidence against the log) come out. Storing the state atomically with the
decision is the caller's job (c2sp.org/tlog-witness, "add-checkpoint").
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from creditbank.core.errors import VerificationError
from creditbank.core.tlog.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint
from creditbank.core.tlog.merkle import HASH_SIZE, verify_consistency
from creditbank.core.tlog.note import (
    SIG_COSIGNATURE_V1,
    Verifier,
    cosign,
    decode_base64,
    note_text,
    verifier_key_string,
)

MAX_PROOF_LINES = 63
"""The spec: a client MUST NOT send more than 63 consistency proof lines."""
SIZE_CONTENT_TYPE = "text/x.tlog.size"
"""The content type of a 409 answer: the witness's known size and a newline."""

_DECIMAL = re.compile(r"0|[1-9][0-9]*")

SplitKind = Literal["fork", "unproven"]
"""``fork``: a second signed checkpoint of a size the witness cosigned, with another root
(proof of equivocation by itself); ``unproven``: a signed checkpoint whose consistency
proof from the witnessed tree does not verify (perhaps a fork, perhaps a bad proof)."""


@dataclass(frozen=True)
class AddCheckpoint:
    """A parsed request body: the old size, the consistency proof, the signed checkpoint."""

    old_size: int
    proof: tuple[bytes, ...]
    checkpoint_note: str


@dataclass(frozen=True)
class Seen:
    """What the witness keeps of one log: the latest checkpoint it cosigned, and the root
    of every size it cosigned (to recognise a second tree of a size it saw)."""

    size: int
    root_hash: bytes
    note: str
    roots: Mapping[int, bytes]


@dataclass(frozen=True)
class Cosigned:
    """Accepted: ``line`` is the cosignature to answer with; ``checkpoint`` the new state."""

    checkpoint: Checkpoint
    line: str


@dataclass(frozen=True)
class Refused:
    """Refused with ``status``; ``known_size`` is the body of a 409. ``split`` says the
    refusal is evidence against the log (to record and report), with its kind."""

    status: int
    reason: str
    known_size: int | None = None
    split: SplitKind | None = None
    checkpoint: Checkpoint | None = None


def witness_verifier_key(name: str, public_key: bytes) -> str:
    """A witness's ``cosignature/v1`` (type 0x04) verifier key string, for its users."""
    return verifier_key_string(name, public_key, SIG_COSIGNATURE_V1)


def format_add_checkpoint(old_size: int, proof: Sequence[bytes], checkpoint_note: str) -> str:
    """The request body: ``old N``, a base64 hash a line, a blank line, the checkpoint."""
    lines = [f"old {old_size}", *(base64.b64encode(h).decode("ascii") for h in proof)]
    return "".join(f"{line}\n" for line in lines) + "\n" + checkpoint_note


def parse_add_checkpoint(body: str) -> AddCheckpoint:
    """Parse a request body strictly; raise VerificationError (a 400) when malformed."""
    head, sep, note = body.partition("\n\n")
    if not sep:
        raise VerificationError("request has no blank line before the checkpoint")
    lines = head.split("\n")
    # 1. the old size line: "old", one space, canonical decimal
    old = lines[0].removeprefix("old ")
    if old == lines[0] or _DECIMAL.fullmatch(old) is None:
        raise VerificationError(f"first line must be 'old <size>', got {lines[0][:40]!r}")
    # 2. at most 63 proof lines, each a base64 SHA-256 hash
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise VerificationError(f"{len(lines) - 1} consistency proof lines, more than 63")
    proof = tuple(decode_base64(line, what="consistency proof line") for line in lines[1:])
    if any(len(h) != HASH_SIZE for h in proof):
        raise VerificationError(f"every consistency proof line must be {HASH_SIZE} bytes")
    # 3. the checkpoint (a signed note; its signatures are checked by the witness)
    if not note.endswith("\n"):
        raise VerificationError("the checkpoint does not end with a newline")
    return AddCheckpoint(int(old), proof, note)


def parse_claim(checkpoint_note: str) -> Checkpoint:
    """The checkpoint a request claims, not yet verified: its origin says which log's
    key to verify it with."""
    return parse_checkpoint(note_text(checkpoint_note))


def decide(
    request: AddCheckpoint,
    *,
    log: Verifier,
    seen: Seen | None,
    witness_name: str,
    witness_key: Ed25519PrivateKey,
    now: int,
) -> Cosigned | Refused:
    """The witness's answer to one ``add-checkpoint`` for the log whose key is ``log``,
    given what it ``seen`` of that log (None: never cosigned) at unix time ``now``."""
    # 1. the log must have signed it (unknown keys ignored): else 403
    try:
        cp = open_checkpoint(request.checkpoint_note, log)
    except (VerificationError, ValueError) as exc:
        return Refused(403, f"the checkpoint is not signed by the log's key: {exc}")
    known = 0 if seen is None else seen.size
    # 2. a second tree of a size already cosigned is a fork, whatever the old size says
    if seen is not None and seen.roots.get(cp.size, cp.root_hash) != cp.root_hash:
        return Refused(
            409,
            f"split view: tree size {cp.size} was cosigned with another root hash",
            known_size=known,
            split="fork",
            checkpoint=cp,
        )
    # 3. the old size is at most the new size: else 400
    if request.old_size > cp.size:
        return Refused(400, f"old size {request.old_size} exceeds the checkpoint's {cp.size}")
    # 4. the old size is the size the witness last cosigned: else 409 with that size
    if request.old_size != known:
        return Refused(
            409,
            f"old size {request.old_size} is not the witnessed size {known}",
            known_size=known,
        )
    # 5. the consistency proof from the witnessed tree: empty from size 0, else it must
    #    verify (a signed checkpoint it does not lead to is kept as evidence): else 422
    if seen is None or known == 0:
        if request.proof:
            return Refused(422, "the consistency proof must be empty from old size 0")
    else:
        try:
            verify_consistency(known, cp.size, request.proof, seen.root_hash, cp.root_hash)
        except VerificationError as exc:
            return Refused(
                422,
                f"split view: the checkpoint is not consistent with tree size {known}: {exc}",
                split="unproven",
                checkpoint=cp,
            )
    # 6. cosign it, timestamped
    line = cosign(request.checkpoint_note, witness_name, witness_key, now)
    return Cosigned(cp, line)
