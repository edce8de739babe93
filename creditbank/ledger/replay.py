"""Replaying the log through the rules: the basis of `rebuild` and `audit`.

Each entry is parsed, its author's key checked against the key state *at that point of
the log* and its signature verified; the kind's handler re-checks it and re-applies it to
the projections, and the decisions it derives must be exactly the entries that follow it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import deque
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection

from creditbank.canonical import canonical_bytes
from creditbank.errors import CreditBankError
from creditbank.ledger.entry import LOG_ACTOR, SCHEMA_VERSION, SignedStatement, parse_time
from creditbank.ledger.kinds import BatchContext, Derivation, KindHandler


class ReplayFinding(Exception):
    """The log at ``index`` is not what an honest ledger would hold."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(f"entry {index}: {message}")
        self.index = index
        self.message = message


class Replayer:
    """Feeds entries in order into projections on ``conn``."""

    def __init__(self, conn: Connection, handlers: dict[str, KindHandler]) -> None:
        self.conn = conn
        self.handlers = handlers
        self.next_index = 0
        self.last_time = ""
        # decisions the rules derived that the following entries must match, in order
        self.expected: deque[tuple[int, Derivation]] = deque()

    def feed(self, index: int, data: bytes) -> None:
        if index != self.next_index:
            raise ReplayFinding(self.next_index, "entry is missing (indexes must be consecutive)")
        entry = self._parse(index, data)
        signed = SignedStatement(entry["statement"], entry["key_id"], self._sig(index, entry))
        ctx = BatchContext(
            self.conn,
            parse_time(entry["integrated_at"], field="integrated_at"),
            entry["integrated_at"],
            index,
            replaying=True,
        )
        handler = self.handlers.get(signed.kind)
        if handler is None:
            raise ReplayFinding(index, f"unknown kind {signed.kind!r}")
        if signed.actor == LOG_ACTOR:
            self._match_derivation(index, signed)
        else:
            if self.expected:
                raise ReplayFinding(index, "a derived decision is missing before this entry")
            try:
                handler.check(ctx, signed)
            except CreditBankError as exc:
                raise ReplayFinding(index, f"the rules refuse this entry: {exc.detail}") from exc
        self._verify_author(ctx, index, signed)
        derived = handler.apply(ctx, index, signed)
        for i, d in enumerate(derived):
            self.expected.insert(i, (index, d))
        self.next_index = index + 1

    def finish(self) -> None:
        if self.expected:
            raise ReplayFinding(self.next_index, "the log ends before a derived decision")

    def _parse(self, index: int, data: bytes) -> dict[str, Any]:
        try:
            entry = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ReplayFinding(index, "entry is not JSON") from exc
        if not isinstance(entry, dict) or set(entry) != {
            "v",
            "kind",
            "statement",
            "key_id",
            "sig",
            "integrated_at",
        }:
            raise ReplayFinding(index, "entry does not have the entry fields")
        try:
            canonical = canonical_bytes(entry)
        except CreditBankError as exc:
            raise ReplayFinding(index, f"entry cannot be canonicalized: {exc.detail}") from exc
        if canonical != data:
            raise ReplayFinding(index, "entry bytes are not RFC 8785 canonical")
        if entry["v"] != SCHEMA_VERSION or not isinstance(entry["statement"], dict):
            raise ReplayFinding(index, "unknown schema version or malformed statement")
        if entry["statement"].get("kind") != entry["kind"]:
            raise ReplayFinding(index, "entry kind differs from its statement's kind")
        if not isinstance(entry["integrated_at"], str) or entry["integrated_at"] < self.last_time:
            raise ReplayFinding(index, "integrated_at runs backwards")
        self.last_time = entry["integrated_at"]
        return entry

    @staticmethod
    def _sig(index: int, entry: dict[str, Any]) -> bytes:
        try:
            return base64.b64decode(str(entry["sig"]), validate=True)
        except binascii.Error as exc:
            raise ReplayFinding(index, "signature is not base64") from exc

    def _match_derivation(self, index: int, signed: SignedStatement) -> None:
        if not self.expected:
            raise ReplayFinding(index, "the log wrote a decision no rule derived")
        source, d = self.expected.popleft()
        want = {**d.body, "derived_from": list(d.derived_from)}
        if signed.kind != d.kind or dict(signed.body) != want:
            raise ReplayFinding(
                index, f"decision differs from what the rules derive from entry {source}"
            )

    def _verify_author(self, ctx: BatchContext, index: int, signed: SignedStatement) -> None:
        if index == 0:
            public_key = base64.b64decode(str(signed.body.get("public_key", "")))
        else:
            key = ctx.key(signed.key_id)
            if key is None or key.actor_id != signed.actor:
                raise ReplayFinding(index, f"key {signed.key_id} is not a key of {signed.actor}")
            if key.revoked_index is not None and key.revoked_index < index:
                raise ReplayFinding(
                    index, f"key {signed.key_id} was revoked at {key.revoked_index}"
                )
            public_key = key.public_key
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(
                signed.signature, signed.statement_bytes()
            )
        except (InvalidSignature, ValueError) as exc:
            raise ReplayFinding(index, "author signature does not verify") from exc
