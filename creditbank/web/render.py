"""Rendering pages: the Jinja2 templates, the language, the CSRF token every form needs,
and the security headers every page carries."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from creditbank.web import i18n
from creditbank.web.session import (
    CSRF_FIELD,
    SESSION_COOKIE,
    csrf_secret,
    csrf_token,
    set_csrf,
)

HERE = Path(__file__).parent
STATIC = HERE / "static"

PageKind = Literal["page", "private", "docs"]

# No inline script anywhere: every script is a file under /static (script-src 'self').
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# Swagger UI and ReDoc set inline styles, and ReDoc searches in a blob: worker.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def security_headers(kind: PageKind) -> dict[str, str]:
    """What every page sends: no framing, no inline script, no referrer (a certificate
    number in a verification URL must not travel to the next site), no sniffing; private
    pages are not cached."""
    headers = {
        "Content-Security-Policy": DOCS_CSP if kind == "docs" else CSP,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
    if kind == "private":
        headers["Cache-Control"] = "no-store"
    return headers


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def language(request: Request) -> i18n.Lang:
    return i18n.choose(
        request.cookies.get(i18n.LANG_COOKIE), request.headers.get("accept-language")
    )


def page(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    kind: PageKind = "page",
    session_token: str | None = None,
) -> Response:
    """The template rendered in the reader's language, with a fresh CSRF token for its
    forms (made for ``session_token`` when the response starts a session, else for the
    session cookie the request carries) and the security headers."""
    lang = language(request)
    secret, new_secret = csrf_secret(request)
    token = session_token if session_token is not None else request.cookies.get(SESSION_COOKIE)
    values = {
        "request": request,
        "lang": lang,
        "t": i18n.translator(lang),
        "outcome": lambda code: i18n.outcome(lang, code),
        "status": lambda code: i18n.status(lang, code),
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(secret, token),
        "path": request.url.path,
        **(context or {}),
    }
    html = environment().get_template(template).render(values)
    response = HTMLResponse(html, status_code=status, headers=security_headers(kind))
    response.headers["Content-Language"] = "zh-Hans" if lang == "zh" else "en"
    response.headers["Vary"] = "Accept-Language, Cookie"
    if new_secret:
        set_csrf(request, response, secret)
    return response


def download(content: str, filename: str, media_type: str) -> Response:
    """A file to save (a receipt, an export, a CSV), not cached, with the headers."""
    return Response(
        content,
        media_type=media_type,
        headers={
            **security_headers("private"),
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )
