"""The authority's dashboard: the year's report (money.reports) as SVG charts, with the
CSV beside it. The authority signs in with its API token (``creditbank token create
--actor authority``), kept in the session cookie like a learner's."""

from __future__ import annotations

from typing import Any

from fastapi.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from creditbank.access.tokens import Role
from creditbank.core.errors import Forbidden, InvalidInput
from creditbank.core.rules.money import program_year
from creditbank.money import reports
from creditbank.web import charts, i18n
from creditbank.web.public import local_path
from creditbank.web.render import download, language, page
from creditbank.web.session import bank_of, check_csrf, require, set_session

AUTHORITY: frozenset[Role] = frozenset({"authority"})
SESSION_SECONDS = 8 * 3600


def _year(request: Request, raw: str | None) -> int:
    if raw is None or raw == "":
        return program_year(bank_of(request).ledger.clock())
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        raise InvalidInput("year must be a year such as 2026", field="year")
    return int(raw)


async def sign_in_form(request: Request) -> Response:
    return page(
        request,
        "authority/signin.html",
        {"next": local_path(request.query_params.get("next"))},
        kind="private",
    )


async def sign_in(request: Request) -> Response:
    """Check the token (an authority's) and keep it in the session cookie."""
    form = await request.form()
    check_csrf(request, form.get("csrf_token"))
    token = form.get("token")
    if not isinstance(token, str) or not token.strip():
        raise InvalidInput("token is required", field="token")
    bank = bank_of(request)
    principal = await run_in_threadpool(
        bank.tokens.authenticate, bank.engine, token.strip(), bank.ledger.clock()
    )
    if principal.role != "authority":
        raise Forbidden("only the authority signs in here", field="token")
    target = local_path(str(form.get("next") or ""))
    response = RedirectResponse(
        target if target.startswith("/authority") else "/authority", status_code=303
    )
    set_session(request, response, token.strip(), SESSION_SECONDS)
    return response


def _charts(found: dict[str, Any], t: Any) -> dict[str, Any]:
    targets = found["targets"]
    progress = charts.hbars(
        t("report_title", year=found["year"]),
        [
            (
                t(name),
                float(targets[name]["actual"]),
                float(targets[name]["target"]),
                f"{targets[name]['actual']:,} / {targets[name]['target']:,} {t('target')} "
                f"({targets[name]['percent'] or '0'}%)",
            )
            for name in ("certified_trainees", "advanced_certificates")
        ],
    )
    months = charts.columns(
        t("by_month"),
        [
            (month[5:], n["issued"])
            for month, n in sorted(found["certificates"]["by_month"].items())
        ],
    )
    standards = found["certificates"]["by_standard"]
    most = max((n["issued"] for n in standards.values()), default=0)
    by_standard = charts.hbars(
        t("by_standard"),
        [(s, float(n["issued"]), float(most), str(n["issued"])) for s, n in standards.items()],
    )
    money = charts.hbars(
        t("money"),
        [
            (
                t(name),
                float(found[name]["committed_fen"]),
                float(found[name]["budget_fen"]),
                f"{charts.yuan(found[name]['committed_fen'])} / "
                f"{charts.yuan(found[name]['budget_fen'])} {t('yuan')}",
            )
            for name in ("rewards", "subsidies")
            if found.get(name) is not None
        ],
    )
    return {"progress": progress, "months": months, "standards": by_standard, "money": money}


async def dashboard(request: Request) -> Response:
    """The year's report as charts, and its CSV."""
    await require(request, AUTHORITY)
    year = _year(request, request.query_params.get("year"))
    found = await run_in_threadpool(reports.report, bank_of(request).engine, year)
    t = i18n.translator(language(request))
    return page(
        request,
        "authority/dashboard.html",
        {"year": year, "report": found, "charts": _charts(found, t) if found["program"] else None},
        kind="private",
    )


async def report_csv(request: Request) -> Response:
    """The year's report as CSV (what ``GET /v1/reports/{year}.csv`` gives)."""
    await require(request, AUTHORITY)
    year = _year(request, request.path_params["year"])
    found = await run_in_threadpool(reports.report, bank_of(request).engine, year)
    return download(reports.to_csv(found), f"report-{year}.csv", "text/csv; charset=utf-8")
