"""What rewards, subsidies and budgets look like to their readers (projection reads).

Amounts are integer fen. A reward is named by its ``index`` (its first entry); a subsidy
part by its ``entitlement_index`` (the ``subsidy.entitled`` entry) and its ``provider``.
"""

from __future__ import annotations

from typing import Any, get_args

from sqlalchemy import Engine, func, select
from sqlmodel import Session, col
from sqlmodel import select as select_models

from creditbank.core.accounts import check_account_number
from creditbank.core.errors import NotFound
from creditbank.core.paging import PageRequest
from creditbank.core.rules.money import PartStatus as PartStatus  # re-exported: the API's schemas
from creditbank.core.rules.money import RewardStatus as RewardStatus
from creditbank.core.standards.model import format_credits
from creditbank.db import tables
from creditbank.db.paging import keyset
from creditbank.db.tables import LearnerAccount, Reward, Subsidy, SubsidyPart
from creditbank.money import store

REWARD_STATUSES: tuple[str, ...] = get_args(RewardStatus)
PART_STATUSES: tuple[str, ...] = get_args(PartStatus)


def _reward_view(r: Reward) -> dict[str, Any]:
    return {
        "index": r.idx,
        "learner": r.learner,
        "certificate_number": r.certificate_number,
        "program_id": r.program_id,
        "year": r.year,
        "level": r.level,
        "amount_fen": r.amount_fen,
        "status": r.status,
        "granted_index": r.granted_index,
        "paid_index": r.paid_index,
        "payment_reference": r.payment_reference,
        "cancelled_index": r.cancelled_index,
    }


def learner_rewards(
    engine: Engine, account: str, page: PageRequest | None = None
) -> list[dict[str, Any]]:
    """The learner's rewards, oldest first (with a page request: after its cursor)."""
    check_account_number(account)
    with Session(engine) as session:
        if session.get(LearnerAccount, account) is None:
            raise NotFound(f"no account {account}", field="account")
        rewards = session.exec(
            keyset(
                select_models(Reward)
                .where(col(Reward.learner) == account)
                .order_by(col(Reward.idx)),
                page,
                col(Reward.idx),
                example=0,
            )
        ).all()
        return [_reward_view(r) for r in rewards]


def list_rewards(
    engine: Engine,
    *,
    program_id: str | None = None,
    status: RewardStatus | None = None,
    page: PageRequest | None = None,
) -> list[dict[str, Any]]:
    """Rewards, oldest first (so ``pending_budget`` ones are in their queue order)."""
    query = keyset(
        select_models(Reward).order_by(col(Reward.idx)), page, col(Reward.idx), example=0
    )
    if program_id is not None:
        query = query.where(col(Reward.program_id) == program_id)
    if status is not None:
        query = query.where(col(Reward.status) == status)
    with Session(engine) as session:
        return [_reward_view(r) for r in session.exec(query).all()]


def _sums(engine: Engine, table: Any, program_id: str) -> dict[str, tuple[int, int]]:
    """Count and fen per status of a program's rewards or subsidy parts."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(table.c.status, func.count(), func.coalesce(func.sum(table.c.amount_fen), 0))
            .where(table.c.program_id == program_id)
            .group_by(table.c.status)
        ).all()
    return {str(s): (int(n), int(fen)) for s, n, fen in rows}


def program_budgets(engine: Engine, program_id: str) -> dict[str, Any]:
    """A program's reward and subsidy budgets: what each is, covers, has left, and what
    waits on it (rewards queued for budget; subsidy parts claimed and not yet decided)."""
    with engine.connect() as conn:
        found = store.program(conn, program_id)
        if found is None:
            raise NotFound(f"no published program {program_id}", field="program_id")
        figures = {
            kind: (
                store.budget(conn, found, kind),
                store.committed(conn, found.id, kind),
            )
            for kind in ("reward", "subsidy")
        }
    rewards = _sums(engine, tables.rewards, found.id)
    parts = _sums(engine, tables.subsidy_parts, found.id)

    def block(kind: str, pending: tuple[int, int]) -> dict[str, Any]:
        budget, committed = figures[kind]
        return {
            "budget_fen": budget,
            "committed_fen": committed,
            "remaining_fen": budget - committed,
            "pending_count": pending[0],
            "pending_fen": pending[1],
        }

    subsidy = block("subsidy", parts.get("claimed", (0, 0)))
    subsidy["open_count"], subsidy["open_fen"] = parts.get("open", (0, 0))
    return {
        "program_id": found.id,
        "version": found.version,
        "year": found.year,
        "reward": block("reward", rewards.get("pending_budget", (0, 0))),
        "subsidy": subsidy,
    }


def _subsidies(
    engine: Engine,
    *,
    provider: str | None = None,
    status: PartStatus | None = None,
    program_id: str | None = None,
    page: PageRequest | None = None,
) -> list[dict[str, Any]]:
    query = keyset(
        select_models(SubsidyPart, Subsidy)
        .join(Subsidy, col(Subsidy.idx) == col(SubsidyPart.entitlement_index))
        .order_by(col(SubsidyPart.entitlement_index), col(SubsidyPart.provider)),
        page,
        col(SubsidyPart.entitlement_index),
        col(SubsidyPart.provider),
        example=(0, ""),
    )
    if provider is not None:
        query = query.where(col(SubsidyPart.provider) == provider)
    if status is not None:
        query = query.where(col(SubsidyPart.status) == status)
    if program_id is not None:
        query = query.where(col(SubsidyPart.program_id) == program_id)
    with Session(engine) as session:
        return [_subsidy_view(p, s) for p, s in session.exec(query).all()]


def _subsidy_view(p: SubsidyPart, s: Subsidy) -> dict[str, Any]:
    return {
        "entitlement_index": p.entitlement_index,
        "provider": p.provider,
        "learner": s.learner,
        "certificate_number": s.certificate_number,
        "program_id": p.program_id,
        "year": s.year,
        "credits": format_credits(p.credits_tenths),
        "amount_fen": p.amount_fen,
        "status": p.status,
        "issued_at": s.issued_at,
        "claim_until": s.claim_until,
        "claimed_index": p.claimed_index,
        "decided_index": p.decided_index,
        "reason": p.reason,
        "paid_index": p.paid_index,
        "payment_reference": p.payment_reference,
        "cancelled_index": p.cancelled_index,
    }


def provider_subsidies(
    engine: Engine,
    provider: str,
    *,
    status: PartStatus | None = None,
    page: PageRequest | None = None,
) -> list[dict[str, Any]]:
    """A provider's subsidy parts (its entitlements), oldest first."""
    return _subsidies(engine, provider=provider, status=status, page=page)


def list_subsidies(
    engine: Engine,
    *,
    status: PartStatus | None = None,
    program_id: str | None = None,
    page: PageRequest | None = None,
) -> list[dict[str, Any]]:
    """Every provider's subsidy parts, oldest first (entitlement, then provider)."""
    return _subsidies(engine, status=status, program_id=program_id, page=page)
