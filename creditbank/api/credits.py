"""Completions in (one, or a batch of up to 1,000) and learners' credits out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from creditbank.api.appended import REPOSTED, appended_response
from creditbank.api.deps import BankDep
from creditbank.api.paging import NEXT_LINK, PageDep, link_next
from creditbank.api.policy import PrincipalDep, signed_in
from creditbank.api.schemas.credits import (
    BalancePublic,
    BatchIn,
    BatchOut,
    HistoryPublic,
    ProgressPublic,
)
from creditbank.api.schemas.ledger import AppendedOut, StatementIn
from creditbank.core.tlog.receipt import RECEIPT_EXTENSION
from creditbank.credits import batch, service
from creditbank.ledger import service as ledger_service

router = APIRouter(prefix="/v1", tags=["credits"])


@router.post("/completions", status_code=201, response_model=AppendedOut, responses=REPOSTED)
async def post_completion(
    payload: StatementIn, bank: BankDep, principal: PrincipalDep
) -> JSONResponse:
    """A provider posts one signed completion; the receipt proves it and its decisions."""
    return appended_response(
        await ledger_service.append(
            bank.ledger, payload, author=signed_in(principal).actor_id, kind="completion.recorded"
        )
    )


@router.post(
    "/completions/retractions", status_code=201, response_model=AppendedOut, responses=REPOSTED
)
async def retract_completion(
    payload: StatementIn, bank: BankDep, principal: PrincipalDep
) -> JSONResponse:
    """A provider retracts one of its own completions (its award is revoked)."""
    return appended_response(
        await ledger_service.append(
            bank.ledger, payload, author=signed_in(principal).actor_id, kind="completion.retracted"
        )
    )


@router.post("/completions/batch")
def post_batch(payload: BatchIn, bank: BankDep, principal: PrincipalDep) -> BatchOut:
    """Up to 1,000 signed completions: accepted ones are logged together in one
    transaction, each rejected one comes back with its reason; a result per item."""
    return BatchOut.of(
        batch.append_completions(
            bank.ledger, payload.statements, provider=signed_in(principal).actor_id
        )
    )


AccountPath = Annotated[str, Path(description="The learner's account number.")]


@router.get("/learners/{account}/balance")
def balance(account: AccountPath, bank: BankDep) -> BalancePublic:
    """Credits per standard, level and unit: active, expired, revoked."""
    return BalancePublic.model_validate(service.balance(bank.engine, account, bank.ledger.clock()))


@router.get("/learners/{account}/progress")
def progress(account: AccountPath, bank: BankDep) -> ProgressPublic:
    """Progress toward each level, with the credits and units still missing."""
    return ProgressPublic.model_validate(
        service.progress(bank.engine, account, bank.ledger.clock())
    )


@router.get("/learners/{account}/history", responses=NEXT_LINK)
def history(
    account: AccountPath,
    bank: BankDep,
    page: PageDep,
    request: Request,
    response: Response,
    receipts: Annotated[bool, Query(description="Inline a receipt with every item.")] = True,
) -> HistoryPublic:
    """Every completion with its outcome and reason, every award, each with its receipt,
    in ledger order, ``limit`` items (completions and awards together) a page."""
    found = HistoryPublic.model_validate(
        service.history(bank.engine, account, receipts=receipts, page=page)
    )
    link_next(request, response, page, found.next_cursor)
    return found


@router.get("/learners/{account}/receipts/{index}", response_class=PlainTextResponse)
def receipt(
    account: AccountPath, index: Annotated[int, Path(ge=0, le=2**62)], bank: BankDep
) -> PlainTextResponse:
    """One receipt of the learner's history as a .tlog-proof file."""
    return PlainTextResponse(
        service.learner_receipt(bank.engine, account, index),
        headers={
            "Content-Disposition": f'attachment; filename="{account}-{index}{RECEIPT_EXTENSION}"'
        },
    )
