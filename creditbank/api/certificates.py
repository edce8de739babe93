"""Certificates over HTTP: learners apply, certifying bodies read the record they assess,
record the assessment, issue and revoke; anyone reads a certificate by its number."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt

from creditbank.api.catalogue import append_kind
from creditbank.api.deps import BankDep
from creditbank.api.ledger import StatementIn, appended_response
from creditbank.api.policy import PrincipalDep, signed_in
from creditbank.certificates import service
from creditbank.certificates.service import ApplicationStatus
from creditbank.core.accounts import check_account_number
from creditbank.core.errors import CreditBankError, InvalidInput

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

# Refusals of the operator statement name its body's fields; the request names them so.
_REQUEST_FIELD = {"statement.body.learner": "account"}


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    standard_id: str = Field(min_length=1, max_length=64, description="The standard's id.")
    level: StrictInt = Field(ge=1, le=5, description="The level applied for (5 ... 1).")


def _request_field(field: str | None) -> str | None:
    if field is None:
        return None
    if field in _REQUEST_FIELD:
        return _REQUEST_FIELD[field]
    prefix = "statement.body."
    return field[len(prefix) :] if field.startswith(prefix) else field


@router.post("/learners/{account}/applications", status_code=201)
async def apply(
    account: CheckedAccountPath, payload: ApplicationIn, bank: BankDep, principal: PrincipalDep
) -> JSONResponse:
    """A learner applies for a certificate of a standard level (the authority may file it
    for them). The operator logs ``certificate.applied``; refused unless the learner is
    eligible now, holds no active certificate for the level and has no open application
    for it."""
    signed_in(principal)
    body = {"learner": account, "standard_id": payload.standard_id, "level": payload.level}
    future = bank.ledger.submit_operator("certificate.applied", f"apply:{uuid.uuid4()}", body)
    try:
        appended = await asyncio.wrap_future(future)
    except CreditBankError as exc:
        exc.field = _request_field(exc.field)
        raise
    return appended_response(appended)


@router.get("/learners/{account}/applications")
def learner_applications(account: AccountPath, bank: BankDep) -> list[dict[str, Any]]:
    """The learner's applications with their status (pending, assessed, failed, issued)."""
    return service.learner_applications(bank.engine, account)


@router.get("/applications")
def list_applications(
    bank: BankDep,
    principal: PrincipalDep,
    status: Annotated[ApplicationStatus | None, Query()] = None,
) -> list[dict[str, Any]]:
    """Applications: a certifying body sees those for the standards it is accredited
    for; the authority sees all."""
    who = signed_in(principal)
    certifier = who.actor_id if who.role == "certifier" else None
    return service.list_applications(bank.engine, certifier=certifier, status=status)


@router.get("/applications/{index}")
async def get_application(
    index: Annotated[int, Path(ge=0, le=2**62)], bank: BankDep, principal: PrincipalDep
) -> dict[str, Any]:
    """One application and the learner's record for that standard level only: progress
    now, the awards in the level's units with their completions, each with a receipt."""
    who = signed_in(principal)
    certifier = who.actor_id if who.role == "certifier" else None
    return await run_in_threadpool(
        service.application_record,
        bank.engine,
        index,
        bank.ledger.clock(),
        certifier=certifier,
    )


@router.post("/assessments", status_code=201)
async def record_assessment(
    payload: StatementIn, bank: BankDep, principal: PrincipalDep
) -> JSONResponse:
    """A certifying body records its assessment of a pending application (signed
    ``assessment.recorded``: passed or failed)."""
    return await append_kind(bank, principal, payload, "assessment.recorded")


@router.post("/certificates", status_code=201)
async def issue_certificate(
    payload: StatementIn, bank: BankDep, principal: PrincipalDep
) -> JSONResponse:
    """A certifying body issues a certificate (signed ``certificate.issued``); the log
    derives the learner's reward and the providers' subsidy."""
    return await append_kind(bank, principal, payload, "certificate.issued")


@router.post("/certificates/revocations", status_code=201)
async def revoke_certificate(
    payload: StatementIn, bank: BankDep, principal: PrincipalDep
) -> JSONResponse:
    """The issuing body or the authority revokes a certificate (signed
    ``certificate.revoked``); unpaid money is cancelled, paid money becomes due back."""
    return await append_kind(bank, principal, payload, "certificate.revoked")


@router.get("/certificates/{number}")
def get_certificate(
    number: Annotated[str, Path(min_length=1, max_length=48)], bank: BankDep
) -> dict[str, Any]:
    """A certificate, publicly: number, learner account (a pseudonym), standard, level,
    issuer, issuance, and whether it is active or revoked (with the reason)."""
    return service.certificate_view(bank.engine, number)
