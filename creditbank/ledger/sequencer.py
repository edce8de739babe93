"""The single sequencer: gap-free, fork-free indexes under any number of writers.

Every append goes through one batch transaction that (1) takes the log's write lock
(SQLite: BEGIN IMMEDIATE; PostgreSQL: SELECT ... FOR UPDATE on the log_state row, so
several server processes can share one database), (2) checks and sequences each statement
and the decisions it triggers, (3) extends the Merkle tree, (4) signs a checkpoint for the
new size and (5) commits durably. Only then are receipts handed out, so an acknowledged
write is durable and covered by a signed checkpoint.

Group commit, in the manner of Tessera: concurrent ``append`` calls queue up and a
background thread closes a batch at ``max_entries`` statements or ``max_wait_ms`` after the
first one, paying one transaction, one fsync and one checkpoint signature per batch. Bulk
callers (imports, benchmarks) hand whole batches to ``append_many``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import DBAPIError

from creditbank.core.authorship import check_author, refuse_derived
from creditbank.core.entry import (
    LOG_ACTOR,
    Derivation,
    SignedStatement,
    check_statement_shape,
    derived_statement,
    encode_derived,
    encode_entry,
    format_time,
    parse_time,
    sign_statement,
)
from creditbank.core.errors import (
    BadSignature,
    Conflict,
    CreditBankError,
    IntegrityFailure,
    InvalidInput,
    KeyRevoked,
    Unavailable,
)
from creditbank.core.keys import KeyPair
from creditbank.core.tlog import merkle
from creditbank.core.tlog.checkpoint import Checkpoint, sign_checkpoint
from creditbank.core.tlog.receipt import Receipt, format_receipt, format_receipts
from creditbank.db import tables
from creditbank.db.engine import WRITE
from creditbank.ledger import store
from creditbank.ledger.kinds import BatchContext, KindHandler
from creditbank.ledger.sigpool import Job, SignaturePool

log = logging.getLogger(__name__)

PARALLEL_VERIFY_MIN = 256


class _RollBack(Exception):
    """Undo an all-or-nothing batch in which a statement was refused."""


NOT_ALONE = Conflict(
    "not stored: another statement in the same all-or-nothing request was refused",
    field="statements",
)  # below this a second process costs more than it saves

Clock = Callable[[], datetime]
_Verdicts = tuple[list[Job], Future[list[bool]]] | None


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Appended:
    """The outcome of one accepted statement: where it is and the proof that it is."""

    index: int
    entry: bytes
    receipt: str
    duplicate: bool
    derived: tuple[int, ...] = ()


class SideEffect(Protocol):
    """Off-ledger writes that must commit atomically with an operator statement (for
    example the sealed personal data of a new learner account)."""

    def check(self, conn: Connection) -> None:
        """Raise a CreditBankError to refuse the statement; runs before it is logged."""

    def apply(self, conn: Connection, index: int) -> None:
        """Write, in the batch transaction, once the statement is logged at ``index``."""


@dataclass
class _Item:
    signed: SignedStatement
    future: Future[Appended] | None = None
    operator: bool = False
    side_effect: SideEffect | None = None
    verified_with: bytes | None = None  # a public key the signature was found valid for
    index: int | None = None
    entry: bytes | None = None
    receipt: str | None = None
    duplicate: bool = False
    derived: list[int] = field(default_factory=list)
    error: CreditBankError | None = None


@dataclass
class _Row:
    idx: int
    kind: str
    actor: str
    idem_key: str | None
    statement_hash: bytes
    leaf_hash: bytes
    data: bytes


class Ledger:
    """Appends signed statements to the log and hands back receipts."""

    def __init__(
        self,
        engine: Engine,
        log_key: KeyPair,
        origin: str,
        handlers: Mapping[str, KindHandler],
        *,
        clock: Clock = system_clock,
        max_entries: int = 1024,
        max_wait_ms: float = 2.0,
        parallel_verify: bool = False,
    ) -> None:
        self.engine = engine
        self.log_key = log_key
        self.origin = origin
        self.handlers = dict(handlers)
        self.clock = clock
        self.max_entries = max_entries
        self.max_wait = max_wait_ms / 1000
        self._queue: queue.Queue[_Item | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._closed = False
        # The workers only verify: the log key never leaves this process.
        self.signatures = SignaturePool() if parallel_verify else None

    # --- public API ---------------------------------------------------------------

    def submit(self, signed: SignedStatement) -> Future[Appended]:
        """Queue one statement for group commit; the future holds its outcome."""
        check_statement_shape(signed.statement)
        self._ensure_thread()
        future: Future[Appended] = Future()
        self._queue.put(_Item(signed, future))
        return future

    def submit_operator(
        self, kind: str, sid: str, body: dict[str, Any], side_effect: SideEffect | None = None
    ) -> Future[Appended]:
        """Queue a statement the operator logs under its own key: an action the API
        authenticated (a learner's, or an account opened on a learner's behalf)."""
        signed = sign_statement(
            {"kind": kind, "actor": LOG_ACTOR, "id": sid, "body": body}, self.log_key
        )
        check_statement_shape(signed.statement)
        self._ensure_thread()
        future: Future[Appended] = Future()
        self._queue.put(_Item(signed, future, operator=True, side_effect=side_effect))
        return future

    def append(self, signed: SignedStatement, timeout: float = 60.0) -> Appended:
        """Append one statement through group commit; raises CreditBankError if refused."""
        return self.submit(signed).result(timeout=timeout)

    async def append_async(self, signed: SignedStatement) -> Appended:
        """``append`` for event-loop callers: waits without holding a worker thread."""
        return await asyncio.wrap_future(self.submit(signed))

    def append_many(
        self, statements: Sequence[SignedStatement], *, atomic: bool = False
    ) -> list[Appended | CreditBankError]:
        """Append a batch in one transaction; a result or an error per statement.

        ``atomic``: all or nothing; if any statement is refused, none is logged (the others
        come back as Conflict errors saying so).
        """
        items, valid = self._shaped(statements)
        if self.signatures is not None and len(valid) >= PARALLEL_VERIFY_MIN:
            jobs = self._verification_jobs(valid)
            self._accept_verdicts(valid, jobs, self.signatures.verify(jobs))
        if atomic and len(valid) < len(items):
            for item in valid:
                item.error = NOT_ALONE
            return [self._outcome(i) for i in items]
        self._commit(valid, atomic=atomic)
        return [self._outcome(i) for i in items]

    def append_batches(
        self, batches: Iterable[Sequence[SignedStatement]]
    ) -> Iterator[list[Appended | CreditBankError]]:
        """``append_many`` over a stream of batches, as a bulk import makes them: each
        batch's signatures are verified on the second core while the previous batch is
        sequenced (one batch is read ahead). Results come in batch order."""
        pending: tuple[list[_Item], list[_Item], _Verdicts] | None = None
        for statements in batches:
            items, valid = self._shaped(statements)
            started = self._start_verifying(valid)
            if pending is not None:
                yield self._finish(*pending)
            pending = (items, valid, started)
        if pending is not None:
            yield self._finish(*pending)

    def _start_verifying(self, valid: list[_Item]) -> _Verdicts:
        if self.signatures is None or len(valid) < PARALLEL_VERIFY_MIN:
            return None
        jobs = self._verification_jobs(valid)
        future = self.signatures.submit(jobs)
        return None if future is None else (jobs, future)

    def _finish(
        self, items: list[_Item], valid: list[_Item], started: _Verdicts
    ) -> list[Appended | CreditBankError]:
        if started is not None and self.signatures is not None:
            jobs, future = started
            self._accept_verdicts(valid, jobs, self.signatures.result(future))
        self._commit(valid)
        return [self._outcome(i) for i in items]

    @staticmethod
    def _shaped(statements: Sequence[SignedStatement]) -> tuple[list[_Item], list[_Item]]:
        """Items for a batch, and those that pass the shape checks."""
        items = [_Item(s) for s in statements]
        for item in items:
            try:
                check_statement_shape(item.signed.statement)
                item.signed.statement_bytes()  # canonical form (and float check) up front
            except CreditBankError as exc:
                item.error = exc
        return items, [i for i in items if i.error is None]

    def _verification_jobs(self, items: list[_Item]) -> list[Job]:
        """(message, signature, public key of the named key) per item, to check on two
        cores before taking the lock (see sigpool)."""
        key_ids = list({i.signed.key_id for i in items})
        t = tables.actor_keys
        with self.engine.connect() as conn:
            keys = dict(
                conn.execute(
                    select(t.c.key_id, t.c.public_key).where(t.c.key_id.in_(key_ids))
                ).all()
            )
        return [
            (i.signed.statement_bytes(), i.signed.signature, bytes(keys.get(i.signed.key_id, b"")))
            for i in items
        ]

    @staticmethod
    def _accept_verdicts(items: list[_Item], jobs: list[Job], verdicts: list[bool] | None) -> None:
        """Note the key each valid signature verified with; whether that key is the
        author's and active is still decided under the lock (``_check_author``)."""
        if verdicts is None:
            return  # no worker: verified one at a time under the lock instead
        for item, ok, (_, _, public_key) in zip(items, verdicts, jobs, strict=True):
            if ok:
                item.verified_with = public_key

    def close(self) -> None:
        self._closed = True
        if self.signatures is not None:
            self.signatures.close()
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None
        self._refuse_queued()  # anything a racing submit queued after the thread stopped

    # --- group commit -------------------------------------------------------------

    def _ensure_thread(self) -> None:
        if self._closed:
            raise Unavailable("the ledger is shutting down")
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="creditbank-sequencer", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                self._refuse_queued()
                return
            batch = [first]
            deadline = time.monotonic() + self.max_wait
            while len(batch) < self.max_entries:
                remaining = deadline - time.monotonic()
                try:
                    nxt = (
                        self._queue.get(timeout=remaining)
                        if remaining > 0
                        else self._queue.get_nowait()
                    )
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                batch.append(nxt)
            self._commit(batch)
            for item in batch:
                assert item.future is not None
                outcome = self._outcome(item)
                if isinstance(outcome, CreditBankError):
                    item.future.set_exception(outcome)
                else:
                    item.future.set_result(outcome)

    def _refuse_queued(self) -> None:
        """At shutdown, answer what was queued after the stop marker instead of leaving
        its callers waiting."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not None and item.future is not None:
                item.future.set_exception(Unavailable("the ledger is shutting down"))

    @staticmethod
    def _outcome(item: _Item) -> Appended | CreditBankError:
        if item.error is not None:
            return item.error
        if item.index is None or item.entry is None or item.receipt is None:
            return IntegrityFailure("statement was neither logged nor refused")
        return Appended(item.index, item.entry, item.receipt, item.duplicate, tuple(item.derived))

    # --- one batch ----------------------------------------------------------------

    def _commit(self, items: list[_Item], *, atomic: bool = False) -> None:
        if not items:
            return
        with self._write_lock:
            try:
                self._commit_locked(items, atomic=atomic)
            except CreditBankError as exc:
                for item in items:
                    item.error = exc
            except DBAPIError as exc:
                log.exception("batch of %d failed in the database", len(items))
                if len(items) > 1:
                    # Isolate the statement that broke the batch; the others still land.
                    for item in items:
                        self._reset(item)
                        self._commit_single(item)
                    return
                items[0].error = Unavailable(f"the database refused the write: {exc.orig}")

    def _commit_single(self, item: _Item) -> None:
        try:
            self._commit_locked([item])
        except CreditBankError as exc:
            item.error = exc
        except DBAPIError as exc:
            item.error = Unavailable(f"the database refused the write: {exc.orig}")

    @staticmethod
    def _reset(item: _Item) -> None:
        item.index = item.entry = item.receipt = item.error = None
        item.duplicate = False
        item.derived = []

    def _commit_locked(self, items: list[_Item], *, atomic: bool = False) -> None:
        for item in items:
            self._reset(item)
        with (
            _cyclic_gc_paused(len(items)),
            self.engine.connect().execution_options(**WRITE) as conn,
        ):
            try:
                with conn.begin(), store.deferred_writes(conn):
                    new_size, note, cache = self._sequence(conn, items)
                    if atomic and any(i.error is not None for i in items):
                        raise _RollBack
            except _RollBack:
                for item in items:
                    if item.error is None:
                        item.error = NOT_ALONE
                    item.index = item.entry = None
                return
            with conn.begin():
                self._attach_receipts(conn, items, new_size, note, cache)

    def _sequence(
        self, conn: Connection, items: list[_Item]
    ) -> tuple[int, str | None, dict[merkle.NodeId, bytes]]:
        state = store.read_state(conn, for_update=True)
        if state is None:
            raise Unavailable("the ledger is not initialized; run `creditbank init`")
        last = parse_time(state.integrated_at, field="integrated_at")
        now = max(self.clock(), last)  # integrated times never run backwards
        ctx = BatchContext(conn, now, format_time(now), state.size)
        seen = self._prefetch_idempotency(conn, items)
        self._prepare(ctx, items)
        rows: list[_Row] = []
        for item in items:
            signed = item.signed
            try:
                key = (signed.actor, signed.idem_key)
                digest = signed.statement_hash()
                if key in seen:
                    idx, original = seen[key]
                    if original != digest:
                        raise Conflict(
                            f"id {signed.idem_key!r} was already used by {signed.actor} "
                            "for a different statement",
                            field="statement.id",
                            index=idx,
                        )
                    item.index, item.duplicate = idx, True
                    continue
                handler = self._handler(signed.kind)
                self._check_author(
                    ctx, signed, operator=item.operator, verified_with=item.verified_with
                )
                handler.check(ctx, signed)
                if item.side_effect is not None:
                    item.side_effect.check(conn)
                data = encode_entry(signed, ctx.integrated_at)
            except CreditBankError as exc:
                item.error = exc
                continue
            item.index, item.entry = self._log(ctx, rows, signed, data, digest), data
            seen[key] = (item.index, digest)
            if item.side_effect is not None:
                item.side_effect.apply(conn, item.index)
            item.derived = self._derive(ctx, rows, handler.apply(ctx, item.index, signed))
        if not rows:
            return state.size, None, {}
        frontier = store.lookup_nodes(conn, merkle.range_nodes(0, state.size))
        created, new_frontier = merkle.append_leaves(
            state.size, frontier, [r.leaf_hash for r in rows]
        )
        new_size = state.size + len(rows)
        root = merkle.hash_range(list(new_frontier.values()))
        store.insert_entries(
            conn,
            [
                (r.idx, r.kind, r.actor, r.idem_key, r.statement_hash, r.leaf_hash, r.data)
                for r in rows
            ],
        )
        store.insert_nodes(conn, [(lv, ix, h) for (lv, ix), h in created])
        note = sign_checkpoint(
            Checkpoint(self.origin, new_size, root), self.origin, self.log_key.private_key
        )
        conn.execute(insert(store.C).values(size=new_size, root_hash=root, note=note))
        conn.execute(
            update(tables.log_state)
            .where(tables.log_state.c.id == 1)
            .values(size=new_size, root_hash=root, integrated_at=ctx.integrated_at)
        )
        cache = dict(frontier)
        cache.update(created)
        return new_size, note, cache

    def _log(
        self,
        ctx: BatchContext,
        rows: list[_Row],
        signed: SignedStatement,
        data: bytes,
        digest: bytes,
    ) -> int:
        idx = ctx.next_index
        rows.append(
            _Row(
                idx,
                signed.kind,
                signed.actor,
                signed.idem_key,
                digest,
                merkle.leaf_hash(data),
                data,
            )
        )
        ctx.next_index += 1
        return idx

    def _derive(
        self, ctx: BatchContext, rows: list[_Row], derivations: list[Derivation]
    ) -> list[int]:
        """Log the decisions a statement triggered (and theirs, depth first). The only way
        a derived kind enters the log: authored by the log, unsigned (the checkpoint
        covers it, re-derivation proves it)."""
        logged: list[int] = []
        pending = list(reversed(derivations))
        while pending:
            d = pending.pop()
            statement = d.statement(ctx.next_index)
            signed = derived_statement(statement)
            data = encode_derived(signed.statement_bytes(), d.kind, ctx.integrated_at)
            idx = self._log(ctx, rows, signed, data, signed.statement_hash())
            logged.append(idx)
            follow = self._handler(d.kind).apply(ctx, idx, signed)
            pending.extend(reversed(follow))
        return logged

    def _prepare(self, ctx: BatchContext, items: list[_Item]) -> None:
        """Let handlers read what a whole batch will need in one go (optional hook)."""
        by_kind: dict[str, list[SignedStatement]] = {}
        for item in items:
            by_kind.setdefault(item.signed.kind, []).append(item.signed)
        for kind, statements in by_kind.items():
            prepare = getattr(self.handlers.get(kind), "prepare", None)
            if prepare is not None:
                prepare(ctx, statements)

    def _handler(self, kind: str) -> KindHandler:
        handler = self.handlers.get(kind)
        if handler is None:
            raise InvalidInput(f"unknown kind {kind!r}", field="statement.kind")
        return handler

    def _check_author(
        self,
        ctx: BatchContext,
        signed: SignedStatement,
        *,
        operator: bool = False,
        verified_with: bytes | None = None,
    ) -> None:
        """The authorship table allows the kind from this author (derived kinds from none);
        actor active, key the actor's and active now, signature valid."""
        refuse_derived(signed.kind)
        if (signed.actor == LOG_ACTOR) != operator:
            raise InvalidInput("only the log itself writes as 'log'", field="statement.actor")
        if operator:
            check_author(signed.kind, "operator")
            public_key = self.log_key.public_key
        elif ctx.next_index == 0:
            public_key = _self_registered_key(signed)
        else:
            actor = ctx.actor(signed.actor)
            if actor is None:
                raise BadSignature(f"unknown actor {signed.actor!r}", field="statement.actor")
            check_author(signed.kind, actor.role)
            if actor.status != "active":
                raise KeyRevoked(f"actor {signed.actor} is {actor.status}", field="statement.actor")
            key = ctx.key(signed.key_id)
            if key is None or key.actor_id != signed.actor:
                raise BadSignature(
                    f"key {signed.key_id} is not a key of {signed.actor}", field="key_id"
                )
            if key.revoked_index is not None:
                raise KeyRevoked(
                    f"key {signed.key_id} was revoked at index {key.revoked_index}",
                    field="key_id",
                )
            public_key = key.public_key
        if verified_with is not None and verified_with == public_key:
            return  # already verified against this very key (bulk path, see sigpool)
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(
                signed.signature, signed.statement_bytes()
            )
        except InvalidSignature as exc:
            raise BadSignature(
                "the signature does not verify over the statement's canonical bytes",
                field="signature",
            ) from exc

    @staticmethod
    def _prefetch_idempotency(
        conn: Connection, items: list[_Item]
    ) -> dict[tuple[str, str | None], tuple[int, bytes]]:
        keys = list({(i.signed.actor, i.signed.idem_key) for i in items})
        t = tables.log_entries
        seen: dict[tuple[str, str | None], tuple[int, bytes]] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            rows = conn.execute(
                select(t.c.actor, t.c.idem_key, t.c.idx, t.c.statement_hash).where(
                    store.pairs_in(t.c.actor, t.c.idem_key, chunk)
                )
            )
            for actor, idem_key, idx, digest in rows:
                seen[(actor, idem_key)] = (idx, bytes(digest))
        return seen

    def _attach_receipts(
        self,
        conn: Connection,
        items: list[_Item],
        size: int,
        note: str | None,
        cache: dict[merkle.NodeId, bytes],
    ) -> None:
        fresh = [
            (i.index, i)
            for i in items
            if i.error is None and i.index is not None and not i.duplicate
        ]
        if fresh:
            assert note is not None
            proofs = store.inclusion_proofs(conn, [index for index, _ in fresh], size, cache)
            receipts = format_receipts(
                [
                    Receipt(index, tuple(proof), note, item.entry)
                    for (index, item), proof in zip(fresh, proofs, strict=True)
                ]
            )
            for (_, item), receipt in zip(fresh, receipts, strict=True):
                item.receipt = receipt
        for item in items:
            if item.duplicate and item.index is not None:
                item.entry = store.entry_data(conn, item.index)
                item.receipt = receipt_for(conn, item.index, original=True)


@contextlib.contextmanager
def _cyclic_gc_paused(size: int) -> Iterator[None]:
    """Pause the cyclic garbage collector while a big batch is sequenced.

    A batch of a thousand completions makes some hundred thousand short-lived containers
    (statements, bodies, rows, cache entries); reference counting frees them, but each
    700 allocations the collector also rescans whatever is alive, about a tenth of the
    batch's time. Cycles made meanwhile are collected when it resumes.
    """
    if size < PARALLEL_VERIFY_MIN or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _self_registered_key(signed: SignedStatement) -> bytes:
    """The key a log's first entry (the authority registering itself) is signed with."""
    if signed.kind != "actor.registered":
        raise InvalidInput(
            "the first entry must be the authority registering itself", field="statement.kind"
        )
    value = signed.body.get("public_key")
    try:
        key = base64.b64decode(str(value), validate=True)
    except ValueError as exc:
        raise InvalidInput("public_key must be base64", field="statement.body.public_key") from exc
    if len(key) != 32:
        raise InvalidInput("an Ed25519 public key is 32 bytes", field="statement.body.public_key")
    return key


def receipt_for(conn: Connection, index: int, *, original: bool = False) -> str:
    """A tlog-proof receipt for entry ``index``: against the checkpoint that first covered
    it (``original``, byte-identical to the one handed out at append) or the latest."""
    size, note = (
        store.checkpoint_covering(conn, index) if original else store.latest_checkpoint(conn)
    )
    data = store.entry_data(conn, index)
    proof = store.inclusion_proof(conn, index, size)
    return format_receipt(Receipt(index, tuple(proof), note, data))
