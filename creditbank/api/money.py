"""Money over HTTP: learners' rewards, budgets, providers' subsidies, and the authority's
reports. Reads come from the projections; every write is a signed statement."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from creditbank.api.catalogue import append_kind
from creditbank.api.deps import BankDep
from creditbank.api.ledger import StatementIn
from creditbank.api.policy import PrincipalDep
from creditbank.money import reports, service
from creditbank.money.service import PartStatus, RewardStatus

router = APIRouter(prefix="/v1", tags=["money"])

AccountPath = Annotated[str, Path(description="The learner's account number.")]
ProgramId = Annotated[str, Path(min_length=1, max_length=64)]
Year = Annotated[int, Path(ge=2000, le=2100, description="Calendar year (Asia/Shanghai).")]


# --- rewards -----------------------------------------------------------------------------


@router.get("/learners/{account}/rewards")
def learner_rewards(account: AccountPath, bank: BankDep) -> list[dict[str, Any]]:
    """The learner's rewards: amount, status, payment."""
    return service.learner_rewards(bank.engine, account)


@router.get("/rewards")
def list_rewards(
    bank: BankDep,
    program_id: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[RewardStatus | None, Query()] = None,
) -> list[dict[str, Any]]:
    """Every reward, oldest first (waiting ones in their queue order)."""
    return service.list_rewards(bank.engine, program_id=program_id, status=status)


@router.post("/rewards/payments", status_code=201)
async def pay_reward(payload: StatementIn, bank: BankDep, principal: PrincipalDep) -> JSONResponse:
    """The authority records a reward's payment (signed ``reward.paid``)."""
    return await append_kind(bank, principal, payload, "reward.paid")


# --- budgets -----------------------------------------------------------------------------


@router.post("/budgets", status_code=201)
async def set_budget(payload: StatementIn, bank: BankDep, principal: PrincipalDep) -> JSONResponse:
    """The authority sets a program's reward or subsidy budget (signed ``budget.set``);
    a grown reward budget grants waiting rewards in arrival order."""
    return await append_kind(bank, principal, payload, "budget.set")


@router.get("/programs/{program_id}/budgets")
def budgets(program_id: ProgramId, bank: BankDep) -> dict[str, Any]:
    """A program's budgets: budget, committed, remaining and pending, for rewards and
    subsidies."""
    return service.program_budgets(bank.engine, program_id)


# --- subsidies ---------------------------------------------------------------------------


@router.get("/providers/{provider}/subsidies")
def provider_subsidies(
    provider: Annotated[str, Path(min_length=1, max_length=64)],
    bank: BankDep,
    status: Annotated[PartStatus | None, Query()] = None,
) -> list[dict[str, Any]]:
    """A provider's subsidy entitlements (a provider: only its own)."""
    return service.provider_subsidies(bank.engine, provider, status=status)


@router.get("/subsidies")
def list_subsidies(
    bank: BankDep,
    status: Annotated[PartStatus | None, Query()] = None,
    program_id: Annotated[str | None, Query(max_length=64)] = None,
) -> list[dict[str, Any]]:
    """Every provider's subsidy parts."""
    return service.list_subsidies(bank.engine, status=status, program_id=program_id)


@router.post("/subsidies/claims", status_code=201)
async def claim_subsidy(
    payload: StatementIn, bank: BankDep, principal: PrincipalDep
) -> JSONResponse:
    """A provider claims its own part of an entitlement (signed ``subsidy.claimed``)."""
    return await append_kind(bank, principal, payload, "subsidy.claimed")


@router.post("/subsidies/approvals", status_code=201)
async def approve_subsidy(
    payload: StatementIn, bank: BankDep, principal: PrincipalDep
) -> JSONResponse:
    """The authority approves a claimed part, within the year's budget."""
    return await append_kind(bank, principal, payload, "subsidy.approved")


@router.post("/subsidies/rejections", status_code=201)
async def reject_subsidy(
    payload: StatementIn, bank: BankDep, principal: PrincipalDep
) -> JSONResponse:
    """The authority rejects a claimed part, with a reason."""
    return await append_kind(bank, principal, payload, "subsidy.rejected")


@router.post("/subsidies/payments", status_code=201)
async def pay_subsidy(payload: StatementIn, bank: BankDep, principal: PrincipalDep) -> JSONResponse:
    """The authority records an approved part's payment, with its reference."""
    return await append_kind(bank, principal, payload, "subsidy.paid")


# --- reports -----------------------------------------------------------------------------


def _csv_response(year: int, text: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="creditbank-report-{year}.csv"'},
    )


# Declared before /reports/{year}, which would otherwise take "2026.csv" as its year.
@router.get("/reports/{year}.csv", response_class=Response)
async def report_csv(year: Year, bank: BankDep) -> Response:
    """The year's report as one flat CSV (section, key, subkey, value; see docs/money.md)."""
    report = await run_in_threadpool(reports.report, bank.engine, year)
    return _csv_response(year, reports.to_csv(report))


@router.get("/reports/{year}", response_model=None)
async def report(
    year: Year,
    bank: BankDep,
    format: Annotated[Literal["json", "csv"], Query(description="json (default) or csv")] = "json",
) -> dict[str, Any] | Response:
    """The authority's report of a program year: targets, certificates, credits by mode,
    rewards and subsidies against budget, and per-provider figures. 404 when no program
    governs the year."""
    found = await run_in_threadpool(reports.report, bank.engine, year)
    if format == "csv":
        return _csv_response(year, reports.to_csv(found))
    return found
