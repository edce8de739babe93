"""xAPI statements in: `POST /xapi/statements` for LMSs (see docs/xapi.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Response
from fastapi.concurrency import run_in_threadpool

from creditbank.api.deps import BankDep
from creditbank.api.policy import PrincipalDep, signed_in
from creditbank.credits import lrs

router = APIRouter(prefix="/xapi", tags=["xapi"])

ANSWERED_IN: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {
            lrs.VERSION_HEADER: {
                "description": "The xAPI version of the answer.",
                "schema": {"type": "string", "const": lrs.ANSWER_VERSION},
            }
        }
    }
}


@router.post("/statements", responses=ANSWERED_IN)
async def post_statements(
    bank: BankDep,
    principal: PrincipalDep,
    response: Response,
    statements: Annotated[Any, Body(description="One xAPI statement or a list of them.")],
    version: Annotated[str | None, Header(alias=lrs.VERSION_HEADER)] = None,
) -> list[str]:
    """Store xAPI completed/passed/failed statements about the provider's courses as
    completions signed with the provider's gateway key. Answers the statement ids (200),
    or a problem naming every statement that could not be taken (nothing of a malformed
    request is written)."""
    provider = signed_in(principal).actor_id
    assert provider is not None  # providers' tokens name their actor
    ids = await run_in_threadpool(lrs.store_statements, bank, provider, statements, version)
    response.headers[lrs.VERSION_HEADER] = lrs.ANSWER_VERSION
    return ids
