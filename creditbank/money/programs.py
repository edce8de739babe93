"""Which program governs a year, and what its budgets have left (projection reads).

A year's program is the newest version of the published program whose ``year`` is that
year (if several programs name the same year, the smallest program id). Its budget is
the one its newest version states, unless a later ``budget.set`` changed it; publishing
a new version of the program resets the budgets to that version's figures.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Literal

from sqlalchemy import Connection, select

from creditbank.core.standards.model import semver_key
from creditbank.core.standards.program import Program
from creditbank.db import tables
from creditbank.ledger import store

BudgetKind = Literal["reward", "subsidy"]

# Statuses that consume a budget (rules.md: granted and paid rewards, approved and paid
# subsidy parts; a clawback due stays counted against the budget).
REWARD_COMMITTED = ("granted", "paid", "clawback_due")
SUBSIDY_COMMITTED = ("approved", "paid", "clawback_due")


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
    if rows:
        return int(rows[0][0])
    return found.reward_budget_fen if kind == "reward" else found.subsidy_budget_fen


def committed(conn: Connection, program_id: str, kind: BudgetKind) -> int:
    """What the budget of ``kind`` already covers, in fen."""
    table, statuses = (
        ("rewards", REWARD_COMMITTED) if kind == "reward" else ("subsidy_parts", SUBSIDY_COMMITTED)
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
