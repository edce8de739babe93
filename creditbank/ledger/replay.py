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
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection

from creditbank.errors import CreditBankError
from creditbank.ledger.entry import (
    LOG_ACTOR,
    SignedStatement,
    check_statement_shape,
    encode_entry,
    parse_time,
)
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
        # One context for the whole replay, so its actor and key caches live across entries.
        self.ctx = BatchContext(conn, datetime(1970, 1, 1, tzinfo=UTC), "", 0, replaying=True)
        # decisions the rules derived that the following entries must match, in order
        self.expected: deque[tuple[int, Derivation]] = deque()

    def feed(self, index: int, data: bytes) -> None:
        if index != self.next_index:
            raise ReplayFinding(self.next_index, "entry is missing (indexes must be consecutive)")
        signed, integrated_at = self._parse(index, data)
        ctx = self.ctx
        if index % 20_000 == 0:
            ctx.cache.clear()  # write-through caches: bounded memory over a long replay
        ctx.now = parse_time(integrated_at, field="integrated_at")
        ctx.integrated_at = integrated_at
        ctx.next_index = index
        handler = self.handlers.get(signed.kind)
        if handler is None:
            raise ReplayFinding(index, f"unknown kind {signed.kind!r}")
        if signed.actor == LOG_ACTOR and getattr(handler, "derived", False):
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

    def _parse(self, index: int, data: bytes) -> tuple[SignedStatement, str]:
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
        statement, integrated_at = entry["statement"], entry["integrated_at"]
        if not isinstance(statement, dict) or not isinstance(integrated_at, str):
            raise ReplayFinding(index, "malformed statement or integration time")
        if not isinstance(entry["key_id"], str):
            raise ReplayFinding(index, "malformed key id")
        signed = SignedStatement(statement, entry["key_id"], self._sig(index, entry))
        try:
            check_statement_shape(statement)
            # Re-encoding from the parsed parts must give back the stored bytes exactly:
            # RFC 8785 form, the schema version, and the entry's kind = its statement's.
            canonical = encode_entry(signed, integrated_at)
        except CreditBankError as exc:
            raise ReplayFinding(index, f"malformed entry: {exc.detail}") from exc
        if canonical != data:
            raise ReplayFinding(
                index, "entry bytes are not the canonical encoding of its statement"
            )
        if integrated_at < self.last_time:
            raise ReplayFinding(index, "integrated_at runs backwards")
        self.last_time = integrated_at
        return signed, integrated_at

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
