"""`creditbank audit` and `creditbank rebuild`: re-derive everything from the log alone.

The audit re-reads every entry from the database and recomputes every leaf hash and every
stored interior hash, re-verifies every author signature (against the key active at that
point of the log) and every stored checkpoint (signature, root, and consistency with the
next), replays the rules into a scratch database and compares the rebuilt projections
with the stored ones. The first problem found is reported with the index at fault.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, select

from creditbank.core.errors import VerificationError
from creditbank.core.tlog import merkle
from creditbank.core.tlog.checkpoint import open_checkpoint
from creditbank.core.tlog.note import parse_verifier_key
from creditbank.db.engine import WRITE, make_engine
from creditbank.db.migrate import upgrade
from creditbank.db.tables import projection_tables
from creditbank.ledger import store
from creditbank.ledger.kinds import KindHandler
from creditbank.ledger.replay import Replayer, ReplayFinding
from creditbank.ledger.sigpool import SignaturePool

Progress = Callable[[int], None]
# One consistent snapshot for the whole audit while appends go on (SQLite's WAL readers
# already see one).
_SNAPSHOT = {"postgresql": {"isolation_level": "REPEATABLE READ"}}


@dataclass(frozen=True)
class AuditReport:
    entries: int
    checkpoints: int
    seconds: float
    first_bad_index: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


class _Finding(Exception):
    def __init__(self, index: int | None, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.message = message


def _checkpoints(conn: Connection) -> Iterator[tuple[int, bytes, str]]:
    rows = conn.execute(
        select(store.C.c.size, store.C.c.root_hash, store.C.c.note).order_by(store.C.c.size)
    )
    for size, root, note in rows:
        yield size, bytes(root), note


def audit(
    engine: Engine,
    verifier_key: str,
    origin: str,
    handlers: dict[str, KindHandler],
    progress: Progress | None = None,
    *,
    parallel_min: int | None = None,
) -> AuditReport:
    """Audit the whole log behind ``engine``; never raises for a finding, reports it.
    Author signatures are checked on a second core when the log holds at least
    ``parallel_min`` entries (default ``PARALLEL_REPLAY_MIN``)."""
    started = time.perf_counter()
    verifier = parse_verifier_key(verifier_key)
    with tempfile.TemporaryDirectory(prefix="creditbank-audit-") as tmp:
        scratch = make_engine(f"sqlite:///{Path(tmp) / 'replay.db'}", durable=False)
        upgrade(scratch)
        replayer: Replayer | None = None
        try:
            with (
                engine.connect().execution_options(
                    **_SNAPSHOT.get(engine.dialect.name, {})
                ) as conn,
                scratch.connect().execution_options(**WRITE) as sconn,
                conn.begin(),
                sconn.begin(),
                signature_pool(store.tree_size(conn), parallel_min) as pool,
            ):
                replayer = Replayer(sconn, handlers, pool)
                with store.deferred_writes(sconn):
                    try:
                        n, cps = _audit(conn, replayer, verifier, origin, progress)
                    except _Finding as f:
                        raise _earliest(f, replayer) from f
                _compare_projections(conn, sconn)
        except _Finding as f:
            return AuditReport(0, 0, time.perf_counter() - started, f.index, f.message)
        finally:
            scratch.dispose()
    return AuditReport(n, cps, time.perf_counter() - started)


PARALLEL_REPLAY_MIN = 20_000
"""Logs at least this long are replayed with author signatures checked on a second core
(starting the worker takes a moment; below this it does not pay)."""


@contextlib.contextmanager
def signature_pool(size: int, parallel_min: int | None = None) -> Iterator[SignaturePool | None]:
    """A signature worker for replaying a log of ``size`` entries, stopped afterwards
    (also on an error or an interrupt); None for a log shorter than ``parallel_min``."""
    if size < (PARALLEL_REPLAY_MIN if parallel_min is None else parallel_min):
        yield None
        return
    pool = SignaturePool()
    try:
        yield pool
    finally:
        pool.close()


def _earliest(finding: _Finding, replayer: Replayer) -> _Finding:
    """``finding``, or an earlier entry's bad signature still being checked."""
    try:
        replayer.settle()
    except ReplayFinding as f:
        if finding.index is None or f.index < finding.index:
            return _Finding(f.index, f.message)
    return finding


def _audit(
    conn: Connection,
    replayer: Replayer,
    verifier: object,
    origin: str,
    progress: Progress | None,
) -> tuple[int, int]:
    state = store.read_state(conn)
    if state is None:
        raise _Finding(None, "the log has no state row: not initialized")
    checkpoints = _checkpoints(conn)
    next_cp = next(checkpoints, None)
    prev_cp: tuple[int, bytes] | None = None
    cp_count = 0
    size = 0
    frontier: dict[merkle.NodeId, bytes] = {}
    pending: dict[merkle.NodeId, tuple[bytes, int]] = {}

    def flush() -> None:
        stored = store.read_nodes(conn, pending)
        bad = [
            (node, first_leaf)
            for node, (want, first_leaf) in pending.items()
            if stored.get(node) != want
        ]
        if bad:
            # A changed entry shows as a bad leaf and as bad parents that begin further
            # left; name the entry (level 0) when there is one.
            node, first_leaf = min(bad, key=lambda b: (b[0][0] != 0, b[1]))
            what = "missing" if node not in stored else "differs"
            raise _Finding(first_leaf, f"stored tree node {node} {what} from the recomputed hash")
        pending.clear()

    def check_checkpoint(cp_size: int, cp_root: bytes, note: str) -> None:
        nonlocal prev_cp, cp_count
        flush()  # a bad stored node names its first leaf, before the root can only say "bad"
        root = merkle.hash_range(list(frontier.values())) if cp_size else merkle.EMPTY_ROOT
        try:
            cp = open_checkpoint(note, verifier, origin=origin)  # type: ignore[arg-type]
        except VerificationError as exc:
            raise _Finding(
                max(cp_size - 1, 0), f"checkpoint {cp_size} does not verify: {exc}"
            ) from exc
        if cp.size != cp_size or cp.root_hash != cp_root or cp_root != root:
            raise _Finding(
                max(cp_size - 1, 0),
                f"checkpoint {cp_size} root differs from the recomputed tree",
            )
        if prev_cp is not None:
            first, first_root = prev_cp
            flush()
            try:
                proof = store.consistency_proof(conn, first, cp_size)
                merkle.verify_consistency(first, cp_size, proof, first_root, root)
            except VerificationError as exc:
                raise _Finding(
                    first, f"checkpoint {first} is not consistent with {cp_size}: {exc}"
                ) from exc
        prev_cp = (cp_size, root)
        cp_count += 1

    for index, data, stored_leaf in store.iter_entries(conn):
        leaf = merkle.leaf_hash(data)
        if index != size:
            raise _Finding(size, f"entry {size} is missing")
        if leaf != stored_leaf:
            raise _Finding(index, "entry bytes do not match the stored leaf hash")
        try:
            replayer.feed(index, data)
        except ReplayFinding as f:
            raise _Finding(f.index, f.message) from f
        created, frontier = merkle.append_leaves(size, frontier, [leaf])
        for node, h in created:
            pending[node] = (h, node[1] << node[0])
        size += 1
        if len(pending) >= 4000:
            flush()
        while next_cp is not None and next_cp[0] == size:
            check_checkpoint(*next_cp)
            next_cp = next(checkpoints, None)
        if progress is not None and size % 1000 == 0:
            progress(size)
    flush()
    try:
        replayer.finish()
    except ReplayFinding as f:
        raise _Finding(f.index, f.message) from f
    if next_cp is not None:
        raise _Finding(size, f"checkpoint {next_cp[0]} is beyond the last entry ({size})")
    if state.size != size or state.root_hash != merkle.hash_range(list(frontier.values())):
        raise _Finding(size, f"log state says size {state.size}, the entries make {size}")
    if progress is not None:
        progress(size)
    return size, cp_count


def _compare_projections(conn: Connection, sconn: Connection) -> None:
    """Every projection row for row; ordered in Python by primary key, since the live and
    scratch databases may collate text differently."""
    for table in projection_tables():
        positions = [list(table.columns).index(c) for c in table.primary_key.columns]

        def by_key(row: tuple[Any, ...], positions: list[int] = positions) -> tuple[Any, ...]:
            return tuple(row[i] for i in positions)

        live = sorted((tuple(r) for r in conn.execute(select(table))), key=by_key)
        rebuilt = sorted((tuple(r) for r in sconn.execute(select(table))), key=by_key)
        if live != rebuilt:
            live_set, rebuilt_set = set(map(tuple, live)), set(map(tuple, rebuilt))
            extra = sorted(live_set - rebuilt_set, key=str)[:1]
            missing = sorted(rebuilt_set - live_set, key=str)[:1]
            raise _Finding(
                None,
                f"projection {table.name} differs from the log: stored-only rows {extra}, "
                f"rebuilt-only rows {missing}",
            )


def _replay(
    replayer: Replayer, entries: Iterable[tuple[int, bytes]], progress: Progress | None
) -> int:
    count = 0
    for index, data in entries:
        replayer.feed(index, data)
        count += 1
        if progress is not None and count % 1000 == 0:
            progress(count)
    replayer.finish()
    return count


def replay_elsewhere(
    entries: Iterable[tuple[int, bytes]],
    handlers: dict[str, KindHandler],
    progress: Progress | None = None,
    *,
    size: int = 0,
    parallel_min: int | None = None,
) -> int:
    """Re-derive a log read from elsewhere (a published tiles tree) into a scratch
    database: every author signature and role checked, every decision the rules derive
    matched with the entries that follow. ``size`` (the entries expected) decides
    whether signatures are checked on a second core. Returns the entries replayed;
    raises VerificationError at the first entry an honest ledger would not hold."""
    with tempfile.TemporaryDirectory(prefix="creditbank-replay-") as tmp:
        scratch = make_engine(f"sqlite:///{Path(tmp) / 'replay.db'}", durable=False)
        upgrade(scratch)
        try:
            with (
                scratch.connect().execution_options(**WRITE) as sconn,
                sconn.begin(),
                signature_pool(size, parallel_min) as pool,
                store.deferred_writes(sconn),
            ):
                return _replay(Replayer(sconn, handlers, pool), entries, progress)
        except ReplayFinding as f:
            raise VerificationError(str(f)) from f
        finally:
            scratch.dispose()


def rebuild(
    engine: Engine,
    handlers: dict[str, KindHandler],
    progress: Progress | None = None,
    *,
    parallel_min: int | None = None,
) -> int:
    """Recompute every projection from the log alone, in one transaction (author
    signatures of a long log checked on a second core meanwhile)."""
    with engine.connect().execution_options(**WRITE) as conn, conn.begin():
        state = store.read_state(conn, for_update=True)  # hold the sequencer's lock meanwhile
        for table in reversed(projection_tables()):
            conn.execute(delete(table))
        entries = ((index, data) for index, data, _ in store.iter_entries(conn))
        try:
            with (
                signature_pool(0 if state is None else state.size, parallel_min) as pool,
                store.deferred_writes(conn),
            ):
                return _replay(Replayer(conn, handlers, pool), entries, progress)
        except ReplayFinding as f:
            raise VerificationError(str(f)) from f
