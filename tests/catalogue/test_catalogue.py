"""Standards and programs on the ledger; courses registered and recognized."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from creditbank.bank import Bank
from creditbank.catalogue import service
from creditbank.catalogue.service import PublishReport, publish_catalogue, publish_statement
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
from creditbank.core.standards.model import content_hash
from creditbank.core.statements import catalogue as statements
from creditbank.ledger import audit, store
from creditbank.registry import default_handlers
from creditbank.standards.catalogue import Catalogue
from tests.catalogue.conftest import CATALOGUE, small_catalogue
from tests.conftest import FakeClock
from tests.factories import b64, register

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def size(bank: Bank) -> int:
    with bank.engine.connect() as conn:
        return store.tree_size(conn)


def register_course(bank: Bank, key: KeyPair, course_id: str = "c1", **overrides: Any) -> None:
    fields: dict[str, Any] = {
        "title": "Image annotation basics",
        "standard_id": "data-annotator",
        "level": 5,
        "unit_code": "DAN-5-02",
        "mode": "online",
        "hours": "32.0",
    }
    fields.update(overrides)
    provider = fields.pop("provider", "prov-a")
    statement = statements.course_registration(provider, course_id, **fields)
    statement["actor"] = fields.pop("actor", "prov-a") if "actor" in fields else "prov-a"
    service.append_signed(bank.ledger, statement, key)


def recognize(bank: Bank, course_id: str = "c1", key: KeyPair | None = None, **kw: Any) -> None:
    statement = statements.course_recognition(
        "prov-a",
        course_id,
        valid_from=kw.pop("valid_from", T0),
        valid_until=kw.pop("valid_until", T0 + timedelta(days=3 * 365)),
        **kw,
    )
    service.append_signed(bank.ledger, statement, key or bank.authority_key())


def test_publishing_is_idempotent_and_versioned(bank: Bank) -> None:
    report = publish_catalogue(bank.ledger, small_catalogue(), bank.authority_key())
    assert len(report.published) == 3 + len(CATALOGUE.programs)
    before = size(bank)
    again = publish_catalogue(bank.ledger, small_catalogue(), bank.authority_key())
    assert again.published == []
    assert len(again.unchanged) == len(report.published)
    assert size(bank) == before

    annotator = next(s for s in CATALOGUE.standards if s.id == "data-annotator")
    changed = annotator.model_copy(update={"title_en": "Data Annotator (revised)"})
    with pytest.raises(Conflict) as err:
        bank.ledger.append(sign_statement(publish_statement(changed), bank.authority_key()))
    assert err.value.field == "statement.id"  # same version, other bytes
    renamed = publish_statement(changed)
    renamed["id"] += "-again"
    with pytest.raises(Conflict) as err:
        bank.ledger.append(sign_statement(renamed, bank.authority_key()))
    assert err.value.field == "statement.body.standard.version"
    assert "needs a new version" in err.value.detail

    newer = annotator.model_copy(
        update={"title_en": "Data Annotator (revised)", "version": "1.1.0"}
    )
    publish_catalogue(bank.ledger, Catalogue((newer,)), bank.authority_key())
    got = service.get_standard(bank.engine, "data-annotator")
    assert got["standard"]["version"] == "1.1.0"
    assert [v["version"] for v in got["versions"]] == ["1.0.0", "1.1.0"]
    assert got["content_hash"] == content_hash(newer)

    older = annotator.model_copy(update={"version": "0.9.0"})
    with pytest.raises(RuleViolation):
        bank.ledger.append(sign_statement(publish_statement(older), bank.authority_key()))


def test_publishing_needs_the_authority_and_a_true_hash(bank: Bank, provider: KeyPair) -> None:
    statement = publish_statement(CATALOGUE.standards[0])
    statement["actor"] = "prov-a"
    with pytest.raises(Forbidden):
        bank.ledger.append(sign_statement(statement, provider))
    statement = publish_statement(CATALOGUE.standards[0])
    statement["body"]["content_hash"] = "0" * 64
    with pytest.raises(InvalidInput) as err:
        bank.ledger.append(sign_statement(statement, bank.authority_key()))
    assert err.value.field == "statement.body.content_hash"
    statement = publish_statement(CATALOGUE.standards[0])
    statement["body"]["standard"]["levels"][0]["credits_required"] = "1.25"
    with pytest.raises(InvalidInput) as err:
        bank.ledger.append(sign_statement(statement, bank.authority_key()))
    assert err.value.field is not None
    assert err.value.field.startswith("statement.body.standard.levels")


def test_the_whole_catalogue_publishes_and_audits(bank: Bank) -> None:
    report = publish_catalogue(bank.ledger, CATALOGUE, bank.authority_key())
    assert report.refused == []
    assert len(report.published) == 150 + len(CATALOGUE.programs)
    assert len(service.list_standards(bank.engine)) == 150
    codes = {
        s["occupation_code"] for s in service.list_standards(bank.engine, occupation="4-04-05")
    }
    assert "4-04-05-05" in codes
    assert all(c is not None and c.startswith("4-04-05-") for c in codes)
    assert all(3 in s["levels"] for s in service.list_standards(bank.engine, level=3))
    nlp = service.list_standards(bank.engine, area="nlp")
    assert nlp
    assert all("nlp" in s["areas"] for s in nlp)
    assert audit.audit(bank.engine, bank.verifier_key, bank.settings.origin, default_handlers()).ok


def test_course_registration_and_recognition(
    bank: Bank, provider: KeyPair, clock: FakeClock
) -> None:
    register_course(bank, provider)
    register_course(
        bank, provider, "c2", mode="offline", hours="8.0", min_score=None, unit_code="DAN-5-01"
    )
    courses = {c["course_id"]: c for c in service.list_courses(bank.engine, "prov-a", clock())}
    assert courses["c1"]["status"] == "registered"
    assert courses["c2"]["pass_fail_only"] is True
    assert courses["c1"]["standard_version"] == "1.0.0"

    clock.now = T0 + timedelta(days=1)
    recognize(bank)  # default credits: 320 tenths of hours // 16 = 20 tenths = 2.0
    recognize(bank, "c2", credits="1.5")
    courses = {c["course_id"]: c for c in service.list_courses(bank.engine, "prov-a", clock())}
    assert courses["c1"]["status"] == "recognized"
    assert courses["c1"]["credits"] == "2.0"
    assert courses["c2"]["credits"] == "1.5"
    later = {
        c["course_id"]: c
        for c in service.list_courses(bank.engine, "prov-a", T0 + timedelta(days=4 * 365))
    }
    assert later["c1"]["status"] == "expired"
    earlier = {
        c["course_id"]: c
        for c in service.list_courses(bank.engine, "prov-a", T0 - timedelta(days=1))
    }
    assert earlier["c1"]["status"] == "not_yet_valid"
    assert audit.audit(bank.engine, bank.verifier_key, bank.settings.origin, default_handlers()).ok


@pytest.mark.parametrize(
    ("overrides", "error", "field"),
    [
        ({"standard_id": "no-such-standard"}, NotFound, "statement.body.standard_id"),
        ({"level": 1}, InvalidInput, "statement.body.level"),
        ({"level": 9}, InvalidInput, "statement.body.level"),
        ({"unit_code": "DAN-4-01"}, InvalidInput, "statement.body.unit_code"),
        ({"hours": "0.0"}, InvalidInput, "statement.body.hours"),
        ({"hours": "12.25"}, InvalidInput, "statement.body.hours"),
        ({"hours": "-3.0"}, InvalidInput, "statement.body.hours"),
        ({"min_score": 101}, InvalidInput, "statement.body.min_score"),
        ({"mode": "telepathy"}, InvalidInput, "statement.body.mode"),
        ({"provider": "prov-b"}, Forbidden, "statement.body.provider"),
    ],
    ids=[
        "unknown-standard",
        "level-not-defined",
        "level-out-of-range",
        "unit-of-another-level",
        "zero-hours",
        "two-decimals",
        "negative-hours",
        "score-over-100",
        "unknown-mode",
        "for-another-provider",
    ],
)
def test_bad_course_registrations_write_nothing(
    bank: Bank,
    provider: KeyPair,
    overrides: dict[str, Any],
    error: type[CreditBankError],
    field: str,
) -> None:
    register(bank, "prov-b")
    before = size(bank)
    with pytest.raises(error) as err:
        register_course(bank, provider, **overrides)
    assert err.value.field == field
    assert size(bank) == before


def test_only_providers_register_and_only_once(bank: Bank, provider: KeyPair) -> None:
    certifier = register(bank, "cert-a", role="certifier")
    statement = statements.course_registration(
        "cert-a",
        "c9",
        title="t",
        standard_id="data-annotator",
        level=5,
        unit_code="DAN-5-01",
        mode="online",
        hours="16.0",
    )
    with pytest.raises(Forbidden):
        service.append_signed(bank.ledger, statement, certifier)
    register_course(bank, provider)
    with pytest.raises(Conflict):
        register_course(bank, provider, title="another title")


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"course_id": "nope"}, NotFound, "statement.body.course_id"),
        ({"credits": "0.0"}, RuleViolation, "statement.body.credits"),
        ({"credits": "2.55"}, InvalidInput, "statement.body.credits"),
        ({"valid_until": T0 - timedelta(days=1)}, InvalidInput, "statement.body.valid_until"),
    ],
    ids=["unknown-course", "zero-credits", "bad-credits", "window-backwards"],
)
def test_bad_recognitions_write_nothing(
    bank: Bank, provider: KeyPair, kwargs: dict[str, Any], error: type[CreditBankError], field: str
) -> None:
    register_course(bank, provider)
    before = size(bank)
    with pytest.raises(error) as err:
        recognize(bank, **kwargs)
    assert err.value.field == field
    assert size(bank) == before


def test_a_short_course_is_worth_zero_and_cannot_be_recognized(
    bank: Bank, provider: KeyPair
) -> None:
    register_course(bank, provider, hours="1.5")  # 15 tenths // 16 = 0 credits
    with pytest.raises(RuleViolation):
        recognize(bank)


def test_only_the_authority_recognizes(bank: Bank, provider: KeyPair) -> None:
    register_course(bank, provider)
    statement = statements.course_recognition(
        "prov-a", "c1", valid_from=T0, valid_until=T0 + timedelta(days=1)
    )
    statement["actor"] = "prov-a"
    with pytest.raises(Forbidden):
        service.append_signed(bank.ledger, statement, provider)


def test_certifiers_are_accredited_for_standards(bank: Bank, published: PublishReport) -> None:
    from sqlalchemy import select

    from creditbank.db import tables

    register_certifier = sign_statement(
        {
            "kind": "actor.registered",
            "actor": "authority",
            "id": "register-cert-x",
            "body": {
                "actor_id": "cert-x",
                "role": "certifier",
                "name": "Certification centre",
                "public_key": b64(KeyPair.generate("cert-x").public_key),
                "standards": ["data-annotator", "ai-ethics-reviewer"],
            },
        },
        bank.authority_key(),
    )
    bank.ledger.append(register_certifier)
    with bank.engine.connect() as conn:
        rows = conn.execute(select(tables.certifier_standards.c.standard_id)).scalars().all()
    assert sorted(rows) == ["ai-ethics-reviewer", "data-annotator"]
