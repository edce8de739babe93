"""What learners (and those they let see) read: balances, progress toward every level,
and their history with receipts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel import Session, col
from sqlmodel import select as select_models

from creditbank.catalogue.store import standard_version
from creditbank.certificates.store import has_active_certificate
from creditbank.core.accounts import check_account_number
from creditbank.core.entry import parse_time
from creditbank.core.errors import NotFound
from creditbank.core.paging import PageRequest, encode_cursor
from creditbank.core.rules import credits as rules
from creditbank.core.standards.model import format_credits
from creditbank.credits.store import learner_awards
from creditbank.db import tables
from creditbank.db.paging import keyset
from creditbank.db.tables import Completion, CreditAward, Eligibility, LearnerAccount, LearnerEntry
from creditbank.ledger.tree import receipt_for


def _require_account(engine: Engine, account: str) -> None:
    check_account_number(account)
    with Session(engine) as session:
        if session.get(LearnerAccount, account) is None:
            raise NotFound(f"no account {account}", field="account")


def balance(engine: Engine, account: str, now: datetime) -> dict[str, Any]:
    """Credits per standard, level and unit: active (valid now), expired and revoked."""
    _require_account(engine, account)
    with Session(engine) as session:
        rows = session.exec(
            select_models(CreditAward)
            .where(col(CreditAward.learner) == account)
            .order_by(
                col(CreditAward.standard_id), col(CreditAward.level), col(CreditAward.unit_code)
            )
        ).all()
    units: dict[tuple[str, int, str], dict[str, int]] = {}
    for r in rows:
        bucket = units.setdefault(
            (r.standard_id, r.level, r.unit_code),
            {"active": 0, "expired": 0, "revoked": 0, "online": 0},
        )
        if r.revoked_index is not None:
            bucket["revoked"] += r.credits_tenths
        elif parse_time(r.expires_at, field="expires_at") <= now:
            bucket["expired"] += r.credits_tenths
        else:
            bucket["active"] += r.credits_tenths
            if r.mode == "online":
                bucket["online"] += r.credits_tenths
    return {
        "account": account,
        "as_of": now.isoformat().replace("+00:00", "Z"),
        "total_active": format_credits(sum(b["active"] for b in units.values())),
        "units": [
            {
                "standard_id": s,
                "level": lvl,
                "unit_code": code,
                "active": format_credits(b["active"]),
                "active_online": format_credits(b["online"]),
                "expired": format_credits(b["expired"]),
                "revoked": format_credits(b["revoked"]),
            }
            for (s, lvl, code), b in units.items()
        ],
    }


def progress(engine: Engine, account: str, now: datetime) -> dict[str, Any]:
    """Progress toward every level of every standard the learner holds credits in."""
    _require_account(engine, account)
    with engine.connect() as conn:
        awards = learner_awards(conn, account)
        standards = sorted({a.unit[0] for a in awards})
        levels = []
        for standard_id in standards:
            standard = standard_version(conn, standard_id, None)
            if standard is None:
                continue
            for level in sorted(standard.levels, key=lambda lv: -lv.level):
                p = rules.progress(
                    rules.level_terms(level, standard_id),
                    awards,
                    now,
                    has_lower_certificate=has_active_certificate(
                        conn, account, standard_id, level.level + 1
                    ),
                )
                levels.append(
                    {
                        "standard_id": standard_id,
                        "standard_version": standard.version,
                        "level": level.level,
                        "eligible": p.eligible,
                        "required": format_credits(p.required_tenths),
                        "counted": format_credits(p.counted_tenths),
                        "offline": format_credits(p.offline_tenths),
                        "online": format_credits(p.online_tenths),
                        "online_cap": format_credits(
                            rules.level_terms(level, standard_id).online_cap_tenths
                        ),
                        "missing": format_credits(p.missing_tenths),
                        "missing_units": {
                            code: format_credits(n) for code, n in p.missing_units.items()
                        },
                        "needs_lower_level_certificate": p.needs_lower_certificate,
                    }
                )
    return {"account": account, "as_of": now.isoformat().replace("+00:00", "Z"), "levels": levels}


def history(
    engine: Engine, account: str, *, receipts: bool = True, page: PageRequest | None = None
) -> dict[str, Any]:
    """Every completion with its outcome and reason, every award, each with its receipt.
    With a page request: the next ``limit`` of them in ledger order after its cursor, and
    ``next_cursor`` (None on the last page)."""
    _require_account(engine, account)
    with Session(engine) as session:
        completions = session.exec(
            keyset(
                select_models(Completion)
                .where(col(Completion.learner) == account)
                .order_by(col(Completion.idx)),
                page,
                col(Completion.idx),
                example=0,
            )
        ).all()
        awards = session.exec(
            keyset(
                select_models(CreditAward)
                .where(col(CreditAward.learner) == account)
                .order_by(col(CreditAward.idx)),
                page,
                col(CreditAward.idx),
                example=0,
            )
        ).all()
        next_cursor = None
        if page is not None:  # one page of both, in ledger order
            merged = sorted([c.idx for c in completions] + [a.idx for a in awards])
            cut_at = merged[page.limit - 1] if len(merged) > page.limit else None
            if cut_at is not None:
                next_cursor = encode_cursor(cut_at)
                completions = [c for c in completions if c.idx <= cut_at]
                awards = [a for a in awards if a.idx <= cut_at]
        conn = session.connection()

        def receipt(index: int) -> str | None:
            return receipt_for(conn, index) if receipts else None

        return {
            "account": account,
            "completions": [
                {
                    "index": r.idx,
                    "provider": r.provider,
                    "completion_id": r.completion_id,
                    "course_id": r.course_id,
                    "completed_at": r.completed_at,
                    "score": r.score,
                    "passed": r.passed,
                    "outcome": r.outcome,
                    "award_index": r.award_index,
                    "retracted_index": r.retracted_index,
                    "receipt": receipt(r.idx),
                }
                for r in completions
            ],
            "awards": [
                {
                    "index": r.idx,
                    "standard_id": r.standard_id,
                    "level": r.level,
                    "unit_code": r.unit_code,
                    "credits": format_credits(r.credits_tenths),
                    "mode": r.mode,
                    "provider": r.provider,
                    "course_id": r.course_id,
                    "completion_index": r.completion_index,
                    "expires_at": r.expires_at,
                    "revoked_index": r.revoked_index,
                    "receipt": receipt(r.idx),
                }
                for r in awards
            ],
            "next_cursor": next_cursor,
        }


def learner_receipt(engine: Engine, account: str, index: int) -> str:
    """A receipt for an entry that concerns the learner (only theirs)."""
    _require_account(engine, account)
    with Session(engine) as session:
        if session.get(LearnerEntry, (account, index)) is None:
            raise NotFound(f"entry {index} is not in {account}'s history", field="index")
        return receipt_for(session.connection(), index)


def balance_and_progress(
    engine: Engine, account: str, now: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A learner's balance and progress toward each level, both as of one ``now``: the
    learner's statement of credits (``creditbank balance``)."""
    return balance(engine, account, now), progress(engine, account, now)["levels"]


def eligible_learners(engine: Engine, standard_id: str, level: int) -> list[str]:
    """The learners whose last logged eligibility for that standard level is eligible, by
    account number: who may apply for its certificate now."""
    with Session(engine) as session:
        rows = session.exec(
            select_models(Eligibility)
            .where(
                col(Eligibility.standard_id) == standard_id,
                col(Eligibility.level) == level,
                col(Eligibility.eligible).is_(True),
            )
            .order_by(col(Eligibility.learner))
        ).all()
        return [str(r.learner) for r in rows]


def completion_outcomes(engine: Engine) -> dict[str, int]:
    """How many completions ended in each outcome (awarded, not passed, retracted, ...):
    the conversion engine's tally."""
    # stays Core: an aggregate (count per outcome, group_by), not a select of models
    c = tables.completions
    with engine.connect() as conn:
        rows = conn.execute(select(c.c.outcome, func.count()).group_by(c.c.outcome)).all()
    return {str(outcome): int(n) for outcome, n in rows}
