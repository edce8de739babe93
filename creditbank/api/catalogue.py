"""The catalogue over HTTP: standards, programs, and providers' courses."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from creditbank.api.appended import REPOSTED, appended_response
from creditbank.api.deps import BankDep
from creditbank.api.paging import NEXT_LINK, PageDep, paged
from creditbank.api.policy import PrincipalDep, signed_in
from creditbank.api.schemas.catalogue import (
    CoursePublic,
    ProgramPublic,
    StandardPublic,
    StandardSummaryPublic,
)
from creditbank.api.schemas.ledger import AppendedOut, StatementIn
from creditbank.catalogue import service
from creditbank.core.standards.model import Area
from creditbank.ledger import service as ledger_service

router = APIRouter(prefix="/v1", tags=["catalogue"])


@router.get("/standards", responses=NEXT_LINK)
def list_standards(
    bank: BankDep,
    page: PageDep,
    request: Request,
    response: Response,
    occupation: Annotated[
        str | None, Query(description="Occupation code or a leading part, e.g. 4-04-05")
    ] = None,
    level: Annotated[int | None, Query(ge=1, le=5)] = None,
    area: Annotated[Area | None, Query()] = None,
) -> list[StandardSummaryPublic]:
    """The published standards (newest version of each) by id, filtered, a page at a time."""
    found = service.list_standards(
        bank.engine, occupation=occupation, level=level, area=area, page=page
    )
    return paged(
        request, response, page, found, lambda s: s["id"], StandardSummaryPublic.model_validate
    )


@router.get("/standards/{standard_id}")
def get_standard(standard_id: str, bank: BankDep) -> StandardPublic:
    """One standard in full (newest published version) and its version history."""
    return StandardPublic.model_validate(service.get_standard(bank.engine, standard_id))


@router.get("/programs", responses=NEXT_LINK)
def list_programs(
    bank: BankDep, page: PageDep, request: Request, response: Response
) -> list[ProgramPublic]:
    """The published programs by year: rewards, subsidies, budgets and targets."""
    found = service.list_programs(bank.engine, page)
    return paged(
        request,
        response,
        page,
        found,
        lambda p: service.program_key(p["program"]["year"], p["program"]["id"]),
        ProgramPublic.model_validate,
    )


@router.post("/courses", status_code=201, response_model=AppendedOut, responses=REPOSTED)
async def register_course(
    payload: StatementIn, bank: BankDep, principal: PrincipalDep
) -> JSONResponse:
    """A provider registers a course (a signed ``course.registered`` statement)."""
    return appended_response(
        await ledger_service.append(
            bank.ledger, payload, author=signed_in(principal).actor_id, kind="course.registered"
        )
    )


@router.post(
    "/courses/recognitions", status_code=201, response_model=AppendedOut, responses=REPOSTED
)
async def recognize_course(
    payload: StatementIn, bank: BankDep, principal: PrincipalDep
) -> JSONResponse:
    """The authority recognizes a course (a signed ``course.recognized`` statement)."""
    return appended_response(
        await ledger_service.append(
            bank.ledger, payload, author=signed_in(principal).actor_id, kind="course.recognized"
        )
    )


@router.get("/providers/{provider}/courses", responses=NEXT_LINK)
def provider_courses(
    provider: str, bank: BankDep, page: PageDep, request: Request, response: Response
) -> list[CoursePublic]:
    """A provider's courses by id with their recognition status now."""
    found = service.list_courses(bank.engine, provider, bank.ledger.clock(), page)
    return paged(
        request, response, page, found, lambda c: c["course_id"], CoursePublic.model_validate
    )
