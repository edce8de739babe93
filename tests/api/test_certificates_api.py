"""Certificates over HTTP: learners apply (refusals name the request's field and write
nothing), certifying bodies see only their standards' applications and, per application,
only that standard level of the learner's record; assessment, issuance, revocation, and
the public certificate."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from creditbank.bank import Bank
from creditbank.core.entry import sign_statement
from creditbank.core.statements import catalogue as statements
from creditbank.core.verify import verify_receipt
from tests.access.conftest import learner_token, problem, snapshot
from tests.api.certflow import Flow, money_world
from tests.api.conftest import ASGIClient
from tests.api.test_ledger_api import payload
from tests.factories import token_for

APPLY = {"standard_id": "data-annotator", "level": 5}


@pytest.fixture
def flow(bank: Bank) -> Flow:
    return money_world(bank)


def signed(flow: Flow, statement: dict[str, Any]) -> dict[str, Any]:
    return payload(sign_statement(statement, flow.keys[statement["actor"]]))


def applications_url(account: str) -> str:
    return f"/v1/learners/{account}/applications"


def test_a_learner_applies_and_reads_their_applications(
    flow: Flow, bank: Bank, client: ASGIClient
) -> None:
    learner, _ = flow.eligible_learner()
    token = learner_token(bank, learner)
    r = client.post(applications_url(learner), json=APPLY, token=token)
    assert r.status_code == 201, r.text
    body = r.json()
    verified = verify_receipt(body["receipt"], bank.verifier_key)
    assert verified.index == body["index"]
    assert verified.entry["statement"]["kind"] == "certificate.applied"
    assert verified.entry["statement"]["actor"] == "log"  # the operator logs it
    assert verified.entry["statement"]["body"] == {"learner": learner, **APPLY}
    mine = client.get(applications_url(learner), token=token).json()
    assert [(a["index"], a["status"], a["level"]) for a in mine] == [(body["index"], "pending", 5)]
    # the authority may read (and file) them too; another learner may not read them
    assert client.get(applications_url(learner), token=token_for(bank, "authority")).json() == mine
    other, _ = flow.eligible_learner()
    others = learner_token(bank, other)
    before = snapshot(bank)
    problem(client.get(applications_url(learner), token=others), 403, "account")
    problem(client.post(applications_url(learner), json=APPLY, token=others), 403, "account")
    assert snapshot(bank) == before
    r = client.post(applications_url(other), json=APPLY, token=token_for(bank, "authority"))
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    ("case", "status", "field"),
    [
        ("not-eligible", 422, "level"),
        ("twice", 409, "level"),
        ("already-certified", 409, "level"),
        ("unknown-level", 404, "level"),
        ("unknown-standard", 404, "level"),
        ("no-level", 422, "level"),
        ("level-as-text", 422, "level"),
        ("level-out-of-range", 422, "level"),
        ("empty-standard", 422, "standard_id"),
        ("extra-field", 422, "note"),
        ("not-an-object", 422, "body"),
        ("bad-account-number", 422, "account"),
        ("no-such-account", 404, "account"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_refused_applications_name_the_field_and_write_nothing(
    flow: Flow, bank: Bank, client: ASGIClient, case: str, status: int, field: str
) -> None:
    learner, _ = flow.eligible_learner()
    body: Any = dict(APPLY)
    if case == "not-eligible":
        learner = flow.learner()
    elif case == "twice":
        flow.apply(learner)
    elif case == "already-certified":
        learner = flow.certify().learner
    overrides: dict[str, Any] = {
        "unknown-level": {**APPLY, "level": 1},
        "unknown-standard": {**APPLY, "standard_id": "no-such-standard"},
        "no-level": {"standard_id": "data-annotator"},
        "level-as-text": {**APPLY, "level": "5"},
        "level-out-of-range": {**APPLY, "level": 9},
        "empty-standard": {**APPLY, "standard_id": ""},
        "extra-field": {**APPLY, "note": "please"},
        "not-an-object": [APPLY],
    }
    body = overrides.get(case, body)
    account = {"bad-account-number": "CB123", "no-such-account": "CB00000000000"}.get(case, learner)
    token = token_for(bank, "authority") if "account" in case else learner_token(bank, learner)
    authority = token_for(bank, "authority")
    applications = client.get(applications_url(learner), token=authority).json()
    before = snapshot(bank)
    r = client.post(applications_url(account), json=body, token=token)
    problem(r, status, field)
    assert snapshot(bank) == before
    assert client.get(applications_url(learner), token=authority).json() == applications


def test_a_certifier_lists_and_reads_only_its_standards(
    flow: Flow, bank: Bank, client: ASGIClient
) -> None:
    learner, awards = flow.eligible_learner()
    # an award in another standard, which the data-annotator certifier must not see
    ethics = statements.course_registration(
        "prov-a",
        "ethics-101",
        title="AI ethics",
        standard_id="ai-ethics-reviewer",
        level=3,
        unit_code="AER-3-01",
        mode="offline",
        hours="32.0",
    )
    flow.sign(ethics)
    now = bank.ledger.clock()
    flow.bank.ledger.append(
        sign_statement(
            statements.course_recognition(
                "prov-a",
                "ethics-101",
                valid_from=now - timedelta(days=30),
                valid_until=now + timedelta(days=30),
            ),
            bank.authority_key(),
        )
    )
    other_award = flow.complete(learner, "ethics-101").derived[0]
    application = flow.apply(learner)
    cert_a, cert_b = token_for(bank, "cert-a"), token_for(bank, "cert-b")
    listed = client.get("/v1/applications?status=pending", token=cert_a).json()
    assert [a["index"] for a in listed] == [application]
    assert client.get("/v1/applications", token=cert_b).json() == []
    everything = client.get("/v1/applications", token=token_for(bank, "authority")).json()
    assert [a["index"] for a in everything] == [application]
    assert client.get("/v1/applications?status=issued", token=cert_a).json() == []
    problem(client.get("/v1/applications?status=granted", token=cert_a), 422, "status")

    record = client.get(f"/v1/applications/{application}", token=cert_a).json()
    assert record["application"]["status"] == "pending"
    verify_receipt(record["application"]["receipt"], bank.verifier_key)
    progress = record["record"]["progress"]
    assert progress["eligible"] is True
    assert (progress["counted"], progress["required"], progress["missing_units"]) == (
        "10.0",
        "8.0",
        {},
    )
    items = record["record"]["awards"]
    assert [i["index"] for i in items] == awards
    assert record["record"]["certificate_awards"] == awards
    assert other_award not in [i["index"] for i in items]
    for item in items:
        assert item["status"] == "active"
        assert verify_receipt(item["receipt"], bank.verifier_key).index == item["index"]
        completion = item["completion"]
        proven = verify_receipt(completion["receipt"], bank.verifier_key)
        assert proven.entry["statement"]["kind"] == "completion.recorded"
        assert completion["outcome"] == "awarded"
    assert {(i["unit_code"], i["credits"], i["mode"], i["provider"]) for i in items} == {
        ("DAN-5-01", "3.0", "online", "prov-a"),
        ("DAN-5-02", "4.0", "offline", "prov-a"),
        ("DAN-5-03", "3.0", "workplace", "prov-b"),
    }
    # a body accredited for another standard, and anyone else, is refused
    problem(client.get(f"/v1/applications/{application}", token=cert_b), 403, "index")
    problem(client.get(f"/v1/applications/{application}", token=token_for(bank, "prov-a")), 403)
    problem(client.get(f"/v1/applications/{application}", token=learner_token(bank, learner)), 403)
    problem(client.get("/v1/applications/999999", token=cert_a), 404, "index")
    assert (
        client.get(f"/v1/applications/{application}", token=token_for(bank, "authority")).json()[
            "record"
        ]["certificate_awards"]
        == awards
    )


def test_assess_issue_and_revoke_over_http(flow: Flow, bank: Bank, client: ASGIClient) -> None:
    learner, awards = flow.eligible_learner()
    application = flow.apply(learner)
    cert_a = token_for(bank, "cert-a")
    r = client.post(
        "/v1/assessments", json=signed(flow, flow.assessment(application)), token=cert_a
    )
    assert r.status_code == 201, r.text
    assert (
        client.get(applications_url(learner), token=learner_token(bank, learner)).json()[0][
            "status"
        ]
        == "assessed"
    )
    # the wrong kind for the route, or a statement by someone else than the token's actor
    cert_b = token_for(bank, "cert-b")
    before = snapshot(bank)
    wrong = flow.revocation("DAN5-2026-000001")
    problem(
        client.post("/v1/certificates", json=signed(flow, wrong), token=cert_a),
        422,
        "statement.kind",
    )
    issuance = flow.issuance(learner, awards, application, "DAN5-2026-777777")
    problem(
        client.post("/v1/certificates", json=signed(flow, issuance), token=cert_b),
        403,
        "statement.actor",
    )
    problem(
        client.post("/v1/certificates", json={"statement": issuance}, token=cert_a),
        422,
        "key_id",
    )
    assert snapshot(bank) == before
    r = client.post("/v1/certificates", json=signed(flow, issuance), token=cert_a)
    assert r.status_code == 201, r.text
    assert len(r.json()["derived"]) == 2  # the reward and the subsidy entitlement
    public = client.get("/v1/certificates/DAN5-2026-777777").json()  # no token: public
    assert public == {
        "certificate_number": "DAN5-2026-777777",
        "learner": learner,
        "standard_id": "data-annotator",
        "level": 5,
        "issuer": "cert-a",
        "issued_at": public["issued_at"],
        "issued_index": r.json()["index"],
        "status": "active",
        "revoked_index": None,
        "revocation_reason": None,
    }
    assert (
        client.get(applications_url(learner), token=learner_token(bank, learner)).json()[0][
            "certificate_number"
        ]
        == "DAN5-2026-777777"
    )
    # another body may not revoke it; the authority may
    other = flow.revocation("DAN5-2026-777777", actor="cert-b")
    problem(
        client.post(
            "/v1/certificates/revocations",
            json=signed(flow, other),
            token=token_for(bank, "cert-b"),
        ),
        403,
        "statement.actor",
    )
    revocation = flow.revocation("DAN5-2026-777777", actor="authority")
    r = client.post(
        "/v1/certificates/revocations",
        json=signed(flow, revocation),
        token=token_for(bank, "authority"),
    )
    assert r.status_code == 201, r.text
    public = client.get("/v1/certificates/DAN5-2026-777777").json()
    assert (public["status"], public["revoked_index"], public["revocation_reason"]) == (
        "revoked",
        r.json()["index"],
        "assessment irregularity",
    )
    problem(client.get("/v1/certificates/NO-SUCH-CERT"), 404, "certificate_number")
