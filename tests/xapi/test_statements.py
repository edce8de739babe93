"""The statements resource as an LRS serves it (xAPI 1.0.3 and 2.0): POST, PUT, GET by id
and by query, the about resource, the version and consistent-through headers, 400 for
invalid xAPI, 409 for an id reused with other content, Basic and Bearer."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.credits.test_engine import size
from tests.xapi.conftest import ADL, LMS, Lrs, completed

VERSIONS = ["1.0.3", "2.0.0"]


def count(lrs: Lrs) -> int:
    r = lrs.get(limit="0")
    assert r.status_code == 200, r.text
    return len(r.json()["statements"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("basic", [False, True], ids=["bearer", "basic"])
def test_post_one_and_a_list_answers_the_ids_in_order(lrs: Lrs, version: str, basic: bool) -> None:
    learner = lrs.world.learner()
    given = str(uuid.uuid4())
    one = lrs.post(completed(learner), version=version, basic=basic)
    assert one.status_code == 200, one.text
    assert one.headers["X-Experience-API-Version"] == ("1.0.3" if version < "2" else "2.0.0")
    assert "X-Experience-API-Consistent-Through" in one.headers
    many = lrs.post(
        [completed(learner, "label-offline"), completed(learner, id=given)],
        version=version,
        basic=basic,
    )
    assert many.status_code == 200, many.text
    ids = many.json()
    assert len(ids) == 2
    assert ids[1] == given
    for sid in [*one.json(), *ids]:
        got = lrs.get(version, statementId=sid)
        assert got.status_code == 200
        stored = got.json()
        assert stored["id"] == sid
        assert stored["authority"]["account"]["name"] == "prov-a"
        assert stored["version"] == ("1.0.0" if version < "2" else "2.0.0")
        assert "stored" in stored


def test_put_stores_under_the_id_and_409_for_other_content(lrs: Lrs) -> None:
    learner = lrs.world.learner()
    sid = str(uuid.uuid4())
    statement = completed(learner)
    put = lrs.client.request(
        "PUT",
        "/xapi/statements",
        params={"statementId": sid},
        json=statement,
        headers=lrs.headers(),
    )
    assert put.status_code == 204, put.text
    assert put.headers["X-Experience-API-Version"] == "1.0.3"
    before = size(lrs.world)
    again = lrs.client.request(
        "PUT",
        "/xapi/statements",
        params={"statementId": sid},
        json=statement,
        headers=lrs.headers(),
    )
    assert again.status_code == 204  # the same statement: stored once
    other = {**statement, "result": {"score": {"scaled": 0.5}}}
    conflict = lrs.client.request(
        "PUT",
        "/xapi/statements",
        params={"statementId": sid},
        json=other,
        headers=lrs.headers(),
    )
    assert conflict.status_code == 409, conflict.text
    assert conflict.headers["X-Experience-API-Version"] == "1.0.3"
    posted = lrs.post({**other, "id": sid})
    assert posted.status_code == 409
    assert size(lrs.world) == before
    mismatch = lrs.client.request(
        "PUT",
        "/xapi/statements",
        params={"statementId": str(uuid.uuid4())},
        json={**statement, "id": sid},
        headers=lrs.headers(),
    )
    assert mismatch.status_code == 400
    assert mismatch.json()["field"] == "id"
    no_id = lrs.client.request("PUT", "/xapi/statements", json=statement, headers=lrs.headers())
    assert no_id.status_code == 400
    assert no_id.headers["X-Experience-API-Version"] == "1.0.3"


@pytest.mark.parametrize(
    ("header", "status"),
    [(None, 400), ("0.95", 400), ("3.0.0", 400), ("1.0.3", 200), ("1.0", 200), ("2.0.0", 200)],
)
def test_the_version_header_is_required(lrs: Lrs, header: str | None, status: int) -> None:
    learner = lrs.world.learner()
    headers = {"Authorization": f"Bearer {lrs.token}"}
    if header is not None:
        headers["X-Experience-API-Version"] = header
    r = lrs.client.request("POST", "/xapi/statements", json=completed(learner), headers=headers)
    assert r.status_code == status, r.text
    assert r.headers["X-Experience-API-Version"] in ("1.0.3", "2.0.0")
    if status == 400:
        assert r.json()["status"] == 400
        assert r.json()["field"] == "X-Experience-API-Version"
        g = lrs.client.request("GET", "/xapi/statements", headers=headers)
        assert g.status_code == 400


def test_about(lrs: Lrs) -> None:
    r = lrs.client.request("GET", "/xapi/about")  # no credentials, no version needed
    assert r.status_code == 200
    assert r.json()["version"] == ["1.0.3", "2.0.0"]
    assert r.headers["X-Experience-API-Version"] == "2.0.0"
    old = lrs.client.request("GET", "/xapi/about", headers={"X-Experience-API-Version": "1.0.3"})
    assert old.json()["version"] == ["1.0.3"]  # what a 1.0.x client can read
    assert old.headers["X-Experience-API-Version"] == "1.0.3"


def test_basic_auth_needs_the_providers_key_and_a_valid_secret(lrs: Lrs) -> None:
    import base64

    def basic(key: str, secret: str) -> dict[str, str]:
        raw = base64.b64encode(f"{key}:{secret}".encode()).decode()
        return {"Authorization": f"Basic {raw}", "X-Experience-API-Version": "1.0.3"}

    assert (
        lrs.client.request(
            "GET", "/xapi/statements", headers=basic("prov-a", lrs.token)
        ).status_code
        == 200
    )
    for key, secret in [("prov-b", lrs.token), ("prov-a", "cbt_wrong"), ("prov-a", "")]:
        r = lrs.client.request("GET", "/xapi/statements", headers=basic(key, secret))
        assert r.status_code == 401, (key, secret)
        assert r.headers["X-Experience-API-Version"] == "1.0.3"
    assert (
        lrs.client.request(
            "GET", "/xapi/statements", headers={"X-Experience-API-Version": "1.0.3"}
        ).status_code
        == 401
    )


def _actor(**kw: Any) -> dict[str, Any]:
    return {"objectType": "Agent", **kw}


INVALID = [
    ({"result": {"score": {"raw": 120, "min": 0, "max": 100}}}, "result.score"),
    (
        {"actor": _actor(mbox="mailto:a@example.cn", account={"homePage": LMS, "name": "u1"})},
        "actor",
    ),
    (
        {"verb": {"id": ADL + "completed", "display": {"english": "completed"}}},
        "verb.display.english",
    ),
    ({"version": "3.0.0"}, "version"),
    ({"grade": "A"}, "grade"),
    (
        {"actor": {"objectType": "Group", "name": "team", "mbox": "mailto:team@example.cn"}},
        "actor.objectType",
    ),
    ({"id": "not-a-uuid"}, "id"),
    ({"timestamp": "yesterday"}, "timestamp"),
    ({"object": {"objectType": "Activity", "id": "not an iri"}}, "object.id"),
    ({"result": {"score": {"scaled": 1.5}}}, "result.score.scaled"),
    ({"result": {"success": "yes"}}, "result.success"),
    ({"result": {"duration": "forty hours"}}, "result.duration"),
    ({"actor": {"objectType": "Group"}}, "actor"),
    ({"context": {"registration": "x"}}, "context.registration"),
    ({"verb": {"id": ADL + "voided"}}, "object"),
]


@pytest.mark.parametrize(
    ("change", "field"),
    INVALID,
    ids=[
        "raw-above-max",
        "two-identifiers",
        "bad-language-tag",
        "version-3",
        "unknown-property",
        "group-learner",
        "bad-id",
        "bad-timestamp",
        "object-not-iri",
        "scaled-above-1",
        "success-not-bool",
        "bad-duration",
        "anonymous-group-without-members",
        "bad-registration",
        "void-not-statementref",
    ],
)
def test_invalid_xapi_is_400_naming_the_property_and_stores_nothing(
    lrs: Lrs, change: dict[str, Any], field: str
) -> None:
    learner = lrs.world.learner()
    before, entries = count(lrs), size(lrs.world)
    good = completed(learner)
    r = lrs.post([good, {**good, **change}])
    assert r.status_code == 400, r.text
    assert r.headers["X-Experience-API-Version"] == "1.0.3"
    problem = r.json()
    assert problem["status"] == 400
    assert problem["field"] == f"statements[1].{field}", problem
    single = lrs.post({**good, **change})
    assert single.status_code == 400
    assert single.json()["field"] == field
    assert count(lrs) == before
    assert size(lrs.world) == entries


def test_2_0_context_agents_need_the_2_0_header(lrs: Lrs) -> None:
    learner = lrs.world.learner()
    statement = completed(
        learner,
        context={
            "contextAgents": [
                {"objectType": "contextAgent", "agent": {"mbox": "mailto:t@example.cn"}}
            ]
        },
    )
    r = lrs.post(statement, version="1.0.3")
    assert r.status_code == 400
    assert r.json()["field"] == "context.contextAgents"
    assert lrs.post(statement, version="2.0.0").status_code == 200


def test_query_filters_and_more(lrs: Lrs) -> None:
    world = lrs.world
    a, b = world.learner(), world.learner()
    registration = str(uuid.uuid4())
    # one request each: the statements of one request share their stored time, and their
    # order among themselves is not defined (xAPI orders by stored time)
    ids = [
        lrs.post(s).json()[0]
        for s in (
            completed(a),
            completed(b, "label-offline"),
            completed(a, "label-offline", context={"registration": registration}),
            {**completed(a), "verb": {"id": "https://w3id.org/xapi/video/verbs/played"}},
        )
    ]
    world.clock.advance(seconds=5)
    later = lrs.post(completed(b, "speech-workplace")).json()
    agent_a = json.dumps({"objectType": "Agent", "account": {"homePage": LMS, "name": a}})

    def found(**params: str) -> list[str]:
        r = lrs.get(**params)
        assert r.status_code == 200, r.text
        return [s["id"] for s in r.json()["statements"]]

    assert found() == [*later, *reversed(ids)]  # newest first
    assert found(ascending="true") == [*ids, *later]
    assert found(agent=agent_a) == [ids[3], ids[2], ids[0]]
    assert found(verb=ADL + "completed", agent=agent_a) == [ids[2], ids[0]]
    assert found(activity=f"{LMS}/courses/label-offline") == [ids[2], ids[1]]
    assert found(registration=registration) == [ids[2]]
    assert found(since="2026-11-22T08:00:01Z") == later
    assert found(until="2026-11-22T08:00:01Z", ascending="true") == ids
    page = lrs.get(limit="2", ascending="true").json()
    assert [s["id"] for s in page["statements"]] == ids[:2]
    assert page["more"].startswith("/xapi/statements?")
    rest = lrs.client.request("GET", page["more"], headers=lrs.headers()).json()
    assert [s["id"] for s in rest["statements"]] == ids[2:4]
    last = lrs.client.request("GET", rest["more"], headers=lrs.headers()).json()
    assert [s["id"] for s in last["statements"]] == later
    assert last["more"] == ""
    for bad in (
        {"limit": "-1"},
        {"since": "soon"},
        {"colour": "red"},
        {"verb": "played"},
        {"statementId": ids[0], "verb": ADL + "completed"},
        {"agent": "{}"},
    ):
        r = lrs.get(**bad)
        assert r.status_code == 400, bad
        assert r.json()["field"] in bad
    assert lrs.get(statementId=str(uuid.uuid4())).status_code == 404


def test_providers_see_only_their_own_statements(lrs: Lrs) -> None:
    from tests.factories import register, token_for

    learner = lrs.world.learner()
    sid = lrs.post(completed(learner)).json()[0]
    register(lrs.world.bank, "prov-b")
    other = {
        "Authorization": f"Bearer {token_for(lrs.world.bank, 'prov-b')}",
        "X-Experience-API-Version": "1.0.3",
    }
    r = lrs.client.request("GET", "/xapi/statements", params={"statementId": sid}, headers=other)
    assert r.status_code == 404
    r = lrs.client.request("GET", "/xapi/statements", headers=other)
    assert r.json()["statements"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timestamp": "2026-13-01T00:00:00Z"}, "timestamp"),
        (
            {"verb": {"id": ADL + "completed", "display": {"en": "\ud800 lone surrogate"}}},
            "verb.display.en",
        ),
        ({"result": {"score": {"scaled": 1e-300}, "duration": "PT99999999999H"}}, None),
        ({"context": {"language": "zh-Hans-CN-x-lms"}}, None),
        ({"context": {"language": "zz-Latn-QQ"}}, "context.language"),
    ],
    ids=["no-such-month", "lone-surrogate", "extreme-numbers", "private-use", "no-such-language"],
)
def test_odd_input_never_answers_5xx(lrs: Lrs, change: dict[str, Any], field: str | None) -> None:
    body = json.dumps({**completed(lrs.world.learner()), **change})  # \ud800 escaped
    headers = {**lrs.headers(), "Content-Type": "application/json"}
    r = lrs.client.request("POST", "/xapi/statements", content=body.encode(), headers=headers)
    assert r.status_code == (200 if field is None else 400), r.text
    if field is not None:
        assert r.json()["field"] == field
    else:
        assert lrs.get(statementId=r.json()[0]).status_code == 200


@pytest.mark.parametrize(
    ("content_type", "body", "field"),
    [
        ("text/plain", None, "Content-Type"),
        ("application/x-www-form-urlencoded", None, "Content-Type"),
        (None, None, "Content-Type"),
        ("application/json", b"", "body"),
        ("application/json; charset=utf-8", b"", "body"),
    ],
    ids=["text", "form", "no-content-type", "empty", "empty-with-charset"],
)
def test_a_post_that_is_not_json_is_400_naming_what_to_fix(
    lrs: Lrs, content_type: str | None, body: bytes | None, field: str
) -> None:
    """The route reads the body BodyGuard parsed: with none (empty, or sent as another
    content type) it names the header or the body, and stores nothing."""
    statement = completed(lrs.world.learner())
    headers = lrs.headers()
    if content_type is not None:
        headers["Content-Type"] = content_type
    sent = json.dumps(statement).encode() if body is None else body
    before = count(lrs)
    r = lrs.client.request("POST", "/xapi/statements", content=sent, headers=headers)
    assert r.status_code == 400, r.text
    assert r.json()["field"] == field
    assert r.headers["X-Experience-API-Version"] == "1.0.3"
    assert count(lrs) == before


def test_a_post_with_another_json_media_type_is_stored(lrs: Lrs) -> None:
    """application/*+json is JSON to BodyGuard, as to FastAPI."""
    statement = completed(lrs.world.learner())
    headers = {**lrs.headers(), "Content-Type": "application/ld+json"}
    r = lrs.client.request(
        "POST", "/xapi/statements", content=json.dumps(statement).encode(), headers=headers
    )
    assert r.status_code == 200, r.text
    assert lrs.get(statementId=r.json()[0]).status_code == 200
