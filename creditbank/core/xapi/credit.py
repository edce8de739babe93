"""Which xAPI statements are completions, and the ``completion.recorded`` statement each
becomes: pure, values in and out (the provider's mappings and ``now`` passed in).

- verbs ``completed``, ``passed``, ``failed`` (ADL), and ``earned`` (tincanapi.com) or
  ``scored`` (ADL) with a score, about an Activity: a completion;
- ``voided`` (ADL): a voiding of the statement it names;
- anything else (played, answered, evaluated, ...): stored, never credited.

A completion's learner is the actor's mapped account (or the account number itself, for
an LMS that sends it); its course is the activity's mapped course (or the activity IRI's
last path segment, such as Open edX's ``course-v1:edX+DemoX+Demo_Course``). What cannot
be resolved is a reason, not an error: the statement is still stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from creditbank.core.accounts import is_valid_account_number
from creditbank.core.entry import format_time
from creditbank.core.errors import InvalidInput
from creditbank.core.xapi.model import VOIDED, Activity, Agent, Statement, StatementRef

ADL = "http://adlnet.gov/expapi/verbs/"
VERBS: dict[str, str] = {
    ADL + "completed": "completed",
    ADL + "passed": "passed",
    ADL + "failed": "failed",
    ADL + "scored": "scored",
    "http://id.tincanapi.com/verb/earned": "earned",
}
COURSE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~:+-]{0,63}$")
_DURATION = re.compile(
    r"^P(?:(?P<W>\d+(?:\.\d+)?)W)?(?:(?P<D>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<H>\d+(?:\.\d+)?)H)?(?:(?P<M>\d+(?:\.\d+)?)M)?(?:(?P<S>\d+(?:\.\d+)?)S)?)?$"
)
_SECONDS = {"W": 604800, "D": 86400, "H": 3600, "M": 60, "S": 1}


@dataclass(frozen=True)
class Mappings:
    """A provider's links: LMS agent identifier -> learner account, activity IRI ->
    course id (see ``Agent.ifi`` for the identifier's form)."""

    learners: Mapping[str, str]
    courses: Mapping[str, str]


@dataclass(frozen=True)
class Decision:
    """What a statement means for the ledger: a completion to log, a voiding of another
    statement, or nothing (``reason`` says why a would-be completion is not credited)."""

    what: Literal["completion", "void", "none"]
    completion: dict[str, Any] | None = None
    target: str | None = None
    reason: str | None = None


NOT_A_COMPLETION = Decision("none")


def _learner(actor: Agent, mappings: Mappings) -> str | None:
    ifi = actor.ifi()
    if ifi is not None and ifi in mappings.learners:
        return mappings.learners[ifi]
    name = actor.account.name if actor.account is not None else None
    if name is not None and is_valid_account_number(name):
        return name  # an LMS that knows the bank's account numbers
    return None


def _course(activity: str, mappings: Mappings) -> str | None:
    mapped = mappings.courses.get(activity) or mappings.courses.get(activity.rstrip("/"))
    if mapped is not None:
        return mapped
    parts = urlsplit(activity)
    last = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1]) if parts.netloc else ""
    return last if COURSE_ID_RE.match(last) else None


def scaled_score(statement: Statement) -> Decimal | None:
    """result.score.scaled, else (raw - min) / (max - min) when all three are given."""
    score = statement.result.score if statement.result is not None else None
    if score is None:
        return None
    if score.scaled is not None:
        return Decimal(str(score.scaled))
    if score.raw is not None and score.min is not None and score.max is not None:
        span = Decimal(str(score.max)) - Decimal(str(score.min))
        return (Decimal(str(score.raw)) - Decimal(str(score.min))) / span
    return None


def duration_hours(duration: str) -> str | None:
    """An ISO 8601 duration in hours to one decimal; None for years or months (their
    length in hours is not fixed)."""
    m = _DURATION.match(duration)
    if m is None:
        return None
    seconds = sum((Decimal(v) * _SECONDS[k] for k, v in m.groupdict().items() if v), Decimal(0))
    hours = (seconds / 3600).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{hours:.1f}" if hours <= Decimal("99999.9") else None


def decide(
    statement: Statement,
    sid: str,
    *,
    provider: str,
    mappings: Mappings,
    stored: datetime,
    where: str = "",
) -> Decision:
    """The decision for one valid statement whose id is ``sid``. Raises InvalidInput only
    for what the bank cannot take at all: a Group as a completion's learner, a voiding
    statement whose object is not a StatementRef."""
    verb = statement.verb.id
    if verb == VOIDED:
        if not isinstance(statement.object, StatementRef):
            field = f"{where}.object" if where else "object"
            raise InvalidInput(
                f"{field}: a voiding statement's object is a StatementRef", field=field
            )
        return Decision("void", target=statement.object.id)
    kind = VERBS.get(verb)
    if kind is None or not isinstance(statement.object, Activity):
        return NOT_A_COMPLETION
    if not isinstance(statement.actor, Agent):
        field = f"{where}.actor.objectType" if where else "actor.objectType"
        raise InvalidInput(
            f"{field}: a completion is one learner's; a Group cannot earn credits", field=field
        )
    learner = _learner(statement.actor, mappings)
    if learner is None:
        return Decision(
            "none",
            reason=f"the LMS account {statement.actor.ifi()} is not linked to a learner account",
        )
    course = _course(statement.object.id, mappings)
    if course is None:
        return Decision(
            "none", reason=f"the activity {statement.object.id} is not mapped to a course"
        )
    body: dict[str, Any] = {"learner": learner, "course_id": course}
    result = statement.result
    scaled = scaled_score(statement)
    if scaled is not None:
        if not Decimal(0) <= scaled <= Decimal(1):
            return Decision("none", reason=f"a course score must be 0 to 1 scaled, not {scaled}")
        body["score"] = int((scaled * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    elif kind in ("earned", "scored"):
        return Decision("none", reason=f"an {kind} statement without a score is not a result")
    success = result.success if result is not None else None
    if kind in ("passed", "failed"):
        implied = kind == "passed"
        if success is not None and success != implied:
            return Decision("none", reason=f"result.success contradicts the verb {kind}")
        success = implied
    if kind == "completed":
        if result is not None and result.completion is False:
            return Decision("none", reason="a completed statement with result.completion false")
        if success is None and scaled is None:
            success = True  # completing a course without a grade: a pass/fail course's pass
    if success is not None:
        body["passed"] = success
    hours = "0.0"
    if result is not None and result.duration is not None:
        found = duration_hours(result.duration)
        if found is None:
            return Decision("none", reason=f"result.duration {result.duration} is not in hours")
        hours = found
    body["hours_attended"] = hours
    when = statement.timestamp
    body["completed_at"] = _instant(when) if when is not None else format_time(stored)
    return Decision(
        "completion",
        completion={
            "kind": "completion.recorded",
            "actor": provider,
            "id": f"xapi:{sid}",
            "body": body,
        },
    )


def _instant(timestamp: str) -> str:
    """An xAPI timestamp on the ledger's format (no offset: UTC, as xAPI 1.0.3 allows)."""
    t = datetime.fromisoformat(timestamp.replace("z", "Z").replace("Z", "+00:00"))
    return format_time(t if t.tzinfo is not None else t.replace(tzinfo=UTC))
