"""Money over HTTP: learners' rewards, budgets, providers' subsidies, and the authority's
reports. Reads come from the projections; every write is a signed statement."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from creditbank.api.appended import REPOSTED, appended_response
from creditbank.api.deps import BankDep
from creditbank.api.media import ALSO_CSV, CsvResponse
from creditbank.api.paging import NEXT_LINK, PageDep, paged
from creditbank.api.policy import PrincipalDep, signed_in
from creditbank.api.schemas.ledger import AppendedOut, StatementIn
from creditbank.api.schemas.money import (
    ProgramBudgetsPublic,
    ReportPublic,
    RewardPublic,
    SubsidyPartPublic,
)
from creditbank.ledger import service as ledger_service
from creditbank.money import reports, service
from creditbank.money.service import PartStatus, RewardStatus

router = APIRouter(prefix="/v1", tags=["money"])

AccountPath = Annotated[str, Path(description="The learner's account number.")]
ProgramId = Annotated[str, Path(min_length=1, max_length=64)]
Year = Annotated[int, Path(ge=2000, le=2100, description="Calendar year (Asia/Shanghai).")]


# --- rewards -----------------------------------------------------------------------------


@router.get("/learners/{account}/rewards", responses=NEXT_LINK)
def learner_rewards(
    account: AccountPath, bank: BankDep, page: PageDep, request: Request, response: Response
) -> list[RewardPublic]:
    """The learner's rewards, oldest first: amount, status, payment."""
    found = service.learner_rewards(bank.engine, account, page)
    return paged(request, response, page, found, _index, RewardPublic.model_validate)


@router.get("/rewards", responses=NEXT_LINK)
def list_rewards(
    bank: BankDep,
    page: PageDep,
    request: Request,
    response: Response,
    program_id: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[RewardStatus | None, Query()] = None,
) -> list[RewardPublic]:
    """Every reward, oldest first (waiting ones in their queue order)."""
    found = service.list_rewards(bank.engine, program_id=program_id, status=status, page=page)
    return paged(request, response, page, found, _index, RewardPublic.model_validate)


def _index(item: dict[str, Any]) -> int:
    return int(item["index"])


def _part(item: dict[str, Any]) -> tuple[int, str]:
    return (int(item["entitlement_index"]), str(item["provider"]))


@router.post("/rewards/payments", status_code=201, response_model=AppendedOut, responses=REPOSTED)
async def pay_reward(payload: StatementIn, bank: BankDep, principal: PrincipalDep) -> JSONResponse:
    """The authority records a reward's payment (signed ``reward.paid``)."""
    return appended_response(
        await ledger_service.append(
            bank.ledger, payload, author=signed_in(principal).actor_id, kind="reward.paid"
        )
    )


# --- budgets -----------------------------------------------------------------------------


@router.post("/budgets", status_code=201, response_model=AppendedOut, responses=REPOSTED)
async def set_budget(payload: StatementIn, bank: BankDep, principal: PrincipalDep) -> JSONResponse:
    """The authority sets a program's reward or subsidy budget (signed ``budget.set``);
    a grown reward budget grants waiting rewards in arrival order."""
    return appended_response(
        await ledger_service.append(
            bank.ledger, payload, author=signed_in(principal).actor_id, kind="budget.set"
        )
    )


@router.get("/programs/{program_id}/budgets")
def budgets(program_id: ProgramId, bank: BankDep) -> ProgramBudgetsPublic:
    """A program's budgets: budget, committed, remaining and pending, for rewards and
    subsidies."""
    return ProgramBudgetsPublic.model_validate(service.program_budgets(bank.engine, program_id))


# --- subsidies ---------------------------------------------------------------------------


@router.get("/providers/{provider}/subsidies", responses=NEXT_LINK)
def provider_subsidies(
    provider: Annotated[str, Path(min_length=1, max_length=64)],
    bank: BankDep,
    page: PageDep,
    request: Request,
    response: Response,
    status: Annotated[PartStatus | None, Query()] = None,
) -> list[SubsidyPartPublic]:
    """A provider's subsidy entitlements, oldest first (a provider: only its own)."""
    found = service.provider_subsidies(bank.engine, provider, status=status, page=page)
    return paged(request, response, page, found, _part, SubsidyPartPublic.model_validate)


@router.get("/subsidies", responses=NEXT_LINK)
def list_subsidies(
    bank: BankDep,
    page: PageDep,
    request: Request,
    response: Response,
    status: Annotated[PartStatus | None, Query()] = None,
    program_id: Annotated[str | None, Query(max_length=64)] = None,
) -> list[SubsidyPartPublic]:
    """Every provider's subsidy parts, oldest first."""
    found = service.list_subsidies(bank.engine, status=status, program_id=program_id, page=page)
    return paged(request, response, page, found, _part, SubsidyPartPublic.model_validate)


@router.post("/subsidies/claims", status_code=201, response_model=AppendedOut, responses=REPOSTED)
async def claim_subsidy(
    payload: StatementIn, bank: BankDep, principal: PrincipalDep
) -> JSONResponse:
    """A provider claims its own part of an entitlement (signed ``subsidy.claimed``)."""
    return appended_response(
        await ledger_service.append(
            bank.ledger, payload, author=signed_in(principal).actor_id, kind="subsidy.claimed"
        )
    )


@router.post(
    "/subsidies/approvals", status_code=201, response_model=AppendedOut, responses=REPOSTED
)
async def approve_subsidy(
    payload: StatementIn, bank: BankDep, principal: PrincipalDep
) -> JSONResponse:
    """The authority approves a claimed part, within the year's budget."""
    return appended_response(
        await ledger_service.append(
            bank.ledger, payload, author=signed_in(principal).actor_id, kind="subsidy.approved"
        )
    )


@router.post(
    "/subsidies/rejections", status_code=201, response_model=AppendedOut, responses=REPOSTED
)
async def reject_subsidy(
    payload: StatementIn, bank: BankDep, principal: PrincipalDep
) -> JSONResponse:
    """The authority rejects a claimed part, with a reason."""
    return appended_response(
        await ledger_service.append(
            bank.ledger, payload, author=signed_in(principal).actor_id, kind="subsidy.rejected"
        )
    )


@router.post("/subsidies/payments", status_code=201, response_model=AppendedOut, responses=REPOSTED)
async def pay_subsidy(payload: StatementIn, bank: BankDep, principal: PrincipalDep) -> JSONResponse:
    """The authority records an approved part's payment, with its reference."""
    return appended_response(
        await ledger_service.append(
            bank.ledger, payload, author=signed_in(principal).actor_id, kind="subsidy.paid"
        )
    )


# --- reports -----------------------------------------------------------------------------


def _csv_response(year: int, report: dict[str, Any]) -> CsvResponse:
    return CsvResponse(
        reports.to_csv(report),
        headers={"Content-Disposition": f'attachment; filename="creditbank-report-{year}.csv"'},
    )


# Declared before /reports/{year}, which would otherwise take "2026.csv" as its year.
@router.get("/reports/{year}.csv", response_class=CsvResponse)
async def report_csv(year: Year, bank: BankDep) -> CsvResponse:
    """The year's report as one flat CSV (section, key, subkey, value; see docs/money.md)."""
    return _csv_response(year, await run_in_threadpool(reports.report, bank.engine, year))


@router.get("/reports/{year}", response_model=ReportPublic, responses=ALSO_CSV)
async def report(
    year: Year,
    bank: BankDep,
    format: Annotated[Literal["json", "csv"], Query(description="json (default) or csv")] = "json",
) -> ReportPublic | CsvResponse:
    """The authority's report of a program year: targets, certificates, credits by mode,
    rewards and subsidies against budget, and per-provider figures. 404 when no program
    governs the year."""
    found = await run_in_threadpool(reports.report, bank.engine, year)
    if format == "csv":
        return _csv_response(year, found)
    return ReportPublic.model_validate(found)
