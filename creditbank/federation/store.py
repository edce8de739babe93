"""The recognition tables on the write path: agreements with peer banks and the records
recognised from them (projections ``creditbank rebuild`` recomputes from the log)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from creditbank.core.entry import format_time, parse_time
from creditbank.core.paging import PageRequest
from creditbank.core.rules import credits as credit_rules
from creditbank.core.rules.recognition import (
    DEFAULT_MAX_RECOGNIZED_SHARE_PERCENT,
    Agreement,
    agreement_from_terms,
    counted_recognized,
)
from creditbank.db import tables
from creditbank.ledger import store as ledger_store
from creditbank.ledger.kinds import BatchContext

A, R = tables.recognition_agreements, tables.recognitions


@dataclass(frozen=True)
class RecognitionRow:
    idx: int
    learner: str
    record: str
    agreement_id: str
    peer_ref: str
    standard_id: str
    level: int
    revoked_index: int | None


def agreement(conn: Connection, agreement_id: str) -> Agreement | None:
    row = conn.execute(select(A).where(A.c.agreement_id == agreement_id)).first()
    if row is None:
        return None
    return agreement_from_terms(
        row.agreement_id,
        json.loads(row.terms),
        parse_time(row.valid_from, field="valid_from"),
        parse_time(row.valid_until, field="valid_until"),
        ended=row.ended_index is not None,
    )


def insert_agreement(ctx: BatchContext, found: Agreement, index: int) -> None:
    ctx.conn.execute(
        insert(A).values(
            agreement_id=found.agreement_id,
            peer_origin=found.origin,
            terms=json.dumps(found.terms(), sort_keys=True),
            valid_from=format_time(found.valid_from),
            valid_until=format_time(found.valid_until),
            agreed_index=index,
        )
    )


def end_agreement(ctx: BatchContext, agreement_id: str, index: int) -> None:
    ctx.conn.execute(update(A).where(A.c.agreement_id == agreement_id).values(ended_index=index))


def peer_ref_taken(conn: Connection, peer_origin: str, peer_ref: str) -> bool:
    """Whether that peer record is recognised already (for anyone, revoked or not)."""
    found = conn.execute(
        select(R.c.idx).where(R.c.peer_origin == peer_origin, R.c.peer_ref == peer_ref)
    ).first()
    return found is not None


def insert_recognition(
    ctx: BatchContext,
    index: int,
    *,
    learner: str,
    record: str,
    agreement_id: str,
    peer_origin: str,
    peer_ref: str,
    standard_id: str,
    level: int,
    request_index: int,
    unit_code: str | None = None,
    credits_tenths: int | None = None,
    expires_at: str | None = None,
) -> None:
    ctx.conn.execute(
        insert(R).values(
            idx=index,
            learner=learner,
            record=record,
            agreement_id=agreement_id,
            peer_origin=peer_origin,
            peer_ref=peer_ref,
            standard_id=standard_id,
            level=level,
            unit_code=unit_code,
            credits_tenths=credits_tenths,
            expires_at=expires_at,
            request_index=request_index,
        )
    )


def recognition(conn: Connection, index: int) -> RecognitionRow | None:
    row = conn.execute(select(R).where(R.c.idx == index)).first()
    if row is None:
        return None
    return RecognitionRow(
        row.idx,
        row.learner,
        row.record,
        row.agreement_id,
        row.peer_ref,
        row.standard_id,
        row.level,
        row.revoked_index,
    )


def revoke_recognition(ctx: BatchContext, index: int, revoked_index: int) -> None:
    ctx.conn.execute(update(R).where(R.c.idx == index).values(revoked_index=revoked_index))


def recognitions_of(
    conn: Connection, learner: str | None = None, page: PageRequest | None = None
) -> list[RecognitionRow]:
    """Every recognition (of one learner), in log order (with a page request: those after
    its cursor, one more than its limit)."""
    query = select(R).order_by(R.c.idx)
    if learner is not None:
        query = query.where(R.c.learner == learner)
    if page is not None:
        after = page.after_as(0)
        if after is not None:
            query = query.where(R.c.idx > after)
        query = query.limit(page.limit + 1)
    return [
        RecognitionRow(
            r.idx,
            r.learner,
            r.record,
            r.agreement_id,
            r.peer_ref,
            r.standard_id,
            r.level,
            r.revoked_index,
        )
        for r in conn.execute(query)
    ]


def max_recognized_share_percent(conn: Connection, t: datetime) -> int:
    """The program's cap on recognised credits in a level (default 50%)."""
    # money reads credits; imported here, at use, so that credits may read this module
    from creditbank.core.rules.money import program_year
    from creditbank.money.store import program_for_year

    found = program_for_year(conn, program_year(t))
    if found is None:
        return DEFAULT_MAX_RECOGNIZED_SHARE_PERCENT
    return found.max_recognised_share_percent


def recognized_credits(
    conn: Connection, learner: str, level: credit_rules.LevelTerms, t: datetime
) -> list[credit_rules.Award]:
    """The learner's recognised credits that count toward ``level`` at ``t``, under the
    program's cap."""
    rows = conn.execute(
        select(R).where(
            R.c.learner == learner,
            R.c.record == "credits",
            R.c.standard_id == level.standard_id,
            R.c.level == level.level,
            R.c.revoked_index.is_(None),
        )
    ).all()
    if not rows:
        return []
    awards = [
        credit_rules.Award(
            r.idx,
            f"peer:{r.peer_origin}",
            r.peer_ref,
            (r.standard_id, r.level, r.unit_code or ""),
            r.credits_tenths or 0,
            "offline",
            parse_time(r.expires_at or "", field="expires_at"),
        )
        for r in rows
    ]
    return counted_recognized(awards, level, t, max_recognized_share_percent(conn, t))


def learners_with_recognized_credits(conn: Connection, learners: list[str]) -> set[str]:
    """Which of ``learners`` hold any credits recognised from a peer bank, revoked or not
    (a batch of completions asks once for all its learners, not once per award)."""
    rows = ledger_store.rows_matching(
        conn,
        "recognitions",
        "idx",
        [("learner", "text")],
        [(learner,) for learner in learners],
        where="record = ?",
        params=("credits",),
    )
    return {str(r[0]) for r in rows}


def any_recognized_credits(conn: Connection) -> bool:
    """Whether the bank holds any credits recognised from a peer bank at all."""
    found = conn.execute(select(R.c.idx).where(R.c.record == "credits").limit(1)).first()
    return found is not None
