"""The portal's LMS accounts (on My data), over HTTP without a browser: a learner links an
LMS account with the provider's code, sees it listed and removes it; forms need the CSRF
token, a code that is not valid links nothing, and nobody links into another's account."""

from __future__ import annotations

import html
import re

import pytest

from creditbank.bank import Bank
from creditbank.credits import lrs_codes
from tests.api.certflow import Flow, money_world
from tests.web.test_pages import browser_client, csrf_of, learner_with, sign_in

AGENT = {"account": {"homePage": "https://lms.example.cn", "name": "li-wei-7"}}
AGENT_INPUT = re.compile(r'name="agent" value="([^"]+)"')


@pytest.fixture
def flow(bank: Bank) -> Flow:
    return money_world(bank)


def links(bank: Bank, account: str) -> list[str]:
    return [link["agent_id"] for link in lrs_codes.learner_links(bank.engine, account)]


def test_a_learner_links_an_lms_account_sees_it_and_removes_it(bank: Bank, flow: Flow) -> None:
    learner = learner_with(bank, flow)
    code = lrs_codes.issue_code(bank, "prov-a", AGENT)["code"]
    with browser_client(bank) as client:
        sign_in(client, learner.account)
        data = f"/portal/{learner.account}/data"
        page = client.get(data)
        assert 'id="lms-none"' in page.text
        assert 'action="/portal/' + learner.account + '/lms-links"' in page.text
        token = csrf_of(client, data)
        r = client.post(
            f"/portal/{learner.account}/lms-links",
            data={"csrf_token": token, "provider": "prov-a", "code": code.lower()},
        )
        assert r.status_code == 303, r.text
        assert r.headers["location"] == f"{data}?lms=linked"
        page = client.get(r.headers["location"])
        assert 'id="lms-linked"' in page.text
        assert "li-wei-7 (https://lms.example.cn)" in page.text
        assert links(bank, learner.account) == ["account:https://lms.example.cn|li-wei-7"]

        found = AGENT_INPUT.search(page.text)
        assert found is not None
        r = client.post(
            f"/portal/{learner.account}/lms-links/removal",
            data={"csrf_token": token, "provider": "prov-a", "agent": html.unescape(found[1])},
        )
        assert r.status_code == 303, r.text
        assert r.headers["location"] == f"{data}?lms=removed"
        page = client.get(r.headers["location"])
        assert 'id="lms-removed"' in page.text
        assert 'id="lms-none"' in page.text
        assert links(bank, learner.account) == []


def test_a_code_that_is_not_valid_or_a_form_without_csrf_links_nothing(
    bank: Bank, flow: Flow
) -> None:
    learner = learner_with(bank, flow)
    code = lrs_codes.issue_code(bank, "prov-a", AGENT)["code"]
    with browser_client(bank) as client:
        sign_in(client, learner.account)
        token = csrf_of(client, f"/portal/{learner.account}/data")
        url = f"/portal/{learner.account}/lms-links"
        r = client.post(url, data={"provider": "prov-a", "code": code})
        assert r.status_code == 403
        assert "CSRF" in r.text
        r = client.post(url, data={"csrf_token": token, "provider": "prov-b", "code": code})
        assert r.status_code == 422
        assert "not valid or has expired" in r.text
        assert links(bank, learner.account) == []
        # the code is still good for its own provider
        r = client.post(url, data={"csrf_token": token, "provider": "prov-a", "code": code})
        assert r.status_code == 303


def test_a_learner_cannot_link_into_another_learners_account(bank: Bank, flow: Flow) -> None:
    me, other = learner_with(bank, flow), learner_with(bank, flow)
    code = lrs_codes.issue_code(bank, "prov-a", AGENT)["code"]
    with browser_client(bank) as client:
        sign_in(client, me.account)
        token = csrf_of(client, f"/portal/{me.account}/data")
        r = client.post(
            f"/portal/{other.account}/lms-links",
            data={"csrf_token": token, "provider": "prov-a", "code": code},
        )
        assert r.status_code == 403
        assert client.get(f"/portal/{other.account}/data").status_code == 403
    assert links(bank, other.account) == []
