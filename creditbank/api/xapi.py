"""The xAPI LRS resource (``/xapi``; docs/xapi.md): statements in and out as xAPI 1.0.3
and 2.0 clients expect, the about resource, and each provider's links from LMS accounts
and activities to learners and courses; and the learner's side of those links (redeeming
a provider's link code, listing and removing links under ``/v1/learners/{account}``).

``XapiHeaders`` gives every ``/xapi`` answer, errors included, the
``X-Experience-API-Version`` it is written in and ``X-Experience-API-Consistent-Through``,
and answers xAPI's 400 where the rest of the API answers 422 (any bad request).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from creditbank.api.certificates import CheckedAccountPath
from creditbank.api.deps import BankDep
from creditbank.api.limits import json_body
from creditbank.api.paging import NEXT_LINK, PageDep, paged
from creditbank.api.policy import PrincipalDep, principal_of, signed_in
from creditbank.api.schemas.access import LmsLinkPublic
from creditbank.api.schemas.base import Public
from creditbank.core.entry import ACTOR_RE, format_time
from creditbank.core.errors import InvalidInput
from creditbank.credits import lrs, lrs_codes

router = APIRouter(prefix="/xapi", tags=["xapi"])
learner_router = APIRouter(prefix="/v1", tags=["xapi"])
"""The learner's side of the links: redeeming a provider's link code, listing, removing."""

Version = Annotated[
    str | None,
    Header(alias=lrs.VERSION_HEADER, description="1.0.3 or 2.0.0 (required)"),
]


def _versioned(status: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"headers": _HEADERS}}


_HEADERS: dict[str, Any] = {
    lrs.VERSION_HEADER: {
        "description": "The xAPI version of the answer (1.0.3 to a 1.0.x client).",
        "schema": {"type": "string", "enum": list(lrs.VERSIONS)},
    },
    lrs.CONSISTENT_HEADER: {
        "description": "Every statement stored up to this time is in the answer.",
        "schema": {"type": "string"},
    },
}
VERSIONED = _versioned(200)


def _provider(principal: Any) -> str:
    provider = signed_in(principal).actor_id
    assert provider is not None  # providers' tokens name their actor
    return str(provider)


class AboutPublic(Public):
    version: list[str]
    extensions: dict[str, Any]


class OutcomePublic(Public):
    id: str
    stored: str
    outcome: str
    reason: str | None
    voided: bool
    index: int | None
    receipt: str | None


class LearnerLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent: dict[str, Any]
    learner: str


class CourseLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    activity: str
    course_id: str


class StatementsAnswer(BaseModel):
    """A Statement (GET by ``statementId``) or a StatementResult (a query: ``statements``
    and ``more``); the statements as they were stored."""

    model_config = ConfigDict(extra="allow")
    statements: list[dict[str, Any]] | None = None
    more: str | None = None


class LinksPublic(Public):
    learners: list[dict[str, str]]
    courses: list[dict[str, str]]


class LinkCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent: dict[str, Any]


class LmsLinkCodePublic(Public):
    code: str
    agent: dict[str, Any]
    expires_at: str


class LmsLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider: str = Field(pattern=ACTOR_RE.pattern, description="The provider's id.")
    code: str = Field(min_length=1, max_length=64, description="The provider's link code.")


@router.get("/about", response_model=AboutPublic)
def get_about(version: Version = None) -> dict[str, Any]:
    """The xAPI versions this LRS speaks (to a 1.0.x client: 1.0.3)."""
    return lrs.about(version)


# The LRS's hottest route takes only the request: what it needs is already there (the
# body BodyGuard parsed, the principal authorize admitted), and FastAPI's dependencies and
# second parse of the body for those parameters were a fifth of the request's CPU. The
# body and the version header are documented here instead.
_POST_STATEMENTS_DOC: dict[str, Any] = {
    "parameters": [
        {
            "name": lrs.VERSION_HEADER,
            "in": "header",
            "required": False,
            "description": "1.0.3 or 2.0.0 (required)",
            "schema": {"type": "string"},
        }
    ],
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"description": "One xAPI statement or a list of them."}
            }
        },
    },
}


@router.post(
    "/statements",
    response_model=list[str],
    responses=VERSIONED,
    openapi_extra=_POST_STATEMENTS_DOC,
)
async def post_statements(request: Request) -> JSONResponse:
    """Store statements (each is kept; completions of recognised courses are credited,
    see /xapi/outcomes): the statement ids, in order (400 for invalid xAPI, 409 for an id
    stored before with other content; then none is stored)."""
    # on the event loop: an LMS's requests wait for the sequencer without a thread each
    ids = await lrs.store_statements_async(
        request.app.state.bank,
        _provider(principal_of(request)),
        json_body(request.scope),
        request.headers.get(lrs.VERSION_HEADER),
    )
    return JSONResponse(ids)  # a list of UUID strings: nothing to validate again


@router.put("/statements", status_code=204, responses=_versioned(204))
async def put_statement(
    bank: BankDep,
    principal: PrincipalDep,
    statementId: Annotated[str, Query(description="The statement's id (a UUID).")],
    statement: Annotated[Any, Body(description="One xAPI statement.")],
    version: Version = None,
) -> Response:
    """Store one statement under ``statementId`` (204; the same statement again: 204)."""
    provider = _provider(principal)
    await lrs.store_statements_async(bank, provider, statement, version, statement_id=statementId)
    return Response(status_code=204)


@router.get("/statements", response_model=StatementsAnswer, responses=VERSIONED)
async def get_statements(
    request: Request, bank: BankDep, principal: PrincipalDep, version: Version = None
) -> JSONResponse:
    """One statement (``statementId`` or ``voidedStatementId``), or a StatementResult of
    those matching agent, verb, activity, registration, since and until (``limit``,
    ``ascending``; ``more`` continues)."""
    provider = _provider(principal)
    params = dict(request.query_params)
    found = await run_in_threadpool(lrs.get_statements, bank, provider, params, version)
    # as stored: the statement's own members, whatever they are, unvalidated again
    return JSONResponse(found.get("statement", found))


@router.get("/outcomes", response_model=list[OutcomePublic])
async def get_outcomes(
    bank: BankDep,
    principal: PrincipalDep,
    statementId: Annotated[list[str], Query(description="Statement ids.")],
) -> list[dict[str, Any]]:
    """What each statement meant for the ledger: ``credited`` (the completion's index and
    receipt), ``retracted`` (a voiding that retracted one), ``not_credited`` (with the
    reason) or ``none`` (not a completion)."""
    return await run_in_threadpool(lrs.outcomes, bank, _provider(principal), statementId)


@router.put("/links/learners", status_code=204)
async def link_learner(bank: BankDep, principal: PrincipalDep, link: LearnerLinkIn) -> Response:
    """This LMS account (an xAPI Agent) is this learner account, in the provider's
    statements."""
    await run_in_threadpool(lrs.link_learner, bank, _provider(principal), link.agent, link.learner)
    return Response(status_code=204)


@router.put("/links/courses", status_code=204)
async def link_course(bank: BankDep, principal: PrincipalDep, link: CourseLinkIn) -> Response:
    """This activity IRI is this course of the provider."""
    await run_in_threadpool(
        lrs.link_course, bank, _provider(principal), link.activity, link.course_id
    )
    return Response(status_code=204)


@router.get("/links", response_model=LinksPublic)
async def get_links(bank: BankDep, principal: PrincipalDep) -> dict[str, Any]:
    """The provider's links."""
    return await run_in_threadpool(lrs.links, bank, _provider(principal))


@router.post("/links/codes", status_code=201, response_model=LmsLinkCodePublic)
async def issue_link_code(
    bank: BankDep, principal: PrincipalDep, payload: LinkCodeIn
) -> dict[str, Any]:
    """A one-time code (7 days) for one LMS account of the provider, to give its user:
    redeemed in their bank account (``POST /v1/learners/{account}/lms-links``), it links
    the LMS account to them. A new code for the same account replaces unused ones."""
    return await run_in_threadpool(lrs_codes.issue_code, bank, _provider(principal), payload.agent)


def _public(link: dict[str, Any]) -> LmsLinkPublic:
    return LmsLinkPublic(
        provider=link["provider"], agent=link["agent"], linked_at=link["linked_at"]
    )


@learner_router.post("/learners/{account}/lms-links", status_code=201, response_model=LmsLinkPublic)
async def redeem_link_code(
    account: CheckedAccountPath, payload: LmsLinkIn, bank: BankDep
) -> LmsLinkPublic:
    """The signed-in learner links an LMS account to their own with the provider's link
    code for it; its completions are credited to them from now on. A wrong, expired,
    used or other provider's code: 422 naming ``code``."""
    link = await run_in_threadpool(
        lrs_codes.redeem_code, bank, account, payload.provider, payload.code
    )
    return _public(link)


@learner_router.get("/learners/{account}/lms-links", responses=NEXT_LINK)
def learner_links(
    account: CheckedAccountPath, bank: BankDep, page: PageDep, request: Request, response: Response
) -> list[LmsLinkPublic]:
    """The LMS accounts linked to the learner, by provider and agent."""
    found = lrs_codes.learner_links(bank.engine, account, page)
    return paged(request, response, page, found, lrs_codes.key, _public)


@learner_router.delete("/learners/{account}/lms-links", status_code=204)
async def unlink_lms_account(
    account: CheckedAccountPath,
    bank: BankDep,
    provider: Annotated[str, Query(pattern=ACTOR_RE.pattern, description="The provider's id.")],
    agent: Annotated[
        str, Query(max_length=2000, description="The LMS account as xAPI Agent JSON, as listed.")
    ],
) -> Response:
    """The learner removes a link: that LMS account's statements are then stored and not
    credited (not linked to a learner account), as an account never linked."""
    try:
        parsed = json.loads(agent)
    except ValueError as exc:
        raise InvalidInput("agent must be an xAPI Agent as JSON", field="agent") from exc
    await run_in_threadpool(lrs_codes.unlink, bank, account, provider, parsed)
    return Response(status_code=204)


class XapiHeaders:
    """On ``/xapi`` paths: the version and consistent-through headers on every answer,
    and 400 for 422 (body included)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/xapi"):
            await self.app(scope, receive, send)
            return
        requested = None
        for name, value in scope.get("headers", []):
            if name == b"x-experience-api-version":
                requested = value.decode("latin-1")
        version = lrs.answer_version(requested)
        bank = scope["app"].state.bank if "app" in scope else None
        held: Message | None = None

        async def send_with_headers(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers[lrs.VERSION_HEADER] = version
                if bank is not None:
                    headers[lrs.CONSISTENT_HEADER] = format_time(bank.ledger.clock())
                if message["status"] == 422:
                    held = message  # rewrite once the (small) problem body is here
                    return
            elif held is not None and message["type"] == "http.response.body":
                body = message.get("body", b"")
                try:
                    problem = json.loads(body)
                    problem["status"] = 400
                    body = json.dumps(problem).encode()
                except (ValueError, TypeError):
                    pass
                headers = MutableHeaders(scope=held)
                headers["content-length"] = str(len(body))
                await send({**held, "status": 400})
                held = None
                message = {**message, "body": body}
            await send(message)

        await self.app(scope, receive, send_with_headers)
