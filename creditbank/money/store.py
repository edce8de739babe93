"""The money domain's tables (rewards, subsidies, subsidy_parts, budgets) and the published
programs as money reads them: which program governs a year, and what its budgets have left.

Every read and write of those tables during sequencing goes through here, on the ledger
store's raw-SQL fast path, as typed values (``creditbank.core.rules.money``'s ``Reward``,
``Entitlement``, ``SubsidyPart``). The program and budget reads take a connection, as the
read models for people (``money.service``, ``money.reports``) use them too.

A year's program is the newest version of the published program whose ``year`` is that
year (if several programs name the same year, the smallest program id). Its budget is the
one its newest version states, unless a later ``budget.set`` changed it; publishing a new
version of the program resets the budgets to that version's figures.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Literal, cast

from sqlalchemy import Connection, select

from creditbank.core.entry import parse_time
from creditbank.core.rules import money as rules
from creditbank.core.rules.money import BudgetKind
from creditbank.core.standards.model import parse_credits, semver_key
from creditbank.core.standards.program import Program
from creditbank.core.statements.money import RewardDecided, SubsidyEntitled
from creditbank.credits.store import awards_of
from creditbank.db import tables
from creditbank.ledger import store
from creditbank.ledger.kinds import BatchContext

# --- programs and budgets -------------------------------------------------------------


@lru_cache(maxsize=64)
def _program(document: str) -> Program:
    return Program.model_validate(json.loads(document))


def program(conn: Connection, program_id: str) -> Program | None:
    """The newest published version of a program."""
    t = tables.published_programs
    rows = conn.execute(select(t.c.version, t.c.document).where(t.c.program_id == program_id)).all()
    if not rows:
        return None
    return _program(max(rows, key=lambda r: semver_key(r.version)).document)


def program_for_year(conn: Connection, year: int) -> Program | None:
    """The program governing a calendar year (Asia/Shanghai), if one is published."""
    t = tables.published_programs
    ids = sorted({r[0] for r in conn.execute(select(t.c.program_id).where(t.c.year == year))})
    for program_id in ids:
        found = program(conn, program_id)
        if found is not None and found.year == year:
            return found
    return None


def budget(conn: Connection, found: Program, kind: BudgetKind) -> int:
    """The program's current budget of ``kind`` in fen."""
    rows = store.query(
        conn,
        "SELECT amount_fen FROM budgets WHERE program_id = ? AND kind = ?",
        (found.id, kind),
    )
    return rules.program_budget(found, kind, int(rows[0][0]) if rows else None)


def committed(conn: Connection, program_id: str, kind: BudgetKind) -> int:
    """What the budget of ``kind`` already covers, in fen."""
    table, statuses = (
        ("rewards", rules.REWARD_COMMITTED)
        if kind == "reward"
        else ("subsidy_parts", rules.SUBSIDY_COMMITTED)
    )
    marks = ",".join("?" * len(statuses))
    rows = store.query(
        conn,
        f"SELECT COALESCE(SUM(amount_fen), 0) FROM {table} "  # noqa: S608  (constants only)
        f"WHERE program_id = ? AND status IN ({marks})",
        (program_id, *statuses),
    )
    return int(rows[0][0])


def remaining(conn: Connection, found: Program, kind: BudgetKind) -> int:
    """What the budget of ``kind`` has left, in fen (negative if it was lowered below
    what it covers, which ``budget.set`` refuses)."""
    return budget(conn, found, kind) - committed(conn, found.id, kind)


def set_budget(
    ctx: BatchContext, program_id: str, kind: BudgetKind, amount_fen: int, index: int
) -> None:
    """``budget.set``: the program's budget of ``kind`` is now ``amount_fen``."""
    t = tables.budgets
    ctx.conn.execute(t.delete().where(t.c.program_id == program_id, t.c.kind == kind))
    ctx.conn.execute(
        t.insert().values(program_id=program_id, kind=kind, amount_fen=amount_fen, set_index=index)
    )


def reset_budgets(ctx: BatchContext, program_id: str) -> None:
    """A new version of the program: its budgets are that version's figures again."""
    t = tables.budgets
    ctx.conn.execute(t.delete().where(t.c.program_id == program_id))


# --- rewards ----------------------------------------------------------------------------

_REWARD_COLUMNS = "idx, learner, certificate_number, program_id, year, level, amount_fen, status"


def _reward(row: tuple[Any, ...]) -> rules.Reward:
    idx, learner, number, program_id, year, level, amount, status = row
    return rules.Reward(
        int(idx),
        str(learner),
        str(number),
        str(program_id),
        int(year),
        int(level),
        int(amount),
        cast(rules.RewardStatus, str(status)),
    )


def reward(ctx: BatchContext, index: int) -> rules.Reward | None:
    """The reward whose first entry is at ``index`` (None: none)."""
    rows = store.query(
        ctx.conn,
        f"SELECT {_REWARD_COLUMNS} FROM rewards WHERE idx = ?",  # noqa: S608  (constant)
        (index,),
    )
    return _reward(rows[0]) if rows else None


def waiting_rewards(ctx: BatchContext, program_id: str) -> list[rules.Reward]:
    """The program's rewards waiting for budget, in arrival order."""
    return [
        _reward(r)
        for r in store.query(
            ctx.conn,
            f"SELECT {_REWARD_COLUMNS} FROM rewards "  # noqa: S608  (constant)
            "WHERE program_id = ? AND status = 'pending_budget' ORDER BY idx",
            (program_id,),
        )
    ]


def queue_waiting(ctx: BatchContext, program_id: str) -> bool:
    """Whether any reward of the program's year waits for budget (one probe of the
    ``ix_rewards_program`` index on program and status)."""
    rows = store.query(
        ctx.conn,
        "SELECT 1 FROM rewards WHERE program_id = ? AND status = 'pending_budget' LIMIT 1",
        (program_id,),
    )
    return bool(rows)


def certificate_rewards(ctx: BatchContext, certificate_number: str) -> list[rules.Reward]:
    """The rewards a certificate earned (at most one), in arrival order."""
    return [
        _reward(r)
        for r in store.query(
            ctx.conn,
            f"SELECT {_REWARD_COLUMNS} FROM rewards "  # noqa: S608  (constant)
            "WHERE certificate_number = ? ORDER BY idx",
            (certificate_number,),
        )
    ]


def rewards_counted(ctx: BatchContext, learner: str, year: int) -> int:
    """The fen of the learner's rewards of a program year that count toward the yearly
    cap: every one not cancelled (a waiting one counts too)."""
    rows = store.query(
        ctx.conn,
        "SELECT COALESCE(SUM(amount_fen), 0) FROM rewards "
        "WHERE learner = ? AND year = ? AND status <> 'cancelled'",
        (learner, year),
    )
    return int(rows[0][0])


def insert_reward(
    ctx: BatchContext,
    index: int,
    body: RewardDecided,
    status: Literal["granted", "pending_budget"],
) -> None:
    """A new reward (``reward.granted`` or ``reward.queued`` for a certificate)."""
    store.write(
        ctx.conn,
        "INSERT INTO rewards (idx, learner, certificate_number, program_id, year, level, "
        "amount_fen, status, granted_index) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            index,
            body.learner,
            body.certificate_number,
            body.program_id,
            body.year,
            body.level,
            body.amount_fen,
            status,
            index if status == "granted" else None,
        ),
    )


def grant_waiting(ctx: BatchContext, reward_index: int, index: int) -> None:
    """A waiting reward granted by the ``reward.granted`` at ``index``."""
    store.write(
        ctx.conn,
        "UPDATE rewards SET status = 'granted', granted_index = ? WHERE idx = ?",
        (index, reward_index),
    )


def end_reward(
    ctx: BatchContext,
    reward_index: int,
    status: Literal["cancelled", "clawback_due"],
    index: int,
) -> None:
    store.write(
        ctx.conn,
        "UPDATE rewards SET status = ?, cancelled_index = ? WHERE idx = ?",
        (status, index, reward_index),
    )


def pay_reward(ctx: BatchContext, reward_index: int, index: int, payment_reference: str) -> None:
    store.write(
        ctx.conn,
        "UPDATE rewards SET status = 'paid', paid_index = ?, payment_reference = ? WHERE idx = ?",
        (index, payment_reference, reward_index),
    )


# --- subsidies --------------------------------------------------------------------------


def subsidies_counted(ctx: BatchContext, learner: str, year: int) -> int:
    """The learner's subsidies of a program year that count toward the yearly number: those
    with a part not cancelled."""
    rows = store.query(
        ctx.conn,
        "SELECT COUNT(*) FROM subsidies s WHERE s.learner = ? AND s.year = ? AND EXISTS "
        "(SELECT 1 FROM subsidy_parts p WHERE p.entitlement_index = s.idx "
        "AND p.status <> 'cancelled')",
        (learner, year),
    )
    return int(rows[0][0])


def credits_by_provider(ctx: BatchContext, learner: str, awards: Sequence[int]) -> dict[str, int]:
    """The credits (tenths) of the learner's awards at ``awards``, by the providers whose
    completions earned them (read through the credits domain's store)."""
    wanted = set(awards)
    found: dict[str, int] = {}
    for award in awards_of(ctx, learner):
        if award.index in wanted:
            found[award.provider] = found.get(award.provider, 0) + award.credits_tenths
    return found


def entitlement(ctx: BatchContext, index: int) -> rules.Entitlement | None:
    """The ``subsidy.entitled`` entry at ``index`` (None: none)."""
    rows = store.query(
        ctx.conn, "SELECT learner, claim_until FROM subsidies WHERE idx = ?", (index,)
    )
    if not rows:
        return None
    learner, claim_until = rows[0]
    return rules.Entitlement(index, str(learner), parse_time(str(claim_until), field="claim_until"))


_PART_COLUMNS = (
    "p.entitlement_index, p.provider, s.learner, p.program_id, p.amount_fen, p.status "
    "FROM subsidy_parts p JOIN subsidies s ON s.idx = p.entitlement_index"
)


def _part(row: tuple[Any, ...]) -> rules.SubsidyPart:
    entitlement_index, provider, learner, program_id, amount, status = row
    return rules.SubsidyPart(
        int(entitlement_index),
        str(provider),
        str(learner),
        str(program_id),
        int(amount),
        cast(rules.PartStatus, str(status)),
    )


def part(ctx: BatchContext, entitlement_index: int, provider: str) -> rules.SubsidyPart | None:
    """One provider's part of an entitlement (None: it has none)."""
    rows = store.query(
        ctx.conn,
        f"SELECT {_PART_COLUMNS} WHERE p.entitlement_index = ? AND p.provider = ?",
        (entitlement_index, provider),
    )
    return _part(rows[0]) if rows else None


def certificate_parts(ctx: BatchContext, certificate_number: str) -> list[rules.SubsidyPart]:
    """Every part of the subsidies a certificate generated (in no particular order: the
    rules sort them)."""
    return [
        _part(r)
        for r in store.query(
            ctx.conn,
            f"SELECT {_PART_COLUMNS} WHERE s.certificate_number = ?",
            (certificate_number,),
        )
    ]


def insert_entitlement(
    ctx: BatchContext, index: int, body: SubsidyEntitled, issued_at: str
) -> None:
    """A new entitlement and its parts, each open."""
    store.write(
        ctx.conn,
        "INSERT INTO subsidies (idx, learner, certificate_number, program_id, year, "
        "amount_fen, issued_at, claim_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            index,
            body.learner,
            body.certificate_number,
            body.program_id,
            body.year,
            body.amount_fen,
            issued_at,
            body.claim_until,
        ),
    )
    for share in body.parts:
        store.write(
            ctx.conn,
            "INSERT INTO subsidy_parts (entitlement_index, provider, program_id, "
            "credits_tenths, amount_fen, status) VALUES (?, ?, ?, ?, ?, 'open')",
            (
                index,
                share.provider,
                body.program_id,
                parse_credits(share.credits),
                share.amount_fen,
            ),
        )


# Claims, decisions and payments are the provider's and the authority's business: they
# are not entries of the learner's history (only a part's ending is).


def end_part(
    ctx: BatchContext,
    entitlement_index: int,
    provider: str,
    status: Literal["cancelled", "clawback_due"],
    index: int,
) -> None:
    store.write(
        ctx.conn,
        "UPDATE subsidy_parts SET status = ?, cancelled_index = ? "
        "WHERE entitlement_index = ? AND provider = ?",
        (status, index, entitlement_index, provider),
    )


def claim_part(ctx: BatchContext, entitlement_index: int, provider: str, index: int) -> None:
    store.write(
        ctx.conn,
        "UPDATE subsidy_parts SET status = 'claimed', claimed_index = ? "
        "WHERE entitlement_index = ? AND provider = ?",
        (index, entitlement_index, provider),
    )


def approve_part(ctx: BatchContext, entitlement_index: int, provider: str, index: int) -> None:
    store.write(
        ctx.conn,
        "UPDATE subsidy_parts SET status = 'approved', decided_index = ? "
        "WHERE entitlement_index = ? AND provider = ?",
        (index, entitlement_index, provider),
    )


def reject_part(
    ctx: BatchContext, entitlement_index: int, provider: str, index: int, reason: str
) -> None:
    store.write(
        ctx.conn,
        "UPDATE subsidy_parts SET status = 'rejected', decided_index = ?, reason = ? "
        "WHERE entitlement_index = ? AND provider = ?",
        (index, reason, entitlement_index, provider),
    )


def pay_part(
    ctx: BatchContext, entitlement_index: int, provider: str, index: int, payment_reference: str
) -> None:
    store.write(
        ctx.conn,
        "UPDATE subsidy_parts SET status = 'paid', paid_index = ?, payment_reference = ? "
        "WHERE entitlement_index = ? AND provider = ?",
        (index, payment_reference, entitlement_index, provider),
    )
