"""xAPI (1.0.3 and 2.0) statements to completion statements: pure mapping.

An LMS such as Open edX sends ``completed``/``passed``/``failed`` statements about a
course; each becomes the same ``completion.recorded`` statement a provider would sign:

- ``actor.account.name``  -> ``learner`` (a creditbank account number)
- ``verb.id``             -> completed / passed / failed (ADL verbs only)
- ``object.id``           -> ``course_id``: the last path segment of the activity IRI
- ``result.score.scaled`` -> ``score`` = scaled x 100, rounded half up (0 <= scaled <= 1)
- ``result.success``      -> ``passed`` (``passed``/``failed`` verbs imply it)
- ``result.duration``     -> ``hours_attended`` (ISO 8601 duration, one decimal)
- ``timestamp``           -> ``completed_at`` (else the time it is received)
- ``id``                  -> the completion id ``xapi:<id>`` (else a UUID derived from the
  statement's canonical bytes, so a re-post is still idempotent)
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote, urlsplit

from creditbank.core.accounts import is_valid_account_number
from creditbank.core.entry import format_time, parse_time
from creditbank.core.errors import InvalidInput

VERBS = {
    "http://adlnet.gov/expapi/verbs/completed": "completed",
    "http://adlnet.gov/expapi/verbs/passed": "passed",
    "http://adlnet.gov/expapi/verbs/failed": "failed",
}
VERSION_RE = re.compile(r"^(1\.0(\.\d+)?|2\.0(\.\d+)?)$")
DURATION_RE = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
XAPI_NAMESPACE = uuid.UUID("6d1f0c4e-3b7a-5a55-9c43-2a5f6e0b7c11")


def _fail(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, field=field)


def _hours(duration: object, field: str) -> str:
    if not isinstance(duration, str):
        raise _fail(field, "result.duration must be an ISO 8601 duration such as PT40H")
    m = DURATION_RE.match(duration)
    if m is None or duration in ("P", "PT"):
        raise _fail(field, f"not an ISO 8601 duration: {duration!r}")
    seconds = (
        Decimal(m["d"] or 0) * 86400
        + Decimal(m["h"] or 0) * 3600
        + Decimal(m["m"] or 0) * 60
        + Decimal(m["s"] or 0)
    )
    hours = (seconds / 3600).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if hours > Decimal("99999.9"):
        raise _fail(field, "result.duration is implausibly long")
    return f"{hours:.1f}"


def _score(result: dict[str, Any], field: str) -> int | None:
    score = result.get("score")
    if score is None:
        return None
    if not isinstance(score, dict) or "scaled" not in score:
        raise _fail(field, "result.score needs `scaled` (0 to 1)")
    scaled = score["scaled"]
    if isinstance(scaled, bool) or not isinstance(scaled, int | float | Decimal | str):
        raise _fail(field, "result.score.scaled must be a number")
    try:
        value = Decimal(str(scaled))
    except InvalidOperation as exc:
        raise _fail(field, "result.score.scaled must be a number") from exc
    if not Decimal(0) <= value <= Decimal(1):
        raise _fail(field, "result.score.scaled must be between 0 and 1 for a course score")
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_completion(statement: object, provider: str, now: datetime, position: int) -> dict[str, Any]:
    """The completion statement for one xAPI statement; InvalidInput naming the field
    (``statements[i].…``) when it cannot be one."""
    where = f"statements[{position}]"
    if not isinstance(statement, dict):
        raise _fail(where, "an xAPI statement is a JSON object")
    actor = statement.get("actor")
    account = actor.get("account") if isinstance(actor, dict) else None
    name = account.get("name") if isinstance(account, dict) else None
    if not isinstance(name, str) or not is_valid_account_number(name):
        raise _fail(
            f"{where}.actor.account.name",
            "the actor must be an account whose name is a creditbank account number",
        )
    verb = statement.get("verb")
    verb_id = verb.get("id") if isinstance(verb, dict) else None
    if verb_id not in VERBS:
        raise _fail(
            f"{where}.verb.id",
            f"unsupported verb {verb_id!r}: use the ADL completed, passed or failed verbs",
        )
    kind = VERBS[str(verb_id)]
    obj = statement.get("object")
    if not isinstance(obj, dict) or obj.get("objectType", "Activity") != "Activity":
        raise _fail(f"{where}.object", "the object must be an Activity (the course)")
    activity = obj.get("id")
    if not isinstance(activity, str) or not urlsplit(activity).scheme:
        raise _fail(f"{where}.object.id", "the activity id must be an IRI")
    course_id = unquote(urlsplit(activity).path.rstrip("/").rsplit("/", 1)[-1])
    if not course_id:
        raise _fail(f"{where}.object.id", "the activity IRI must end with the course id")
    result = statement.get("result") or {}
    if not isinstance(result, dict):
        raise _fail(f"{where}.result", "result must be an object")
    body: dict[str, Any] = {"learner": name, "course_id": course_id}
    score = _score(result, f"{where}.result.score.scaled")
    if score is not None:
        body["score"] = score
    success = result.get("success")
    if success is not None and not isinstance(success, bool):
        raise _fail(f"{where}.result.success", "result.success must be true or false")
    if kind in ("passed", "failed"):
        implied = kind == "passed"
        if success is not None and success != implied:
            raise _fail(f"{where}.result.success", f"result.success contradicts the verb {kind}")
        success = implied
    if kind == "completed" and result.get("completion") is False:
        raise _fail(f"{where}.result.completion", "a completed statement with completion false")
    if success is not None:
        body["passed"] = success
    body["hours_attended"] = (
        _hours(result["duration"], f"{where}.result.duration") if "duration" in result else "0.0"
    )
    timestamp = statement.get("timestamp")
    if timestamp is None:
        body["completed_at"] = format_time(now)
    else:
        if not isinstance(timestamp, str):
            raise _fail(f"{where}.timestamp", "timestamp must be an RFC 3339 string")
        body["completed_at"] = format_time(parse_time(timestamp, field=f"{where}.timestamp"))
    sid = statement.get("id")
    if sid is None:
        # No id: derive one from the content, so posting the same statement twice is still
        # idempotent (xAPI scores are JSON numbers, so this is not the RFC 8785 function).
        sid = str(uuid.uuid5(XAPI_NAMESPACE, json.dumps(statement, sort_keys=True)))
    else:
        try:
            sid = str(uuid.UUID(str(sid)))
        except ValueError as exc:
            raise _fail(f"{where}.id", "a statement id must be a UUID") from exc
    return {"kind": "completion.recorded", "actor": provider, "id": f"xapi:{sid}", "body": body}
