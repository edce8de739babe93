"""Money over HTTP: the whole story through the SDK against a real server (apply, assess,
issue, reward, payment, subsidy claim, approval, payment, revocation and clawback), and
the refusals: providers see and claim only their own parts, learners only their own
rewards; bad input names its field and writes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from creditbank.bank import Bank
from creditbank.client import ApiError, CreditBankClient
from creditbank.core.entry import sign_statement
from tests.access.conftest import learner_token, problem, snapshot
from tests.api.certflow import Flow, money_world
from tests.api.conftest import ASGIClient
from tests.api.test_ledger_api import payload
from tests.client.conftest import base_url  # noqa: F401  (a live server on the bank)
from tests.factories import token_for

PROGRAM = "beijing-ai-2026"
BUDGET_REWARD = 15_000_000_000
BUDGET_SUBSIDY = 72_000_000_000


@pytest.fixture
def flow(bank: Bank) -> Flow:
    return money_world(bank)


def signed(flow: Flow, statement: dict[str, Any]) -> dict[str, Any]:
    return payload(sign_statement(statement, flow.keys[statement["actor"]]))


@pytest.fixture
def connect(base_url: str) -> Iterator[Callable[..., CreditBankClient]]:  # noqa: F811
    with ExitStack() as stack:
        yield lambda **kw: stack.enter_context(CreditBankClient(base_url, **kw))


def test_the_whole_story_through_the_sdk(
    flow: Flow, bank: Bank, connect: Callable[..., CreditBankClient]
) -> None:
    def org(actor: str) -> CreditBankClient:
        return connect(token=token_for(bank, actor), key=flow.keys[actor], actor=actor)

    authority, cert_a, prov_a, prov_b = (
        org("authority"),
        org("cert-a"),
        org("prov-a"),
        org("prov-b"),
    )
    learner_id, _ = flow.eligible_learner()
    learner = connect(token=learner_token(bank, learner_id))

    # the learner applies; the certifying body finds it pending and inspects the record
    applied = learner.apply_for_certificate(learner_id, "data-annotator", 5)
    learner.verify(applied)
    assert [a["index"] for a in cert_a.applications(status="pending")] == [applied.index]
    record = cert_a.application(applied.index)["record"]
    assert record["progress"]["eligible"] is True
    assert all(cert_a.verify(a["receipt"]).index == a["index"] for a in record["awards"])
    cert_a.verify(cert_a.record_assessment(flow.assessment(applied.index)))
    issuance = flow.issuance(
        learner_id, record["certificate_awards"], applied.index, "DAN5-2026-000042"
    )
    issued = cert_a.issue_certificate(issuance)
    cert_a.verify(issued)
    assert next(learner.applications(learner_id))["status"] == "issued"
    assert CreditBankClient.certificate(learner, "DAN5-2026-000042")["status"] == "active"

    # the reward: granted, then paid by the authority with a reference
    (reward,) = learner.rewards(learner_id)
    assert (reward["status"], reward["amount_fen"], reward["level"]) == ("granted", 50_000, 5)
    assert reward["index"] in issued.derived
    paid = authority.pay_reward(flow.reward_payment(reward["index"], "ICBC-2026-0001"))
    authority.verify(paid)
    (reward,) = learner.rewards(learner_id)
    assert (reward["status"], reward["payment_reference"]) == ("paid", "ICBC-2026-0001")
    assert next(authority.rewards(program_id=PROGRAM, status="paid"))["index"] == reward["index"]

    # the subsidy: 6,000 yuan split 7.0 : 3.0 credits between prov-a and prov-b
    parts = {p["provider"]: p for p in authority.subsidies(program_id=PROGRAM)}
    assert {p: (v["amount_fen"], v["credits"], v["status"]) for p, v in parts.items()} == {
        "prov-a": (420_000, "7.0", "open"),
        "prov-b": (180_000, "3.0", "open"),
    }
    entitlement = parts["prov-a"]["entitlement_index"]
    assert [p["provider"] for p in prov_a.subsidies("prov-a")] == ["prov-a"]
    prov_a.claim_subsidy(flow.claim(entitlement, "prov-a"))
    assert next(prov_a.subsidies("prov-a", status="claimed"))["entitlement_index"] == entitlement
    authority.approve_subsidy(flow.decision("subsidy.approved", entitlement, "prov-a"))
    budgets = authority.budgets(PROGRAM)
    assert budgets["subsidy"]["committed_fen"] == 420_000
    assert budgets["reward"]["committed_fen"] == 50_000
    authority.verify(authority.set_budget(flow.budget("subsidy", BUDGET_SUBSIDY - 1)))
    assert authority.budgets(PROGRAM)["subsidy"]["remaining_fen"] == BUDGET_SUBSIDY - 1 - 420_000
    authority.pay_subsidy(
        flow.decision("subsidy.paid", entitlement, "prov-a", payment_reference="ICBC-SUB-9")
    )
    prov_b.claim_subsidy(flow.claim(entitlement, "prov-b"))
    authority.reject_subsidy(
        flow.decision("subsidy.rejected", entitlement, "prov-b", reason="no training records")
    )
    (part_b,) = prov_b.subsidies("prov-b")
    assert (part_b["status"], part_b["reason"]) == ("rejected", "no training records")

    # revocation after payment: the paid reward and the paid part become clawbacks due
    revoked = cert_a.revoke_certificate(flow.revocation("DAN5-2026-000042"))
    cert_a.verify(revoked)
    assert cert_a.certificate("DAN5-2026-000042")["status"] == "revoked"
    assert next(learner.rewards(learner_id))["status"] == "clawback_due"
    statuses = {p["provider"]: p["status"] for p in authority.subsidies()}
    assert statuses == {"prov-a": "clawback_due", "prov-b": "rejected"}
    budgets = authority.budgets(PROGRAM)
    assert budgets["reward"] == {
        "budget_fen": BUDGET_REWARD,
        "committed_fen": 50_000,  # a clawback due stays counted against the budget
        "remaining_fen": BUDGET_REWARD - 50_000,
        "pending_count": 0,
        "pending_fen": 0,
    }
    assert budgets["subsidy"]["committed_fen"] == 420_000
    report = authority.report(2026)
    assert report["rewards"]["by_status"]["clawback_due"] == {"count": 1, "amount_fen": 50_000}
    assert report["targets"]["certified_trainees"]["actual"] == 0
    assert authority.report_csv(2026).startswith("section,key,subkey,value\r\n")

    # an SDK error carries the problem
    with pytest.raises(ApiError) as err:
        list(prov_a.subsidies("prov-b"))
    assert (err.value.status, err.value.field) == (403, "provider")


def test_budgets_queue_rewards_and_release_them_in_order(
    flow: Flow, bank: Bank, client: ASGIClient
) -> None:
    authority = token_for(bank, "authority")
    # room for exactly one level-5 reward (500 yuan)
    r = client.post(
        "/v1/budgets", json=signed(flow, flow.budget("reward", 50_000)), token=authority
    )
    assert r.status_code == 201, r.text
    first, second, third = flow.certify(), flow.certify(), flow.certify()
    rewards = client.get(f"/v1/rewards?program_id={PROGRAM}", token=authority).json()
    assert [(w["learner"], w["status"]) for w in rewards] == [
        (first.learner, "granted"),
        (second.learner, "pending_budget"),
        (third.learner, "pending_budget"),
    ]
    budgets = client.get(f"/v1/programs/{PROGRAM}/budgets", token=authority).json()
    assert budgets["reward"] == {
        "budget_fen": 50_000,
        "committed_fen": 50_000,
        "remaining_fen": 0,
        "pending_count": 2,
        "pending_fen": 100_000,
    }
    # a budget below what it covers is refused, naming the field; nothing is written
    before = snapshot(bank)
    low = flow.budget("reward", 10_000)
    problem(
        client.post("/v1/budgets", json=signed(flow, low), token=authority),
        422,
        "statement.body.amount_fen",
    )
    unknown = flow.budget("reward", 10_000, program_id="no-such-program")
    problem(
        client.post("/v1/budgets", json=signed(flow, unknown), token=authority),
        404,
        "statement.body.program_id",
    )
    assert snapshot(bank) == before
    # raising it by one reward grants the oldest waiting one only
    r = client.post(
        "/v1/budgets", json=signed(flow, flow.budget("reward", 100_000)), token=authority
    )
    assert r.status_code == 201, r.text
    waiting = client.get("/v1/rewards?status=pending_budget", token=authority).json()
    assert [w["learner"] for w in waiting] == [third.learner]
    problem(client.get("/v1/programs/no-such-program/budgets", token=authority), 404)
    problem(client.get("/v1/rewards?status=owed", token=authority), 422, "status")


def test_providers_see_and_claim_only_their_own_parts(
    flow: Flow, bank: Bank, client: ASGIClient
) -> None:
    certified = flow.certify()
    entitlement = certified.entitlement(bank)
    prov_a, prov_b = token_for(bank, "prov-a"), token_for(bank, "prov-b")
    # prov-c took no part in this learner's training
    from tests.factories import register

    flow.keys["prov-c"] = register(bank, "prov-c")
    prov_c = token_for(bank, "prov-c")
    learner = learner_token(bank, certified.learner)
    before = snapshot(bank)
    problem(client.get("/v1/providers/prov-b/subsidies", token=prov_a), 403, "provider")
    problem(client.get("/v1/subsidies", token=prov_a), 403)
    problem(
        client.post(
            "/v1/subsidies/claims",
            json=signed(flow, flow.claim(entitlement, "prov-c")),
            token=prov_c,
        ),
        403,
        "statement.body.entitlement_index",
    )
    # a provider cannot claim as another (the token's actor must sign)
    problem(
        client.post(
            "/v1/subsidies/claims",
            json=signed(flow, flow.claim(entitlement, "prov-b")),
            token=prov_a,
        ),
        403,
        "statement.actor",
    )
    # nor approve, nor pay
    approval = flow.decision("subsidy.approved", entitlement, "prov-a")
    problem(client.post("/v1/subsidies/approvals", json=signed(flow, approval), token=prov_a), 403)
    problem(client.get("/v1/providers/prov-a/subsidies", token=learner), 403)
    problem(client.get(f"/v1/learners/{certified.learner}/rewards", token=prov_a), 403)
    # unknown entitlement, malformed bodies
    problem(
        client.post(
            "/v1/subsidies/claims", json=signed(flow, flow.claim(10**9, "prov-a")), token=prov_a
        ),
        404,
        "statement.body.entitlement_index",
    )
    bad = flow.claim(entitlement, "prov-a")
    bad["body"] = {"entitlement_index": "first"}
    problem(client.post("/v1/subsidies/claims", json=signed(flow, bad), token=prov_a), 422)
    problem(
        client.post("/v1/subsidies/claims", json={"key_id": "x"}, token=prov_a), 422, "statement"
    )
    problem(client.get("/v1/providers/prov-a/subsidies?status=lost", token=prov_a), 422, "status")
    assert snapshot(bank) == before
    # its own: listed and claimable
    own = client.get("/v1/providers/prov-b/subsidies", token=prov_b).json()
    assert [(p["entitlement_index"], p["amount_fen"]) for p in own] == [(entitlement, 180_000)]
    r = client.post(
        "/v1/subsidies/claims", json=signed(flow, flow.claim(entitlement, "prov-b")), token=prov_b
    )
    assert r.status_code == 201, r.text
    again = flow.claim(entitlement, "prov-b")
    problem(client.post("/v1/subsidies/claims", json=signed(flow, again), token=prov_b), 409)


def test_learners_read_only_their_own_rewards(flow: Flow, bank: Bank, client: ASGIClient) -> None:
    mine, theirs = flow.certify(), flow.certify()
    token = learner_token(bank, mine.learner)
    rewards = client.get(f"/v1/learners/{mine.learner}/rewards", token=token).json()
    assert [(r["certificate_number"], r["amount_fen"]) for r in rewards] == [(mine.number, 50_000)]
    problem(client.get(f"/v1/learners/{theirs.learner}/rewards", token=token), 403, "account")
    authority = token_for(bank, "authority")
    problem(client.get("/v1/learners/CB123/rewards", token=authority), 422, "account")
    problem(client.get("/v1/learners/CB00000000000/rewards", token=authority), 404, "account")


def test_payments_refused_write_nothing(flow: Flow, bank: Bank, client: ASGIClient) -> None:
    certified = flow.certify()
    reward = certified.reward(bank)
    authority = token_for(bank, "authority")
    before = snapshot(bank)
    no_reference = flow.reward_payment(reward)
    no_reference["body"]["payment_reference"] = ""
    problem(
        client.post("/v1/rewards/payments", json=signed(flow, no_reference), token=authority),
        422,
        "statement.body.payment_reference",
    )
    problem(
        client.post(
            "/v1/rewards/payments", json=signed(flow, flow.reward_payment(10**9)), token=authority
        ),
        404,
        "statement.body.reward_index",
    )
    entitlement = certified.entitlement(bank)
    unclaimed = flow.decision("subsidy.approved", entitlement, "prov-a")
    problem(
        client.post("/v1/subsidies/approvals", json=signed(flow, unclaimed), token=authority),
        409,
        "statement.body.entitlement_index",
    )
    unpaid = flow.decision("subsidy.paid", entitlement, "prov-a", payment_reference="X-1")
    problem(client.post("/v1/subsidies/payments", json=signed(flow, unpaid), token=authority), 409)
    assert snapshot(bank) == before
    r = client.post(
        "/v1/rewards/payments", json=signed(flow, flow.reward_payment(reward)), token=authority
    )
    assert r.status_code == 201, r.text
    twice = flow.reward_payment(reward)
    problem(client.post("/v1/rewards/payments", json=signed(flow, twice), token=authority), 409)


def test_subsidy_parts_page_by_entitlement_then_provider(bank: Bank, client: ASGIClient) -> None:
    flow = money_world(bank)
    for n in (1, 2):
        flow.certify(f"DAN5-2026-00000{n}")
    client.token = token_for(bank, "authority")
    whole = client.get("/v1/subsidies?limit=1000").json()
    keys = [(p["entitlement_index"], p["provider"]) for p in whole]
    assert len(keys) >= 4  # two entitlements, each split between two providers
    assert keys == sorted(keys)
    walked: list[tuple[int, str]] = []
    url = "/v1/subsidies?limit=1"
    while url:
        response = client.get(url)
        walked += [(p["entitlement_index"], p["provider"]) for p in response.json()]
        url = response.links.get("next", {}).get("url", "")
    assert walked == keys
