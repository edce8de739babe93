"""What a statement means for the ledger (pure): which statements are completions, the
completion each becomes, and why one is not credited."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from creditbank.core.errors import InvalidInput
from creditbank.core.xapi.credit import Mappings, decide, duration_hours
from creditbank.core.xapi.model import parse_statement

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
ACCOUNT = "CB12345678906"
ADL = "http://adlnet.gov/expapi/verbs/"
LINKS = Mappings(
    learners={"account:https://lms.example.cn|u-7": ACCOUNT, "mbox:mailto:li@example.cn": ACCOUNT},
    courses={"https://lms.example.cn/mod/42": "clean-online"},
)


def statement(**change: Any) -> dict[str, Any]:
    s: dict[str, Any] = {
        "actor": {"account": {"homePage": "https://lms.example.cn", "name": ACCOUNT}},
        "verb": {"id": ADL + "completed"},
        "object": {"id": "https://lms.example.cn/courses/clean-online"},
        "result": {"score": {"scaled": 0.85}, "success": True, "duration": "PT40H"},
        "timestamp": "2026-11-20T10:00:00+08:00",
    }
    s.update(change)
    return s


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, {"score": 85, "passed": True, "hours_attended": "40.0", "course_id": "clean-online"}),
        (
            {"timestamp": "2026-11-20T10:00:00+08:00"},
            {"completed_at": "2026-11-20T02:00:00.000000Z"},
        ),
        ({"result": {"score": {"scaled": 0.595}}}, {"score": 60, "hours_attended": "0.0"}),
        ({"result": {"score": {"raw": 45, "min": 0, "max": 50}}}, {"score": 90}),
        ({"verb": {"id": ADL + "failed"}, "result": {}}, {"passed": False}),
        ({"result": None}, {"passed": True}),  # completed, no grade: a pass/fail pass
        (
            {
                "verb": {"id": "http://id.tincanapi.com/verb/earned"},
                "result": {"score": {"scaled": 0.4}},
            },
            {"score": 40},
        ),
        ({"actor": {"mbox": "mailto:li@example.cn"}}, {"learner": ACCOUNT}),
        ({"object": {"id": "https://lms.example.cn/mod/42"}}, {"course_id": "clean-online"}),
        (
            {"object": {"id": "http://localhost:18000/courses/course-v1:edX+DemoX+Demo_Course/"}},
            {"course_id": "course-v1:edX+DemoX+Demo_Course"},
        ),
        ({"timestamp": None}, {"completed_at": "2026-11-22T08:00:00.000000Z"}),
        ({"result": {"success": True, "duration": "P1DT2H30M"}}, {"hours_attended": "26.5"}),
    ],
    ids=[
        "completed",
        "timestamp-offset",
        "half-up",
        "raw-min-max",
        "failed",
        "completed-without-result",
        "earned",
        "linked-mbox",
        "linked-activity",
        "course-key",
        "stored-time",
        "days-duration",
    ],
)
def test_completion_body(change: dict[str, Any], expected: dict[str, Any]) -> None:
    s = {k: v for k, v in statement(**change).items() if v is not None}  # None: left out
    decision = decide(parse_statement(s), "sid", provider="prov-a", mappings=LINKS, stored=NOW)
    assert decision.what == "completion", decision.reason
    assert decision.completion is not None
    assert decision.completion["id"] == "xapi:sid"
    for key, value in expected.items():
        assert decision.completion["body"][key] == value


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            {"actor": {"account": {"homePage": "https://lms.example.cn", "name": "u-8"}}},
            "not linked",
        ),
        ({"object": {"id": "urn:x-lms:activity:9"}}, "not mapped"),
        ({"verb": {"id": "http://id.tincanapi.com/verb/earned"}, "result": {}}, "without a score"),
        ({"result": {"score": {"scaled": -0.5}}}, "0 to 1"),
        ({"verb": {"id": ADL + "failed"}, "result": {"success": True}}, "contradicts"),
        ({"result": {"completion": False}}, "completion false"),
        ({"result": {"duration": "P1M"}}, "not in hours"),
    ],
    ids=[
        "unlinked-actor",
        "unmapped-activity",
        "earned-no-score",
        "negative",
        "contradiction",
        "incomplete",
        "months",
    ],
)
def test_not_credited_with_the_reason(change: dict[str, Any], reason: str) -> None:
    decision = decide(
        parse_statement(statement(**change)), "sid", provider="prov-a", mappings=LINKS, stored=NOW
    )
    assert decision.what == "none"
    assert decision.reason is not None
    assert reason in decision.reason


@pytest.mark.parametrize(
    "verb", ["https://w3id.org/xapi/video/verbs/played", ADL + "answered", ADL + "attempted"]
)
def test_other_verbs_are_not_completions(verb: str) -> None:
    decision = decide(
        parse_statement(statement(verb={"id": verb})), "s", provider="p", mappings=LINKS, stored=NOW
    )
    assert decision.what == "none"
    assert decision.reason is None


def test_a_group_cannot_be_credited_and_voiding_needs_a_statement_ref() -> None:
    group = statement(actor={"objectType": "Group", "mbox": "mailto:team@example.cn"})
    with pytest.raises(InvalidInput) as err:
        decide(parse_statement(group), "s", provider="p", mappings=LINKS, stored=NOW)
    assert err.value.field == "actor.objectType"
    void = statement(verb={"id": ADL + "voided"})
    with pytest.raises(InvalidInput) as err:
        decide(
            parse_statement(void),
            "s",
            provider="p",
            mappings=LINKS,
            stored=NOW,
            where="statements[2]",
        )
    assert err.value.field == "statements[2].object"


@pytest.mark.parametrize(
    ("duration", "hours"),
    [("PT40H", "40.0"), ("PT1H30M", "1.5"), ("PT90S", "0.0"), ("P1W", "168.0"), ("P2Y", None)],
)
def test_duration_hours(duration: str, hours: str | None) -> None:
    assert duration_hours(duration) == hours
