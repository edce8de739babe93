"""The JSON convenience API over the ledger, and the generic signed-statement write."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import JSONResponse, PlainTextResponse

from creditbank.api.appended import REPOSTED, appended_response
from creditbank.api.deps import BankDep
from creditbank.api.policy import PrincipalDep, signed_in
from creditbank.api.schemas.ledger import (
    AppendedOut,
    ConsistencyPublic,
    EntryPublic,
    InclusionPublic,
    LoggedIdsIn,
    LoggedIdsOut,
    StatementIn,
)
from creditbank.core.tlog.receipt import RECEIPT_EXTENSION
from creditbank.ledger import reads
from creditbank.ledger import service as ledger_service

router = APIRouter(prefix="/v1/ledger", tags=["ledger"])

NonNegative = Annotated[int, Query(ge=0, le=2**62)]
Index = Annotated[int, Path(ge=0, le=2**62)]


@router.get("/key", response_class=PlainTextResponse)
def verifier_key(bank: BankDep) -> PlainTextResponse:
    """The log's C2SP signed-note verifier key string."""
    return PlainTextResponse(bank.verifier_key + "\n")


@router.post(
    "/entries",
    status_code=status.HTTP_201_CREATED,
    response_model=AppendedOut,
    responses=REPOSTED,
)
async def append_statement(
    payload: StatementIn, bank: BankDep, principal: PrincipalDep
) -> JSONResponse:
    """Log a signed statement; answers with its receipt once it is durable and checkpointed."""
    author = signed_in(principal).actor_id
    return appended_response(await ledger_service.append(bank.ledger, payload, author=author))


@router.post("/logged")
def logged_ids(payload: LoggedIdsIn, bank: BankDep, principal: PrincipalDep) -> LoggedIdsOut:
    """Which of these statement ids the caller has already logged: a re-run import asks
    once per batch and posts only the rest."""
    actor = signed_in(principal).actor_id
    assert actor is not None  # the route table admits organisations only
    return LoggedIdsOut(logged=reads.logged_ids(bank.engine, actor, payload.ids))


@router.get("/entries/{index}")
def get_entry(index: Index, bank: BankDep) -> EntryPublic:
    """An entry, its canonical bytes (base64), its leaf hash and its inclusion proof."""
    return EntryPublic.model_validate(reads.entry_view(bank.engine, index))


@router.get("/entries/{index}/receipt", response_class=PlainTextResponse)
def get_receipt(index: Index, bank: BankDep) -> PlainTextResponse:
    """The entry's C2SP tlog-proof against the latest checkpoint."""
    return PlainTextResponse(
        reads.receipt(bank.engine, index),
        headers={"Content-Disposition": f'attachment; filename="entry-{index}{RECEIPT_EXTENSION}"'},
    )


@router.get("/proofs/inclusion")
def inclusion_proof(
    index: NonNegative, bank: BankDep, size: NonNegative | None = None
) -> InclusionPublic:
    """RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` (default latest)."""
    return InclusionPublic.model_validate(reads.inclusion(bank.engine, index, size))


@router.get("/proofs/consistency")
def consistency_proof(
    first: NonNegative, bank: BankDep, second: NonNegative | None = None
) -> ConsistencyPublic:
    """RFC 9162 consistency proof from tree size ``first`` to ``second`` (default latest)."""
    return ConsistencyPublic.model_validate(reads.consistency(bank.engine, first, second))
