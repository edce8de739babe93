"""Money: rewards, budgets and subsidy parts as their readers see them (amounts in integer
fen), and the authority's report of a program year."""

from __future__ import annotations

from pydantic import Field

from creditbank.api.schemas.base import Public
from creditbank.api.schemas.catalogue import CREDITS
from creditbank.money.service import PartStatus, RewardStatus


class RewardPublic(Public):
    """A learner's reward for a certificate, named by its first entry (``index``)."""

    index: int
    learner: str
    certificate_number: str
    program_id: str
    year: int
    level: int
    amount_fen: int
    status: RewardStatus
    granted_index: int | None
    paid_index: int | None
    payment_reference: str | None
    cancelled_index: int | None


class BudgetPublic(Public):
    """A budget, what it covers, what remains, and what waits on it."""

    budget_fen: int
    committed_fen: int
    remaining_fen: int
    pending_count: int = Field(description="Rewards queued for budget; subsidy parts claimed.")
    pending_fen: int


class SubsidyBudgetPublic(BudgetPublic):
    open_count: int = Field(description="Subsidy parts not yet claimed.")
    open_fen: int


class ProgramBudgetsPublic(Public):
    program_id: str
    version: str
    year: int
    reward: BudgetPublic
    subsidy: SubsidyBudgetPublic


class SubsidyPartPublic(Public):
    """One provider's part of a subsidy entitlement, named by ``entitlement_index`` and
    ``provider``."""

    entitlement_index: int
    provider: str
    learner: str
    certificate_number: str
    program_id: str
    year: int
    credits: str = Field(description=CREDITS)
    amount_fen: int
    status: PartStatus
    issued_at: str
    claim_until: str
    claimed_index: int | None
    decided_index: int | None
    reason: str | None
    paid_index: int | None
    payment_reference: str | None
    cancelled_index: int | None


# --- the report --------------------------------------------------------------------------


class ReportProgramPublic(Public):
    id: str
    version: str


class TargetPublic(Public):
    actual: int
    target: int
    percent: str | None = Field(description="actual / target x 100, two places; None if 0.")


class TargetsPublic(Public):
    certified_trainees: TargetPublic
    advanced_certificates: TargetPublic


class CountsPublic(Public):
    issued: int
    revoked: int
    active: int


class CertificateCountsPublic(Public):
    total: CountsPublic
    by_standard: dict[str, CountsPublic]
    by_level: dict[str, CountsPublic] = Field(description="Keyed by level, 5 ... 1.")
    by_month: dict[str, CountsPublic] = Field(description="Keyed by YYYY-MM (Asia/Shanghai).")


class CreditsByModePublic(Public):
    online: str = Field(description=CREDITS)
    offline: str
    workplace: str
    total: str


class StatusFiguresPublic(Public):
    count: int
    amount_fen: int


class MoneyFiguresPublic(Public):
    budget_fen: int
    committed_fen: int
    remaining_fen: int
    by_status: dict[str, StatusFiguresPublic]


class ProviderFiguresPublic(Public):
    completions_posted: int
    completions_awarded: int
    credits_awarded: str = Field(description=CREDITS)
    learners_certified: int
    subsidy_fen: dict[str, int] = Field(description="Subsidy fen per part status.")


class ReportPublic(Public):
    """The authority's report of a program year (see docs/money.md for every figure)."""

    year: int
    timezone: str
    as_of: str
    program: ReportProgramPublic
    targets: TargetsPublic
    certificates: CertificateCountsPublic
    credits_by_mode: CreditsByModePublic
    rewards: MoneyFiguresPublic
    subsidies: MoneyFiguresPublic
    providers: dict[str, ProviderFiguresPublic]
