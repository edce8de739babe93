"""The learner portal: sign in (the existing login), first-time activation, the dashboard
(credits, progress and what is missing, applying), history with receipts, certificates
with their share link and QR code, rewards, and my data (export, linked LMS accounts,
erasure). Each page calls one service, as the API's routes do; a learner sees only their
own pages."""

from __future__ import annotations

import json
from datetime import datetime

from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from creditbank.access import service as access
from creditbank.access import sessions
from creditbank.access.tokens import Role
from creditbank.certificates.filing import file_application
from creditbank.certificates.service import learner_applications
from creditbank.core.accounts import check_account_number
from creditbank.core.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from creditbank.core.tlog.receipt import RECEIPT_EXTENSION
from creditbank.credits import lrs_codes
from creditbank.credits import service as credits
from creditbank.money.service import learner_rewards
from creditbank.web import i18n, views
from creditbank.web.public import local_path, share_url
from creditbank.web.render import download, language, page
from creditbank.web.session import (
    bank_of,
    check_csrf,
    clear_session,
    current,
    require,
    set_session,
)

LEARNER: frozenset[Role] = frozenset({"learner"})


def _now(request: Request) -> datetime:
    return bank_of(request).ledger.clock()


async def _form(request: Request) -> FormData:
    """The posted form, once its CSRF token is checked."""
    form = await request.form()
    check_csrf(request, form.get("csrf_token"))
    return form


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{name} is required", field=name)
    return value.strip()


# --- signing in --------------------------------------------------------------------------


async def start(request: Request) -> Response:
    """/portal: the learner's own pages, or the sign-in page."""
    session = await current(request)
    if session is not None and session.principal.role == "learner":
        return RedirectResponse(f"/portal/{session.principal.account}", status_code=303)
    if session is not None and session.principal.role == "authority":
        return RedirectResponse("/authority", status_code=303)
    return RedirectResponse("/portal/signin", status_code=303)


async def sign_in_form(request: Request, error: str | None = None, status: int = 200) -> Response:
    return page(
        request,
        "portal/signin.html",
        {
            "next": local_path(request.query_params.get("next")),
            "error": error,
            "notice": request.query_params.get("activated"),
        },
        status=status,
        kind="private",
    )


async def sign_in(request: Request) -> Response:
    """The OAuth2 password login, its token kept in the session cookie."""
    form = await _form(request)
    bank, now = bank_of(request), _now(request)
    account = check_account_number(_text(form, "account").upper(), field="account")
    password = form.get("password")
    if not isinstance(password, str) or not password:
        raise InvalidInput("password is required", field="password")
    try:
        token, expires = await run_in_threadpool(access.login, bank, account, password, now)
    except (Unauthenticated, Forbidden) as refused:  # said on the form, with its status
        return await sign_in_form(request, error=refused.detail, status=refused.status)
    target = local_path(str(form.get("next") or ""))
    if not target.startswith(f"/portal/{account}"):
        target = f"/portal/{account}"
    response = RedirectResponse(target, status_code=303)
    set_session(request, response, token, int((expires - now).total_seconds()))
    return response


async def activate_form(request: Request) -> Response:
    return page(request, "portal/activate.html", {}, kind="private")


async def activate(request: Request) -> Response:
    """First-time activation: the code given at opening and the ID number set a password."""
    form = await _form(request)
    await run_in_threadpool(
        access.activate,
        bank_of(request),
        _text(form, "account").upper(),
        _text(form, "activation_code"),
        _text(form, "id_number"),
        str(form.get("password") or ""),
        _now(request),
    )
    return RedirectResponse("/portal/signin?activated=1", status_code=303)


async def sign_out(request: Request) -> Response:
    """End the session: a learner's token is revoked; an authority's API token is only
    forgotten by this browser (it is theirs to revoke)."""
    await _form(request)
    session = await current(request)
    if session is not None and session.principal.role == "learner":
        await run_in_threadpool(
            sessions.log_out, bank_of(request), session.principal.token_id, _now(request)
        )
    response = RedirectResponse("/", status_code=303)
    clear_session(response)
    return response


# --- the learner's pages -----------------------------------------------------------------


def _account(request: Request) -> str:
    account: str = request.path_params["account"]
    return account


async def dashboard(request: Request) -> Response:
    """Credits per standard; each level in progress with its bar and what is missing."""
    await require(request, LEARNER)
    account = _account(request)
    balance, levels = await run_in_threadpool(
        credits.balance_and_progress, bank_of(request).engine, account, _now(request)
    )
    t = i18n.translator(language(request))
    return page(
        request,
        "portal/dashboard.html",
        {
            "account": account,
            "tab": "dashboard",
            "balance": balance,
            "per_standard": views.credits_per_standard(balance["units"]),
            "levels": views.levels_in_progress(levels, t),
            "applied": request.query_params.get("applied"),
        },
        kind="private",
    )


async def apply(request: Request) -> Response:
    """Apply for a certificate: the rules refuse it unless the learner is eligible now."""
    await require(request, LEARNER)
    form = await _form(request)
    try:
        level = int(_text(form, "level"))
    except ValueError as exc:
        raise InvalidInput("level must be a number from 1 to 5", field="level") from exc
    appended = await file_application(
        bank_of(request).ledger, _account(request), _text(form, "standard_id"), level
    )
    return RedirectResponse(
        f"/portal/{_account(request)}?applied={appended.index}", status_code=303
    )


async def history(request: Request) -> Response:
    """Every completion with its outcome in words, every award with its expiry."""
    await require(request, LEARNER)
    found = await run_in_threadpool(
        credits.history, bank_of(request).engine, _account(request), receipts=False
    )
    return page(
        request,
        "portal/history.html",
        {"account": _account(request), "tab": "history", "history": found},
        kind="private",
    )


async def receipt(request: Request) -> Response:
    """One receipt of the learner's history, as the .tlog-proof file `creditbank verify`
    checks offline."""
    await require(request, LEARNER)
    account = _account(request)
    try:
        index = int(request.path_params["index"])
    except ValueError as exc:
        raise NotFound("no such entry", field="index") from exc
    text = await run_in_threadpool(credits.learner_receipt, bank_of(request).engine, account, index)
    return download(text, f"{account}-{index}{RECEIPT_EXTENSION}", "text/plain; charset=utf-8")


async def certificates(request: Request) -> Response:
    """The learner's applications and certificates (each with its share link and QR
    code), and their rewards."""
    await require(request, LEARNER)
    account, bank = _account(request), bank_of(request)
    applications = await run_in_threadpool(learner_applications, bank.engine, account)
    rewards = await run_in_threadpool(learner_rewards, bank.engine, account)
    issued = [a for a in applications if a["certificate_number"]]
    return page(
        request,
        "portal/certificates.html",
        {
            "account": account,
            "tab": "certificates",
            "applications": applications,
            "issued": [(a, share_url(request, a["certificate_number"])) for a in issued],
            "rewards": rewards,
        },
        kind="private",
    )


def _lms_account(agent: dict[str, object]) -> str:
    """An LMS account as the learner knows it: the user name at the LMS, or the address."""
    account = agent.get("account")
    if isinstance(account, dict):
        return f"{account.get('name')} ({account.get('homePage')})"
    return next(str(v) for k, v in agent.items() if k != "objectType")


async def _data_page(request: Request, *, confirm: bool) -> Response:
    """The My data page: export, the linked LMS accounts, erasure."""
    account = _account(request)
    links = await run_in_threadpool(lrs_codes.learner_links, bank_of(request).engine, account)
    shown = [
        (link, _lms_account(link["agent"]), json.dumps(link["agent"], ensure_ascii=False))
        for link in links
    ]
    return page(
        request,
        "portal/data.html",
        {
            "account": account,
            "tab": "data",
            "confirm": confirm,
            "lms_links": shown,
            "lms_notice": request.query_params.get("lms"),
        },
        kind="private",
    )


async def my_data(request: Request) -> Response:
    """Export, the linked LMS accounts, and erasure with what it does to the ledger said
    first."""
    await require(request, LEARNER)
    return await _data_page(request, confirm=False)


async def link_lms(request: Request) -> Response:
    """Link an LMS account with the provider's one-time code for it."""
    await require(request, LEARNER)
    form = await _form(request)
    account = _account(request)
    await run_in_threadpool(
        lrs_codes.redeem_code,
        bank_of(request),
        account,
        _text(form, "provider").lower(),
        _text(form, "code"),
    )
    return RedirectResponse(f"/portal/{account}/data?lms=linked", status_code=303)


async def unlink_lms(request: Request) -> Response:
    """Remove a link: that LMS account's completions are no longer credited here."""
    await require(request, LEARNER)
    form = await _form(request)
    account = _account(request)
    try:
        agent = json.loads(_text(form, "agent"))
    except ValueError as exc:
        raise InvalidInput("agent must be an xAPI Agent as JSON", field="agent") from exc
    await run_in_threadpool(
        lrs_codes.unlink, bank_of(request), account, _text(form, "provider"), agent
    )
    return RedirectResponse(f"/portal/{account}/data?lms=removed", status_code=303)


async def export(request: Request) -> Response:
    """Everything the bank holds about the learner, as a JSON download."""
    await require(request, LEARNER)
    account = _account(request)
    found = await run_in_threadpool(access.export_account, bank_of(request), account)
    text = json.dumps(found, ensure_ascii=False, indent=2)
    return download(text, f"{account}-export.json", "application/json")


async def erase(request: Request) -> Response:
    """Erasure in two steps: the first post shows what happens, the second (confirmed)
    erases; the session ends with the account's personal data."""
    await require(request, LEARNER)
    form = await _form(request)
    account = _account(request)
    if form.get("confirm") != "yes":
        return await _data_page(request, confirm=True)
    await run_in_threadpool(
        sessions.erase_account, bank_of(request), account, "learner", _now(request)
    )
    response = page(request, "portal/erased.html", {}, kind="private")
    clear_session(response)
    return response
