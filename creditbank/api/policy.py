"""Who may call what: every route's roles, declared once, here, and enforced for every
request by one dependency. A route missing from the table is refused (fail closed) and the
test suite checks the table against the app's routes.

Writes by organisations also carry the author's Ed25519 signature; the token and the
statement must name the same actor (checked where statements are taken, see
``creditbank.ledger.service``). Learners only ever reach their own account, providers their own
``{provider}`` records.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from creditbank.access.tokens import Principal, Role
from creditbank.core.errors import Forbidden, Unauthenticated

PUBLIC: frozenset[Role] = frozenset()
AUTHORITY: frozenset[Role] = frozenset({"authority"})
PROVIDER: frozenset[Role] = frozenset({"provider"})
ORGANISATIONS: frozenset[Role] = frozenset({"authority", "provider", "certifier"})
ANYONE_SIGNED_IN: frozenset[Role] = frozenset({"authority", "provider", "certifier", "learner"})
LEARNER_OR_AUTHORITY: frozenset[Role] = frozenset({"learner", "authority"})
LEARNER: frozenset[Role] = frozenset({"learner"})
AUTHORITY_OR_PROVIDER: frozenset[Role] = frozenset({"authority", "provider"})
CERTIFIER: frozenset[Role] = frozenset({"certifier"})
CERTIFIER_OR_AUTHORITY: frozenset[Role] = frozenset({"certifier", "authority"})

ROUTE_ROLES: dict[tuple[str, str], frozenset[Role]] = {
    # anyone: the log and its proofs, the catalogue
    ("GET", "/tlog/checkpoint"): PUBLIC,
    ("GET", "/tlog/tile/{path:path}"): PUBLIC,
    # federation: the witness (tlog-witness) and the split views it caught
    ("POST", "/witness/add-checkpoint"): PUBLIC,
    ("GET", "/v1/federation/witness"): PUBLIC,
    ("GET", "/v1/federation/split-views"): PUBLIC,
    ("GET", "/v1/federation/credit-bundle"): PUBLIC,
    # recognition across banks: only the account holder links and presents their records
    ("POST", "/v1/learners/{account}/link-codes"): LEARNER,
    ("POST", "/v1/learners/{account}/recognitions"): LEARNER,
    ("GET", "/v1/learners/{account}/recognitions"): LEARNER_OR_AUTHORITY,
    ("GET", "/v1/ledger/key"): PUBLIC,
    ("GET", "/v1/ledger/entries/{index}"): PUBLIC,
    ("GET", "/v1/ledger/entries/{index}/receipt"): PUBLIC,
    ("GET", "/v1/ledger/proofs/inclusion"): PUBLIC,
    ("GET", "/v1/ledger/proofs/consistency"): PUBLIC,
    ("GET", "/v1/standards"): PUBLIC,
    ("GET", "/v1/standards/{standard_id}"): PUBLIC,
    ("GET", "/v1/programs"): PUBLIC,
    ("GET", "/v1/providers/{provider}/courses"): PUBLIC,
    ("GET", "/v1/certificates/{certificate_number}/verification"): PUBLIC,
    ("POST", "/v1/auth/token"): PUBLIC,
    ("POST", "/v1/auth/activate"): PUBLIC,
    # operations: liveness, readiness and metrics (docs/operations-production.md)
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    # signed statements by organisations
    ("POST", "/v1/ledger/entries"): ORGANISATIONS,
    ("POST", "/v1/ledger/logged"): ORGANISATIONS,
    ("POST", "/v1/courses"): PROVIDER,
    ("POST", "/v1/courses/recognitions"): AUTHORITY,
    ("POST", "/v1/completions"): PROVIDER,
    ("POST", "/v1/completions/batch"): PROVIDER,
    ("POST", "/v1/completions/retractions"): PROVIDER,
    ("POST", "/xapi/statements"): PROVIDER,
    ("PUT", "/xapi/statements"): PROVIDER,
    ("GET", "/xapi/statements"): PROVIDER,
    ("GET", "/xapi/outcomes"): PROVIDER,
    ("GET", "/xapi/links"): PROVIDER,
    ("PUT", "/xapi/links/learners"): PROVIDER,
    ("PUT", "/xapi/links/courses"): PROVIDER,
    ("POST", "/xapi/links/codes"): PROVIDER,
    # learners link their own LMS accounts with a provider's code (docs/xapi.md)
    ("POST", "/v1/learners/{account}/lms-links"): LEARNER,
    ("GET", "/v1/learners/{account}/lms-links"): LEARNER_OR_AUTHORITY,
    ("DELETE", "/v1/learners/{account}/lms-links"): LEARNER,
    ("GET", "/xapi/about"): PUBLIC,
    # sessions
    ("GET", "/v1/me"): ANYONE_SIGNED_IN,
    ("POST", "/v1/auth/logout"): ANYONE_SIGNED_IN,
    # learner accounts and personal data
    ("POST", "/v1/learners"): AUTHORITY_OR_PROVIDER,
    ("POST", "/v1/learners/lookup"): AUTHORITY,
    ("GET", "/v1/learners/{account}"): LEARNER_OR_AUTHORITY,
    ("GET", "/v1/learners/{account}/export"): LEARNER_OR_AUTHORITY,
    ("POST", "/v1/learners/{account}/erasure"): LEARNER_OR_AUTHORITY,
    ("POST", "/v1/learners/{account}/closure"): AUTHORITY,
    # learners' credits: their own (and the authority's view)
    ("GET", "/v1/learners/{account}/balance"): LEARNER_OR_AUTHORITY,
    ("GET", "/v1/learners/{account}/progress"): LEARNER_OR_AUTHORITY,
    ("GET", "/v1/learners/{account}/history"): LEARNER_OR_AUTHORITY,
    ("GET", "/v1/learners/{account}/receipts/{index}"): LEARNER_OR_AUTHORITY,
    # certificates: learners apply, accredited bodies assess, issue and revoke
    ("GET", "/v1/certificates/{certificate_number}"): PUBLIC,
    ("POST", "/v1/learners/{account}/applications"): LEARNER_OR_AUTHORITY,
    ("GET", "/v1/learners/{account}/applications"): LEARNER_OR_AUTHORITY,
    ("GET", "/v1/applications"): CERTIFIER_OR_AUTHORITY,
    ("GET", "/v1/applications/{index}"): CERTIFIER_OR_AUTHORITY,
    ("POST", "/v1/assessments"): CERTIFIER,
    ("POST", "/v1/certificates"): CERTIFIER,
    ("POST", "/v1/certificates/revocations"): CERTIFIER_OR_AUTHORITY,
    # credentials (docs/credentials.md): public but the learner's own
    ("GET", "/v1/certificates/{certificate_number}/credential"): PUBLIC,
    ("GET", "/v1/learners/{account}/certificates/{certificate_number}/credential"): (
        LEARNER_OR_AUTHORITY
    ),
    ("GET", "/v1/learners/{account}/transcript"): LEARNER_OR_AUTHORITY,
    ("GET", "/v1/certifiers/{actor_id}/status-list"): PUBLIC,
    ("GET", "/.well-known/did.json"): PUBLIC,
    ("GET", "/certifiers/{actor_id}/did.json"): PUBLIC,
    ("GET", "/ims/case/v1p0/CFDocuments"): PUBLIC,
    ("GET", "/ims/case/v1p0/CFPackages/{sourcedId}"): PUBLIC,
    ("GET", "/ims/case/v1p0/CFItems/{sourcedId}"): PUBLIC,
    # money: rewards, budgets, subsidies (providers: only their own), reports
    ("GET", "/v1/learners/{account}/rewards"): LEARNER_OR_AUTHORITY,
    ("GET", "/v1/rewards"): AUTHORITY,
    ("POST", "/v1/rewards/payments"): AUTHORITY,
    ("POST", "/v1/budgets"): AUTHORITY,
    ("GET", "/v1/programs/{program_id}/budgets"): AUTHORITY,
    ("GET", "/v1/providers/{provider}/subsidies"): AUTHORITY_OR_PROVIDER,
    ("GET", "/v1/subsidies"): AUTHORITY,
    ("POST", "/v1/subsidies/claims"): PROVIDER,
    ("POST", "/v1/subsidies/approvals"): AUTHORITY,
    ("POST", "/v1/subsidies/rejections"): AUTHORITY,
    ("POST", "/v1/subsidies/payments"): AUTHORITY,
    ("GET", "/v1/reports/{year}"): AUTHORITY,
    ("GET", "/v1/reports/{year}.csv"): AUTHORITY,
}

TOKEN_URL = "/v1/auth/token"  # noqa: S105  (the login route, not a secret)
SECURITY_SCHEME = "OAuth2PasswordBearer"
"""The OpenAPI security scheme of signed-in routes (declared by creditbank.api.openapi)."""


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header (RFC 6750), as FastAPI's
    OAuth2PasswordBearer reads it; None without one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token if scheme.lower() == "bearer" and token else None


async def authorize(request: Request) -> Principal | None:
    """Enforce the route's roles; the principal for signed-in routes, None for public.

    It reads the bearer token itself rather than through an OAuth2PasswordBearer
    dependency: it runs on every request, and each dependency FastAPI solves costs as
    much as the token check (the scheme is declared in the OpenAPI document instead)."""
    token = bearer_token(request)
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    roles = ROUTE_ROLES.get((request.method, str(path)))
    if roles is None:
        raise Forbidden(f"{request.method} {path} has no access policy")
    if not roles:
        return None
    lrs_key = None
    if not token and str(path).startswith("/xapi/"):
        lrs_key, token = basic_credentials(request)  # xAPI clients send Basic by default
    if not token:
        raise Unauthenticated("this endpoint needs a bearer token")
    bank = request.app.state.bank
    now = bank.ledger.clock()
    # A token checked moments ago needs no thread hop; otherwise read the database.
    principal: Principal = bank.tokens.cached(token, now) or await run_in_threadpool(
        bank.tokens.authenticate, bank.engine, token, now
    )
    # for the request's log line: an organisation's id; never a learner's account or the token
    request.state.actor = principal.actor_id if principal.role != "learner" else "learner"
    if lrs_key is not None and lrs_key not in (principal.actor_id, principal.token_id):
        raise Unauthenticated("the LRS key is the provider's id (or the token's id)")
    if principal.role not in roles:
        raise Forbidden(f"a {principal.role} may not call {request.method} {path}")
    account = request.path_params.get("account")
    if principal.role == "learner" and account is not None and account != principal.account:
        raise Forbidden("learners see only their own account", field="account")
    provider = request.path_params.get("provider")
    if principal.role == "provider" and provider is not None and provider != principal.actor_id:
        raise Forbidden("providers see only their own records", field="provider")
    request.state.principal = principal  # for routes that take only the request
    return principal


def basic_credentials(request: Request) -> tuple[str | None, str | None]:
    """(LRS key, secret) of HTTP Basic credentials (RFC 7617), the way xAPI clients
    authenticate: the key is the provider's id, the secret one of its bearer tokens."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not value:
        return None, None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Unauthenticated("Basic credentials must be base64 of key:secret") from exc
    key, colon, secret = decoded.partition(":")
    if not colon or not secret:
        raise Unauthenticated("Basic credentials must be key:secret")
    return key, secret


PrincipalDep = Annotated[Principal | None, Depends(authorize)]


def principal_of(request: Request) -> Principal:
    """The principal ``authorize`` admitted to this request (on a route that takes only
    the request, where a ``PrincipalDep`` parameter would be one more dependency)."""
    return signed_in(getattr(request.state, "principal", None))


def signed_in(principal: Principal | None) -> Principal:
    if principal is None:  # only on a route the table marks public: a programming error
        raise Unauthenticated("this endpoint needs a bearer token")
    return principal
