"""Certificates: only accredited bodies, only for eligible learners, once per level;
revocation by the issuer or the authority; eligibility after certification."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from creditbank.core.entry import sign_statement
from creditbank.core.errors import (
    Conflict,
    CreditBankError,
    Forbidden,
    InvalidInput,
    NotFound,
    RuleViolation,
)
from creditbank.core.keys import KeyPair
from creditbank.db import tables
from creditbank.ledger import audit
from creditbank.registry import default_handlers
from tests.credits.conftest import World
from tests.credits.test_engine import entry, size
from tests.factories import b64


def certifier(world: World, actor_id: str, standards: list[str]) -> KeyPair:
    key = KeyPair.generate(actor_id)
    world.bank.ledger.append(
        sign_statement(
            {
                "kind": "actor.registered",
                "actor": "authority",
                "id": f"register-{actor_id}",
                "body": {
                    "actor_id": actor_id,
                    "role": "certifier",
                    "name": actor_id,
                    "public_key": b64(key.public_key),
                    "standards": standards,
                },
            },
            world.bank.authority_key(),
        )
    )
    return key


def eligible_learner(world: World) -> tuple[str, list[int]]:
    learner = world.learner()
    awards = []
    for course in ("clean-online", "label-offline", "speech-workplace"):
        done = world.complete(learner, course)
        awards.append(done.derived[0])
    return learner, sorted(awards)


def apply(world: World, learner: str, standard_id: str = "data-annotator", level: int = 5) -> int:
    """The learner applies (the operator logs it for the authenticated learner)."""
    done = world.bank.ledger.submit_operator(
        "certificate.applied",
        f"apply-{learner}-{standard_id}-{level}-{next(world.ids)}",
        {"learner": learner, "standard_id": standard_id, "level": level},
    ).result(timeout=30)
    return int(done.index)


def assess(
    world: World,
    key: KeyPair,
    actor: str,
    application: int,
    result: str = "passed",
    score: int | None = 86,
) -> Any:
    return world.bank.ledger.append(
        sign_statement(
            {
                "kind": "assessment.recorded",
                "actor": actor,
                "id": f"assess-{application}-{next(world.ids)}",
                "body": {"application_index": application, "result": result, "score": score},
            },
            key,
        )
    )


def issue(
    world: World,
    key: KeyPair,
    actor: str,
    learner: str,
    awards: list[int],
    application: int | None = None,
    **over: Any,
) -> Any:
    """Issue a certificate; without ``application``, the learner applies and ``actor``
    assesses them as passed first."""
    if application is None:
        application = apply(world, learner)
        assess(world, key, actor, application)
    body: dict[str, Any] = {
        "certificate_number": over.pop("number", "DAN5-2026-000001"),
        "learner": learner,
        "standard_id": "data-annotator",
        "level": 5,
        "application_index": application,
        "awards": awards,
        "assessment": {"result": "passed", "score": 86},
    }
    sid = over.pop("sid", None)
    body.update(over)
    return world.bank.ledger.append(
        sign_statement(
            {
                "kind": "certificate.issued",
                "actor": actor,
                "id": sid or f"issue-{body['certificate_number']}",
                "body": body,
            },
            key,
        )
    )


def revoke(world: World, key: KeyPair, actor: str, number: str, ref: str = "r") -> Any:
    return world.bank.ledger.append(
        sign_statement(
            {
                "kind": "certificate.revoked",
                "actor": actor,
                "id": f"revoke-{number}-{ref}",
                "body": {"certificate_number": number, "reason": "assessment irregularity"},
            },
            key,
        )
    )


def test_an_accredited_body_certifies_an_eligible_learner(world: World) -> None:
    key = certifier(world, "cert-a", ["data-annotator"])
    learner, awards = eligible_learner(world)
    issued = issue(world, key, "cert-a", learner, awards)
    assert entry(world, issued.index)["kind"] == "certificate.issued"
    c = tables.certificates
    with world.bank.engine.connect() as conn:
        row = conn.execute(select(c).where(c.c.number == "DAN5-2026-000001")).one()
    assert row.learner == learner
    assert row.issuer == "cert-a"
    # a retraction after certification does not log eligibility.lost (rules.md)
    completion = entry(world, awards[-1])["statement"]["body"]["completion_index"]
    retraction = world.retract(completion)
    kinds = [entry(world, i)["kind"] for i in retraction.derived]
    assert kinds == ["credit.revoked"]
    report = audit.audit(
        world.bank.engine, world.bank.verifier_key, world.bank.origin, default_handlers()
    )
    assert report.ok, report.problem


@pytest.mark.parametrize(
    ("case", "error", "field"),
    [
        ("not-accredited", Forbidden, "statement.body.standard_id"),
        ("stopped-being-eligible", RuleViolation, "statement.body.learner"),
        ("wrong-awards", RuleViolation, "statement.body.awards"),
        ("twice", Conflict, "statement.body.level"),
        ("number-taken", Conflict, "statement.body.certificate_number"),
        ("provider-issues", Forbidden, "statement.actor"),
        ("not-assessed", Conflict, "statement.body.application_index"),
        ("failed-assessment", Conflict, "statement.body.application_index"),
        ("assessed-by-another-body", Forbidden, "statement.actor"),
        ("other-assessment", InvalidInput, "statement.body.assessment"),
        ("another-learners-application", InvalidInput, "statement.body.learner"),
        ("no-application", NotFound, "statement.body.application_index"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_refused_certificates_write_nothing(
    world: World, case: str, error: type[CreditBankError], field: str
) -> None:
    key = certifier(world, "cert-a", ["data-annotator"])
    other = certifier(world, "cert-b", ["ai-ethics-reviewer"])
    peer = certifier(world, "cert-c", ["data-annotator"])
    learner, awards = eligible_learner(world)
    if case in ("twice", "number-taken"):
        issue(world, key, "cert-a", learner, awards)
    app = None
    if case not in ("twice", "number-taken", "no-application"):
        app = apply(world, learner)
        if case == "failed-assessment":
            assess(world, key, "cert-a", app, result="failed", score=40)
        elif case == "assessed-by-another-body":
            assess(world, peer, "cert-c", app)
        elif case != "not-assessed":
            assess(world, key, "cert-a", app)
    if case == "stopped-being-eligible":
        world.retract(entry(world, awards[-1])["statement"]["body"]["completion_index"])
    learner2, awards2 = (
        eligible_learner(world)
        if case in ("number-taken", "another-learners-application")
        else (learner, awards)
    )
    app2 = apply(world, learner2) if case == "number-taken" else None
    if app2 is not None:
        assess(world, key, "cert-a", app2)
    attempts = {
        "not-accredited": lambda: issue(world, other, "cert-b", learner, awards, app),
        "stopped-being-eligible": lambda: issue(world, key, "cert-a", learner, awards[:-1], app),
        "wrong-awards": lambda: issue(world, key, "cert-a", learner, awards[:-1], app),
        "twice": lambda: issue(
            world, key, "cert-a", learner, awards, application=1, number="DAN5-2026-000002"
        ),
        "number-taken": lambda: issue(world, key, "cert-a", learner2, awards2, app2, sid="x"),
        "provider-issues": lambda: issue(world, world.key, "prov-a", learner, awards, app),
        "not-assessed": lambda: issue(world, key, "cert-a", learner, awards, app),
        "failed-assessment": lambda: issue(world, key, "cert-a", learner, awards, app),
        "assessed-by-another-body": lambda: issue(world, key, "cert-a", learner, awards, app),
        "other-assessment": lambda: issue(
            world, key, "cert-a", learner, awards, app, assessment={"result": "passed", "score": 99}
        ),
        "another-learners-application": lambda: issue(world, key, "cert-a", learner2, awards2, app),
        "no-application": lambda: issue(world, key, "cert-a", learner, awards, 10**6),
    }
    before = size(world)
    with pytest.raises(error) as err:
        attempts[case]()
    assert err.value.field == field
    assert size(world) == before


def test_revocation_by_the_issuer_or_the_authority_only(world: World) -> None:
    key = certifier(world, "cert-a", ["data-annotator"])
    other = certifier(world, "cert-b", ["data-annotator"])
    learner, awards = eligible_learner(world)
    issue(world, key, "cert-a", learner, awards)
    with pytest.raises(Forbidden):
        revoke(world, other, "cert-b", "DAN5-2026-000001")
    revoke(world, key, "cert-a", "DAN5-2026-000001")
    with pytest.raises(Conflict):
        revoke(world, world.bank.authority_key(), "authority", "DAN5-2026-000001", ref="again")
    # revoked: the learner may be certified again (still eligible)
    issue(world, key, "cert-a", learner, awards, number="DAN5-2026-000009")
    revoke(world, world.bank.authority_key(), "authority", "DAN5-2026-000009")
    report = audit.audit(
        world.bank.engine, world.bank.verifier_key, world.bank.origin, default_handlers()
    )
    assert report.ok, report.problem


def test_prerequisite_certificate_counts_for_the_next_level(world: World) -> None:
    from creditbank.certificates.store import has_active_certificate

    key = certifier(world, "cert-a", ["data-annotator"])
    learner, awards = eligible_learner(world)
    with world.bank.engine.connect() as conn:
        assert not has_active_certificate(conn, learner, "data-annotator", 5)
    issue(world, key, "cert-a", learner, awards)
    with world.bank.engine.connect() as conn:
        assert has_active_certificate(conn, learner, "data-annotator", 5)
        assert not has_active_certificate(conn, learner, "data-annotator", 4)


def test_over_http_a_body_certifies_only_its_standards(world: World, client: Any) -> None:
    from tests.api.test_ledger_api import payload
    from tests.factories import token_for

    certifier(world, "cert-a", ["data-annotator"])
    other = certifier(world, "cert-b", ["ai-ethics-reviewer"])
    learner, awards = eligible_learner(world)
    statement = {
        "kind": "certificate.issued",
        "actor": "cert-b",
        "id": "issue-http",
        "body": {
            "certificate_number": "DAN5-2026-000100",
            "learner": learner,
            "standard_id": "data-annotator",
            "level": 5,
            "application_index": apply(world, learner),
            "awards": awards,
            "assessment": {"result": "passed"},
        },
    }
    before = size(world)
    r = client.post(
        "/v1/ledger/entries",
        json=payload(sign_statement(statement, other)),
        token=token_for(world.bank, "cert-b"),
    )
    assert r.status_code == 403
    assert r.json()["field"] == "statement.body.standard_id"
    assert size(world) == before
