"""Statements and entries: what authors sign and what the log stores.

A *statement* is the part an author signs::

    {"kind": "notice.published", "actor": "prov-0001", "id": "<idempotency key>",
     "body": {...}}

An *entry* wraps the statement with the author's key id, the Ed25519 signature over the
statement's RFC 8785 bytes and the time the log integrated it::

    {"v": 1, "kind": ..., "statement": {...}, "key_id": "...", "sig": "<base64>",
     "integrated_at": "2026-11-22T04:16:36.123456Z"}

Derived decisions (see :mod:`creditbank.core.authorship`) use ``actor`` = ``log``, add
``derived_from`` (the indexes they were derived from) and carry no key id or signature:
the checkpoint that covers them authenticates them, re-derivation proves them right::

    {"v": 1, "kind": ..., "statement": {...}, "integrated_at": "..."}

The entry's RFC 8785 bytes are the Merkle leaf.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from creditbank.core.canonical import canonical_bytes, canonical_scalar
from creditbank.core.errors import EntryTooLarge, InvalidInput
from creditbank.core.keys import KeyPair
from creditbank.core.tlog.tiles import MAX_ENTRY_SIZE

SCHEMA_VERSION = 1
LOG_ACTOR = "log"
AUTHORITY = "authority"  # the one authority's actor id, registered by entry 0
KIND_RE = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")
ACTOR_RE = re.compile(r"^[a-z][a-z0-9-]{1,63}$")
MAX_ID_LENGTH = 200
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_ENTRY_TAIL = b',"v":' + str(SCHEMA_VERSION).encode() + b"}"


def format_time(t: datetime) -> str:
    """RFC 3339 UTC with microseconds, the one time format on the ledger.

    Put together from the fields: ``strftime`` made the same string at a third more
    cost, and every request and batch formats several times. Years before 1000 keep
    ``strftime``'s form, so nothing already logged reads differently."""
    u = t.astimezone(UTC)
    if u.year < 1000:
        return u.strftime(_TIME_FORMAT)
    return (
        f"{u.year}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
        f".{u.microsecond:06d}Z"
    )


def parse_time(value: str, *, field: str) -> datetime:
    """Parse an RFC 3339 instant with an explicit offset; naive times are refused."""
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError) as exc:
        raise InvalidInput(f"not an RFC 3339 time: {value!r}", field=field) from exc
    if t.tzinfo is None:
        raise InvalidInput("time must carry a UTC offset (e.g. Z)", field=field)
    return t.astimezone(UTC)


@dataclass(frozen=True)
class SignedStatement:
    """A statement with its author's key id and signature, as submitted to the log."""

    statement: Mapping[str, Any]
    key_id: str
    signature: bytes

    @property
    def kind(self) -> str:
        return str(self.statement["kind"])

    @property
    def actor(self) -> str:
        return str(self.statement["actor"])

    @property
    def idem_key(self) -> str | None:
        value = self.statement.get("id")
        return None if value is None else str(value)

    @property
    def body(self) -> Mapping[str, Any]:
        body = self.statement.get("body", {})
        return body if isinstance(body, Mapping) else {}

    @cached_property
    def _canonical(self) -> bytes:
        return canonical_bytes(self.statement, field="statement")

    def statement_bytes(self) -> bytes:
        """The RFC 8785 bytes the author signed (computed once)."""
        return self._canonical

    def statement_hash(self) -> bytes:
        return hashlib.sha256(self._canonical).digest()


def check_statement_shape(statement: Mapping[str, Any]) -> None:
    """Structural checks every statement passes before any rule looks at it."""
    kind = statement.get("kind")
    if not isinstance(kind, str) or not KIND_RE.match(kind):
        raise InvalidInput("kind must look like 'noun.verb'", field="statement.kind")
    actor = statement.get("actor")
    if not isinstance(actor, str) or not ACTOR_RE.match(actor):
        raise InvalidInput(
            "actor must be 2-64 lowercase letters, digits or hyphens", field="statement.actor"
        )
    sid = statement.get("id")
    if not isinstance(sid, str) or not 1 <= len(sid) <= MAX_ID_LENGTH or not sid.isprintable():
        raise InvalidInput(
            f"id (the idempotency key) must be 1-{MAX_ID_LENGTH} printable characters",
            field="statement.id",
        )
    body = statement.get("body")
    if not isinstance(body, Mapping):
        raise InvalidInput("body must be a JSON object", field="statement.body")
    extra = set(statement) - {"kind", "actor", "id", "body"}
    if extra:
        raise InvalidInput(f"unknown statement fields: {sorted(extra)}", field="statement")


def sign_statement(statement: Mapping[str, Any], key: KeyPair) -> SignedStatement:
    """Sign ``statement``'s canonical bytes with ``key`` (what clients and the log do)."""
    data = canonical_bytes(statement, field="statement")
    signed = SignedStatement(dict(statement), key.key_id, key.sign(data))
    signed.__dict__["_canonical"] = data  # the bytes just signed: no second RFC 8785 pass
    return signed


@dataclass(frozen=True)
class Derivation:
    """A decision the log makes and logs under its own key."""

    kind: str
    body: Mapping[str, Any]
    derived_from: tuple[int, ...]

    def statement(self, index: int) -> dict[str, Any]:
        """The statement logged for this decision at ``index``: what the sequencer writes
        and what replay requires, byte for byte."""
        return {
            "kind": self.kind,
            "actor": LOG_ACTOR,
            "id": f"{self.kind}@{index}",
            "body": {**self.body, "derived_from": list(self.derived_from)},
        }


def derived_statement(statement: Mapping[str, Any]) -> SignedStatement:
    """A decision of the rules as handlers and replay see it: authored by the log, with no
    key id and no signature (``encode_derived`` makes its entry)."""
    data = canonical_bytes(statement, field="statement")
    derived = SignedStatement(dict(statement), "", b"")
    derived.__dict__["_canonical"] = data
    return derived


def decode_signature(value: object, *, field: str = "signature") -> bytes:
    if not isinstance(value, str):
        raise InvalidInput("signature must be a base64 string", field=field)
    try:
        sig = base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise InvalidInput("signature is not valid base64", field=field) from exc
    if len(sig) != 64:
        raise InvalidInput("an Ed25519 signature is 64 bytes", field=field)
    return sig


def encode_entry(signed: SignedStatement, integrated_at: str) -> bytes:
    """The entry's RFC 8785 bytes (the Merkle leaf); refuses entries over the 64 KiB
    tlog-tiles bundle limit.

    The member names are fixed, so their RFC 8785 order is too: the bytes are joined in
    that order from each member's own canonical bytes, with the statement's bytes as
    signed (a property test holds the result equal to a full pass over the entry).
    """
    data = b"".join(
        (
            b'{"integrated_at":',
            canonical_scalar(integrated_at),
            b',"key_id":',
            canonical_scalar(signed.key_id),
            b',"kind":',
            canonical_scalar(signed.kind),
            b',"sig":"',
            base64.b64encode(signed.signature),  # base64 needs no JSON escaping
            b'","statement":',
            signed.statement_bytes(),
            _ENTRY_TAIL,
        )
    )
    _check_size(data)
    return data


def encode_derived(statement_bytes: bytes, kind: str, integrated_at: str) -> bytes:
    """A derived decision's entry bytes: the statement's canonical bytes and the
    integration time, no key id and no signature (RFC 8785 member order, as above)."""
    data = b"".join(
        (
            b'{"integrated_at":',
            canonical_scalar(integrated_at),
            b',"kind":',
            canonical_scalar(kind),
            b',"statement":',
            statement_bytes,
            _ENTRY_TAIL,
        )
    )
    _check_size(data)
    return data


def _check_size(data: bytes) -> None:
    if len(data) > MAX_ENTRY_SIZE:
        raise EntryTooLarge(
            f"entry is {len(data)} bytes; the limit is {MAX_ENTRY_SIZE} (store large "
            "evidence off the ledger and reference its SHA-256)",
            field="statement.body",
        )
