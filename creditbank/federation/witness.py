"""The bank's witness (c2sp.org/tlog-witness): ``add-checkpoint`` for configured peer logs.

One transaction per request reads what the witness saw of the log, decides with the pure
:func:`creditbank.core.tlog.witness.decide`, and stores the new state or the evidence of a
split view, so the check of the old size and the update are atomic (the spec's race):
SQLite's BEGIN IMMEDIATE, PostgreSQL's transaction-scoped advisory lock. The answer is the
spec's: 200 with the cosignature line, or 400/403/404/409/422 as plain text, a 409
carrying the witness's known size as ``text/x.tlog.size``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from creditbank.core.entry import format_time
from creditbank.core.errors import CreditBankError, VerificationError
from creditbank.core.paging import PageRequest
from creditbank.core.tlog import witness as rules
from creditbank.db import tables
from creditbank.db.engine import WRITE
from creditbank.federation.config import load_config, witness_key

log = logging.getLogger(__name__)

TEXT = "text/plain; charset=utf-8"
_LOCK_ID = 72790517  # PostgreSQL advisory lock: one witness decision at a time
_local = threading.Lock()


@dataclass(frozen=True)
class WitnessAnswer:
    """What to answer: status, body and content type, as tlog-witness asks."""

    status: int
    body: str
    content_type: str = TEXT


def _refusal(refused: rules.Refused) -> WitnessAnswer:
    if refused.status == 409 and refused.known_size is not None:
        # every 409 (a stale old size, or a fork) carries the witness's known size
        return WitnessAnswer(409, f"{refused.known_size}\n", rules.SIZE_CONTENT_TYPE)
    return WitnessAnswer(refused.status, refused.reason + "\n")


def _seen(conn: Connection, origin: str, claimed_size: int) -> rules.Seen | None:
    w, r = tables.witnessed_logs, tables.witnessed_roots
    row = conn.execute(select(w).where(w.c.origin == origin)).first()
    if row is None:
        return None
    roots = {
        size: bytes(root)
        for size, root in conn.execute(
            select(r.c.size, r.c.root_hash).where(
                r.c.origin == origin, r.c.size.in_([row.size, claimed_size])
            )
        )
    }
    return rules.Seen(row.size, bytes(row.root_hash), row.note, roots)


def _record_split(
    conn: Connection,
    origin: str,
    seen: rules.Seen | None,
    request: rules.AddCheckpoint,
    refused: rules.Refused,
    at: str,
) -> None:
    conn.execute(
        insert(tables.split_views).values(
            origin=origin,
            kind=refused.split,
            observed_at=at,
            known_size=0 if seen is None else seen.size,
            known_note="" if seen is None else seen.note,
            old_size=request.old_size,
            submitted=request.checkpoint_note,
            reason=refused.reason,
        )
    )


def _store(
    conn: Connection, origin: str, seen: rules.Seen | None, done: rules.Cosigned, note: str, at: str
) -> None:
    w, r = tables.witnessed_logs, tables.witnessed_roots
    cp = done.checkpoint
    values = {"size": cp.size, "root_hash": cp.root_hash, "note": note, "updated_at": at}
    if seen is None:
        conn.execute(insert(w).values(origin=origin, **values))
    else:
        conn.execute(update(w).where(w.c.origin == origin).values(**values))
    if seen is None or cp.size not in seen.roots:
        conn.execute(insert(r).values(origin=origin, size=cp.size, root_hash=cp.root_hash))


def add_checkpoint(engine: Engine, keys_dir: Path, body: bytes, now: datetime) -> WitnessAnswer:
    """Answer one ``POST add-checkpoint``: cosign, or refuse as the spec says; a split
    view is recorded (``split_views``) before the refusal is sent."""
    # 1. the request parses, and names a log this witness is configured for
    try:
        request = rules.parse_add_checkpoint(body.decode("utf-8"))
        claimed = rules.parse_claim(request.checkpoint_note)
    except (UnicodeDecodeError, VerificationError, ValueError) as exc:
        return WitnessAnswer(400, f"malformed add-checkpoint request: {exc}\n")
    peer = load_config(keys_dir).peer(claimed.origin)
    if peer is None:
        return WitnessAnswer(404, f"this witness does not witness the log {claimed.origin!r}\n")
    try:
        key = witness_key(keys_dir)
    except CreditBankError as exc:
        return WitnessAnswer(404, exc.detail + "\n")
    at = format_time(now)
    # 2. decide and store atomically
    with _local, engine.connect().execution_options(**WRITE) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_ID})")
        seen = _seen(conn, claimed.origin, claimed.size)
        outcome = rules.decide(
            request,
            log=peer.verifier,
            seen=seen,
            witness_name=key.name,
            witness_key=key.private_key,
            now=int(now.timestamp()),
        )
        if isinstance(outcome, rules.Refused):
            if outcome.split is not None:
                _record_split(conn, claimed.origin, seen, request, outcome, at)
                log.warning(
                    "split view of %s (%s): %s", claimed.origin, outcome.split, outcome.reason
                )
            return _refusal(outcome)
        _store(conn, claimed.origin, seen, outcome, request.checkpoint_note, at)
    return WitnessAnswer(200, outcome.line)


def split_views(
    engine: Engine, origin: str | None = None, page: PageRequest | None = None
) -> list[dict[str, Any]]:
    """The recorded split views (all, or of one peer log), oldest first: the evidence
    (with a page request: those after its cursor, one more than its limit)."""
    s = tables.split_views
    query = select(s).order_by(s.c.id)
    if origin is not None:
        query = query.where(s.c.origin == origin)
    if page is not None:
        after = page.after_as(0)
        if after is not None:
            query = query.where(s.c.id > after)
        query = query.limit(page.limit + 1)
    with engine.connect() as conn:
        return [
            {
                "id": row.id,
                "origin": row.origin,
                "kind": row.kind,
                "observed_at": row.observed_at,
                "known_size": row.known_size,
                "known_checkpoint": row.known_note,
                "old_size": row.old_size,
                "submitted_checkpoint": row.submitted,
                "reason": row.reason,
            }
            for row in conn.execute(query)
        ]


def witnessed_logs(engine: Engine) -> list[dict[str, Any]]:
    """What the witness last cosigned of each peer log."""
    w = tables.witnessed_logs
    with engine.connect() as conn:
        return [
            {"origin": row.origin, "size": row.size, "updated_at": row.updated_at}
            for row in conn.execute(select(w).order_by(w.c.origin))
        ]
