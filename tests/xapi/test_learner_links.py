"""Learners link their own LMS accounts with a provider's one-time code (docs/xapi.md,
step 5): the provider vouches for the LMS account, the learner redeems the code in their
own account, and the account's completions are credited to them; a code that is wrong,
expired, used or another provider's links nothing. Listing and removing links."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from creditbank.access.service import erase_account
from creditbank.core.entry import format_time
from creditbank.core.xapi import link_codes
from creditbank.credits import lrs_codes
from creditbank.db import tables
from tests.access.conftest import learner_token, problem
from tests.factories import register, token_for
from tests.xapi.conftest import LMS, Lrs, completed

AGENT = {"objectType": "Agent", "account": {"homePage": LMS, "name": "u-7"}}
CODE_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def issue(lrs: Lrs, agent: dict[str, Any] = AGENT, basic: bool = False) -> dict[str, Any]:
    r = lrs.client.post(
        "/xapi/links/codes", json={"agent": agent}, headers=lrs.headers(basic=basic)
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def redeem(lrs: Lrs, learner: str, code: str, provider: str = "prov-a", **kw: Any) -> Any:
    token = kw.pop("token", None) or learner_token(lrs.world.bank, learner)
    return lrs.client.post(
        f"/v1/learners/{learner}/lms-links",
        json={"provider": provider, "code": code},
        token=token,
    )


def links_of(lrs: Lrs, learner: str, query: str = "") -> Any:
    return lrs.client.get(
        f"/v1/learners/{learner}/lms-links{query}", token=learner_token(lrs.world.bank, learner)
    )


def send(lrs: Lrs, statement: dict[str, Any]) -> dict[str, Any]:
    sid = str(uuid.uuid4())
    r = lrs.post({**statement, "id": sid})
    assert r.status_code == 200, r.text
    return lrs.outcome(sid)


def from_lms_account(name: str = "u-7") -> dict[str, Any]:
    """A completion of clean-online by the LMS account ``name`` (not an account number)."""
    return {**completed("ignored"), "actor": {"account": {"homePage": LMS, "name": name}}}


def rows(lrs: Lrs) -> dict[str, list[tuple[Any, ...]]]:
    """The links and codes, comparable with ``==`` (what a refusal must leave alone)."""
    with lrs.world.bank.engine.connect() as conn:
        return {
            t.name: sorted(tuple(r) for r in conn.execute(select(t)).all())
            for t in (tables.lrs_learners, tables.lrs_link_codes)
        }


def test_a_learner_links_their_lms_account_and_its_completions_are_credited(lrs: Lrs) -> None:
    learner = lrs.world.learner()
    issued = issue(lrs)
    assert CODE_RE.match(issued["code"]), issued
    assert issued["agent"] == AGENT
    assert issued["expires_at"] == format_time(lrs.world.clock() + link_codes.VALID_FOR)
    stored = rows(lrs)["lrs_link_codes"]
    assert len(stored) == 1
    assert issued["code"] not in repr(stored)  # only the hash is kept
    assert stored[0][0] == link_codes.code_hash(issued["code"])

    # typed as a person would: lower case, spaces, O for 0 and I for 1
    typed = issued["code"].lower().replace("-", " ").replace("0", "o").replace("1", "i")
    r = redeem(lrs, learner, typed)
    assert r.status_code == 201, r.text
    assert r.json() == {
        "provider": "prov-a",
        "agent": AGENT,
        "linked_at": format_time(lrs.world.clock()),
    }
    assert lrs.client.get("/xapi/links", headers=lrs.headers()).json()["learners"] == [
        {"agent": f"account:{LMS}|u-7", "learner": learner, "linked_at": r.json()["linked_at"]}
    ]

    outcome = send(lrs, from_lms_account())
    assert outcome["outcome"] == "credited", outcome
    history = lrs.client.get(
        f"/v1/learners/{learner}/history?receipts=false",
        token=learner_token(lrs.world.bank, learner),
    ).json()
    assert [c["index"] for c in history["completions"]] == [outcome["index"]]


def test_the_provider_issues_codes_with_basic_auth_too_and_a_new_code_replaces_the_old(
    lrs: Lrs,
) -> None:
    learner = lrs.world.learner()
    first = issue(lrs, basic=True)
    second = issue(lrs)
    assert first["code"] != second["code"]
    assert len(rows(lrs)["lrs_link_codes"]) == 1
    assert problem(redeem(lrs, learner, first["code"]), 422, "code")
    assert redeem(lrs, learner, second["code"]).status_code == 201


@pytest.mark.parametrize(
    "agent",
    [
        {"mbox": "mailto:Li.Wei@Example.cn"},
        {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"},
        {"openid": "https://openedx.org/users/user-v1/32e08e30"},
        {"account": {"homePage": LMS, "name": "u-8"}},
    ],
    ids=["mbox", "mbox_sha1sum", "openid", "account"],
)
def test_every_agent_form_can_get_a_code(lrs: Lrs, agent: dict[str, Any]) -> None:
    learner = lrs.world.learner()
    issued = issue(lrs, agent)
    assert redeem(lrs, learner, issued["code"]).status_code == 201
    (link,) = links_of(lrs, learner).json()
    assert link["agent"] == issued["agent"]
    key, value = next((k, v) for k, v in agent.items())
    assert link["agent"][key] == (value.lower() if key == "mbox" else value)


@pytest.mark.parametrize(
    "agent",
    [
        {},
        {"name": "no identifier"},
        {"mbox": "li@example.cn"},
        {"mbox": "mailto:a@b.cn", "openid": "https://x.cn/a"},
    ],
    ids=["empty", "no-identifier", "mbox-without-mailto", "two-identifiers"],
)
def test_a_code_for_no_lms_account_is_refused(lrs: Lrs, agent: dict[str, Any]) -> None:
    r = lrs.client.post("/xapi/links/codes", json={"agent": agent}, headers=lrs.headers())
    assert problem(r, 400, "agent")
    assert rows(lrs)["lrs_link_codes"] == []


REFUSALS = ["wrong", "malformed", "expired", "used", "other-provider", "named-other-provider"]


@pytest.mark.parametrize("case", REFUSALS)
def test_a_code_that_is_not_valid_links_nothing(lrs: Lrs, case: str) -> None:
    learner, someone = lrs.world.learner(), lrs.world.learner()
    register(lrs.world.bank, "prov-b")
    code, provider = issue(lrs)["code"], "prov-a"
    if case == "wrong":
        code = link_codes.format_code(bytes(8))
    elif case == "malformed":
        code = "not a code"
    elif case == "expired":
        lrs.world.clock.advance(days=7)
    elif case == "used":
        assert redeem(lrs, someone, code).status_code == 201
    elif case == "other-provider":
        code = lrs_codes.issue_code(lrs.world.bank, "prov-b", {"mbox": "mailto:b@b.cn"})["code"]
    elif case == "named-other-provider":
        provider = "prov-b"
    before = rows(lrs)
    body = problem(redeem(lrs, learner, code, provider), 422, "code")
    assert body["detail"] == lrs_codes.NOT_VALID  # the same words, whatever the reason
    assert rows(lrs) == before
    assert links_of(lrs, learner).json() == []
    expected = "credited" if case == "used" else "not_credited"  # the first redeemer's
    assert send(lrs, from_lms_account())["outcome"] == expected


def test_a_code_is_valid_until_just_before_seven_days(lrs: Lrs) -> None:
    learner = lrs.world.learner()
    code = issue(lrs)["code"]
    lrs.world.clock.advance(days=7, seconds=-1)
    assert redeem(lrs, learner, code).status_code == 201


def test_a_learner_cannot_redeem_into_another_account_nor_a_provider_as_a_learner(
    lrs: Lrs,
) -> None:
    me, other = lrs.world.learner(), lrs.world.learner()
    code = issue(lrs)["code"]
    before = rows(lrs)
    r = redeem(lrs, other, code, token=learner_token(lrs.world.bank, me))
    assert "only their own account" in problem(r, 403, "account")["detail"]
    r = redeem(lrs, me, code, token=lrs.token)
    assert problem(r, 403)
    r = lrs.client.post(
        "/xapi/links/codes",
        json={"agent": AGENT},
        token=learner_token(lrs.world.bank, me),
        headers={"X-Experience-API-Version": "1.0.3"},
    )
    assert problem(r, 403)
    assert rows(lrs) == before
    assert redeem(lrs, me, code).status_code == 201  # still unused


def test_the_learner_lists_links_page_by_page_and_the_authority_reads_them(lrs: Lrs) -> None:
    learner = lrs.world.learner()
    names = ["u-3", "u-1", "u-2"]
    for name in names:
        code = issue(lrs, {"account": {"homePage": LMS, "name": name}})["code"]
        assert redeem(lrs, learner, code).status_code == 201
    first = links_of(lrs, learner, "?limit=2")
    assert [link["agent"]["account"]["name"] for link in first.json()] == ["u-1", "u-2"]
    url = first.links["next"]["url"]
    rest = lrs.client.get(url, token=learner_token(lrs.world.bank, learner))
    assert [link["agent"]["account"]["name"] for link in rest.json()] == ["u-3"]
    assert "link" not in rest.headers
    everything = lrs.client.get(
        f"/v1/learners/{learner}/lms-links", token=token_for(lrs.world.bank, "authority")
    )
    assert everything.json() == first.json() + rest.json()
    assert all(set(link) == {"provider", "agent", "linked_at"} for link in everything.json())


def test_after_removing_a_link_the_lms_accounts_statements_are_not_credited(lrs: Lrs) -> None:
    learner = lrs.world.learner()
    assert redeem(lrs, learner, issue(lrs)["code"]).status_code == 201
    query = {"provider": "prov-a", "agent": json.dumps(AGENT)}
    token = learner_token(lrs.world.bank, learner)
    other = lrs.world.learner()
    r = lrs.client.request(
        "DELETE",
        f"/v1/learners/{other}/lms-links",
        params=query,
        token=learner_token(lrs.world.bank, other),
    )
    assert problem(r, 404, "agent")  # not the other learner's link
    r = lrs.client.request("DELETE", f"/v1/learners/{learner}/lms-links", params=query, token=token)
    assert r.status_code == 204, r.text
    assert links_of(lrs, learner).json() == []
    outcome = send(lrs, from_lms_account())
    assert outcome["outcome"] == "not_credited"
    assert "is not linked to a learner account" in outcome["reason"]
    r = lrs.client.request("DELETE", f"/v1/learners/{learner}/lms-links", params=query, token=token)
    assert problem(r, 404, "agent")


def test_erasure_deletes_the_links_and_the_codes_of_the_learners_lms_accounts(lrs: Lrs) -> None:
    learner, other = lrs.world.learner(), lrs.world.learner()
    assert redeem(lrs, learner, issue(lrs)["code"]).status_code == 201
    issue(lrs)  # a new, unused code for the same LMS account
    other_agent = {"mbox": "mailto:other@example.cn"}
    assert redeem(lrs, other, issue(lrs, other_agent)["code"]).status_code == 201
    mine = send(lrs, from_lms_account())
    theirs = send(lrs, {**from_lms_account(), "actor": other_agent})
    erase_account(lrs.world.bank, learner, "learner", lrs.world.clock())
    left = rows(lrs)
    assert [r[1] for r in left["lrs_learners"]] == ["mbox:mailto:other@example.cn"]
    assert [r[2] for r in left["lrs_link_codes"]] == ["mbox:mailto:other@example.cn"]
    with lrs.world.bank.engine.connect() as conn:
        kept = conn.execute(select(tables.lrs_statements.c.statement_id)).scalars().all()
    assert mine["id"] not in kept
    assert theirs["id"] in kept


def test_the_learners_export_holds_their_lms_links_and_those_accounts_statements(
    lrs: Lrs,
) -> None:
    learner, other = lrs.world.learner(), lrs.world.learner()
    r = redeem(lrs, learner, issue(lrs)["code"])
    assert r.status_code == 201, r.text
    mine = send(lrs, from_lms_account())
    send(lrs, from_lms_account("u-8"))  # another LMS account, linked to nobody
    token = learner_token(lrs.world.bank, learner)
    export = lrs.client.get(f"/v1/learners/{learner}/export", token=token).json()
    assert export["lms_links"] == [r.json()]
    assert [s["id"] for s in export["xapi_statements"]] == [mine["id"]]
    assert export["xapi_statements"][0]["actor"]["account"]["name"] == "u-7"
    theirs = lrs.client.get(
        f"/v1/learners/{other}/export", token=learner_token(lrs.world.bank, other)
    ).json()
    assert theirs["lms_links"] == []
    assert theirs["xapi_statements"] == []
