"""The JSON convenience API over the ledger, and the generic signed-statement write."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from creditbank.api.deps import BankDep
from creditbank.api.policy import PrincipalDep, require_author
from creditbank.core.entry import SignedStatement, decode_signature
from creditbank.core.tlog.receipt import RECEIPT_EXTENSION
from creditbank.ledger import reads
from creditbank.ledger.sequencer import Appended

router = APIRouter(prefix="/v1/ledger", tags=["ledger"])

NonNegative = Annotated[int, Query(ge=0, le=2**62)]
Index = Annotated[int, Path(ge=0, le=2**62)]


class StatementIn(BaseModel):
    """A signed statement: the author's Ed25519 signature over the statement's RFC 8785
    bytes, by the key named ``key_id``."""

    model_config = ConfigDict(extra="forbid")

    statement: dict[str, Any]
    key_id: str = Field(min_length=1, max_length=64)
    signature: str = Field(description="base64 Ed25519 signature")

    def to_signed(self) -> SignedStatement:
        return SignedStatement(self.statement, self.key_id, decode_signature(self.signature))


class AppendedOut(BaseModel):
    index: int
    duplicate: bool
    entry: str = Field(description="the entry's canonical bytes, base64")
    receipt: str = Field(description="C2SP tlog-proof receipt")
    derived: list[int]

    @classmethod
    def of(cls, a: Appended) -> AppendedOut:
        return cls(
            index=a.index,
            duplicate=a.duplicate,
            entry=base64.b64encode(a.entry).decode(),
            receipt=a.receipt,
            derived=list(a.derived),
        )


def appended_response(a: Appended) -> JSONResponse:
    """201 for a new entry, 200 with the original receipt for an idempotent re-post."""
    return JSONResponse(
        AppendedOut.of(a).model_dump(),
        status_code=status.HTTP_200_OK if a.duplicate else status.HTTP_201_CREATED,
    )


@router.get("/key", response_class=Response)
def verifier_key(bank: BankDep) -> Response:
    """The log's C2SP signed-note verifier key string."""
    return Response(bank.verifier_key + "\n", media_type="text/plain; charset=utf-8")


@router.post(
    "/entries",
    status_code=status.HTTP_201_CREATED,
    response_model=AppendedOut,
    responses={200: {"model": AppendedOut, "description": "idempotent re-post"}},
)
async def append_statement(
    payload: StatementIn, bank: BankDep, principal: PrincipalDep
) -> JSONResponse:
    """Log a signed statement; answers with its receipt once it is durable and checkpointed."""
    require_author(principal, payload.statement)
    return appended_response(await bank.ledger.append_async(payload.to_signed()))


@router.get("/entries/{index}")
def get_entry(index: Index, bank: BankDep) -> dict[str, Any]:
    """An entry, its canonical bytes (base64), its leaf hash and its inclusion proof."""
    return reads.entry_view(bank.engine, index)


@router.get("/entries/{index}/receipt", response_class=Response)
def get_receipt(index: Index, bank: BankDep) -> Response:
    """The entry's C2SP tlog-proof against the latest checkpoint."""
    text = reads.receipt(bank.engine, index)
    return Response(
        text,
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="entry-{index}{RECEIPT_EXTENSION}"'},
    )


@router.get("/proofs/inclusion")
def inclusion_proof(
    index: NonNegative, bank: BankDep, size: NonNegative | None = None
) -> dict[str, Any]:
    """RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` (default latest)."""
    return reads.inclusion(bank.engine, index, size)


@router.get("/proofs/consistency")
def consistency_proof(
    first: NonNegative, bank: BankDep, second: NonNegative | None = None
) -> dict[str, Any]:
    """RFC 9162 consistency proof from tree size ``first`` to ``second`` (default latest)."""
    return reads.consistency(bank.engine, first, second)
