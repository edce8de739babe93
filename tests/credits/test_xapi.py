"""xAPI statements from an LMS become the same completion entries as signed posts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from creditbank.core.errors import InvalidInput
from creditbank.core.verify import verify_receipt
from creditbank.credits.gateway import enable_xapi
from creditbank.credits.xapi import to_completion
from creditbank.ledger import audit
from creditbank.registry import default_handlers
from tests.credits.conftest import World
from tests.credits.test_engine import entry, size
from tests.factories import token_for

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
V = {"X-Experience-API-Version": "1.0.3"}
ADL = "http://adlnet.gov/expapi/verbs/"


def statement(
    learner: str, course: str = "clean-online", verb: str = "completed", **extra: Any
) -> dict[str, Any]:
    s: dict[str, Any] = {
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": "https://creditbank.local", "name": learner},
        },
        "verb": {"id": ADL + verb, "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": f"https://lms.example.cn/courses/{course}"},
        "result": {
            "score": {"scaled": 0.85},
            "success": True,
            "completion": True,
            "duration": "PT40H",
        },
        "timestamp": "2026-11-20T10:00:00Z",
    }
    s.update(extra)
    return s


ACCOUNT = "CB12345678906"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, {"score": 85, "passed": True, "hours_attended": "40.0", "course_id": "clean-online"}),
        ({"result": {"score": {"scaled": 0.595}}}, {"score": 60, "hours_attended": "0.0"}),
        ({"verb": {"id": ADL + "failed"}, "result": {}}, {"passed": False}),
        (
            {"verb": {"id": ADL + "passed"}, "result": {"duration": "PT1H30M"}},
            {"passed": True, "hours_attended": "1.5"},
        ),
        ({"object": {"id": "https://lms.example.cn/courses/pf%2Dlab/"}}, {"course_id": "pf-lab"}),
    ],
    ids=["completed", "rounding-half-up", "failed-verb", "passed-verb-duration", "iri-path"],
)
def test_mapping(change: dict[str, Any], expected: dict[str, Any]) -> None:
    mapped = to_completion({**statement(ACCOUNT), **change}, "prov-a", NOW, 0)
    assert mapped["kind"] == "completion.recorded"
    assert mapped["actor"] == "prov-a"
    for key, value in expected.items():
        assert mapped["body"][key] == value
    assert mapped["body"]["completed_at"] == "2026-11-20T10:00:00.000000Z"


def test_the_same_statement_maps_to_the_same_id() -> None:
    a = to_completion(statement(ACCOUNT), "prov-a", NOW, 0)
    b = to_completion(json.loads(json.dumps(statement(ACCOUNT))), "prov-a", NOW, 0)
    assert a["id"] == b["id"]
    with_id = to_completion(
        {**statement(ACCOUNT), "id": "5f3c7e1a-0b7e-4c1d-9d1a-1f2e3d4c5b6a"}, "prov-a", NOW, 0
    )
    assert with_id["id"] == "xapi:5f3c7e1a-0b7e-4c1d-9d1a-1f2e3d4c5b6a"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"actor": {"mbox": "mailto:someone@example.cn"}}, "statements[0].actor.account.name"),
        (
            {"actor": {"account": {"homePage": "x", "name": "CB12345678907"}}},
            "statements[0].actor.account.name",
        ),
        ({"verb": {"id": ADL + "attempted"}}, "statements[0].verb.id"),
        ({"object": {"objectType": "Agent", "id": "x"}}, "statements[0].object"),
        ({"object": {"id": "not an iri"}}, "statements[0].object.id"),
        ({"result": {"score": {"scaled": 1.5}}}, "statements[0].result.score.scaled"),
        ({"result": {"score": {"raw": 80}}}, "statements[0].result.score.scaled"),
        (
            {"verb": {"id": ADL + "failed"}, "result": {"success": True}},
            "statements[0].result.success",
        ),
        ({"result": {"completion": False}}, "statements[0].result.completion"),
        ({"result": {"duration": "forty hours"}}, "statements[0].result.duration"),
        ({"timestamp": "yesterday"}, "statements[0].timestamp"),
        ({"id": "not-a-uuid"}, "statements[0].id"),
    ],
    ids=[
        "no-account",
        "bad-check-digit",
        "unknown-verb",
        "not-an-activity",
        "not-an-iri",
        "scaled-above-1",
        "no-scaled",
        "success-contradicts-verb",
        "completion-false",
        "bad-duration",
        "bad-timestamp",
        "bad-id",
    ],
)
def test_malformed_statements_name_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        to_completion({**statement(ACCOUNT), **change}, "prov-a", NOW, 0)
    assert err.value.field == field


def test_xapi_over_http_is_the_same_entry_and_idempotent(world: World, client: Any) -> None:
    enable_xapi(world.bank, world.key)
    client.token = token_for(world.bank, "prov-a")
    learner = world.learner()
    batch = [
        statement(learner),
        statement(learner, "label-offline", id="0b8f3d8e-5a35-4c5b-8f0e-3d0c2b1a4f5e"),
    ]
    r = client.post("/xapi/statements", json=batch, headers=V)
    assert r.status_code == 200, r.text
    ids = r.json()
    assert len(ids) == 2
    assert ids[1] == "0b8f3d8e-5a35-4c5b-8f0e-3d0c2b1a4f5e"
    history = client.get(
        f"/v1/learners/{learner}/history", token=token_for(world.bank, "authority")
    ).json()
    completions = {c["completion_id"]: c for c in history["completions"]}
    assert set(completions) == {f"xapi:{i}" for i in ids}
    first = completions[f"xapi:{ids[0]}"]
    assert first["outcome"] == "awarded"
    logged = entry(world, first["index"])
    assert logged["kind"] == "completion.recorded"
    assert logged["statement"]["actor"] == "prov-a"
    assert verify_receipt(first["receipt"], world.bank.verifier_key).index == first["index"]
    before = size(world)
    again = client.post("/xapi/statements", json=batch, headers=V)
    assert again.status_code == 200
    assert again.json() == ids
    assert size(world) == before  # the same statements again: nothing new
    report = audit.audit(
        world.bank.engine, world.bank.verifier_key, world.bank.origin, default_handlers()
    )
    assert report.ok, report.problem


def test_xapi_refusals_store_nothing(world: World, client: Any) -> None:
    client.token = token_for(world.bank, "prov-a")
    learner = world.learner()
    r = client.post("/xapi/statements", json=statement(learner), headers=V)
    assert r.status_code == 403  # xAPI not enabled for prov-a yet
    enable_xapi(world.bank, world.key)
    before = size(world)
    r = client.post("/xapi/statements", json=statement(learner))
    assert r.status_code == 422
    assert r.json()["field"] == "X-Experience-API-Version"
    good, unknown_course = statement(learner), statement(learner, "no-such-course")
    r = client.post("/xapi/statements", json=[good, unknown_course], headers=V)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["field"] == "statement.body.course_id"
    assert problem["problems"][0]["statement"] == 1
    r = client.post(
        "/xapi/statements", json=[good, {**good, "verb": {"id": ADL + "launched"}}], headers=V
    )
    assert r.status_code == 422
    assert r.json()["field"] == "statements[1].verb.id"
    assert size(world) == before  # all or nothing
