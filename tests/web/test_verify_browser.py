"""The public verification page in a real browser: the verdict is computed by the page's
script (read from the page once it ran), VALID for a valid certificate, REVOKED for a
revoked one, INVALID when one byte of the bundle is changed on the way."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.web.conftest import Served, screenshot

WAIT = 30  # seconds at most for the page's script to finish (it usually takes < 1 s)


def verdict(browser: Any, url: str) -> str:
    """Open ``url`` and return the verdict the page's script wrote."""
    browser.get(url)
    WebDriverWait(browser, WAIT).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#verification[data-done='true']"))
    )
    return str(browser.find_element(By.ID, "verdict").get_attribute("data-status"))


def checks(browser: Any) -> dict[str, bool]:
    items = browser.find_elements(By.CSS_SELECTOR, "#checks li")
    return {li.get_attribute("data-check"): li.get_attribute("data-ok") == "true" for li in items}


def test_a_valid_certificate_is_valid(fresh_browser: Any, served: Served) -> None:
    status = verdict(fresh_browser, f"{served.url}/verify/{served.valid_number}")
    assert status == "valid"
    assert fresh_browser.find_element(By.ID, "verdict").text == "VALID"
    found = checks(fresh_browser)
    assert set(found) == {
        "checkpoint", "receipt_signatures", "inclusion", "consistency", "keys",
        "author_signatures", "certificate", "issuer", "awards", "completions",
        "application", "revocation", "summary",
    }  # fmt: skip
    assert all(found.values())
    # the credits it rests on, from the verified entries
    rows = fresh_browser.find_elements(By.CSS_SELECTOR, "#credits tbody tr")
    assert len(rows) >= 2
    assert all(r.find_elements(By.TAG_NAME, "td")[4].text for r in rows)  # providers
    # the log's key and its fingerprint are shown
    assert fresh_browser.find_element(By.ID, "verifier-key").text == served.bank.verifier_key
    assert len(fresh_browser.find_element(By.ID, "fingerprint").text.split()) == 16
    screenshot(fresh_browser, "verify-valid")


def test_a_revoked_certificate_is_revoked(fresh_browser: Any, served: Served) -> None:
    assert verdict(fresh_browser, f"{served.url}/verify/{served.revoked_number}") == "revoked"
    assert fresh_browser.find_element(By.ID, "verdict").text == "REVOKED"
    assert all(checks(fresh_browser).values())
    assert fresh_browser.find_element(By.ID, "revocation-reason").text
    screenshot(fresh_browser, "verify-revoked")


def _offset_in(part: str) -> Any:
    """Where to change a byte: inside the first occurrence of ``part`` of the bundle."""

    def choose(body: bytes) -> int:
        at = body.find(part.encode())
        assert at >= 0, part
        return at + len(part) // 2

    return choose


@pytest.mark.parametrize(
    "where",
    [
        "the latest checkpoint's signature",
        "an entry's bytes in its receipt",
        "an inclusion proof hash",
        "the summary's learner",
    ],
)
def test_one_changed_byte_makes_the_bundle_invalid(
    fresh_browser: Any, served: Served, where: str
) -> None:
    bundle = served.bank  # the untampered bundle, to pick the part to change
    from creditbank.certificates.verdicts import verified_bundle

    found = verified_bundle(bundle.engine, bundle.verifier_key, served.valid_number)
    receipt = found["entries"][-1]["receipt"]
    part = {
        "the latest checkpoint's signature": found["checkpoint"].rsplit(" ", 1)[1][:40],
        "an entry's bytes in its receipt": receipt.split("\n")[1][10:60],
        "an inclusion proof hash": receipt.split("\n\n")[0].split("\n")[-1],
        "the summary's learner": json.dumps(
            {"learner": found["certificate"]["learner"]}, separators=(",", ":")
        )[1:-1],
    }[where]
    served.proxy.choose = _offset_in(part)
    try:
        status = verdict(fresh_browser, f"{served.proxy_url}/verify/{served.valid_number}")
    finally:
        served.proxy.choose = lambda _: None
    assert status == "invalid"
    assert fresh_browser.find_element(By.ID, "verdict").text == "INVALID"
    assert not all(checks(fresh_browser).values())
    assert fresh_browser.find_elements(By.CSS_SELECTOR, "#credits tbody tr") == []
    if where == "an inclusion proof hash":
        screenshot(fresh_browser, "verify-invalid")


def test_the_untampered_bundle_through_the_proxy_is_valid(
    fresh_browser: Any, served: Served
) -> None:
    """The proxy itself changes nothing unless told to: the INVALIDs above are the byte's."""
    assert verdict(fresh_browser, f"{served.proxy_url}/verify/{served.valid_number}") == "valid"


def test_any_changed_byte_of_the_bundle_is_caught(fresh_browser: Any, served: Served) -> None:
    """The page's verifier itself, on many bundles each with one byte changed (every
    part but the server's own verdict, which the page never uses), every member name
    among them: all INVALID."""
    from creditbank.certificates.verdicts import verified_bundle

    found = verified_bundle(served.bank.engine, served.bank.verifier_key, served.valid_number)
    found.pop("verdict")
    text = json.dumps(found, separators=(",", ":"))
    verdict(fresh_browser, f"{served.url}/verify/{served.valid_number}")  # loads the script
    # ~150 positions across the whole text, and a byte of every member name
    step = max(1, len(text) // 150)
    names = {(m.start(1) + m.end(1)) // 2 for m in re.finditer(r'"([a-z_]+)":', text)}
    offsets = sorted(set(range(0, len(text), step)) | names)
    fresh_browser.set_script_timeout(300)
    statuses = fresh_browser.execute_async_script(
        """
        const [text, offsets, key, number, derived, done] = arguments;
        const swap = (c) => /[0-9]/.test(c) ? String((+c + 1) % 10)
          : /[a-y]/.test(c) || /[A-Y]/.test(c) ? String.fromCharCode(c.charCodeAt(0) + 1)
          : c === "z" ? "a" : c === "Z" ? "A" : "x";
        (async () => {
          const out = [];
          out.push((await window.creditbankVerifier.verify(text, key, number, derived)).status);
          for (const at of offsets) {
            const changed = text.slice(0, at) + swap(text[at]) + text.slice(at + 1);
            const outcome = await window.creditbankVerifier.verify(changed, key, number, derived);
            out.push(outcome.status);
          }
          done(out);
        })().catch((e) => done(["error: " + e.message]));
        """,
        text,
        offsets,
        served.bank.verifier_key,
        served.valid_number,
        json.loads(fresh_browser.find_element(By.ID, "verification").get_attribute("data-derived")),
    )
    assert statuses[0] == "valid"
    changed = zip(offsets, statuses[1:], strict=True)
    survivors = [(o, text[o - 10 : o + 10]) for o, s in changed if s != "invalid"]
    assert survivors == []
