"""The conversion engine on the ledger: completions decided in order, awards, revocations,
eligibility transitions, refusals that write nothing, and replay equal to the projections."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from creditbank.core.errors import (
    Conflict,
    CreditBankError,
    Forbidden,
    InvalidInput,
    NotFound,
    RuleViolation,
)
from creditbank.db import tables
from creditbank.ledger import audit, store
from creditbank.ledger.sequencer import Appended
from creditbank.registry import default_handlers
from tests.credits.conftest import World


def entry(world: World, index: int) -> dict[str, Any]:
    with world.bank.engine.connect() as conn:
        value: dict[str, Any] = json.loads(store.entry_data(conn, index))
    return value


def outcome(world: World, index: int) -> str:
    c = tables.completions
    with world.bank.engine.connect() as conn:
        return str(conn.execute(select(c.c.outcome).where(c.c.idx == index)).scalar_one())


def size(world: World) -> int:
    with world.bank.engine.connect() as conn:
        return store.tree_size(conn)


def assert_audit_and_rebuild(world: World) -> None:
    report = audit.audit(
        world.bank.engine, world.bank.verifier_key, world.bank.origin, default_handlers()
    )
    assert report.ok, report.problem
    before = _projections(world)
    audit.rebuild(world.bank.engine, default_handlers())
    assert _projections(world) == before


def _projections(world: World) -> dict[str, list[tuple[Any, ...]]]:
    with world.bank.engine.connect() as conn:
        return {
            t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
            for t in tables.projection_tables()
        }


def test_an_award_follows_a_passed_completion(world: World) -> None:
    learner = world.learner()
    done = world.complete(learner, "clean-online")
    assert len(done.derived) == 1
    award = entry(world, done.derived[0])
    assert award["kind"] == "credit.awarded"
    body = award["statement"]["body"]
    assert body["credits"] == "3.0"
    assert body["derived_from"] == [done.index]
    assert body["unit_code"] == "DAN-5-01"
    assert award["statement"]["actor"] == "log"
    assert outcome(world, done.index) == "awarded"


@pytest.mark.parametrize(
    ("course", "kwargs", "reason"),
    [
        ("clean-online", {"score": 59}, "not_passed"),
        ("pf-lab", {"score": None, "passed": False}, "not_passed"),
        ("clean-online", {"completed_at_days": 5 * 366}, "expired"),
    ],
    ids=["below-min-score", "pass-fail-failed", "expired"],
)
def test_no_credit_outcomes(world: World, course: str, kwargs: dict[str, Any], reason: str) -> None:
    learner = world.learner()
    days = kwargs.pop("completed_at_days", None)
    if days is not None:  # an old completion, posted late: its credits would have expired
        kwargs["completed_at"] = world.clock() - timedelta(days=days)
    done = world.complete(learner, course, **kwargs)
    assert done.derived == ()
    assert outcome(world, done.index) == reason


def test_already_credited_then_earns_again_after_revocation(world: World) -> None:
    learner = world.learner()
    first = world.complete(learner, "clean-online")
    second = world.complete(learner, "clean-online")
    assert outcome(world, second.index) == "already_credited"
    world.retract(first.index)
    third = world.complete(learner, "clean-online")
    assert outcome(world, third.index) == "awarded"
    assert_audit_and_rebuild(world)


def test_unit_cap(world: World) -> None:
    learner = world.learner()
    world.complete(learner, "clean-online")  # 3.0 of 4.5 in DAN-5-01
    capped = world.complete(learner, "clean-more")  # 2.0 asked, 1.5 left
    assert entry(world, capped.derived[0])["statement"]["body"]["credits"] == "1.5"
    learner2 = world.learner()
    world.complete(learner2, "clean-more")
    world.complete(learner2, "clean-online")  # 2.0 + min(3.0, 2.5) = 4.5
    full = world.post({**world.completion(learner2, "clean-online"), "id": "again"})
    assert outcome(world, full.index) == "already_credited"


def test_eligibility_reached_and_lost_on_retraction(world: World) -> None:
    learner = world.learner()
    world.complete(learner, "clean-online")  # 3.0 online, DAN-5-01
    label = world.complete(learner, "label-offline")  # 4.0 offline, DAN-5-02
    assert len(label.derived) == 1  # 7.0 counted: not yet 8.0
    speech = world.complete(learner, "speech-workplace")  # 3.0 workplace: 10.0 counted
    kinds = [entry(world, i)["kind"] for i in speech.derived]
    assert kinds == ["credit.awarded", "eligibility.reached"]
    retraction = world.retract(speech.index)
    kinds = [entry(world, i)["kind"] for i in retraction.derived]
    assert kinds == ["credit.revoked", "eligibility.lost"]
    e = tables.eligibility
    with world.bank.engine.connect() as conn:
        assert (
            conn.execute(select(e.c.eligible).where(e.c.learner == learner)).scalar_one() is False
        )
    assert_audit_and_rebuild(world)


def test_online_share_cap_blocks_eligibility(world: World) -> None:
    learner = world.learner()
    world.complete(learner, "clean-online")  # 3.0 online
    done = world.complete(learner, "speech-workplace")  # 3.0 offline: 6.0 counted
    assert [entry(world, i)["kind"] for i in done.derived] == ["credit.awarded"]


def test_reposting_is_idempotent(world: World) -> None:
    learner = world.learner()
    statement = world.completion(learner, "clean-online", cid="lms-123")
    first = world.post(statement)
    again = world.post(statement)
    assert again.duplicate
    assert again.index == first.index
    assert again.receipt == first.receipt
    with pytest.raises(Conflict):
        world.post({**statement, "body": {**statement["body"], "score": 90}})


@pytest.mark.parametrize(
    ("change", "error", "field"),
    [
        ({"course_id": "nope"}, NotFound, "statement.body.course_id"),
        ({"learner": "CB12345678906"}, NotFound, "statement.body.learner"),
        ({"learner": "CB12345678907"}, InvalidInput, "statement.body.learner"),
        ({"score": 101}, InvalidInput, "statement.body.score"),
        ({"score": 50, "passed": True}, InvalidInput, "statement.body.passed"),
        ({"score": None}, InvalidInput, "statement.body.score"),
        ({"completed_at": "future"}, InvalidInput, "statement.body.completed_at"),
        ({"completed_at": "ancient"}, RuleViolation, "statement.body.completed_at"),
        ({"hours_attended": "1.25"}, InvalidInput, "statement.body.hours_attended"),
    ],
    ids=[
        "unknown-course",
        "no-such-account",
        "bad-check-digit",
        "score-out-of-range",
        "passed-contradicts-score",
        "scored-course-without-score",
        "more-than-5-min-ahead",
        "not-recognized-then",
        "bad-hours",
    ],
)
def test_refusals_write_nothing(
    world: World, change: dict[str, Any], error: type[CreditBankError], field: str
) -> None:
    learner = world.learner()
    statement = world.completion(learner, "clean-online")
    body = dict(statement["body"])
    for key, value in change.items():
        if key == "completed_at":
            when = (
                world.clock() + timedelta(minutes=6)
                if value == "future"
                else world.clock() - timedelta(days=8 * 365)
            )
            from creditbank.core.entry import format_time

            body[key] = format_time(when)
        elif value is None:
            body.pop(key, None)
        else:
            body[key] = value
    before = size(world)
    with pytest.raises(error) as err:
        world.post({**statement, "body": body})
    assert err.value.field == field
    assert size(world) == before


def test_pass_fail_course_needs_passed(world: World) -> None:
    learner = world.learner()
    with pytest.raises(InvalidInput) as err:
        world.complete(learner, "pf-lab", score=None)
    assert err.value.field == "statement.body.passed"
    done = world.complete(learner, "pf-lab", score=12, passed=True)  # the score decides nothing
    assert outcome(world, done.index) == "awarded"


def test_closed_accounts_and_other_providers(world: World) -> None:
    from creditbank.access.service import close_account
    from tests.factories import register

    learner = world.learner()
    close_account(world.bank, learner, "authority", "duplicate account", world.clock())
    with pytest.raises(RuleViolation):
        world.complete(learner, "clean-online")
    other = register(world.bank, "prov-b")
    learner2 = world.learner()
    done = world.complete(learner2, "clean-online")
    from creditbank.core.entry import sign_statement

    with pytest.raises(Forbidden):
        world.bank.ledger.append(
            sign_statement(
                {
                    "kind": "completion.retracted",
                    "actor": "prov-b",
                    "id": "r",
                    "body": {"completion_index": done.index, "reason": "not ours"},
                },
                other,
            )
        )
    with pytest.raises(NotFound):  # prov-b has no such course
        world.bank.ledger.append(
            sign_statement({**world.completion(learner2, "clean-online"), "actor": "prov-b"}, other)
        )


def test_expiry_frees_the_unit_and_credits_again(world: World) -> None:
    learner = world.learner()
    first = world.complete(
        learner, "clean-online", completed_at=world.clock() - timedelta(days=300)
    )
    assert isinstance(first, Appended)
    award = entry(world, first.derived[0])["statement"]["body"]
    assert award["expires_at"].startswith(str(int(award["completed_at"][:4]) + 5))
    world.clock.advance(days=5 * 365 - 250)  # past expires_at
    again = world.complete(learner, "clean-online", completed_at=world.clock() - timedelta(days=1))
    assert outcome(world, again.index) == "awarded"


def test_balance_command(world: World, tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from creditbank.cli.main import app

    learner = world.learner()
    world.complete(learner, "label-offline")
    settings = world.bank.settings
    args = ["balance", learner, "--data-dir", str(settings.data_dir)]
    if settings.database_url:
        args += ["--database-url", settings.database_url]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "DAN-5-02" in result.output
    assert "4.0 / 8.0" in result.output
    bad = CliRunner().invoke(
        app, ["balance", "CB12345678907", "--data-dir", str(settings.data_dir)]
    )
    assert bad.exit_code == 1
    assert "check digit" in bad.output
