"""The web pages over HTTP (httpx against the app, SQLite and PostgreSQL): sessions and
CSRF, who may open what, the numbers the portal shows, the security headers, nothing
personal on public pages, the documentation offline, the two languages."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from anyio.from_thread import start_blocking_portal

from creditbank.access import service as access
from creditbank.api.app import create_app
from creditbank.bank import Bank
from creditbank.certificates.service import learner_applications
from creditbank.core.verify import verify_receipt
from creditbank.credits import service as credit_service
from creditbank.ledger import store
from creditbank.tooling.factories import token_for
from creditbank.web import i18n
from creditbank.web.views import levels_in_progress
from tests.access.conftest import (
    PASSWORD,
    Learner,
    activate_learner,
    learner_token,
    open_learner,
)
from tests.api.certflow import Flow, money_world
from tests.api.conftest import ASGIClient

CSRF_INPUT = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


@pytest.fixture
def flow(bank: Bank) -> Flow:
    return money_world(bank)


def browser_client(bank: Bank, base_url: str = "http://bank.test") -> Any:
    """A fresh cookie jar on the app, as one browser."""

    @contextmanager
    def opened() -> Any:
        app = create_app(bank)
        with start_blocking_portal() as portal:
            http = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=base_url, follow_redirects=False
            )
            try:
                yield ASGIClient(portal, http)
            finally:
                portal.call(http.aclose)

    return opened()


def csrf_of(client: ASGIClient, url: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, r.text
    found = CSRF_INPUT.search(r.text)
    assert found is not None, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: ASGIClient, account: str, password: str = PASSWORD) -> httpx.Response:
    token = csrf_of(client, "/portal/signin")
    return client.post(
        "/portal/signin",
        data={"csrf_token": token, "account": account, "password": password, "next": ""},
    )


def learner_with(bank: Bank, flow: Flow, *courses: str) -> Learner:
    learner = open_learner(bank)
    activate_learner(bank, learner)
    for course in courses:
        flow.complete(learner.account, course)
    return learner


def log_size(bank: Bank) -> int:
    with bank.engine.connect() as conn:
        state = store.read_state(conn)
    assert state is not None
    return int(state.size)


# --- sessions, CSRF and who may open what ------------------------------------------------


def test_a_learner_signs_in_and_the_session_cookie_is_guarded(bank: Bank, flow: Flow) -> None:
    learner = learner_with(bank, flow, "fl-online")
    with browser_client(bank) as client:
        r = sign_in(client, learner.account)
        assert r.status_code == 303, r.text
        assert r.headers["location"] == f"/portal/{learner.account}"
        cookie = next(c for c in r.headers.get_list("set-cookie") if "creditbank_session" in c)
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
        assert "Secure" not in cookie  # plain HTTP here
        page = client.get(f"/portal/{learner.account}")
        assert page.status_code == 200
        assert learner.account in page.text
        assert page.headers["cache-control"] == "no-store"


def test_over_https_the_session_cookie_is_secure(bank: Bank, flow: Flow) -> None:
    learner = learner_with(bank, flow)
    with browser_client(bank, "https://bank.test") as client:
        r = sign_in(client, learner.account)
        cookie = next(c for c in r.headers.get_list("set-cookie") if "creditbank_session" in c)
        assert "Secure" in cookie


def test_a_wrong_password_signs_nobody_in(bank: Bank, flow: Flow) -> None:
    learner = learner_with(bank, flow)
    with browser_client(bank) as client:
        r = sign_in(client, learner.account, "not the password 1")
        assert r.status_code == 401
        assert "creditbank_session" not in r.headers.get("set-cookie", "")
        assert client.get(f"/portal/{learner.account}").status_code == 303


@pytest.mark.parametrize("token", [None, "", "0" * 64], ids=["missing", "empty", "forged"])
def test_forms_without_the_csrf_token_are_refused(
    bank: Bank, flow: Flow, token: str | None
) -> None:
    learner, _ = flow.eligible_learner()
    with browser_client(bank) as client:
        client.get("/portal/signin")  # the browser has its CSRF cookie
        fields = {"account": learner, "password": PASSWORD}
        if token is not None:
            fields["csrf_token"] = token
        r = client.post("/portal/signin", data=fields)
        assert r.status_code == 403
        assert "CSRF" in r.text
        # signed in (by a test token), a form without the token writes nothing
        client._client.cookies.set("creditbank_session", learner_token(bank, learner))
        before = log_size(bank)
        r = client.post(
            f"/portal/{learner}/applications",
            data={
                **({"csrf_token": token} if token is not None else {}),
                "standard_id": "data-annotator",
                "level": "5",
            },
        )
        assert r.status_code == 403
        assert log_size(bank) == before
        assert learner_applications(bank.engine, learner) == []


def test_a_learner_cannot_open_another_learners_pages(bank: Bank, flow: Flow) -> None:
    me = learner_with(bank, flow, "fl-online")
    other = learner_with(bank, flow, "fl-offline")
    their_entry = credit_service.history(bank.engine, other.account, receipts=False)["awards"][0]
    with browser_client(bank) as client:
        sign_in(client, me.account)
        for url in (
            f"/portal/{other.account}",
            f"/portal/{other.account}/history",
            f"/portal/{other.account}/certificates",
            f"/portal/{other.account}/data",
            f"/portal/{other.account}/data/export",
            f"/portal/{other.account}/receipts/{their_entry['index']}",
            "/authority",
        ):
            r = client.get(url)
            assert r.status_code == 403, url
            assert other.person.name not in r.text
        # nor, under their own pages, a receipt of someone else's entry
        r = client.get(f"/portal/{me.account}/receipts/{their_entry['index']}")
        assert r.status_code == 404


def test_without_a_session_the_pages_send_to_sign_in(bank: Bank, flow: Flow) -> None:
    learner = learner_with(bank, flow)
    with browser_client(bank) as client:
        r = client.get(f"/portal/{learner.account}/history")
        assert r.status_code == 303
        assert r.headers["location"].startswith("/portal/signin?next=")
        r = client.get("/authority")
        assert r.headers["location"].startswith("/authority/signin")


# --- what the portal shows -----------------------------------------------------------------


def test_the_dashboard_shows_the_read_models_numbers_and_what_is_missing(
    bank: Bank, flow: Flow
) -> None:
    learner = learner_with(bank, flow, "fl-online", "fl-workplace")
    progress = credit_service.progress(bank.engine, learner.account, bank.ledger.clock())
    level = next(p for p in progress["levels"] if p["level"] == 5)
    assert not level["eligible"]
    assert level["missing_units"]
    with browser_client(bank) as client:
        sign_in(client, learner.account)
        html = client.get(f"/portal/{learner.account}", headers={"accept-language": "en"}).text
    t = i18n.translator("en")
    assert t("of_required", counted=level["counted"], required=level["required"]) in html
    assert f'max="{level["required"]}" value="{level["counted"]}"' in html
    for code, credits in level["missing_units"].items():
        assert f"{credits} credits in unit {code} still needed" in html
    assert 'class="apply"' not in html


def test_online_credits_past_the_cap_are_said_not_to_count(bank: Bank) -> None:
    t = i18n.translator("en")
    level = {
        "standard_id": "s", "level": 5, "eligible": False, "required": "8.0",
        "counted": "6.4", "offline": "0.0", "online": "9.0", "online_cap": "6.4",
        "missing": "1.6", "missing_units": {}, "needs_lower_level_certificate": False,
    }  # fmt: skip
    (view,) = levels_in_progress([level], t)
    assert view.missing_lines == (
        "1.6 credits still needed.",
        "online credits count up to 6.4: 2.6 of your online credits do not count yet",
    )
    assert view.percent == 80


def test_an_eligible_learner_applies_from_the_dashboard(bank: Bank, flow: Flow) -> None:
    learner, _ = flow.eligible_learner()
    code = access.reissue_activation(bank, learner, bank.ledger.clock())
    view = access.export_account(bank, learner)["personal_data"]
    access.activate(bank, learner, code, view["id_number"], PASSWORD, bank.ledger.clock())
    with browser_client(bank) as client:
        sign_in(client, learner)
        html = client.get(f"/portal/{learner}").text
        assert 'class="apply"' in html
        token = CSRF_INPUT.search(html)
        assert token is not None
        r = client.post(
            f"/portal/{learner}/applications",
            data={"csrf_token": token.group(1), "standard_id": "data-annotator", "level": "5"},
        )
        assert r.status_code == 303
        (application,) = learner_applications(bank.engine, learner)
        assert r.headers["location"] == f"/portal/{learner}?applied={application['index']}"
        assert application["status"] == "pending"
        # applying twice is refused by the rules, shown as a page
        r = client.post(
            f"/portal/{learner}/applications",
            data={"csrf_token": token.group(1), "standard_id": "data-annotator", "level": "5"},
        )
        assert r.status_code in (409, 422)
        assert "<html" in r.text


def test_history_lists_outcomes_in_words_and_receipts_verify(bank: Bank, flow: Flow) -> None:
    learner = learner_with(bank, flow, "fl-online")
    flow.complete(learner.account, "fl-offline", score=10)  # not passed
    with browser_client(bank) as client:
        sign_in(client, learner.account)
        html = client.get(
            f"/portal/{learner.account}/history", headers={"accept-language": "en"}
        ).text
        assert "not passed (score below the minimum)" in html
        assert "credits awarded" in html
        award = credit_service.history(bank.engine, learner.account, receipts=False)["awards"][0]
        r = client.get(f"/portal/{learner.account}/receipts/{award['index']}")
        assert r.status_code == 200
        assert r.headers["content-disposition"].endswith('.tlog-proof"')
        verified = verify_receipt(r.text, bank.verifier_key)
        assert verified.index == award["index"]


def test_my_data_exports_and_erases_after_a_confirmation(bank: Bank, flow: Flow) -> None:
    learner = learner_with(bank, flow, "fl-online")
    with browser_client(bank) as client:
        sign_in(client, learner.account)
        r = client.get(f"/portal/{learner.account}/data/export")
        assert r.status_code == 200
        assert json.loads(r.text)["personal_data"]["name"] == learner.person.name
        token = csrf_of(client, f"/portal/{learner.account}/data")
        # the first step only says what happens
        r = client.post(f"/portal/{learner.account}/erasure", data={"csrf_token": token})
        assert r.status_code == 200
        assert 'id="erase-explain"' in r.text
        assert 'name="confirm" value="yes"' in r.text
        assert access.export_account(bank, learner.account)["personal_data"] is not None
        r = client.post(
            f"/portal/{learner.account}/erasure", data={"csrf_token": token, "confirm": "yes"}
        )
        assert r.status_code == 200
        assert 'id="erased"' in r.text
        assert access.export_account(bank, learner.account)["personal_data"] is None
        assert client.get(f"/portal/{learner.account}").status_code == 303  # signed out


# --- public pages ------------------------------------------------------------------------


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self.handlers: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "script" and not named.get("src"):
            self.inline.append(tag)
        self.handlers += [k for k in named if k.startswith("on")]
        for key in ("src", "href"):
            value = named.get(key) or ""
            if value.startswith(("http://", "https://", "//")) and tag in ("script", "link", "img"):
                self.external.append(value)


def test_public_pages_send_security_headers_and_no_inline_script(
    bank: Bank, flow: Flow, client: ASGIClient
) -> None:
    certified = flow.certify()
    for url in ("/", "/verify", f"/verify/{certified.number}", "/portal/signin", "/docs", "/redoc"):
        r = client.get(url)
        assert r.status_code == 200, url
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp, url
        assert "script-src 'self';" in csp, url
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["x-frame-options"] == "DENY"
        scripts = _Scripts()
        scripts.feed(r.text)
        assert scripts.inline == [], url
        assert scripts.handlers == [], url
        assert scripts.external == [], url  # every asset is served here (offline)


def test_the_docs_work_offline(client: ASGIClient) -> None:
    for page, assets in (
        (
            "/docs",
            [
                "/static/docs/swagger-ui-bundle.js",
                "/static/docs/swagger-ui.css",
                "/static/docs-init.js",
            ],
        ),
        ("/redoc", ["/static/docs/redoc.standalone.js"]),
    ):
        html = client.get(page).text
        for asset in assets:
            assert asset in html
            r = client.get(asset)
            assert r.status_code == 200, asset
            assert len(r.content) > 100, asset
    assert client.get("/openapi.json").json()["info"]["title"] == "creditbank"


def test_the_verification_page_shows_nothing_personal(
    bank: Bank, flow: Flow, client: ASGIClient
) -> None:
    certified = flow.certify()
    person = access.export_account(bank, certified.learner)["personal_data"]
    html = client.get(f"/verify/{certified.number}").text
    assert certified.learner in html
    assert bank.verifier_key in html
    for datum in (person["name"], person["id_number"]):
        assert datum not in html
    assert client.get("/verify/NO-SUCH-000001").status_code == 404
    assert client.get("/verify?number=not a number").status_code == 422
    r = client.get(f"/verify?number={certified.number.lower()}")
    assert r.status_code == 303
    assert r.headers["location"] == f"/verify/{certified.number}"


def test_the_qr_code_is_svg_of_the_public_page(client: ASGIClient) -> None:
    r = client.get("/verify/DAN5-2026-000001/qr.svg")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")
    assert r.text.startswith("<svg")
    assert "<path" in r.text


@pytest.mark.parametrize(
    ("accept", "cookie", "expected"),
    [
        ("en-US,en;q=0.9", None, "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", None, "zh"),
        ("fr-FR,en;q=0.5,zh;q=0.4", None, "en"),
        ("en;q=0.3,zh-TW;q=0.6", None, "zh"),
        ("", None, "zh"),
        ("en", "zh", "zh"),
    ],
)
def test_the_language_follows_the_switch_then_accept_language(
    accept: str, cookie: str | None, expected: str
) -> None:
    assert i18n.choose(cookie, accept) == expected


def test_the_switch_remembers_the_language_and_goes_back_home_only(client: ASGIClient) -> None:
    r = client.get("/lang/en?next=/verify")
    assert r.status_code == 303
    assert r.headers["location"] == "/verify"
    assert client.get("/verify").headers["content-language"] == "en"
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        r = client.get("/lang/zh", params={"next": evil})
        assert r.headers["location"] == "/"
    assert client.get("/verify").headers["content-language"] == "zh-Hans"


# --- the authority's dashboard -----------------------------------------------------------


def test_the_authority_sees_the_report_as_charts_with_its_csv(bank: Bank, flow: Flow) -> None:
    flow.certify()
    with browser_client(bank) as client:
        token = csrf_of(client, "/authority/signin")
        r = client.post(
            "/authority/signin", data={"csrf_token": token, "token": token_for(bank, "authority")}
        )
        assert r.status_code == 303
        assert r.headers["location"] == "/authority"
        html = client.get("/authority?year=2026").text
        assert html.count("<svg") == 4
        csv = client.get("/authority/reports/2026.csv")
        assert csv.status_code == 200
        assert csv.headers["content-type"].startswith("text/csv")
    with browser_client(bank) as client:
        token = csrf_of(client, "/authority/signin")
        r = client.post(
            "/authority/signin", data={"csrf_token": token, "token": token_for(bank, "prov-a")}
        )
        assert r.status_code == 403


def test_the_browser_verifier_knows_the_bundles_summary_fields() -> None:
    """verifier.js refuses a summary with other fields than the API's model has."""
    from creditbank.api.schemas.certificates import BundleCertificatePublic
    from creditbank.web.render import STATIC

    script = (STATIC / "verifier.js").read_text()
    listed = re.search(r"const SUMMARY_FIELDS = \[(.*?)\]", script, re.S)
    assert listed is not None
    assert sorted(re.findall(r'"(\w+)"', listed.group(1))) == sorted(
        BundleCertificatePublic.model_fields
    )


class _Form(HTMLParser):
    """Inputs (but hidden ones) and the labels' targets, and the page's language."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[str | None] = []
        self.labelled: set[str] = set()
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "html":
            self.lang = named.get("lang")
        if tag in ("input", "select", "textarea") and named.get("type") != "hidden":
            self.inputs.append(named.get("id"))
        if tag == "label" and named.get("for"):
            self.labelled.add(str(named["for"]))


def test_every_field_has_a_label_and_every_page_a_language(bank: Bank, flow: Flow) -> None:
    learner = learner_with(bank, flow, "fl-online")
    with browser_client(bank) as client:
        public = ["/", "/verify", "/portal/signin", "/portal/activate", "/authority/signin"]
        pages = [client.get(url) for url in public]
        sign_in(client, learner.account)
        mine = ["", "/history", "/certificates", "/data"]
        pages += [client.get(f"/portal/{learner.account}{p}") for p in mine]
    for r in pages:
        assert r.status_code == 200, r.url
        form = _Form()
        form.feed(r.text)
        assert form.lang in ("zh-Hans", "en"), r.url
        assert all(i is not None and i in form.labelled for i in form.inputs), r.url
        assert '<main id="main"' in r.text
        assert 'class="skip" href="#main"' in r.text
