"""Reads and writes of the ledger tables: state, tree nodes, entries, checkpoints, proofs.

Every proof is O(log n) node reads in one query: the tree's complete subtrees are stored
by (level, index) and each proof element is the hash of a leaf range made of at most
~log2(n) of them (see creditbank.core.tlog.merkle).
"""

from __future__ import annotations

import contextlib
import functools
import re
import weakref
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, event, select
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
    first: str, second: str, pairs: Iterable[tuple[Any, ...]]
) -> tuple[str, list[Any]]:
    """``(first, second) IN pairs`` written as ``(first = ? AND second IN (...)) OR ...``,
    a form SQLite answers from the composite index (it scans the table for a row-value
    IN); the SQL and its parameters."""
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


KEYS_PER_QUERY = 500


def rows_matching(
    conn: Connection,
    table: str,
    columns: str,
    keys: Sequence[tuple[str, str]],
    values: Iterable[tuple[Any, ...]],
    where: str = "",
    params: Sequence[object] = (),
) -> list[tuple[Any, ...]]:
    """The rows of ``table`` whose ``keys`` columns (one or two: (name, PostgreSQL type))
    equal one of ``values``, as (key values..., ``columns``...), one query per 500 keys;
    ``where`` (with ``params``) narrows them further.

    A batch reads the rows of hundreds of learners at once. On PostgreSQL the keys go as
    arrays joined laterally to a subquery the planner may not flatten (``OFFSET 0``), so
    each key is one index lookup whatever its statistics say (an IN list of 500 on a
    table not analyzed since it grew was planned as a scan of the whole table, its cost
    growing with the log), and the statement's text is the same for every batch. SQLite
    answers an IN list from the index itself.
    """
    wanted = list(dict.fromkeys(values))
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(wanted), KEYS_PER_QUERY):
        chunk = wanted[start : start + KEYS_PER_QUERY]
        sql, args = matching_sql(conn.dialect.name, table, columns, keys, chunk, where)
        found.extend(query(conn, sql, [*args, *params]))
    return found


def matching_sql(
    dialect: str,
    table: str,
    columns: str,
    keys: Sequence[tuple[str, str]],
    values: Sequence[tuple[Any, ...]],
    where: str = "",
) -> tuple[str, list[Any]]:
    """``rows_matching``'s statement (``?`` placeholders) and its key parameters."""
    names = [name for name, _ in keys]
    narrow = f" AND ({where})" if where else ""
    if dialect == "postgresql":
        aliases = [f"k{i}" for i in range(len(keys))]
        arrays = ", ".join(f"?::{pg_type}[]" for _, pg_type in keys)
        match = " AND ".join(f"{n} = k.{a}" for n, a in zip(names, aliases, strict=True))
        sql = (
            f"SELECT {', '.join(f'k.{a}' for a in aliases)}, t.* "  # noqa: S608  (identifiers from the code, values as parameters)
            f"FROM unnest({arrays}) AS k({', '.join(aliases)}) CROSS JOIN LATERAL "
            f"(SELECT {columns} FROM {table} WHERE {match}{narrow} OFFSET 0) AS t"
        )
        return sql, [[v[i] for v in values] for i in range(len(keys))]
    if len(keys) == 1:
        marks = ",".join("?" * len(values))
        sql = f"SELECT {names[0]}, {columns} FROM {table} WHERE {names[0]} IN ({marks})"  # noqa: S608  (placeholders only)
        return sql + narrow, [v[0] for v in values]
    pairs_sql, args = _pairs_where(names[0], names[1], values)
    sql = f"SELECT {', '.join(names)}, {columns} FROM {table} WHERE ({pairs_sql})"  # noqa: S608  (placeholders only)
    return sql + narrow, args


def logged_statements(
    conn: Connection, keys: Iterable[tuple[str, str | None]]
) -> dict[tuple[str, str | None], tuple[int, bytes]]:
    """(index, statement hash) of the statements already logged under the (actor,
    idempotency key) pairs ``keys``: the sequencer's check for repeats, once per batch."""
    rows = rows_matching(
        conn,
        "log_entries",
        "idx, statement_hash",
        [("actor", "text"), ("idem_key", "text")],
        (k for k in keys if k[1] is not None),
    )
    return {(actor, idem_key): (idx, bytes(digest)) for actor, idem_key, idx, digest in rows}


def read_nodes(conn: Connection, ids: Iterable[NodeId]) -> dict[NodeId, bytes]:
    rows = rows_matching(conn, "tree_nodes", "hash", [("level", "int"), ("idx", "bigint")], ids)
    return {(level, idx): bytes(h) for level, idx, h in rows}


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


def write(
    conn: Connection, sql: str, params: Sequence[object] = (), *, row: Hashable | None = None
) -> None:
    """Run one INSERT/UPDATE (``?`` placeholders) on the driver's cursor (see ``query``),
    or hold it for the next flush inside ``deferred_writes``. ``row`` names the row a
    plain INSERT creates, so that ``amend_held`` can still change its values while held."""
    held: _Held | None = conn.info.get(_PENDING)
    if held is not None:
        values = list(params)
        held.writes.append((sql, values))
        table, plain_insert = _shape(sql)
        if not plain_insert:
            # it may change rows held INSERTs create: they can no longer be amended
            held.rows.pop(table, None)
        elif row is not None:
            held.rows.setdefault(table, {})[row] = values
        return
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(_driver_sql(conn, sql), tuple(params))
    finally:
        cursor.close()


def amend_held(conn: Connection, table: str, row: Hashable, position: int, value: object) -> bool:
    """Set parameter ``position`` of the held INSERT of ``row`` into ``table``, as an
    UPDATE of that row now would; False when that cannot be done (nothing is held for
    the row, or a later held write to the table may have changed it): the caller then
    writes the UPDATE.

    A completion's award comes a moment after the completion: folding it into the
    completion's INSERT saves an UPDATE per award and lets a batch's completions go to
    the database as one run of a single statement."""
    held: _Held | None = conn.info.get(_PENDING)
    values = None if held is None else held.rows.get(table, {}).get(row)
    if values is None:
        return False
    values[position] = value
    return True


@functools.lru_cache(maxsize=256)
def _shape(sql: str) -> tuple[str | None, bool]:
    """The table a write changes (None: cannot tell) and whether it is a plain INSERT."""
    m = _TABLE.match(sql)
    return (None if m is None else m[1]), _INSERT.fullmatch(sql) is not None


@dataclass
class _Held:
    writes: list[tuple[str, list[object]]]
    rows: dict[str | None, dict[Hashable, list[object]]]
    """The amendable held INSERTs: table -> row -> its parameters."""


_PENDING = "creditbank.pending_writes"


@contextlib.contextmanager
def deferred_writes(conn: Connection) -> Iterator[None]:
    """Hold ``write``s on ``conn`` until it next reads (or the block ends), then send them
    together.

    A batch makes several projection writes per completion; on PostgreSQL each would
    otherwise wait a network round trip. Every read (``query``, or any statement
    SQLAlchemy runs on ``conn``) first sends what is held, so handlers read exactly what
    row-by-row writes would have left.
    """
    if _PENDING in conn.info:  # already deferring (nested)
        yield
        return
    _flush_before_statements(conn.engine)
    conn.info[_PENDING] = _Held([], {})
    try:
        yield
        flush_writes(conn)
    finally:
        conn.info.pop(_PENDING, None)


_FLUSHING: weakref.WeakSet[Engine] = weakref.WeakSet()


def _flush_before_statements(engine: Engine) -> None:
    """Have every statement SQLAlchemy runs on ``engine`` first send what a connection
    holds: listened for once per engine, not added and removed on each batch's
    connection (which cost a batch of four statements more than its BEGIN)."""
    if engine not in _FLUSHING:
        event.listen(engine, "before_cursor_execute", _flush_before_execute)
        _FLUSHING.add(engine)


def _flush_before_execute(conn: Connection, *_: object) -> None:
    if _PENDING in conn.info:
        flush_writes(conn)


_TABLE = re.compile(r"(?:INSERT INTO|UPDATE|DELETE FROM) (\w+) ")


def _runs(writes: list[tuple[str, list[object]]]) -> list[tuple[str, list[tuple[object, ...]]]]:
    """The held writes as runs of one statement, table by table.

    Writes to different tables commute (the projections have no foreign keys or
    triggers between them), so each table's writes are taken together, in their own
    order; the order within a table is kept exactly. A statement whose table cannot be
    told keeps the original order for everything."""
    tables_of = [_shape(sql)[0] for sql, _ in writes]
    if None not in tables_of:
        by_table: dict[str | None, list[tuple[str, list[object]]]] = {}
        for table, w in zip(tables_of, writes, strict=True):
            by_table.setdefault(table, []).append(w)
        writes = [w for ws in by_table.values() for w in ws]
    runs: list[tuple[str, list[tuple[object, ...]]]] = []
    for sql, params in writes:
        if runs and runs[-1][0] == sql:
            runs[-1][1].append(tuple(params))
        else:
            runs.append((sql, [tuple(params)]))
    return runs


def flush_writes(conn: Connection) -> None:
    """Send the writes ``deferred_writes`` holds, as runs of one statement (``_runs``):
    ``executemany`` on SQLite; on PostgreSQL COPY for a long run of plain INSERTs and a
    pipeline for the rest. Driver errors come back as SQLAlchemy's DBAPIError, as from
    any other statement."""
    held: _Held | None = conn.info.get(_PENDING)
    if held is None or not held.writes:
        return
    runs = _runs(held.writes)
    held.writes = []
    held.rows.clear()
    if conn.dialect.paramstyle == "qmark":
        _executemany(conn, runs)
        return
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    driver_error = conn.dialect.loaded_dbapi.Error
    sql = ""
    try:
        start = 0
        while start < len(runs):
            sql, rows = runs[start]
            if _copyable(sql, rows):
                _copy(dbapi, sql, rows)
                start += 1
                continue
            with dbapi.pipeline(), dbapi.cursor() as cursor:  # type: ignore[attr-defined]
                while start < len(runs) and not _copyable(*runs[start]):
                    sql, rows = runs[start]
                    cursor.executemany(_driver_sql(conn, sql), rows)
                    start += 1
    except driver_error as exc:
        raise DBAPIError.instance(sql, None, exc, driver_error) from exc


COPY_MIN_ROWS = 64
"""From this many rows, PostgreSQL inserts go through COPY (one stream, no per-row
statement) instead of a pipelined ``executemany``."""
_INSERT = re.compile(r"INSERT INTO (\w+) \(([^)]*)\) VALUES \([?, ]*\)")


def _copyable(sql: str, rows: Sequence[object]) -> bool:
    return len(rows) >= COPY_MIN_ROWS and _INSERT.fullmatch(sql) is not None


def _copy(dbapi: Any, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """A plain INSERT's rows through ``COPY ... FROM STDIN``: same triggers, same
    constraints, same transaction."""
    shape = _INSERT.fullmatch(sql)
    assert shape is not None
    with dbapi.cursor() as cursor, cursor.copy(f"COPY {shape[1]} ({shape[2]}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _executemany(conn: Connection, runs: Sequence[tuple[str, Sequence[tuple[Any, ...]]]]) -> None:
    """``runs`` on SQLite's driver cursor; a driver error as DBAPIError naming its
    statement, as from any other statement."""
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    driver_error = conn.dialect.loaded_dbapi.Error
    cursor = dbapi.cursor()
    sql = ""
    try:
        for sql, rows in runs:
            cursor.executemany(sql, rows)
    except driver_error as exc:
        raise DBAPIError.instance(sql, None, exc, driver_error) from exc
    finally:
        cursor.close()


def _raw_many(conn: Connection, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
    if not rows:
        return
    if conn.dialect.paramstyle == "qmark":
        # on the driver's cursor, as ``write`` and ``query`` are (after what is held)
        flush_writes(conn)
        _executemany(conn, [(sql, rows)])
        return
    if not _copyable(sql, rows):
        conn.exec_driver_sql(sql.replace("?", "%s"), list(rows))
        return
    flush_writes(conn)
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    driver_error = conn.dialect.loaded_dbapi.Error
    try:
        _copy(dbapi, sql, rows)
    except driver_error as exc:
        raise DBAPIError.instance(sql, None, exc, driver_error) from exc


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
    flush_writes(conn)  # a batch's own checkpoint may still be held
    row = conn.execute(select(C.c.size, C.c.note).order_by(C.c.size.desc()).limit(1)).first()
    if row is None:
        raise NotFound("the log has no checkpoint yet; run `creditbank init`")
    return row.size, row.note


def checkpoint_covering(conn: Connection, index: int) -> tuple[int, str]:
    """The first checkpoint that covered entry ``index`` (its original receipt's)."""
    flush_writes(conn)  # a batch's own checkpoint may still be held
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
