"""The credit rules of rules.md as pure functions: values in, values out, ``now`` passed in.

Completions are decided in ledger order, each at the moment it is logged:

1. not passed -> no credits (``not_passed``);
2. already expired (completed_at + validity is not after now) -> ``expired``;
3. an award for this course valid now -> ``already_credited``;
4. award = min(course credits, unit max - credits of the learner's awards in that unit
   valid now); 0 -> ``unit_cap_reached``;
5. otherwise an award of that many credits, expiring validity years after completion.

Eligibility for a standard's level at time t counts the awards valid at t in that level's
units: offline + min(online, cap) >= required, every required unit at its minimum (both
modes, uncapped), and the next-lower level's certificate where the level requires it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from creditbank.core.entry import format_time
from creditbank.core.errors import InvalidInput, NotFound, RuleViolation
from creditbank.core.standards.model import Level

Mode = Literal["online", "offline", "workplace"]
Reason = Literal["not_passed", "expired", "already_credited", "unit_cap_reached"]


@dataclass(frozen=True)
class Award:
    """A credit award as the rules see it."""

    index: int
    provider: str
    course_id: str
    unit: tuple[str, int, str]  # (standard, level, unit code)
    credits_tenths: int
    mode: Mode
    expires_at: datetime
    revoked: bool = False

    def valid_at(self, t: datetime) -> bool:
        """rules.md: not revoked and t < expires_at."""
        return not self.revoked and t < self.expires_at


@dataclass(frozen=True)
class CourseTerms:
    provider: str
    course_id: str
    unit: tuple[str, int, str]
    mode: Mode
    credits_tenths: int
    min_score: int | None  # None: pass/fail only
    unit_max_tenths: int
    validity_years: int


@dataclass(frozen=True)
class Outcome:
    """The decision on one completion: credits, or the reason there are none."""

    credits_tenths: int
    expires_at: datetime
    reason: Reason | None = None

    @property
    def awarded(self) -> bool:
        return self.reason is None


def passed(min_score: int | None, score: int | None, passed_flag: bool | None) -> bool:
    """A scored course passes at score >= min_score; a pass/fail course on its flag."""
    if min_score is None:
        return bool(passed_flag)
    return score is not None and score >= min_score


def add_years(t: datetime, years: int) -> datetime:
    """Calendar years later; 29 February becomes 28 February."""
    try:
        return t.replace(year=t.year + years)
    except ValueError:
        return t.replace(year=t.year + years, day=28)


def decide(
    course: CourseTerms,
    *,
    completed_at: datetime,
    is_passed: bool,
    now: datetime,
    awards: Iterable[Award],
) -> Outcome:
    """Decide one completion against the learner's awards (any order) at ``now``."""
    expires = add_years(completed_at, course.validity_years)
    if not is_passed:
        return Outcome(0, expires, "not_passed")
    if not now < expires:
        return Outcome(0, expires, "expired")
    valid = [a for a in awards if a.valid_at(now)]
    if any(a.provider == course.provider and a.course_id == course.course_id for a in valid):
        return Outcome(0, expires, "already_credited")
    used = sum(a.credits_tenths for a in valid if a.unit == course.unit)
    credits = min(course.credits_tenths, course.unit_max_tenths - used)
    if credits <= 0:
        return Outcome(0, expires, "unit_cap_reached")
    return Outcome(credits, expires)


@dataclass(frozen=True)
class LevelTerms:
    """What one level of a standard asks for (from the published standard)."""

    standard_id: str
    level: int
    credits_required_tenths: int
    max_online_share_percent: int
    required_units: Mapping[str, int]  # unit code -> minimum tenths
    units: frozenset[str]
    requires_lower_level_certificate: bool

    @property
    def online_cap_tenths(self) -> int:
        return self.credits_required_tenths * self.max_online_share_percent // 100


@dataclass(frozen=True)
class Progress:
    """Where a learner stands on one level at time t, and what is missing."""

    eligible: bool
    offline_tenths: int
    online_tenths: int
    counted_tenths: int
    required_tenths: int
    missing_units: Mapping[str, int]  # unit code -> tenths still needed
    needs_lower_certificate: bool

    @property
    def missing_tenths(self) -> int:
        return max(0, self.required_tenths - self.counted_tenths)


def progress(
    level: LevelTerms, awards: Iterable[Award], t: datetime, *, has_lower_certificate: bool
) -> Progress:
    """Eligibility for ``level`` at ``t`` (rules.md, Eligibility)."""
    offline = online = 0
    per_unit: dict[str, int] = {}
    for a in awards:
        standard, lvl, code = a.unit
        if standard != level.standard_id or lvl != level.level or not a.valid_at(t):
            continue
        if a.mode == "online":
            online += a.credits_tenths
        else:
            offline += a.credits_tenths
        per_unit[code] = per_unit.get(code, 0) + a.credits_tenths
    counted = offline + min(online, level.online_cap_tenths)
    missing = {
        code: minimum - per_unit.get(code, 0)
        for code, minimum in sorted(level.required_units.items())
        if per_unit.get(code, 0) < minimum
    }
    needs_cert = level.requires_lower_level_certificate and not has_lower_certificate
    eligible = counted >= level.credits_required_tenths and not missing and not needs_cert
    return Progress(
        eligible, offline, online, counted, level.credits_required_tenths, missing, needs_cert
    )


# --- transitions: a completion, its award, eligibility ------------------------------------
# The ledger handlers read the facts below from the projections, call these, and write
# what they return; these read nothing and write nothing.

FUTURE_TOLERANCE = timedelta(minutes=5)


def format_credits(tenths: int) -> str:
    """Credits as the ledger writes them: a decimal string with one fractional digit."""
    return f"{tenths // 10}.{tenths % 10}"


def course_terms_at(
    provider: str,
    course_id: str,
    unit: tuple[str, int, str],
    mode: Mode,
    min_score: int | None,
    recognitions: Iterable[tuple[datetime, datetime, int]],
    unit_max_tenths: int,
    validity_years: int,
    completed_at: datetime,
) -> CourseTerms | None:
    """The course's terms at ``completed_at``: the credits of the last recognition in force
    then (None: not recognised at that time)."""
    credits = None
    for valid_from, valid_until, tenths in recognitions:
        if valid_from <= completed_at < valid_until:
            credits = tenths
    if credits is None:
        return None
    return CourseTerms(
        provider, course_id, unit, mode, credits, min_score, unit_max_tenths, validity_years
    )


def check_learner_and_time(
    *, learner: str, account_status: str | None, completed_at: datetime, now: datetime
) -> None:
    """Refuse a completion for an account that is missing or not open, or completed more
    than 5 minutes in the future (rules.md, Completions)."""
    if account_status is None:
        raise NotFound(f"no learner account {learner}", field="statement.body.learner")
    if account_status != "open":
        raise RuleViolation(
            f"learner account {learner} is {account_status}", field="statement.body.learner"
        )
    if completed_at > now + FUTURE_TOLERANCE:
        raise InvalidInput(
            "completed_at is more than 5 minutes in the future",
            field="statement.body.completed_at",
        )


def check_result(course: CourseTerms, *, score: int | None, passed_flag: bool | None) -> None:
    """Refuse a result the course cannot take: a pass/fail course needs ``passed``; a
    scored course needs a score, and ``passed``, when sent, must agree with it."""
    if course.min_score is None:
        if passed_flag is None:
            raise InvalidInput("a pass/fail course needs `passed`", field="statement.body.passed")
        return
    if score is None:
        raise InvalidInput("a scored course needs a score", field="statement.body.score")
    if passed_flag is not None and passed_flag != (score >= course.min_score):
        raise InvalidInput(
            f"passed={passed_flag} contradicts score {score} (minimum {course.min_score})",
            field="statement.body.passed",
        )


def award_body(
    learner: str, course: CourseTerms, outcome: Outcome, completion_index: int, completed_at: str
) -> dict[str, object]:
    """The ``credit.awarded`` decision for an awarded outcome."""
    standard_id, level, unit_code = course.unit
    return {
        "learner": learner,
        "standard_id": standard_id,
        "level": level,
        "unit_code": unit_code,
        "credits": format_credits(outcome.credits_tenths),
        "mode": course.mode,
        "provider": course.provider,
        "course_id": course.course_id,
        "completion_index": completion_index,
        "completed_at": completed_at,
        "expires_at": format_time(outcome.expires_at),
    }


def level_terms(level: Level, standard_id: str) -> LevelTerms:
    """A standard level's eligibility terms, from its published document."""
    return LevelTerms(
        standard_id,
        level.level,
        level.credits_required_tenths,
        level.max_online_share_percent,
        {u.code: u.min_credits_tenths for u in level.required_units},
        frozenset(u.code for u in level.units),
        level.requires_lower_level_certificate,
    )


def eligibility_change(
    *, eligible_now: bool, was_eligible: bool, certified_at_level: bool
) -> Literal["eligibility.reached", "eligibility.lost"] | None:
    """The transition to log, if any: once per change, and ``lost`` only for a learner not
    certified at that level (rules.md, Eligibility)."""
    if eligible_now == was_eligible:
        return None
    if eligible_now:
        return "eligibility.reached"
    return None if certified_at_level else "eligibility.lost"
