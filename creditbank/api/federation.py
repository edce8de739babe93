"""The witness (c2sp.org/tlog-witness) and what it reports.

``POST /witness/add-checkpoint`` answers as the spec says: 200 with a ``cosignature/v1``
line as plain text, 409 with the witness's known size as ``text/x.tlog.size``; its other
refusals are problem details like every other refusal of the bank.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from creditbank.api.appended import REPOSTED, appended_response
from creditbank.api.certificates import CheckedAccountPath
from creditbank.api.deps import BankDep
from creditbank.api.paging import NEXT_LINK, PageDep, paged
from creditbank.api.problems import problem_response
from creditbank.api.schemas.federation import (
    CreditBundlePublic,
    LinkCodeIn,
    LinkCodeOut,
    RecognitionIn,
    RecognitionPublic,
    SplitViewPublic,
    WitnessPublic,
)
from creditbank.api.schemas.ledger import AppendedOut
from creditbank.federation import recognitions, service
from creditbank.federation import witness as witness_service

router = APIRouter(tags=["federation"])

_TITLES = {400: "Bad request", 403: "Forbidden", 404: "Not found", 422: "Invalid input"}
_SLUGS = {400: "bad-request", 403: "forbidden", 404: "not-found", 422: "invalid-input"}

ADD_CHECKPOINT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
    400: {"description": "A malformed request, or an old size beyond the checkpoint's."},
    409: {
        "description": "The old size is not the witness's; the body is its known size.",
        "content": {"text/x.tlog.size": {"schema": {"type": "string"}}},
    },
}


@router.post(
    "/witness/add-checkpoint",
    response_class=PlainTextResponse,
    responses=ADD_CHECKPOINT_RESPONSES,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
async def add_checkpoint(request: Request, bank: BankDep) -> Response:
    """tlog-witness ``add-checkpoint``: an old size line, the consistency proof, a blank
    line and the peer log's signed checkpoint, as plain text. Only the peer logs this
    bank is configured to witness are cosigned."""
    body = await request.body()
    answer = await run_in_threadpool(
        witness_service.add_checkpoint,
        bank.engine,
        bank.settings.keys_dir,
        body,
        datetime.now(UTC),
    )
    if answer.status in (200, 409):
        return Response(answer.body, status_code=answer.status, media_type=answer.content_type)
    return problem_response(
        {
            "type": f"https://creditbank.local/problems/{_SLUGS[answer.status]}",
            "title": _TITLES[answer.status],
            "status": answer.status,
            "detail": answer.body.strip(),
            "field": "body",
        }
    )


@router.get("/v1/federation/witness", response_model=WitnessPublic)
def witness(bank: BankDep) -> dict[str, Any]:
    """This bank's witness key, the peer logs it witnesses (and how far), and the
    witnesses this bank's log asks to cosign its checkpoints."""
    return service.witness_info(bank.engine, bank.settings.keys_dir)


@router.get("/v1/federation/split-views", responses=NEXT_LINK)
def split_views(
    bank: BankDep,
    page: PageDep,
    request: Request,
    response: Response,
    origin: Annotated[str | None, Query(max_length=200)] = None,
) -> list[SplitViewPublic]:
    """The split views this bank's witness caught: each a peer log's signed checkpoint
    that contradicts what the witness cosigned, with both checkpoints as evidence."""
    found = witness_service.split_views(bank.engine, origin, page)
    return paged(request, response, page, found, _id, SplitViewPublic.model_validate)


@router.post("/v1/learners/{account}/link-codes", response_model=LinkCodeOut)
def create_link_code(
    account: CheckedAccountPath, payload: LinkCodeIn, bank: BankDep
) -> LinkCodeOut:
    """A link code for the signed-in learner: proof, for 15 minutes, that this account
    is theirs, to present at another bank (``home_origin``) for ``home_account`` only."""
    code = recognitions.link_code(
        bank.ledger, account, payload.home_origin, payload.home_account, bank.ledger.clock()
    )
    return LinkCodeOut(link_code=code)


@router.get("/v1/federation/credit-bundle", response_model=CreditBundlePublic)
def credit_bundle(
    bank: BankDep, awards: Annotated[list[int], Query(max_length=200)]
) -> dict[str, Any]:
    """The credit awards at ``awards`` with their receipts, the cosigned checkpoint and
    consistency proofs: what another bank verifies offline to recognise them."""
    return recognitions.credit_bundle(bank.engine, awards)


@router.post(
    "/v1/learners/{account}/recognitions",
    status_code=201,
    response_model=AppendedOut,
    responses=REPOSTED,
)
async def request_recognition(
    account: CheckedAccountPath, payload: RecognitionIn, bank: BankDep
) -> JSONResponse:
    """The signed-in learner presents a peer bank's certificate or credit awards with
    the peer's bundle and link code; the rules verify them offline against the agreement
    and derive ``certificate.recognized`` or ``credit.recognized``."""
    appended = await recognitions.request_recognition(
        bank.ledger, account, payload.model_dump(exclude_none=True)
    )
    return appended_response(appended)


@router.get("/v1/learners/{account}/recognitions", responses=NEXT_LINK)
def learner_recognitions(
    account: CheckedAccountPath, bank: BankDep, page: PageDep, request: Request, response: Response
) -> list[RecognitionPublic]:
    """The learner's recognised peer records, active or revoked, in log order."""
    found = recognitions.recognitions(bank.engine, account, page)
    return paged(request, response, page, found, _index, RecognitionPublic.model_validate)


def _id(item: dict[str, Any]) -> int:
    return int(item["id"])


def _index(item: dict[str, Any]) -> int:
    return int(item["index"])
