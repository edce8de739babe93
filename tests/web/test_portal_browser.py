"""The learner portal and the authority's dashboard in a real browser, on the demo's
bank: signing in, the progress bars and what is missing, a receipt download that
`creditbank verify` accepts, applying when eligible, certificates with their QR code,
another learner's pages refused, a form without its CSRF token refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from typer.testing import CliRunner

from creditbank.certificates.service import learner_applications
from creditbank.cli.main import app as cli
from creditbank.credits import service as credit_service
from creditbank.tooling.factories import token_for
from tests.web.conftest import Served, screenshot

WAIT = 30


def sign_in(browser: Any, served: Served, kind: str) -> str:
    login = served.logins[kind]
    browser.get(f"{served.url}/portal/signin")
    browser.find_element(By.ID, "account").send_keys(login.account)
    browser.find_element(By.ID, "password").send_keys(login.password)
    browser.find_element(By.ID, "signin").click()
    WebDriverWait(browser, WAIT).until(ec.presence_of_element_located((By.ID, "account")))
    WebDriverWait(browser, WAIT).until(ec.url_contains(f"/portal/{login.account}"))
    return login.account


def test_sign_in_shows_the_progress_and_the_missing_units(
    fresh_browser: Any, served: Served
) -> None:
    browser = fresh_browser
    account = sign_in(browser, served, "in-progress")
    assert browser.find_element(By.ID, "account").text == account
    levels = credit_service.progress(served.bank.engine, account, served.bank.ledger.clock())
    level = next(p for p in levels["levels"] if p["level"] == 5)
    card = browser.find_element(
        By.CSS_SELECTOR, f"article.level[data-standard='{level['standard_id']}'][data-level='5']"
    )
    bar = card.find_element(By.TAG_NAME, "progress")
    assert bar.get_attribute("value") == level["counted"].rstrip("0").rstrip(".") or float(
        bar.get_attribute("value")
    ) == float(level["counted"])
    assert float(bar.get_attribute("max")) == float(level["required"])
    assert f"{level['counted']} of {level['required']} credits" in card.text
    missing = [li.text for li in card.find_elements(By.CSS_SELECTOR, ".missing li")]
    for code, credits in level["missing_units"].items():
        assert f"{credits} credits in unit {code} still needed" in missing
    assert card.get_attribute("data-eligible") == "false"
    assert card.find_elements(By.CSS_SELECTOR, "button.apply") == []
    screenshot(browser, "portal-dashboard")


def test_online_credits_past_the_cap_are_said_not_to_count(
    fresh_browser: Any, served: Served
) -> None:
    account = sign_in(fresh_browser, served, "online-capped")
    level = next(
        p
        for p in credit_service.progress(served.bank.engine, account, served.bank.ledger.clock())[
            "levels"
        ]
        if p["level"] == 5
    )
    card = fresh_browser.find_element(By.CSS_SELECTOR, "article.level[data-level='5']")
    extra = f"{float(level['online']) - float(level['online_cap']):.1f}"
    assert (
        f"online credits count up to {level['online_cap']}: {extra} of your online credits "
        "do not count yet" in card.text
    )


def test_a_downloaded_receipt_is_accepted_by_creditbank_verify(
    fresh_browser: Any, served: Served, browser_downloads: Path
) -> None:
    browser = fresh_browser
    account = sign_in(browser, served, "certified")
    browser.get(f"{served.url}/portal/{account}/history")
    link = browser.find_element(By.CSS_SELECTOR, "#awards a.receipt")
    index = link.get_attribute("href").rsplit("/", 1)[1]
    expected = browser_downloads / f"{account}-{index}.tlog-proof"
    expected.unlink(missing_ok=True)
    screenshot(browser, "portal-history")
    link.click()
    WebDriverWait(browser, WAIT).until(lambda _: expected.exists() and expected.stat().st_size)
    result = CliRunner().invoke(
        cli, ["verify", str(expected), "--key", served.bank.verifier_key], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert index in result.output


def test_an_eligible_learner_applies(fresh_browser: Any, served: Served) -> None:
    browser = fresh_browser
    account = sign_in(browser, served, "eligible")
    before = len(learner_applications(served.bank.engine, account))
    card = browser.find_element(By.CSS_SELECTOR, "article.level[data-eligible='true']")
    card.find_element(By.CSS_SELECTOR, "button.apply").click()
    notice = WebDriverWait(browser, WAIT).until(ec.presence_of_element_located((By.ID, "applied")))
    found = learner_applications(served.bank.engine, account)
    assert len(found) == before + 1
    assert str(found[-1]["index"]) in notice.text
    assert found[-1]["status"] == "pending"
    screenshot(browser, "portal-applied")


def test_a_form_without_its_csrf_token_is_refused(fresh_browser: Any, served: Served) -> None:
    browser = fresh_browser
    account = sign_in(browser, served, "eligible")
    before = len(learner_applications(served.bank.engine, account))
    browser.execute_script(
        "document.querySelectorAll(\"input[name='csrf_token']\").forEach((i) => i.remove());"
    )
    browser.find_element(By.CSS_SELECTOR, "button.apply").click()
    detail = WebDriverWait(browser, WAIT).until(
        ec.presence_of_element_located((By.ID, "error-detail"))
    )
    assert "CSRF" in detail.text
    assert len(learner_applications(served.bank.engine, account)) == before


def test_another_learners_pages_are_refused(fresh_browser: Any, served: Served) -> None:
    browser = fresh_browser
    sign_in(browser, served, "in-progress")
    other = served.logins["certified"].account
    for page in ("", "/history", "/certificates", "/data"):
        browser.get(f"{served.url}/portal/{other}{page}")
        detail = browser.find_element(By.ID, "error-detail")
        assert "only their own" in detail.text
        assert other not in browser.find_element(By.TAG_NAME, "main").text.replace(detail.text, "")


def test_certificates_have_a_share_link_and_a_qr_code(fresh_browser: Any, served: Served) -> None:
    browser = fresh_browser
    login = served.logins["certified"]
    sign_in(browser, served, "certified")
    browser.get(f"{served.url}/portal/{login.account}/certificates")
    cert = browser.find_element(By.CSS_SELECTOR, f".cert[data-number='{login.certificate_number}']")
    share = cert.find_element(By.CSS_SELECTOR, "a.share").get_attribute("href")
    assert share == f"{served.url}/verify/{login.certificate_number}"
    qr = cert.find_element(By.CSS_SELECTOR, "img.qr")
    WebDriverWait(browser, WAIT).until(
        lambda b: b.execute_script("return arguments[0].complete && arguments[0].naturalWidth", qr)
    )
    screenshot(browser, "portal-certificates")
    browser.get(f"{served.url}/portal/{login.account}/data")
    browser.find_element(By.ID, "erase").click()
    WebDriverWait(browser, WAIT).until(ec.presence_of_element_located((By.ID, "erase-explain")))
    screenshot(browser, "portal-erase-confirm")


def test_the_language_switch_and_the_authority_dashboard(
    fresh_browser: Any, served: Served
) -> None:
    browser = fresh_browser
    browser.get(f"{served.url}/authority/signin")
    browser.find_element(By.ID, "token").send_keys(token_for(served.bank, "authority"))
    browser.find_element(By.ID, "signin").click()
    WebDriverWait(browser, WAIT).until(ec.presence_of_element_located((By.ID, "csv")))
    assert len(browser.find_elements(By.CSS_SELECTOR, "main svg.chart")) == 4
    screenshot(browser, "authority-report")
    browser.find_element(By.ID, "lang-switch").click()
    WebDriverWait(browser, WAIT).until(
        lambda b: b.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-Hans"
    )
    assert "年度报告" in browser.find_element(By.TAG_NAME, "h1").text
    screenshot(browser, "authority-report-zh")
    browser.find_element(By.ID, "lang-switch").click()  # back to English for the others
    WebDriverWait(browser, WAIT).until(
        lambda b: b.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    )
