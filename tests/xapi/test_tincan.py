"""A real xAPI client nobody here wrote (the PyPI ``tincan`` package, TinCanPython)
against a real server: save_statement with an id (PUT), save_statements (POST),
retrieve_statement, query_statements with ``more``, about; Basic auth, its default."""

from __future__ import annotations

import uuid

from tincan import (  # type: ignore[import-untyped]  # no type information
    Activity,
    Agent,
    AgentAccount,
    RemoteLRS,
    Result,
    Score,
    Statement,
    Verb,
)

from tests.factories import token_for
from tests.xapi.conftest import ADL, LMS, Lrs


def statement(learner: str, course: str, sid: str | None = None) -> Statement:
    return Statement(
        id=sid,
        actor=Agent(account=AgentAccount(home_page=LMS, name=learner)),
        verb=Verb(id=ADL + "completed", display={"en-US": "completed"}),
        object=Activity(id=f"{LMS}/courses/{course}"),
        result=Result(score=Score(scaled=0.9), success=True, completion=True, duration="PT30H"),
        timestamp="2026-11-20T10:00:00+00:00",
    )


def test_tincan_remote_lrs(lrs: Lrs, base_url: str) -> None:
    learner = lrs.world.learner()
    remote = RemoteLRS(
        endpoint=f"{base_url}/xapi/",
        version="1.0.3",
        username="prov-a",
        password=token_for(lrs.world.bank, "prov-a"),
    )
    about = remote.about()
    assert about.success, about.data
    assert "1.0.3" in about.content.version

    sid = str(uuid.uuid4())
    saved = remote.save_statement(statement(learner, "clean-online", sid))  # PUT ?statementId=
    assert saved.success, saved.data
    assert saved.response.status == 204

    batch = remote.save_statements(
        [statement(learner, "label-offline"), statement(learner, "speech-workplace")]
    )
    assert batch.success, batch.data
    ids = [str(s.id) for s in batch.content]
    assert len(ids) == 2

    got = remote.retrieve_statement(sid)
    assert got.success, got.data
    assert str(got.content.id) == sid
    assert got.content.result.score.scaled == 0.9
    assert got.content.actor.account.name == learner

    query = remote.query_statements({"verb": Verb(id=ADL + "completed"), "limit": 2})
    assert query.success, query.data
    first = [str(s.id) for s in query.content.statements]
    assert first == list(reversed(ids))
    assert query.content.more
    more = remote.more_statements(query.content)
    assert more.success, more.data
    assert [str(s.id) for s in more.content.statements] == [sid]
    assert lrs.outcome(sid)["outcome"] == "credited"

    wrong = RemoteLRS(
        endpoint=f"{base_url}/xapi/", version="1.0.3", username="prov-a", password="cbt_nope"
    )
    refused = wrong.save_statement(statement(learner, "clean-online", str(uuid.uuid4())))
    assert not refused.success
    assert refused.response.status == 401
