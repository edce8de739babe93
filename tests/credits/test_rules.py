"""The credit rules, table-driven: every reason code, the caps, expiry, prerequisites."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from creditbank.core.rules.credits import (
    Award,
    CourseTerms,
    LevelTerms,
    add_years,
    decide,
    passed,
    progress,
)

T = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
UNIT = ("data-annotator", 5, "DAN-5-01")
COURSE = CourseTerms("prov-a", "c1", UNIT, "online", 20, 60, 45, 5)


def award(
    index: int = 1,
    *,
    course: str = "c0",
    unit: tuple[str, int, str] = UNIT,
    credits: int = 10,
    mode: str = "offline",
    expires: datetime = T + timedelta(days=365),
    revoked: bool = False,
) -> Award:
    return Award(index, "prov-a", course, unit, credits, mode, expires, revoked)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("min_score", "score", "flag", "expected"),
    [
        (60, 60, None, True),
        (60, 59, None, False),
        (60, None, None, False),
        (
            60,
            80,
            False,
            True,
        ),  # the score decides a scored course; contradictions are refused earlier
        (None, 30, True, True),  # pass/fail: the score is recorded but decides nothing
        (None, 100, False, False),
        (None, None, None, False),
    ],
    ids=["at-min", "below-min", "no-score", "score-decides", "pf-pass", "pf-fail", "pf-missing"],
)
def test_passing(
    min_score: int | None, score: int | None, flag: bool | None, expected: bool
) -> None:
    assert passed(min_score, score, flag) is expected


@pytest.mark.parametrize(
    ("is_passed", "completed_at", "now", "awards", "credits", "reason"),
    [
        (False, T, T, [], 0, "not_passed"),
        (True, T - timedelta(days=5 * 366), T, [], 0, "expired"),
        (True, T.replace(year=2021), T, [], 0, "expired"),  # exactly at expires_at: expired
        (True, T, T, [award(course="c1")], 0, "already_credited"),
        (True, T, T, [award(course="c1", revoked=True)], 20, None),  # revoked: earns again
        (True, T, T, [award(course="c1", expires=T)], 20, None),  # expired at now: earns again
        (True, T, T, [award(credits=45)], 0, "unit_cap_reached"),
        (True, T, T, [award(credits=30)], 15, None),  # capped to what the unit has left
        (True, T, T, [award(credits=30, unit=("x", 5, "DAN-5-01"))], 20, None),  # another unit
        (True, T, T, [award(credits=30, expires=T)], 20, None),  # expired awards free the cap
        (True, T, T, [], 20, None),
    ],
    ids=[
        "not-passed",
        "expired",
        "expired-exactly",
        "already-credited",
        "revoked-earns-again",
        "expired-earns-again",
        "unit-cap-reached",
        "unit-cap-partial",
        "other-unit-free",
        "expired-frees-cap",
        "awarded",
    ],
)
def test_decide(
    is_passed: bool,
    completed_at: datetime,
    now: datetime,
    awards: list[Award],
    credits: int,
    reason: str | None,
) -> None:
    outcome = decide(COURSE, completed_at=completed_at, is_passed=is_passed, now=now, awards=awards)
    assert outcome.credits_tenths == credits
    assert outcome.reason == reason
    assert outcome.expires_at == add_years(completed_at, 5)


def test_leap_day_expires_on_28_february() -> None:
    leap = datetime(2028, 2, 29, 12, 0, tzinfo=UTC)
    assert add_years(leap, 5) == datetime(2033, 2, 28, 12, 0, tzinfo=UTC)
    assert add_years(leap, 4) == datetime(2032, 2, 29, 12, 0, tzinfo=UTC)


LEVEL = LevelTerms(
    "data-annotator",
    5,
    credits_required_tenths=80,
    max_online_share_percent=60,  # cap 48
    required_units={"DAN-5-01": 10, "DAN-5-02": 10},
    units=frozenset({"DAN-5-01", "DAN-5-02", "DAN-5-03"}),
    requires_lower_level_certificate=False,
)


def unit(code: str) -> tuple[str, int, str]:
    return ("data-annotator", 5, code)


@pytest.mark.parametrize(
    ("awards", "eligible", "counted", "missing"),
    [
        ([], False, 0, {"DAN-5-01": 10, "DAN-5-02": 10}),
        (
            [award(unit=unit("DAN-5-01"), credits=40), award(unit=unit("DAN-5-02"), credits=40)],
            True,
            80,
            {},
        ),
        (  # all online: capped at 48 of 80
            [
                award(unit=unit("DAN-5-01"), credits=45, mode="online"),
                award(unit=unit("DAN-5-02"), credits=45, mode="online"),
            ],
            False,
            48,
            {},
        ),
        (  # online capped but offline makes up the rest
            [
                award(unit=unit("DAN-5-01"), credits=45, mode="online"),
                award(unit=unit("DAN-5-02"), credits=20, mode="online"),
                award(unit=unit("DAN-5-03"), credits=32, mode="workplace"),
            ],
            True,
            80,
            {},
        ),
        (  # enough credits but a required unit short (counts both modes, uncapped)
            [award(unit=unit("DAN-5-01"), credits=45), award(unit=unit("DAN-5-03"), credits=45)],
            False,
            90,
            {"DAN-5-02": 10},
        ),
        (  # an award expiring exactly at t no longer counts
            [
                award(unit=unit("DAN-5-01"), credits=40),
                award(unit=unit("DAN-5-02"), credits=40, expires=T),
            ],
            False,
            40,
            {"DAN-5-02": 10},
        ),
        (  # revoked awards do not count
            [
                award(unit=unit("DAN-5-01"), credits=40),
                award(unit=unit("DAN-5-02"), credits=40, revoked=True),
            ],
            False,
            40,
            {"DAN-5-02": 10},
        ),
        (  # awards of another level do not count
            [award(unit=("data-annotator", 4, "DAN-5-01"), credits=80)],
            False,
            0,
            {"DAN-5-01": 10, "DAN-5-02": 10},
        ),
    ],
    ids=[
        "nothing",
        "offline-enough",
        "online-cap",
        "online-cap-offline-rest",
        "required-unit-short",
        "expiry-at-t",
        "revoked",
        "other-level",
    ],
)
def test_eligibility(
    awards: list[Award], eligible: bool, counted: int, missing: dict[str, int]
) -> None:
    p = progress(LEVEL, awards, T, has_lower_certificate=False)
    assert p.eligible is eligible
    assert p.counted_tenths == counted
    assert dict(p.missing_units) == missing


def test_prerequisite_certificate() -> None:
    level = LevelTerms(
        "data-annotator", 4, 10, 60, {}, frozenset({"U"}), requires_lower_level_certificate=True
    )
    awards = [award(unit=("data-annotator", 4, "U"), credits=10)]
    without = progress(level, awards, T, has_lower_certificate=False)
    assert not without.eligible
    assert without.needs_lower_certificate
    assert progress(level, awards, T, has_lower_certificate=True).eligible
