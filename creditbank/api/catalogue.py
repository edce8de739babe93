"""The catalogue over HTTP: standards, programs, and providers' courses."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from creditbank.access.tokens import Principal
from creditbank.api.deps import BankDep
from creditbank.api.ledger import StatementIn, appended_response
from creditbank.api.policy import PrincipalDep, require_author
from creditbank.catalogue import service
from creditbank.core.errors import InvalidInput
from creditbank.core.standards.model import Area

router = APIRouter(prefix="/v1", tags=["catalogue"])


async def append_kind(
    bank: BankDep, principal: Principal | None, payload: StatementIn, kind: str
) -> JSONResponse:
    """Log a signed statement that must be of ``kind`` (a route per kind of write)."""
    require_author(principal, payload.statement)
    if payload.statement.get("kind") != kind:
        raise InvalidInput(f"this endpoint takes {kind} statements", field="statement.kind")
    return appended_response(await bank.ledger.append_async(payload.to_signed()))


@router.get("/standards")
def list_standards(
    bank: BankDep,
    occupation: Annotated[
        str | None, Query(description="Occupation code or a leading part, e.g. 4-04-05")
    ] = None,
    level: Annotated[int | None, Query(ge=1, le=5)] = None,
    area: Annotated[Area | None, Query()] = None,
) -> list[dict[str, Any]]:
    """The published standards (newest version of each), filtered."""
    return service.list_standards(bank.engine, occupation=occupation, level=level, area=area)


@router.get("/standards/{standard_id}")
def get_standard(standard_id: str, bank: BankDep) -> dict[str, Any]:
    """One standard in full (newest published version) and its version history."""
    return service.get_standard(bank.engine, standard_id)


@router.get("/programs")
def list_programs(bank: BankDep) -> list[dict[str, Any]]:
    """The published programs: rewards, subsidies, budgets and targets per year."""
    return service.list_programs(bank.engine)


@router.post("/courses", status_code=201)
async def register_course(
    payload: StatementIn, bank: BankDep, principal: PrincipalDep
) -> JSONResponse:
    """A provider registers a course (a signed ``course.registered`` statement)."""
    return await append_kind(bank, principal, payload, "course.registered")


@router.post("/courses/recognitions", status_code=201)
async def recognize_course(
    payload: StatementIn, bank: BankDep, principal: PrincipalDep
) -> JSONResponse:
    """The authority recognizes a course (a signed ``course.recognized`` statement)."""
    return await append_kind(bank, principal, payload, "course.recognized")


@router.get("/providers/{provider}/courses")
def provider_courses(provider: str, bank: BankDep) -> list[dict[str, Any]]:
    """A provider's courses with their recognition status now."""
    return service.list_courses(bank.engine, provider, bank.ledger.clock())
