"""Completions in (one, or a batch of up to 1,000) and learners' credits out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from creditbank.api.catalogue import append_kind
from creditbank.api.deps import BankDep
from creditbank.api.ledger import AppendedOut, StatementIn
from creditbank.api.policy import PrincipalDep, signed_in
from creditbank.core.entry import SignedStatement
from creditbank.core.errors import CreditBankError, Forbidden, InvalidInput
from creditbank.core.tlog.receipt import RECEIPT_EXTENSION
from creditbank.credits import service

router = APIRouter(prefix="/v1", tags=["credits"])

MAX_BATCH = 1000


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    statements: list[StatementIn] = Field(description=f"Up to {MAX_BATCH} signed completions.")


@router.post("/completions", status_code=201)
async def post_completion(
    payload: StatementIn, bank: BankDep, principal: PrincipalDep
) -> JSONResponse:
    """A provider posts one signed completion; the receipt proves it and its decisions."""
    return await append_kind(bank, principal, payload, "completion.recorded")


@router.post("/completions/retractions", status_code=201)
async def retract_completion(
    payload: StatementIn, bank: BankDep, principal: PrincipalDep
) -> JSONResponse:
    """A provider retracts one of its own completions (its award is revoked)."""
    return await append_kind(bank, principal, payload, "completion.retracted")


@router.post("/completions/batch")
def post_batch(payload: BatchIn, bank: BankDep, principal: PrincipalDep) -> dict[str, Any]:
    """Up to 1,000 signed completions: accepted ones are logged together in one
    transaction, each rejected one comes back with its reason; a result per item."""
    who = signed_in(principal)
    if len(payload.statements) > MAX_BATCH:
        raise InvalidInput(
            f"a batch holds at most {MAX_BATCH} completions, not {len(payload.statements)}",
            field="statements",
        )
    results: list[dict[str, Any] | None] = [None] * len(payload.statements)
    signed: list[tuple[int, SignedStatement]] = []
    for i, item in enumerate(payload.statements):
        try:
            if item.statement.get("actor") != who.actor_id:
                raise Forbidden(
                    "every statement must be by the token's actor", field="statement.actor"
                )
            if item.statement.get("kind") != "completion.recorded":
                raise InvalidInput(
                    "a batch takes completion.recorded statements", field="statement.kind"
                )
            signed.append((i, item.to_signed()))
        except CreditBankError as exc:
            results[i] = {"ok": False, "problem": exc.problem()}
    outcomes = bank.ledger.append_many([s for _, s in signed])
    for (i, _), outcome in zip(signed, outcomes, strict=True):
        if isinstance(outcome, CreditBankError):
            results[i] = {"ok": False, "problem": outcome.problem()}
        else:
            results[i] = {"ok": True, **AppendedOut.of(outcome).model_dump()}
    accepted = sum(1 for r in results if r is not None and r["ok"])
    return {"accepted": accepted, "rejected": len(results) - accepted, "results": results}


AccountPath = Annotated[str, Path(description="The learner's account number.")]


@router.get("/learners/{account}/balance")
def balance(account: AccountPath, bank: BankDep) -> dict[str, Any]:
    """Credits per standard, level and unit: active, expired, revoked."""
    return service.balance(bank.engine, account, bank.ledger.clock())


@router.get("/learners/{account}/progress")
def progress(account: AccountPath, bank: BankDep) -> dict[str, Any]:
    """Progress toward each level, with the credits and units still missing."""
    return service.progress(bank.engine, account, bank.ledger.clock())


@router.get("/learners/{account}/history")
def history(
    account: AccountPath,
    bank: BankDep,
    receipts: Annotated[bool, Query(description="Inline a receipt with every item.")] = True,
) -> dict[str, Any]:
    """Every completion with its outcome and reason, every award, each with its receipt."""
    return service.history(bank.engine, account, receipts=receipts)


@router.get("/learners/{account}/receipts/{index}", response_class=Response)
def receipt(
    account: AccountPath, index: Annotated[int, Path(ge=0, le=2**62)], bank: BankDep
) -> Response:
    """One receipt of the learner's history as a .tlog-proof file."""
    text = service.learner_receipt(bank.engine, account, index)
    return Response(
        text,
        media_type="text/plain; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{account}-{index}{RECEIPT_EXTENSION}"'
        },
    )
