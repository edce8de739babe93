"""Replaying the log through the rules: the basis of `rebuild` and `audit`.

Each entry is parsed and looked up in the authorship table. An authored entry must be
signed by a role the table allows, with a key of its author active *at that point of the
log*; the kind's handler re-checks it and re-applies it to the projections. The decisions
it derives must be exactly the entries that follow it: every entry of a derived kind must
be the next decision the rules produced (same kind, same content, same order, unsigned),
whoever signed it otherwise, and none may be missing.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import deque
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection

from creditbank.core.authorship import KINDS, check_author
from creditbank.core.canonical import canonical_bytes
from creditbank.core.entry import (
    LOG_ACTOR,
    Derivation,
    SignedStatement,
    check_statement_shape,
    derived_statement,
    encode_derived,
    encode_entry,
    parse_time,
)
from creditbank.core.errors import CreditBankError
from creditbank.ledger.kinds import BatchContext, KindHandler
from creditbank.ledger.sigpool import Job, SignaturePool, verify_all

_SIGNED_FIELDS = frozenset({"v", "kind", "statement", "key_id", "sig", "integrated_at"})
_DERIVED_FIELDS = frozenset({"v", "kind", "statement", "integrated_at"})


class ReplayFinding(Exception):
    """The log at ``index`` is not what an honest ledger would hold."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(f"entry {index}: {message}")
        self.index = index
        self.message = message


SIGNATURE_CHUNK = 2048
"""Author signatures handed to the second core at a time during a long replay."""
IN_FLIGHT = 2
"""Chunks the second core may be behind before the replay waits for it."""


class Replayer:
    """Feeds entries in order into projections on ``conn``.

    With ``signatures`` (a long rebuild or audit), each author signature is checked on
    the second core while the replay goes on: which key must have signed (the author's,
    active at that point of the log) is decided here in order, only the Ed25519 check is
    deferred. :meth:`settle` (called by :meth:`finish`, and before any other finding is
    reported) waits for the verdicts, so the first bad entry is still the one reported.
    """

    def __init__(
        self,
        conn: Connection,
        handlers: dict[str, KindHandler],
        signatures: SignaturePool | None = None,
    ) -> None:
        self.conn = conn
        self.handlers = handlers
        self.next_index = 0
        self.last_time = ""
        # One context for the whole replay, so its actor and key caches live across entries.
        self.ctx = BatchContext(conn, datetime(1970, 1, 1, tzinfo=UTC), "", 0, replaying=True)
        # decisions the rules derived that the following entries must match, in order
        self.expected: deque[tuple[int, Derivation]] = deque()
        self._pool = signatures
        self._jobs: list[Job] = []
        self._job_indexes: list[int] = []
        self._in_flight: deque[tuple[Future[list[bool]] | None, list[Job], list[int]]] = deque()

    def feed(self, index: int, data: bytes) -> None:
        try:
            self._feed(index, data)
        except ReplayFinding:
            self.settle()  # an earlier entry's bad signature is the first finding
            raise

    def _feed(self, index: int, data: bytes) -> None:
        if index != self.next_index:
            raise ReplayFinding(self.next_index, "entry is missing (indexes must be consecutive)")
        signed, integrated_at, unsigned = self._parse(index, data)
        ctx = self.ctx
        if index % 20_000 == 0:
            ctx.forget_states()  # the domains' batch caches: bounded memory over a long replay
        ctx.now = parse_time(integrated_at, field="integrated_at")
        ctx.integrated_at = integrated_at
        ctx.next_index = index
        handler = self.handlers.get(signed.kind)
        row = KINDS.get(signed.kind)
        if handler is None or row is None:
            raise ReplayFinding(index, f"unknown kind {signed.kind!r}")
        if row.derived:
            if not unsigned or signed.actor != LOG_ACTOR:
                raise ReplayFinding(
                    index,
                    f"{signed.kind} is derived by the rules only; this one is authored by "
                    f"{signed.actor} and signed",
                )
            self._match_derivation(index, signed)
        else:
            if unsigned:
                raise ReplayFinding(index, f"{signed.kind} must be signed by its author")
            if self.expected:
                raise ReplayFinding(index, "a derived decision is missing before this entry")
            self._check_role(ctx, index, signed)
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
        self.settle()
        if self.expected:
            raise ReplayFinding(self.next_index, "the log ends before a derived decision")

    def _parse(self, index: int, data: bytes) -> tuple[SignedStatement, str, bool]:
        """The entry's statement, integration time, and whether it is unsigned (the form
        of a derived decision)."""
        try:
            entry = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ReplayFinding(index, "entry is not JSON") from exc
        if not isinstance(entry, dict) or set(entry) not in (_SIGNED_FIELDS, _DERIVED_FIELDS):
            raise ReplayFinding(index, "entry does not have the entry fields")
        unsigned = set(entry) == _DERIVED_FIELDS
        statement, integrated_at = entry["statement"], entry["integrated_at"]
        if not isinstance(statement, dict) or not isinstance(integrated_at, str):
            raise ReplayFinding(index, "malformed statement or integration time")
        if not unsigned and not isinstance(entry["key_id"], str):
            raise ReplayFinding(index, "malformed key id")
        try:
            check_statement_shape(statement)
            # Re-encoding from the parsed parts must give back the stored bytes exactly:
            # RFC 8785 form, the schema version, and the entry's kind = its statement's.
            if unsigned:
                signed = derived_statement(statement)
                canonical = encode_derived(
                    signed.statement_bytes(), str(statement["kind"]), integrated_at
                )
            else:
                signed = SignedStatement(statement, entry["key_id"], self._sig(index, entry))
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
        return signed, integrated_at, unsigned

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
        if signed.statement_bytes() != canonical_bytes(d.statement(index)):
            raise ReplayFinding(
                index, f"decision differs from what the rules derive from entry {source}"
            )

    @staticmethod
    def _check_role(ctx: BatchContext, index: int, signed: SignedStatement) -> None:
        """The authorship table allows this author's role for this kind."""
        if index == 0:
            return  # the authority registering itself; its handler checks the rest
        actor = ctx.actor(signed.actor)
        if actor is None:
            raise ReplayFinding(index, f"unknown actor {signed.actor!r}")
        try:
            check_author(signed.kind, actor.role)
        except CreditBankError as exc:
            raise ReplayFinding(index, exc.detail) from exc

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
        if self._pool is not None:
            self._jobs.append((signed.statement_bytes(), signed.signature, public_key))
            self._job_indexes.append(index)
            if len(self._jobs) >= SIGNATURE_CHUNK:
                self._hand_over()
            return
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(
                signed.signature, signed.statement_bytes()
            )
        except (InvalidSignature, ValueError) as exc:
            raise ReplayFinding(index, "author signature does not verify") from exc

    def _hand_over(self) -> None:
        """Send the collected signatures to the second core; wait for the oldest chunk
        when it is too far behind (memory stays bounded)."""
        assert self._pool is not None
        jobs, indexes = self._jobs, self._job_indexes
        self._jobs, self._job_indexes = [], []
        self._in_flight.append((self._pool.submit(jobs), jobs, indexes))
        while len(self._in_flight) > IN_FLIGHT:
            self._check(*self._in_flight.popleft())

    def _check(
        self, future: Future[list[bool]] | None, jobs: list[Job], indexes: list[int]
    ) -> None:
        verdicts = None if future is None or self._pool is None else self._pool.result(future)
        if verdicts is None:  # no worker after all: verify here
            verdicts = verify_all(jobs)
        for ok, index in zip(verdicts, indexes, strict=True):
            if not ok:
                self._jobs.clear()
                self._job_indexes.clear()
                self._in_flight.clear()
                raise ReplayFinding(index, "author signature does not verify")

    def settle(self) -> None:
        """Wait for every deferred signature check; ReplayFinding at the first bad one."""
        while self._in_flight:
            self._check(*self._in_flight.popleft())
        if self._jobs:
            jobs, indexes = self._jobs, self._job_indexes
            self._jobs, self._job_indexes = [], []
            self._check(None, jobs, indexes)
