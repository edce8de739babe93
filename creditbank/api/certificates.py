"""Certificates over HTTP: learners apply, certifying bodies read the record they assess,
record the assessment, issue and revoke; anyone reads a certificate by its number."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import AfterValidator

from creditbank.api.appended import REPOSTED, appended_response
from creditbank.api.deps import BankDep
from creditbank.api.paging import NEXT_LINK, PageDep, paged
from creditbank.api.policy import PrincipalDep, signed_in
from creditbank.api.schemas.certificates import (
    ApplicationIn,
    ApplicationPublic,
    ApplicationRecordPublic,
    CertificatePublic,
)
from creditbank.api.schemas.ledger import AppendedOut, StatementIn
from creditbank.certificates import service
from creditbank.certificates.filing import file_application
from creditbank.certificates.service import ApplicationStatus
from creditbank.core.accounts import check_account_number
from creditbank.core.errors import InvalidInput
from creditbank.ledger import service as ledger_service

router = APIRouter(prefix="/v1", tags=["certificates"])

AccountPath = Annotated[str, Path(description="The learner's account number.")]


def _account_number(value: str) -> str:
    try:
        return check_account_number(value)
    except InvalidInput as exc:  # a validation error, so it is told before the body's
        raise ValueError(exc.detail) from exc


CheckedAccountPath = Annotated[
    str, Path(description="The learner's account number."), AfterValidator(_account_number)
]


@router.post(
    "/learners/{account}/applications",
    status_code=201,
    response_model=AppendedOut,
    responses=REPOSTED,
)
async def apply(
    account: CheckedAccountPath, payload: ApplicationIn, bank: BankDep, principal: PrincipalDep
) -> JSONResponse:
    """A learner applies for a certificate of a standard level (the authority may file it
    for them). The operator logs ``certificate.applied``; refused unless the learner is
    eligible now, holds no active certificate for the level and has no open application
    for it."""
    signed_in(principal)
    return appended_response(
        await file_application(bank.ledger, account, payload.standard_id, payload.level)
    )


@router.get("/learners/{account}/applications", responses=NEXT_LINK)
def learner_applications(
    account: AccountPath, bank: BankDep, page: PageDep, request: Request, response: Response
) -> list[ApplicationPublic]:
    """The learner's applications with their status (pending, assessed, failed, issued)."""
    found = service.learner_applications(bank.engine, account, page)
    return paged(request, response, page, found, _index, ApplicationPublic.model_validate)


@router.get("/applications", responses=NEXT_LINK)
def list_applications(
    bank: BankDep,
    principal: PrincipalDep,
    page: PageDep,
    request: Request,
    response: Response,
    status: Annotated[ApplicationStatus | None, Query()] = None,
) -> list[ApplicationPublic]:
    """Applications, oldest first: a certifying body sees those for the standards it is
    accredited for; the authority sees all."""
    who = signed_in(principal)
    certifier = who.actor_id if who.role == "certifier" else None
    found = service.list_applications(bank.engine, certifier=certifier, status=status, page=page)
    return paged(request, response, page, found, _index, ApplicationPublic.model_validate)


def _index(item: dict[str, Any]) -> int:
    return int(item["index"])


@router.get("/applications/{index}")
async def get_application(
    index: Annotated[int, Path(ge=0, le=2**62)], bank: BankDep, principal: PrincipalDep
) -> ApplicationRecordPublic:
    """One application and the learner's record for that standard level only: progress
    now, the awards in the level's units with their completions, each with a receipt."""
    who = signed_in(principal)
    certifier = who.actor_id if who.role == "certifier" else None
    record = await run_in_threadpool(
        service.application_record,
        bank.engine,
        index,
        bank.ledger.clock(),
        certifier=certifier,
    )
    return ApplicationRecordPublic.model_validate(record)


@router.post("/assessments", status_code=201, response_model=AppendedOut, responses=REPOSTED)
async def record_assessment(
    payload: StatementIn, bank: BankDep, principal: PrincipalDep
) -> JSONResponse:
    """A certifying body records its assessment of a pending application (signed
    ``assessment.recorded``: passed or failed)."""
    return appended_response(
        await ledger_service.append(
            bank.ledger, payload, author=signed_in(principal).actor_id, kind="assessment.recorded"
        )
    )


@router.post("/certificates", status_code=201, response_model=AppendedOut, responses=REPOSTED)
async def issue_certificate(
    payload: StatementIn, bank: BankDep, principal: PrincipalDep
) -> JSONResponse:
    """A certifying body issues a certificate (signed ``certificate.issued``); the log
    derives the learner's reward and the providers' subsidy."""
    return appended_response(
        await ledger_service.append(
            bank.ledger, payload, author=signed_in(principal).actor_id, kind="certificate.issued"
        )
    )


@router.post(
    "/certificates/revocations", status_code=201, response_model=AppendedOut, responses=REPOSTED
)
async def revoke_certificate(
    payload: StatementIn, bank: BankDep, principal: PrincipalDep
) -> JSONResponse:
    """The issuing body or the authority revokes a certificate (signed
    ``certificate.revoked``); unpaid money is cancelled, paid money becomes due back."""
    return appended_response(
        await ledger_service.append(
            bank.ledger, payload, author=signed_in(principal).actor_id, kind="certificate.revoked"
        )
    )


@router.get("/certificates/{certificate_number}")
def get_certificate(
    certificate_number: Annotated[str, Path(min_length=1, max_length=48)], bank: BankDep
) -> CertificatePublic:
    """A certificate, publicly: number, learner account (a pseudonym), standard, level,
    issuer, issuance, and whether it is active or revoked (with the reason)."""
    view = service.certificate_view(bank.engine, certificate_number)
    return CertificatePublic.model_validate(view)
