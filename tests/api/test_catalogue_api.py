"""The catalogue over HTTP: standards with filters, programs, course writes and listing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from creditbank.bank import Bank
from creditbank.catalogue.service import publish_catalogue
from creditbank.core.entry import sign_statement
from creditbank.core.keys import KeyPair
from creditbank.core.statements import catalogue as statements
from tests.api.conftest import ASGIClient
from tests.api.test_ledger_api import payload
from tests.catalogue.conftest import small_catalogue
from tests.factories import register, token_for


@pytest.fixture
def provider(bank: Bank, client: ASGIClient) -> KeyPair:
    publish_catalogue(bank.ledger, small_catalogue(), bank.authority_key())
    key = register(bank, "prov-a")
    client.token = token_for(bank, "prov-a")
    return key


def course(provider_id: str = "prov-a", **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "title": "Responsible AI review practice",
        "standard_id": "data-annotator",
        "level": 5,
        "unit_code": "DAN-5-01",
        "mode": "workplace",
        "hours": "48.0",
    }
    fields.update(overrides)
    return statements.course_registration(provider_id, "c1", **fields)


def test_standards_catalogue(client: ASGIClient, provider: KeyPair) -> None:
    listed = client.get("/v1/standards").json()
    assert {s["id"] for s in listed} == {
        "data-annotator",
        "ai-ethics-reviewer",
        "large-model-trainer",
    }
    by_code = client.get("/v1/standards", params={"occupation": "4-04-05-05"}).json()
    assert [s["id"] for s in by_code] == ["data-annotator"]
    by_level = client.get("/v1/standards", params={"level": 5}).json()
    assert all(5 in s["levels"] for s in by_level)
    by_area = client.get("/v1/standards", params={"area": "ai_ethics"}).json()
    assert "ai-ethics-reviewer" in {s["id"] for s in by_area}
    assert client.get("/v1/standards", params={"area": "astrology"}).status_code == 422
    one = client.get("/v1/standards/data-annotator").json()
    assert one["standard"]["title_zh"] == "数据标注员"
    assert one["versions"][0]["version"] == "1.0.0"
    missing = client.get("/v1/standards/nope")
    assert missing.status_code == 404
    programs = client.get("/v1/programs").json()
    assert programs[0]["program"]["subsidy_per_trainee_fen"] == 600000


def test_course_writes_and_listing(
    client: ASGIClient, bank: Bank, provider: KeyPair, clock: Any
) -> None:
    r = client.post("/v1/courses", json=payload(sign_statement(course(), provider)))
    assert r.status_code == 201, r.text
    authority = token_for(bank, "authority")
    misfiled = {**course(), "actor": "authority"}
    wrong_kind = client.post(
        "/v1/courses/recognitions",
        json=payload(sign_statement(misfiled, bank.authority_key())),
        token=authority,
    )
    assert wrong_kind.status_code == 422
    assert wrong_kind.json()["field"] == "statement.kind"
    recognition = statements.course_recognition(
        "prov-a",
        "c1",
        valid_from=clock.now - timedelta(days=1),
        valid_until=clock.now + timedelta(days=30),
    )
    r = client.post(
        "/v1/courses/recognitions",
        json=payload(sign_statement(recognition, bank.authority_key())),
        token=authority,
    )
    assert r.status_code == 201, r.text
    courses = client.get("/v1/providers/prov-a/courses").json()
    assert courses[0]["status"] == "recognized"
    assert courses[0]["credits"] == "3.0"  # 480 tenths of hours // 16


def test_course_refusals_over_http(client: ASGIClient, bank: Bank, provider: KeyPair) -> None:
    other = register(bank, "prov-b")
    r = client.post("/v1/courses", json=payload(sign_statement(course("prov-b"), provider)))
    assert r.status_code == 403  # prov-a's token, a statement claiming to be prov-b's
    assert r.json()["field"] == "statement.actor"
    r = client.post(
        "/v1/courses",
        json=payload(sign_statement(course("prov-b"), provider)),
        token=token_for(bank, "prov-b"),
    )
    assert r.status_code == 422  # prov-b's token, but signed with prov-a's key
    assert r.json()["field"] == "key_id"
    r = client.post(
        "/v1/courses",
        json=payload(sign_statement(course("prov-b"), other)),
        token=token_for(bank, "prov-b"),
    )
    assert r.status_code == 201  # prov-b for itself is fine
    r = client.post("/v1/courses", json=payload(sign_statement(course(level=2), provider)))
    assert r.status_code == 422
    assert r.json()["field"] == "statement.body.level"
    recognition = statements.course_recognition(
        "prov-a",
        "c1",
        valid_from=bank.ledger.clock(),
        valid_until=bank.ledger.clock() + timedelta(days=1),
    )
    r = client.post(
        "/v1/courses/recognitions",
        json=payload(sign_statement({**recognition, "actor": "prov-a"}, provider)),
    )
    assert r.status_code == 403
