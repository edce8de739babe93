"""The single sequencer: gap-free, fork-free indexes under any number of writers.

Every append goes through one batch transaction that (1) takes the log's write lock
(SQLite: BEGIN IMMEDIATE; PostgreSQL: SELECT ... FOR UPDATE on the log_state row, so
several server processes can share one database), (2) checks and sequences each statement
and the decisions it triggers, (3) extends the Merkle tree, (4) signs a checkpoint for the
new size and (5) commits durably. Only then are receipts handed out, so an acknowledged
write is durable and covered by a signed checkpoint.

Single appends go through group commit (``group_commit``); bulk callers (imports,
benchmarks) hand whole batches to ``append_many`` or stream them to ``append_batches``.
The parts: ``authors`` (who may write a statement), ``derivation`` (logging it and the
decisions it triggers), ``tree`` (growing the tree, the checkpoint, receipts); this module
holds the batch transaction and its failure isolation.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import gc
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeAlias

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DBAPIError

from creditbank.core.entry import (
    LOG_ACTOR,
    SignedStatement,
    check_statement_shape,
    encode_entry,
    format_time,
    parse_time,
    sign_statement,
)
from creditbank.core.errors import (
    Conflict,
    CreditBankError,
    IntegrityFailure,
    InvalidInput,
    Unavailable,
)
from creditbank.core.keys import KeyPair
from creditbank.core.tlog.merkle import NodeId
from creditbank.db import tables
from creditbank.db.engine import WRITE
from creditbank.ledger import store
from creditbank.ledger.authors import check_statement_author
from creditbank.ledger.derivation import add_row, log_decisions
from creditbank.ledger.group_commit import GroupCommit
from creditbank.ledger.kinds import BatchContext, Carried, KindHandler
from creditbank.ledger.link import SequencerLink
from creditbank.ledger.observer import BatchStats, LedgerObserver, NoObserver
from creditbank.ledger.sigpool import Job, SignaturePool
from creditbank.ledger.tree import Grown, Row, grow, receipt_for, receipts

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
    """Off-ledger writes that must commit atomically with a statement (for example the
    sealed personal data of a new learner account, the LRS's stored xAPI statement of a
    completion)."""

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
    queued_at: float = field(default_factory=time.perf_counter)


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
        self._group = GroupCommit(
            self._commit,
            self._settle,
            self._refuse,
            max_entries=max_entries,
            max_wait=max_wait_ms / 1000,
        )
        self._write_lock = threading.Lock()
        # the caches of the last committed batch (used under the write lock only)
        self._carried: Carried | None = None
        # and the tree's frontier after it: (size, range_nodes(0, size) hashes)
        self._frontier: tuple[int, dict[NodeId, bytes]] | None = None
        # The workers only verify: the log key never leaves this process.
        self.signatures = SignaturePool() if parallel_verify else None
        self.observer: LedgerObserver = NoObserver()  # the shell's metrics, when served
        self._link: SequencerLink | None = None  # see forward_to

    # --- public API ---------------------------------------------------------------

    def submit(
        self,
        signed: SignedStatement,
        side_effect: SideEffect | None = None,
        *,
        signed_with: KeyPair | None = None,
    ) -> Future[Appended]:
        """Queue one statement for group commit; the future holds its outcome.
        ``side_effect``: off-ledger rows written in the same transaction when it is logged
        (the LRS's stored statement of a completion). ``signed_with``: the key this process
        just signed it with (a provider's xAPI gateway key), so the sequencer need not
        verify its own signature again; whether that key is the author's and active is
        still checked under the lock."""
        item = self._item(signed, side_effect, signed_with)
        self._queue(item)
        assert item.future is not None
        return item.future

    def submit_many(
        self,
        statements: Sequence[tuple[SignedStatement, SideEffect | None]],
        *,
        signed_with: KeyPair | None = None,
    ) -> list[Future[Appended]]:
        """``submit`` for each (statement, side effect) of a request, in order: a worker
        sends them to the server's sequencer in one message, where a batch of a hundred
        xAPI completions took a hundred."""
        items = [self._item(signed, effect, signed_with) for signed, effect in statements]
        if self._link is None or len(items) < 2:  # as ``submit`` queues each
            for item in items:
                self._queue(item)
        else:
            sent = [dataclasses.replace(item, future=None) for item in items]
            answer = self._link.call("submit_many", sent)
            answer.add_done_callback(functools.partial(_settle_each, items))
        return [item.future for item in items if item.future is not None]

    @staticmethod
    def _item(
        signed: SignedStatement, side_effect: SideEffect | None, signed_with: KeyPair | None
    ) -> _Item:
        check_statement_shape(signed.statement)
        verified_with = None
        if signed_with is not None and signed_with.key_id == signed.key_id:
            verified_with = signed_with.public_key
        return _Item(signed, Future(), side_effect=side_effect, verified_with=verified_with)

    def submit_operator(
        self, kind: str, sid: str, body: dict[str, Any], side_effect: SideEffect | None = None
    ) -> Future[Appended]:
        """Queue a statement the operator logs under its own key: an action the API
        authenticated (a learner's, or an account opened on a learner's behalf)."""
        signed = sign_statement(
            {"kind": kind, "actor": LOG_ACTOR, "id": sid, "body": body}, self.log_key
        )
        check_statement_shape(signed.statement)
        future: Future[Appended] = Future()
        self._queue(_Item(signed, future, operator=True, side_effect=side_effect))
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

    @property
    def running(self) -> bool:
        """Whether the sequencer takes appends (false once closed or if its thread died,
        or, forwarding, once the server's sequencer is gone)."""
        if self._link is not None:
            return self._link.host_running()
        return self._group.running

    def close(self) -> None:
        # the group's thread first: a batch it is still sequencing may use the pool
        self._group.close()
        if self.signatures is not None:
            self.signatures.close()

    # --- one sequencer for a server's processes (creditbank.ledger.link) -------------

    def forward_to(self, link: SequencerLink) -> None:
        """Send this process's queued appends to the server's one sequencer, in another
        process, instead of sequencing them here (``append_many`` still commits here:
        several writers share the log's lock)."""
        self._link = link

    def queue_forwarded(self, item: _Item) -> Future[Appended]:
        """Queue an append a worker forwarded (the host's side of ``forward_to``)."""
        item.future = Future()
        item.queued_at = time.perf_counter()
        self._group.put(item)
        return item.future

    def queue_forwarded_many(self, items: list[_Item]) -> Future[list[Outcome]]:
        """Queue a worker's ``submit_many``: one future for all, settled with each
        item's outcome (in order) once the last is settled."""
        futures: list[Future[Appended]] = []
        for item in items:
            try:
                futures.append(self.queue_forwarded(item))
            except CreditBankError as exc:  # shutting down: this one is refused
                refused: Future[Appended] = Future()
                refused.set_exception(exc)
                futures.append(refused)
        return _all_outcomes(futures)

    def _queue(self, item: _Item) -> None:
        if self._link is None:
            self._group.put(item)
        else:
            self._link.call("submit", dataclasses.replace(item, future=None), into=item.future)

    # --- group commit's callbacks ----------------------------------------------------

    def _settle(self, item: _Item) -> None:
        assert item.future is not None
        outcome = self._outcome(item)
        if isinstance(outcome, CreditBankError):
            item.future.set_exception(outcome)
        else:
            item.future.set_result(outcome)

    @staticmethod
    def _refuse(item: _Item, error: Unavailable) -> None:
        if item.future is not None:
            item.future.set_exception(error)

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
        started = time.perf_counter()
        with (
            _cyclic_gc_paused(len(items)),
            self.engine.connect().execution_options(**WRITE) as conn,
        ):
            try:
                with conn.begin(), store.deferred_writes(conn):
                    grown, ctx = self._sequence(conn, items)
                    if atomic and any(i.error is not None for i in items):
                        raise _RollBack
                    # made in the batch's transaction (not a second one taking the write
                    # lock again); handed out only once it has committed (GroupCommit
                    # settles the futures after this returns)
                    self._attach_receipts(conn, items, grown)
                # committed: the next batch may start from its caches
                self._carried = ctx.carried(ctx.next_index)
                if grown is not None:
                    self._frontier = (grown.size, grown.frontier)
            except _RollBack:
                for item in items:
                    if item.error is None:
                        item.error = NOT_ALONE
                    item.index = item.entry = item.receipt = None
                return
            committed = time.perf_counter()
        if grown is not None:
            self.observer.batch_committed(
                BatchStats(
                    statements=len(items),
                    kinds=grown.kinds,
                    commit_seconds=committed - started,
                    checkpoint_seconds=committed - min(i.queued_at for i in items),
                    waiting=self._group.waiting(),
                )
            )

    def _sequence(self, conn: Connection, items: list[_Item]) -> tuple[Grown | None, BatchContext]:
        """Check and log each statement and the decisions it triggers, then grow the
        tree (None when nothing was logged); and the batch's context, whose caches the
        next batch may start from once this one has committed."""
        state = store.read_state(conn, for_update=True)
        if state is None:
            raise Unavailable("the ledger is not initialized; run `creditbank init`")
        last = parse_time(state.integrated_at, field="integrated_at")
        now = max(self.clock(), last)  # integrated times never run backwards
        ctx = BatchContext(conn, now, format_time(now), state.size)
        carried, self._carried = self._carried, None  # a batch that fails carries nothing
        if carried is not None and carried.size == state.size:
            ctx.start_from(carried)  # nobody else wrote since our last batch committed
        known, self._frontier = self._frontier, None
        frontier = known[1] if known is not None and known[0] == state.size else None
        seen = store.logged_statements(conn, [(i.signed.actor, i.signed.idem_key) for i in items])
        self._prepare(ctx, items)
        rows: list[Row] = []
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
                check_statement_author(
                    ctx,
                    signed,
                    log_public_key=self.log_key.public_key,
                    operator=item.operator,
                    verified_with=item.verified_with,
                )
                handler.check(ctx, signed)
                if item.side_effect is not None:
                    item.side_effect.check(conn)
                data = encode_entry(signed, ctx.integrated_at)
            except CreditBankError as exc:
                item.error = exc
                continue
            item.index, item.entry = add_row(ctx, rows, signed, data, digest), data
            seen[key] = (item.index, digest)
            if item.side_effect is not None:
                item.side_effect.apply(conn, item.index)
            derived = handler.apply(ctx, item.index, signed)
            item.derived = log_decisions(ctx, rows, derived, self._handler)
        if not rows:
            return None, ctx
        grown = grow(conn, state.size, rows, ctx.integrated_at, self.origin, self.log_key, frontier)
        return grown, ctx

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

    def _attach_receipts(self, conn: Connection, items: list[_Item], grown: Grown | None) -> None:
        fresh = [i for i in items if i.error is None and i.index is not None and not i.duplicate]
        if fresh:
            assert grown is not None
            made = receipts(conn, grown, [(i.index, i.entry) for i in fresh])  # type: ignore[misc]
            for item, receipt in zip(fresh, made, strict=True):
                item.receipt = receipt
        for item in items:
            if item.duplicate and item.index is not None:
                item.entry = store.entry_data(conn, item.index)
                item.receipt = receipt_for(conn, item.index, original=True)


Outcome: TypeAlias = Appended | CreditBankError
"""What became of one item of a ``submit_many``: where it was logged, or its refusal."""


def _all_outcomes(futures: list[Future[Appended]]) -> Future[list[Outcome]]:
    """One future for ``futures``: their outcomes in order, once every one is settled."""
    combined: Future[list[Outcome]] = Future()
    remaining = len(futures)
    lock = threading.Lock()

    def one_settled(_: Future[Appended]) -> None:
        nonlocal remaining
        with lock:
            remaining -= 1
            if remaining:
                return
        outcomes: list[Outcome] = []
        for future in futures:
            error = future.exception()
            if error is None:
                outcomes.append(future.result())
            elif isinstance(error, CreditBankError):
                outcomes.append(error)
            else:  # a bug behind the sequencer: the worker answers 503, not a hang
                log.error("a forwarded append failed", exc_info=error)
                outcomes.append(Unavailable(f"the sequencer failed: {error}"))
        combined.set_result(outcomes)

    if not futures:
        combined.set_result([])
    for future in futures:
        future.add_done_callback(one_settled)
    return combined


def _settle_each(items: list[_Item], answer: Future[list[Outcome]]) -> None:
    """Settle each item of a forwarded ``submit_many`` from the host's one answer."""
    error = answer.exception()
    if error is not None:  # the host refused the call or is gone: every item is
        for item in items:
            assert item.future is not None
            item.future.set_exception(error)
        return
    for item, outcome in zip(items, answer.result(), strict=True):
        assert item.future is not None
        if isinstance(outcome, Appended):
            item.future.set_result(outcome)
        else:
            item.future.set_exception(outcome)


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
