"""Completions in, and learners' credits out: balances, progress and history."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from creditbank.api.schemas.base import Public
from creditbank.api.schemas.catalogue import CREDITS
from creditbank.api.schemas.ledger import AppendedOut, StatementIn
from creditbank.api.schemas.problems import ProblemDetails
from creditbank.core.errors import CreditBankError
from creditbank.credits.batch import MAX_BATCH
from creditbank.ledger.sequencer import Appended


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    statements: list[StatementIn] = Field(description=f"Up to {MAX_BATCH} signed completions.")


class BatchAcceptedOut(Public):
    """A completion of the batch, logged (or an idempotent re-post of one): as
    AppendedOut, after ``ok``."""

    ok: Literal[True]
    index: int
    duplicate: bool
    entry: str = Field(description="the entry's canonical bytes, base64")
    receipt: str = Field(description="C2SP tlog-proof receipt")
    derived: list[int]


class BatchRejectedOut(Public):
    """A completion of the batch that was refused, and why."""

    ok: Literal[False]
    problem: ProblemDetails


class BatchOut(Public):
    """One result per statement sent, in order."""

    accepted: int
    rejected: int
    results: list[BatchAcceptedOut | BatchRejectedOut]

    @classmethod
    def of(cls, outcomes: Sequence[Appended | CreditBankError]) -> BatchOut:
        results = [
            BatchRejectedOut(ok=False, problem=ProblemDetails.model_validate(o.problem()))
            if isinstance(o, CreditBankError)
            else BatchAcceptedOut(ok=True, **AppendedOut.of(o).model_dump())
            for o in outcomes
        ]
        accepted = sum(1 for r in results if r.ok)
        return cls(accepted=accepted, rejected=len(results) - accepted, results=results)


class UnitBalancePublic(Public):
    standard_id: str
    level: int
    unit_code: str
    active: str = Field(description=CREDITS)
    active_online: str
    expired: str
    revoked: str


class BalancePublic(Public):
    """Credits per standard, level and unit: active (valid now), expired and revoked."""

    account: str
    as_of: str
    total_active: str = Field(description=CREDITS)
    units: list[UnitBalancePublic]


class LevelProgressPublic(Public):
    """Progress toward one level of a standard, with what is still missing."""

    standard_id: str
    standard_version: str
    level: int
    eligible: bool
    required: str = Field(description=CREDITS)
    counted: str
    offline: str
    online: str
    online_cap: str
    missing: str
    missing_units: dict[str, str] = Field(description="Credits still missing, per unit code.")
    needs_lower_level_certificate: bool


class ProgressPublic(Public):
    account: str
    as_of: str
    levels: list[LevelProgressPublic]


class HistoryCompletionPublic(Public):
    index: int
    provider: str
    completion_id: str
    course_id: str
    completed_at: str
    score: int | None
    passed: bool
    outcome: str = Field(description="awarded, or the reason no credit was awarded")
    award_index: int | None
    retracted_index: int | None
    receipt: str | None = Field(description="C2SP tlog-proof; None when not asked for.")


class HistoryAwardPublic(Public):
    index: int
    standard_id: str
    level: int
    unit_code: str
    credits: str = Field(description=CREDITS)
    mode: str
    provider: str
    course_id: str
    completion_index: int
    expires_at: str
    revoked_index: int | None
    receipt: str | None = Field(description="C2SP tlog-proof; None when not asked for.")


class HistoryPublic(Public):
    """Every completion with its outcome and every award, each with its receipt."""

    account: str
    completions: list[HistoryCompletionPublic]
    awards: list[HistoryAwardPublic]
    next_cursor: str | None = Field(
        default=None, description="The next page's cursor (also in the Link header); None: last"
    )
