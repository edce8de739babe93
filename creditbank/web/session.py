"""Web sessions and CSRF: the pages' own gate, beside the API's bearer-token table.

A session is the bearer token the existing login issues (``access.service.login``, or an
authority's API token), kept in an HttpOnly, SameSite=Lax cookie (Secure over HTTPS), so
the token rules (expiry, revocation, closure, erasure) hold for pages as for the API and
no session table is needed. Every form carries a CSRF token: an HMAC, keyed by a random
per-browser cookie, of the session token (or of nothing before sign-in), so a page on
another site can neither read nor forge it (ADR 0015).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from creditbank.access.tokens import Principal, Role
from creditbank.bank import Bank
from creditbank.core.errors import Forbidden, Unauthenticated

SESSION_COOKIE = "creditbank_session"
CSRF_COOKIE = "creditbank_csrf"
CSRF_FIELD = "csrf_token"


class SignInNeeded(Exception):
    """The page needs a signed-in user of one of ``roles``; the caller is sent to sign in."""

    def __init__(self, roles: frozenset[Role]) -> None:
        super().__init__("sign in first")
        self.roles = roles


@dataclass(frozen=True)
class Session:
    token: str
    principal: Principal


def bank_of(request: Request) -> Bank:
    """The bank the app was built with."""
    bank: Bank = request.app.state.bank
    return bank


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session(request: Request, response: Response, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure(request),
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


async def current(request: Request) -> Session | None:
    """The session the cookie names, if its token is still good (else none)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    bank = bank_of(request)
    now = bank.ledger.clock()
    principal = bank.tokens.cached(token, now)
    if principal is None:
        try:
            principal = await run_in_threadpool(bank.tokens.authenticate, bank.engine, token, now)
        except Unauthenticated:
            return None
    return Session(token, principal)


async def require(request: Request, roles: frozenset[Role]) -> Session:
    """The session of a user with one of ``roles``; SignInNeeded without one, Forbidden
    for another role; a learner only ever reaches their own ``{account}``."""
    session = await current(request)
    if session is None:
        raise SignInNeeded(roles)
    who = session.principal
    if who.role not in roles:
        raise Forbidden(f"a {who.role} may not open this page")
    account = request.path_params.get("account")
    if account is not None and who.role == "learner" and account != who.account:
        raise Forbidden("learners see only their own pages", field="account")
    return session


# --- CSRF --------------------------------------------------------------------------------


def csrf_secret(request: Request) -> tuple[str, bool]:
    """The browser's CSRF key, and whether it is new (then the response must set it)."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing and len(existing) >= 32:
        return existing, False
    return secrets.token_urlsafe(32), True


def csrf_token(secret: str, session_token: str | None) -> str:
    message = (session_token or "").encode()
    return hmac.new(secret.encode(), b"csrf\n" + message, hashlib.sha256).hexdigest()


def set_csrf(request: Request, response: Response, secret: str) -> None:
    response.set_cookie(
        CSRF_COOKIE, secret, path="/", httponly=True, samesite="lax", secure=secure(request)
    )


def check_csrf(request: Request, submitted: object) -> None:
    """Refuse a form whose token is missing or was not made for this browser and session."""
    secret = request.cookies.get(CSRF_COOKIE)
    if not secret or not isinstance(submitted, str):
        raise Forbidden("the form has no valid CSRF token", field=CSRF_FIELD)
    expected = csrf_token(secret, request.cookies.get(SESSION_COOKIE))
    if not hmac.compare_digest(expected, submitted):
        raise Forbidden("the form has no valid CSRF token", field=CSRF_FIELD)
