"""The web pages' routes, in one router the app includes once.

Pages are plain Starlette routes, outside the API's bearer-token role table
(creditbank.api.policy): each page states who may open it through
:func:`creditbank.web.session.require` (the session cookie), and a domain error becomes an
HTML page with its status instead of problem JSON. Static assets (ours, and Swagger UI's
and ReDoc's from the ``fastapi_offline`` package) are served from this process, so every
page works offline.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route

from creditbank.core.errors import CreditBankError
from creditbank.web import authority, i18n, portal, public
from creditbank.web.render import STATIC, language, page
from creditbank.web.session import CSRF_FIELD, SignInNeeded

log = logging.getLogger("creditbank.web")

Endpoint = Callable[[Request], Awaitable[Response]]


def html_errors(endpoint: Endpoint) -> Endpoint:
    """Domain errors as an HTML page with their status; a missing session as a redirect
    to the right sign-in page, coming back here after."""

    @functools.wraps(endpoint)
    async def wrapped(request: Request) -> Response:
        try:
            return await endpoint(request)
        except SignInNeeded as needed:
            target = "/authority/signin" if needed.roles == {"authority"} else "/portal/signin"
            query = urlencode({"next": request.url.path})
            return RedirectResponse(f"{target}?{query}", status_code=303)
        except CreditBankError as exc:
            if exc.status >= 500:
                log.error("page %s failed: %s", request.url.path, exc)
            key = f"error_{exc.status}"
            t = i18n.translator(language(request))
            title = t(key) if key in i18n.MESSAGES else t("error")
            # a refused form says what to do first, then why (the domain's words)
            detail = f"{t('csrf')} ({exc.detail})" if exc.field == CSRF_FIELD else exc.detail
            return page(
                request,
                "error.html",
                {"title": title, "detail": detail, "back": None},
                status=exc.status,
                kind="private",
            )

    return wrapped


def _route(path: str, endpoint: Endpoint, methods: tuple[str, ...] = ("GET",)) -> Route:
    return Route(path, html_errors(endpoint), methods=list(methods), include_in_schema=False)


PAGES: tuple[Route, ...] = (
    _route("/", public.home),
    _route("/lang/{lang}", public.switch_language),
    _route("/verify", public.verify_form),
    _route("/verify/{number}", public.verify_page),
    _route("/verify/{number}/qr.svg", public.qr_code),
    _route("/docs", public.swagger_ui),
    _route("/redoc", public.redoc),
    _route("/portal", portal.start),
    _route("/portal/signin", portal.sign_in_form),
    _route("/portal/signin", portal.sign_in, ("POST",)),
    _route("/portal/activate", portal.activate_form),
    _route("/portal/activate", portal.activate, ("POST",)),
    _route("/signout", portal.sign_out, ("POST",)),
    _route("/portal/{account}", portal.dashboard),
    _route("/portal/{account}/applications", portal.apply, ("POST",)),
    _route("/portal/{account}/history", portal.history),
    _route("/portal/{account}/receipts/{index}", portal.receipt),
    _route("/portal/{account}/certificates", portal.certificates),
    _route("/portal/{account}/data", portal.my_data),
    _route("/portal/{account}/data/export", portal.export),
    _route("/portal/{account}/erasure", portal.erase, ("POST",)),
    _route("/portal/{account}/lms-links", portal.link_lms, ("POST",)),
    _route("/portal/{account}/lms-links/removal", portal.unlink_lms, ("POST",)),
    _route("/authority", authority.dashboard),
    _route("/authority/signin", authority.sign_in_form),
    _route("/authority/signin", authority.sign_in, ("POST",)),
    _route("/authority/reports/{year}.csv", authority.report_csv),
)
"""Every page; tests walk this tuple (who may open each is in the page's own code)."""

PAGE_PATHS = frozenset(r.path for r in PAGES) | {"/static", "/static/docs"}

router = APIRouter()
router.routes.extend(PAGES)
router.routes.append(
    Mount("/static/docs", app=StaticFiles(packages=[("fastapi_offline", "static")]))
)
router.routes.append(Mount("/static", app=StaticFiles(directory=STATIC)))
