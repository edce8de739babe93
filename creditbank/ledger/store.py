"""Reads and writes of the ledger tables: state, tree nodes, entries, checkpoints, proofs.

Every proof is O(log n) node reads in one query: the tree's complete subtrees are stored
by (level, index) and each proof element is the hash of a leaf range made of at most
~log2(n) of them (see creditbank.core.tlog.merkle).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, event, select
from sqlalchemy.exc import DBAPIError

from creditbank.core.errors import IntegrityFailure, InvalidInput, NotFound
from creditbank.core.tlog import merkle
from creditbank.core.tlog.merkle import NodeId
from creditbank.db import tables

E = tables.log_entries
N = tables.tree_nodes
C = tables.checkpoints
S = tables.log_state


@dataclass(frozen=True)
class State:
    size: int
    root_hash: bytes
    integrated_at: str


def _driver_sql(conn: Connection, sql: str) -> str:
    return sql if conn.dialect.paramstyle == "qmark" else sql.replace("?", "%s")


def query(conn: Connection, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
    """Run ``sql`` (``?`` placeholders) on the driver's cursor, inside the connection's
    transaction.

    Proofs and the projections' hot reads and writes are tiny: building SQLAlchemy
    expressions (or even its driver-level execute) costs more than the database does.
    """
    flush_writes(conn)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(_driver_sql(conn, sql), tuple(params))
        return [tuple(r) for r in cursor.fetchall()]
    finally:
        cursor.close()


def read_state(conn: Connection, *, for_update: bool = False) -> State | None:
    sql = "SELECT size, root_hash, integrated_at FROM log_state WHERE id = 1"
    if for_update and conn.dialect.name != "sqlite":
        # PostgreSQL: the row lock is the sequencer's mutex across processes.
        # SQLite: BEGIN IMMEDIATE already holds the database's write lock.
        sql += " FOR UPDATE"
    rows = query(conn, sql, ())
    if not rows:
        return None
    size, root, integrated_at = rows[0]
    return State(size, bytes(root), integrated_at)


def _pairs_where(
    first: str, second: str, pairs: Iterable[tuple[Any, Any]]
) -> tuple[str, list[Any]]:
    """``(first, second) IN pairs`` written as ``(first = ? AND second IN (...)) OR ...``,
    a form both SQLite and PostgreSQL answer from the composite index (SQLite scans the
    table for a row-value IN); the SQL and its parameters."""
    grouped: dict[Any, list[Any]] = {}
    for a, b in pairs:
        grouped.setdefault(a, []).append(b)
    where = " OR ".join(
        f"({first} = ? AND {second} IN ({','.join('?' * len(bs))}))" for bs in grouped.values()
    )
    params: list[Any] = []
    for a, bs in grouped.items():
        params.append(a)
        params.extend(bs)
    return where, params


def logged_statements(
    conn: Connection, keys: Iterable[tuple[str, str | None]]
) -> dict[tuple[str, str | None], tuple[int, bytes]]:
    """(index, statement hash) of the statements already logged under the (actor,
    idempotency key) pairs ``keys``: the sequencer's check for repeats, once per batch."""
    wanted = list(dict.fromkeys(k for k in keys if k[1] is not None))
    seen: dict[tuple[str, str | None], tuple[int, bytes]] = {}
    for start in range(0, len(wanted), 500):
        where, params = _pairs_where("actor", "idem_key", wanted[start : start + 500])
        sql = f"SELECT actor, idem_key, idx, statement_hash FROM log_entries WHERE {where}"  # noqa: S608  (only placeholders are interpolated)
        for actor, idem_key, idx, digest in query(conn, sql, params):
            seen[(actor, idem_key)] = (idx, bytes(digest))
    return seen


def read_nodes(conn: Connection, ids: Iterable[NodeId]) -> dict[NodeId, bytes]:
    wanted = list(dict.fromkeys(ids))
    found: dict[NodeId, bytes] = {}
    for start in range(0, len(wanted), 500):
        # answered from the primary key on both engines (see _pairs_where)
        where, params = _pairs_where("level", "idx", wanted[start : start + 500])
        sql = f"SELECT level, idx, hash FROM tree_nodes WHERE {where}"  # noqa: S608  (only placeholders are interpolated)
        for level, idx, h in query(conn, sql, params):
            found[(level, idx)] = bytes(h)
    return found


def lookup_nodes(
    conn: Connection, ids: Sequence[NodeId], cached: Mapping[NodeId, bytes] | None = None
) -> dict[NodeId, bytes]:
    """Hashes for ``ids``, from ``cached`` first; a missing node is an integrity failure."""
    have = dict(cached or {})
    missing = [n for n in ids if n not in have]
    if missing:
        have.update(read_nodes(conn, missing))
    for n in ids:
        if n not in have:
            raise IntegrityFailure(f"tree node {n} is missing from storage")
    return have


UPPER_WIDTH = 256
"""Leaf ranges this wide (the upper half of every proof) are kept by ``committed`` proof
reads: a 1,000,000-leaf tree has under 8,000 of them and they never change."""
UPPER_CACHE_MAX = 65_536
_UPPER = "creditbank.upper_ranges"


def _upper_ranges(conn: Connection) -> dict[tuple[int, int], bytes]:
    """The upper-range cache of ``conn``'s database connection (it lives as long as the
    pooled connection, so one database's hashes never meet another's)."""
    cache: dict[tuple[int, int], bytes] = conn.connection.info.setdefault(_UPPER, {})
    return cache


def _ranges_hashes(
    conn: Connection,
    ranges: Sequence[tuple[int, int]],
    cached: Mapping[NodeId, bytes] | None,
    committed: bool = False,
) -> list[bytes]:
    """Hashes of leaf ranges. ``committed``: the caller reads only committed state (a
    read-only connection), so the hashes of wide ranges are final and are kept: a proof
    at a million leaves then reads and hashes about what one at a thousand does. What a
    writing transaction reads is never kept (it may yet roll back)."""
    if not committed:
        nodes = lookup_nodes(conn, merkle.nodes_for_ranges(ranges), cached)
        return merkle.hashes_for_ranges(ranges, nodes.__getitem__)
    upper = _upper_ranges(conn)
    found = [upper.get(r) for r in ranges]
    todo = [r for r, h in zip(ranges, found, strict=True) if h is None]
    if todo:
        nodes = lookup_nodes(conn, merkle.nodes_for_ranges(todo), cached)
        made = dict(zip(todo, merkle.hashes_for_ranges(todo, nodes.__getitem__), strict=True))
        if len(upper) >= UPPER_CACHE_MAX:
            upper.clear()
        upper.update((r, h) for r, h in made.items() if r[1] - r[0] >= UPPER_WIDTH)
        found = [made[r] if h is None else h for r, h in zip(ranges, found, strict=True)]
    return [h for h in found if h is not None]


def inclusion_proofs(
    conn: Connection, indexes: Sequence[int], size: int, cached: Mapping[NodeId, bytes]
) -> list[list[bytes]]:
    """Inclusion proofs for many entries of one tree with one storage read at most (the
    sequencer's receipts for a batch)."""
    # Neighbouring entries share most of their proof ranges: split each range once.
    split: dict[tuple[int, int], list[NodeId]] = {}
    shapes = merkle.inclusion_proof_ranges_many(indexes, size)
    for ranges in shapes:
        for r in ranges:
            if r not in split:
                split[r] = merkle.range_nodes(*r)
    nodes = lookup_nodes(conn, list(dict.fromkeys(n for ns in split.values() for n in ns)), cached)
    hashes = {r: merkle.hash_range([nodes[n] for n in ns]) for r, ns in split.items()}
    return [[hashes[r] for r in rs] for rs in shapes]


def insert_entries(
    conn: Connection, rows: Sequence[tuple[int, str, str, str | None, bytes, bytes, bytes]]
) -> None:
    """Bulk insert (idx, kind, actor, idem_key, statement_hash, leaf_hash, data) rows,
    straight to the driver: the sequencer's hottest write."""
    _raw_many(
        conn,
        "INSERT INTO log_entries (idx, kind, actor, idem_key, statement_hash, leaf_hash, data) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def insert_nodes(conn: Connection, rows: Sequence[tuple[int, int, bytes]]) -> None:
    """Bulk insert (level, idx, hash) tree nodes."""
    _raw_many(conn, "INSERT INTO tree_nodes (level, idx, hash) VALUES (?, ?, ?)", rows)


def write(conn: Connection, sql: str, params: Sequence[object] = ()) -> None:
    """Run one INSERT/UPDATE (``?`` placeholders) on the driver's cursor (see ``query``),
    or hold it for the next flush inside ``deferred_writes``."""
    pending: list[tuple[str, tuple[object, ...]]] | None = conn.info.get(_PENDING)
    if pending is not None:
        pending.append((sql, tuple(params)))
        return
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(_driver_sql(conn, sql), tuple(params))
    finally:
        cursor.close()


_PENDING = "creditbank.pending_writes"


@contextlib.contextmanager
def deferred_writes(conn: Connection) -> Iterator[None]:
    """Hold ``write``s on ``conn`` until it next reads (or the block ends), then send them
    together.

    A batch makes several projection writes per completion; on PostgreSQL each would
    otherwise wait a network round trip. Order is kept, and every read (``query``, or
    any statement SQLAlchemy runs on ``conn``) first sends what is held, so handlers read
    exactly what row-by-row writes would have left.
    """
    if _PENDING in conn.info:  # already deferring (nested)
        yield
        return
    conn.info[_PENDING] = []
    event.listen(conn, "before_cursor_execute", _flush_before_execute)
    try:
        yield
        flush_writes(conn)
    finally:
        conn.info.pop(_PENDING, None)
        event.remove(conn, "before_cursor_execute", _flush_before_execute)


def _flush_before_execute(conn: Connection, *_: object) -> None:
    flush_writes(conn)


def flush_writes(conn: Connection) -> None:
    """Send the writes ``deferred_writes`` holds: one pipeline on PostgreSQL, runs of one
    statement as ``executemany`` on SQLite. Driver errors come back as SQLAlchemy's
    DBAPIError, as from any other statement."""
    pending: list[tuple[str, tuple[object, ...]]] | None = conn.info.get(_PENDING)
    if not pending:
        return
    held = list(pending)
    pending.clear()
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    driver_error = conn.dialect.loaded_dbapi.Error
    sql = ""
    try:
        if conn.dialect.paramstyle == "qmark":
            cursor = dbapi.cursor()
            try:
                start = 0
                while start < len(held):
                    sql = held[start][0]
                    end = start + 1
                    while end < len(held) and held[end][0] == sql:
                        end += 1
                    cursor.executemany(sql, [params for _, params in held[start:end]])
                    start = end
            finally:
                cursor.close()
        else:
            with dbapi.pipeline(), dbapi.cursor() as cursor:  # type: ignore[attr-defined]
                for sql, params in held:
                    cursor.execute(_driver_sql(conn, sql), params)
    except driver_error as exc:
        raise DBAPIError.instance(sql, None, exc, driver_error) from exc


COPY_MIN_ROWS = 64
"""From this many rows, PostgreSQL inserts go through COPY (one stream, no per-row
statement) instead of a pipelined ``executemany``."""
_INSERT = re.compile(r"INSERT INTO (\w+) \(([^)]*)\) VALUES \([?, ]*\)")


def _raw_many(conn: Connection, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
    if not rows:
        return
    if conn.dialect.paramstyle == "qmark":
        conn.exec_driver_sql(sql, list(rows))
        return
    shape = _INSERT.fullmatch(sql)
    if shape is None or len(rows) < COPY_MIN_ROWS:
        conn.exec_driver_sql(sql.replace("?", "%s"), list(rows))
        return
    # COPY fires the same triggers and checks the same constraints as INSERT.
    flush_writes(conn)
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    driver_error = conn.dialect.loaded_dbapi.Error
    copy_sql = f"COPY {shape[1]} ({shape[2]}) FROM STDIN"
    try:
        with dbapi.cursor() as cursor, cursor.copy(copy_sql) as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
    except driver_error as exc:
        raise DBAPIError.instance(copy_sql, None, exc, driver_error) from exc


def tree_size(conn: Connection) -> int:
    state = read_state(conn)
    return 0 if state is None else state.size


def _check_size(conn: Connection, size: int, field: str) -> None:
    current = tree_size(conn)
    if not 0 <= size <= current:
        raise InvalidInput(f"{field}={size} is outside the log (size {current})", field=field)


def inclusion_proof(
    conn: Connection,
    index: int,
    size: int,
    cached: Mapping[NodeId, bytes] | None = None,
    *,
    committed: bool = False,
) -> list[bytes]:
    """PATH(index, D[0:size]); ``committed``: see ``_ranges_hashes``."""
    _check_size(conn, size, "size")
    if not 0 <= index < size:
        raise InvalidInput(f"index {index} is not in a tree of size {size}", field="index")
    return _ranges_hashes(conn, merkle.inclusion_proof_ranges(index, size), cached, committed)


def consistency_proof(
    conn: Connection, first: int, second: int, *, committed: bool = False
) -> list[bytes]:
    """PROOF(first, D[0:second]); ``committed``: see ``_ranges_hashes``."""
    _check_size(conn, second, "second")
    if not 0 <= first <= second:
        raise InvalidInput(f"first={first} must be between 0 and second={second}", field="first")
    return _ranges_hashes(conn, merkle.consistency_proof_ranges(first, second), None, committed)


def root_at(conn: Connection, size: int, *, committed: bool = False) -> bytes:
    _check_size(conn, size, "size")
    if size == 0:
        return merkle.EMPTY_ROOT
    return _ranges_hashes(conn, [(0, size)], None, committed)[0]


def latest_checkpoint(conn: Connection) -> tuple[int, str]:
    row = conn.execute(select(C.c.size, C.c.note).order_by(C.c.size.desc()).limit(1)).first()
    if row is None:
        raise NotFound("the log has no checkpoint yet; run `creditbank init`")
    return row.size, row.note


def checkpoint_covering(conn: Connection, index: int) -> tuple[int, str]:
    """The first checkpoint that covered entry ``index`` (its original receipt's)."""
    row = conn.execute(
        select(C.c.size, C.c.note).where(C.c.size > index).order_by(C.c.size).limit(1)
    ).first()
    if row is None:
        raise NotFound(f"no checkpoint covers entry {index}", field="index")
    return row.size, row.note


def entry_data(conn: Connection, index: int) -> bytes:
    rows = query(conn, "SELECT data FROM log_entries WHERE idx = ?", (index,))
    if not rows:
        raise NotFound(f"no entry at index {index}", field="index")
    return bytes(rows[0][0])


def entries_range(conn: Connection, start: int, end: int) -> list[bytes]:
    rows = conn.execute(select(E.c.data).where(E.c.idx >= start, E.c.idx < end).order_by(E.c.idx))
    return [bytes(r.data) for r in rows]


def node_run(conn: Connection, level: int, start: int, count: int) -> list[bytes]:
    rows = conn.execute(
        select(N.c.hash)
        .where(N.c.level == level, N.c.idx >= start, N.c.idx < start + count)
        .order_by(N.c.idx)
    )
    return [bytes(r.hash) for r in rows]


def iter_entries(conn: Connection, batch: int = 2000) -> Iterator[tuple[int, bytes, bytes]]:
    """(index, data, stored leaf hash) in index order, streamed in pages."""
    last = -1
    while True:
        rows = conn.execute(
            select(E.c.idx, E.c.data, E.c.leaf_hash)
            .where(E.c.idx > last)
            .order_by(E.c.idx)
            .limit(batch)
        ).all()
        if not rows:
            return
        for r in rows:
            yield r.idx, bytes(r.data), bytes(r.leaf_hash)
        last = rows[-1].idx
