"""Open edX (event-routing-backends) statements through the LRS: course completion,
course grade, problem check and video play; LMS identities and course keys mapped to the
bank's learners and courses; the mixed batch; what is not credited, and why."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from creditbank.core.entry import sign_statement
from creditbank.core.statements import catalogue as statements
from creditbank.ledger import audit
from creditbank.registry import default_handlers
from tests.credits.conftest import World
from tests.credits.test_engine import entry, size
from tests.factories import token_for
from tests.xapi import openedx
from tests.xapi.conftest import Lrs

PASS_FAIL = openedx.COURSE_KEY
SCORED = "course-v1:edX+Grades+2026"
OPENID = "https://openedx.org/users/user-v1/"


def register_course_keys(lrs: Lrs) -> None:
    """prov-a registers two Open edX courses under their course keys; both recognised."""
    world = lrs.world
    for course_id, min_score in ((PASS_FAIL, None), (SCORED, 60)):
        world.post(
            statements.course_registration(
                "prov-a",
                course_id,
                title="Demonstration Course",
                standard_id="data-annotator",
                level=5,
                unit_code="DAN-5-02",
                mode="online",
                hours="16.0",
                min_score=min_score,
            )
        )
        world.bank.ledger.append(
            sign_statement(
                statements.course_recognition(
                    "prov-a",
                    course_id,
                    valid_from=world.clock() - timedelta(days=365),
                    valid_until=world.clock() + timedelta(days=365),
                    credits="1.0",
                ),
                world.bank.authority_key(),
            )
        )


def test_open_edx_statements_mixed_batch(lrs: Lrs) -> None:
    register_course_keys(lrs)
    world = lrs.world
    learner, stranger = world.learner(), world.learner()
    user = str(uuid.uuid4())
    openid = OPENID + user
    lrs.link_learner({"objectType": "Agent", "openid": openid}, learner)
    lrs.link_learner(
        {"objectType": "Agent", "account": {"homePage": openedx.LMS, "name": user}}, learner
    )
    unknown_user = str(uuid.uuid4())
    ids = [str(uuid.uuid4()) for _ in range(6)]
    batch = [
        openedx.video_played(ids[0], openid),
        openedx.problem_check(ids[1], user),
        {**openedx.course_completed(openid), "id": ids[2]},
        openedx.grade_calculated(ids[3], user, SCORED, 0.82),
        openedx.grade_calculated(ids[4], unknown_user, SCORED, 0.9),  # nobody linked
        openedx.grade_calculated(ids[5], user, "course-v1:edX+Nope+1", 0.9),  # no such course
    ]
    before = size(world)
    r = lrs.post(batch)
    assert r.status_code == 200, r.text
    assert r.json() == ids
    outcomes = {sid: lrs.outcome(sid) for sid in ids}
    assert outcomes[ids[0]]["outcome"] == "none"  # video played: stored, not a completion
    assert outcomes[ids[1]]["outcome"] == "none"  # problem check: likewise
    for sid in (ids[2], ids[3]):
        assert outcomes[sid]["outcome"] == "credited", outcomes[sid]
        logged = entry(world, outcomes[sid]["index"])
        assert logged["kind"] == "completion.recorded"
        assert logged["statement"]["id"] == f"xapi:{sid}"
        assert logged["statement"]["body"]["learner"] == learner
    assert entry(world, outcomes[ids[2]]["index"])["statement"]["body"]["course_id"] == PASS_FAIL
    assert entry(world, outcomes[ids[2]]["index"])["statement"]["body"]["passed"] is True
    grade = entry(world, outcomes[ids[3]]["index"])["statement"]["body"]
    assert (grade["course_id"], grade["score"]) == (SCORED, 82)
    assert outcomes[ids[4]]["outcome"] == "not_credited"
    assert "is not linked to a learner account" in outcomes[ids[4]]["reason"]
    assert outcomes[ids[5]]["outcome"] == "not_credited"
    assert "has no course course-v1:edX+Nope+1" in outcomes[ids[5]]["reason"]
    assert size(world) > before
    history = lrs.client.request(
        "GET",
        f"/v1/learners/{learner}/history",
        headers={"Authorization": f"Bearer {_authority(lrs)}"},
    ).json()
    assert {c["completion_id"] for c in history["completions"]} == {
        f"xapi:{ids[2]}",
        f"xapi:{ids[3]}",
    }
    for sid in ids:  # every statement is stored and can be read back
        assert lrs.get(statementId=sid).status_code == 200
    assert stranger != learner
    report = audit.audit(
        world.bank.engine, world.bank.verifier_key, world.bank.origin, default_handlers()
    )
    assert report.ok, report.problem


def _authority(lrs: Lrs) -> str:
    from tests.factories import token_for

    return token_for(lrs.world.bank, "authority")


def test_activity_links_and_unmapped_activities(lrs: Lrs) -> None:
    learner = lrs.world.learner()
    activity = "https://lms.example.cn/mod/scorm/view.php?id=42"
    statement = {
        "actor": {"objectType": "Agent", "account": {"homePage": openedx.LMS, "name": learner}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"},
        "object": {"objectType": "Activity", "id": activity},
        "result": {"score": {"scaled": 0.75}},
    }
    first = lrs.post(statement).json()[0]
    assert lrs.outcome(first)["outcome"] == "not_credited"  # ?id=42 names no course
    lrs.link_course(activity, "clean-online")
    second = lrs.post({**statement, "timestamp": "2026-11-21T09:00:00Z"}).json()[0]
    outcome = lrs.outcome(second)
    assert outcome["outcome"] == "credited", outcome
    assert entry(lrs.world, outcome["index"])["statement"]["body"]["course_id"] == "clean-online"
    links = lrs.client.request("GET", "/xapi/links", headers=lrs.headers()).json()
    assert links["courses"][0]["course_id"] == "clean-online"
    r = lrs.client.request(
        "PUT",
        "/xapi/links/courses",
        json={"activity": activity, "course_id": "no-such-course"},
        headers=lrs.headers(),
    )
    assert r.status_code == 404
    r = lrs.client.request(
        "PUT",
        "/xapi/links/learners",
        json={"agent": {"mbox": "mailto:a@example.cn"}, "learner": "CB12345678906"},
        headers=lrs.headers(),
    )
    assert r.status_code == 404
    assert r.json()["field"] == "learner"


def test_voiding_a_completion_retracts_it(lrs: Lrs) -> None:
    from tests.xapi.conftest import ADL, completed

    world = lrs.world
    learner = world.learner()
    sid = lrs.post(completed(learner)).json()[0]
    credited = lrs.outcome(sid)
    assert credited["outcome"] == "credited"
    void = {
        "actor": {"objectType": "Agent", "account": {"homePage": openedx.LMS, "name": "admin"}},
        "verb": {"id": ADL + "voided", "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": sid},
    }
    vid = lrs.post(void).json()[0]
    voiding = lrs.outcome(vid)
    assert voiding["outcome"] == "retracted", voiding
    retraction = entry(world, voiding["index"])
    assert retraction["kind"] == "completion.retracted"
    assert retraction["statement"]["body"]["completion_index"] == credited["index"]
    assert lrs.get(statementId=sid).status_code == 404
    assert lrs.get(voidedStatementId=sid).json()["id"] == sid
    assert sid not in [s["id"] for s in lrs.get().json()["statements"]]
    again = {**void, "object": {"objectType": "StatementRef", "id": vid}}
    r = lrs.post(again)
    assert r.status_code == 400  # a voiding statement cannot be voided
    assert r.json()["field"] == "object.id"
    history = lrs.client.request(
        "GET",
        f"/v1/learners/{learner}/history",
        headers={"Authorization": f"Bearer {_authority(lrs)}"},
    ).json()
    (completion,) = history["completions"]
    assert completion["outcome"] != "awarded" or completion.get("retracted_index") is not None


def test_voiding_in_the_same_request_as_its_completion(lrs: Lrs) -> None:
    from tests.xapi.conftest import ADL, completed

    learner = lrs.world.learner()
    sid = str(uuid.uuid4())
    void = {
        "actor": {"objectType": "Agent", "mbox": "mailto:registrar@lms.example.cn"},
        "verb": {"id": ADL + "voided"},
        "object": {"objectType": "StatementRef", "id": sid},
    }
    ids = lrs.post([completed(learner, id=sid), void]).json()
    assert lrs.outcome(sid)["outcome"] == "credited"
    assert lrs.outcome(sid)["voided"] is True
    assert lrs.outcome(ids[1])["outcome"] == "retracted"
    assert lrs.get(statementId=sid).status_code == 404


def test_statements_are_stored_but_not_credited_without_the_gateway_key(
    world: World, client: Any
) -> None:
    from tests.factories import token_for
    from tests.xapi.conftest import completed

    lrs = Lrs(world, client, token_for(world.bank, "prov-a"))  # xapi never enabled
    before = size(world)
    sid = lrs.post(completed(world.learner())).json()[0]
    outcome = lrs.outcome(sid)
    assert outcome["outcome"] == "not_credited"
    assert "not enabled" in outcome["reason"]
    assert size(world) == before + 1  # the account opened; no completion
    assert lrs.get(statementId=sid).status_code == 200


def test_the_same_statement_posted_concurrently_is_stored_once(lrs: Lrs) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from creditbank.credits import lrs as service
    from tests.xapi.conftest import completed

    statement = completed(lrs.world.learner(), id=str(uuid.uuid4()))
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(
                lambda _: service.store_statements(lrs.world.bank, "prov-a", statement, "1.0.3"),
                range(4),
            )
        )
    assert answers == [[statement["id"]]] * 4
    found = lrs.get(verb=statement["verb"]["id"]).json()["statements"]
    assert [s["id"] for s in found] == [statement["id"]]
    assert lrs.outcome(statement["id"])["outcome"] == "credited"


def test_concurrent_single_statement_requests_are_all_stored_and_credited(lrs: Lrs) -> None:
    """An LMS's one-statement requests, many at once: each goes through the sequencer's
    group commit and the LRS's, and each is stored and credited exactly once."""
    from concurrent.futures import ThreadPoolExecutor

    from creditbank.credits import lrs as service
    from tests.credits.conftest import COURSES
    from tests.xapi.conftest import completed

    world = lrs.world
    learners = [world.learner() for _ in range(4)]
    statements = [
        completed(learner, course, id=str(uuid.uuid4()))
        for learner in learners
        for course in ("clean-online", "label-offline", "speech-workplace", "clean-more")
        if course in COURSES
    ]
    before = size(world)
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(
                lambda s: service.store_statements(world.bank, "prov-a", s, "2.0.0"), statements
            )
        )
    assert [a[0] for a in answers] == [s["id"] for s in statements]
    outcomes = [lrs.outcome(s["id"]) for s in statements]
    assert {o["outcome"] for o in outcomes} == {"credited"}
    assert len({o["index"] for o in outcomes}) == len(statements)
    assert size(world) > before + len(statements)  # each completion and its decisions
    assert len(lrs.get(limit="0").json()["statements"]) == len(statements)


def test_erasing_a_learner_deletes_their_lms_statements_and_links(lrs: Lrs) -> None:
    register_course_keys(lrs)
    learner, other = lrs.world.learner(), lrs.world.learner()
    user, other_user = str(uuid.uuid4()), str(uuid.uuid4())
    for account, name in ((learner, user), (other, other_user)):
        agent = {"objectType": "Agent", "account": {"homePage": openedx.LMS, "name": name}}
        lrs.link_learner(agent, account)
    ids = [str(uuid.uuid4()) for _ in range(3)]
    batch = [
        openedx.video_played(ids[0], OPENID + user),
        openedx.grade_calculated(ids[1], user, SCORED, 0.82),
        openedx.grade_calculated(ids[2], other_user, SCORED, 0.9),
    ]
    assert lrs.post(batch).status_code == 200
    credited = lrs.outcome(ids[1])["index"]
    authority = token_for(lrs.world.bank, "authority")
    r = lrs.client.post(f"/v1/learners/{learner}/erasure", token=authority)
    assert r.status_code == 200, r.text
    assert lrs.get(statementId=ids[1]).status_code == 404  # the LMS record is gone
    assert lrs.get(statementId=ids[2]).status_code == 200  # another learner's stays
    links = lrs.client.request("GET", "/xapi/links", headers=lrs.headers()).json()
    assert learner not in json.dumps(links)
    assert entry(lrs.world, credited)["statement"]["body"]["learner"] == learner  # the ledger
