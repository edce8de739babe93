"""The public pages: the home page, the language switch, the certificate verification
page (whose verdict the browser computes, static/verifier.js) and the API documentation,
offline. Nothing personal is shown here: a certificate names its holder by account
number only."""

from __future__ import annotations

import hashlib
import io
import re

import segno
from fastapi.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from creditbank.catalogue.service import get_standard
from creditbank.certificates.service import certificate_view
from creditbank.core.authorship import DERIVED_KINDS
from creditbank.core.errors import InvalidInput, NotFound
from creditbank.core.tlog.note import parse_verifier_key
from creditbank.core.verify.policy import CERTIFICATE_NUMBER
from creditbank.web import i18n
from creditbank.web.render import language, page, security_headers
from creditbank.web.session import bank_of

_NUMBER = re.compile(CERTIFICATE_NUMBER)


def local_path(target: str | None) -> str:
    """``target`` if it is a path on this site, else the home page (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def home(request: Request) -> Response:
    return page(request, "index.html")


async def switch_language(request: Request) -> Response:
    """Remember the language chosen with the switch, and go back to the page."""
    lang = request.path_params["lang"]
    if lang not in i18n.LANGS:
        raise NotFound(f"no language {lang}", field="lang")
    response = RedirectResponse(local_path(request.query_params.get("next")), status_code=303)
    response.set_cookie(
        i18n.LANG_COOKIE, lang, max_age=365 * 86400, path="/", samesite="lax", httponly=True
    )
    return response


async def verify_form(request: Request) -> Response:
    """Enter a certificate number (a QR code leads straight to /verify/{number})."""
    number = request.query_params.get("number", "").strip().upper()
    if number:
        if _NUMBER.fullmatch(number) is None:
            raise InvalidInput(f"{number[:48]!r} is not a certificate number", field="number")
        return RedirectResponse(f"/verify/{number}", status_code=303)
    return page(request, "verify_form.html", {"number": ""})


def fingerprint(verifier_key: str) -> str:
    """SHA-256 of the log's public key, in groups of four hex digits, to read aloud."""
    digest = hashlib.sha256(parse_verifier_key(verifier_key).public_key).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


async def verify_page(request: Request) -> Response:
    """The certificate as the server states it, and the page's script that checks it."""
    number = request.path_params["number"]
    if _NUMBER.fullmatch(number) is None:
        raise NotFound(f"no certificate {number[:48]}", field="certificate_number")
    bank = bank_of(request)
    cert = await run_in_threadpool(certificate_view, bank.engine, number)
    lang = language(request)
    standard_title = cert["standard_id"]
    try:
        standard = (await run_in_threadpool(get_standard, bank.engine, cert["standard_id"]))[
            "standard"
        ]
        standard_title = standard[f"title_{lang}"]
    except NotFound:
        pass  # a withdrawn standard: its id stands for it
    return page(
        request,
        "verify.html",
        {
            "cert": cert,
            "standard_title": standard_title,
            "level_title": i18n.level_name(lang, cert["level"]),
            "verifier_key": bank.verifier_key,
            "fingerprint": fingerprint(bank.verifier_key),
            "derived_kinds": sorted(DERIVED_KINDS),
        },
    )


# --- the API documentation, offline ------------------------------------------------------


async def swagger_ui(request: Request) -> Response:
    return page(request, "docs.html", {"openapi_url": "/openapi.json"}, kind="docs")


async def redoc(request: Request) -> Response:
    return page(request, "redoc.html", {"openapi_url": "/openapi.json"}, kind="docs")


def share_url(request: Request, number: str) -> str:
    """The public verification page of a certificate, absolute (for links and QR codes)."""
    return str(request.base_url).rstrip("/") + f"/verify/{number}"


async def qr_code(request: Request) -> Response:
    """The QR code of a certificate's verification page, as SVG: what a paper
    certificate prints and a phone scans (it encodes only the page's address)."""
    number = request.path_params["number"]
    if _NUMBER.fullmatch(number) is None:
        raise NotFound(f"no certificate {number[:48]}", field="certificate_number")
    out = io.BytesIO()
    segno.make(share_url(request, number), error="m").save(
        out, kind="svg", scale=4, dark="#000000", light="#ffffff", title=number, xmldecl=False
    )
    return Response(out.getvalue(), media_type="image/svg+xml", headers=security_headers("page"))
