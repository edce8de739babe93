"""Catalogue entries: standards and programs published, courses registered and
recognised; and the builders of a course's statements, shared by the services, the CLI
and the client SDK."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StrictInt, StrictStr

from creditbank.core.bodies import Body
from creditbank.core.entry import AUTHORITY, format_time

# LMS course keys such as Open edX's course-v1:edX+DemoX+Demo_Course are course ids too
CourseId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._~:+-]{0,63}$")]
HoursText = Annotated[StrictStr, Field(pattern=r"^(0|[1-9][0-9]{0,4})\.[0-9]$")]


class StandardPublished(Body):
    standard: dict[str, Any]
    content_hash: str = Field(pattern=r"^[0-9a-f]{64}$")


class ProgramPublished(Body):
    program: dict[str, Any]
    content_hash: str = Field(pattern=r"^[0-9a-f]{64}$")


class CourseRegistered(Body):
    provider: str
    course_id: CourseId
    title: str = Field(min_length=1, max_length=200)
    standard_id: str = Field(min_length=1, max_length=64)
    level: StrictInt = Field(ge=1, le=5)
    unit_code: str = Field(min_length=1, max_length=32)
    mode: Literal["online", "offline", "workplace"]
    hours: HoursText
    min_score: StrictInt | None = Field(default=60, ge=0, le=100)


class CourseRecognized(Body):
    provider: str
    course_id: CourseId
    credits: StrictStr | None = None
    valid_from: StrictStr
    valid_until: StrictStr


def _instant(t: datetime, what: str) -> str:
    if t.tzinfo is None:
        raise ValueError(f"{what} must carry a UTC offset, got the naive time {t}")
    return format_time(t)


def course_registration(
    provider: str,
    course_id: str,
    *,
    title: str,
    standard_id: str,
    level: int,
    unit_code: str,
    mode: str,
    hours: str,
    min_score: int | None = 60,
) -> dict[str, Any]:
    """A provider's statement registering a course (min_score None: pass/fail only)."""
    return {
        "kind": "course.registered",
        "actor": provider,
        "id": f"course:{course_id}",
        "body": {
            "provider": provider,
            "course_id": course_id,
            "title": title,
            "standard_id": standard_id,
            "level": level,
            "unit_code": unit_code,
            "mode": mode,
            "hours": hours,
            "min_score": min_score,
        },
    }


def course_recognition(
    provider: str,
    course_id: str,
    *,
    valid_from: datetime,
    valid_until: datetime,
    credits: str | None = None,
    ref: str = "1",
) -> dict[str, Any]:
    """The authority's statement recognizing a course (credits None: the default formula)."""
    body: dict[str, Any] = {
        "provider": provider,
        "course_id": course_id,
        "valid_from": _instant(valid_from, "valid_from"),
        "valid_until": _instant(valid_until, "valid_until"),
    }
    if credits is not None:
        body["credits"] = credits
    return {
        "kind": "course.recognized",
        "actor": AUTHORITY,
        "id": f"recognize:{provider}/{course_id}#{ref}",
        "body": body,
    }
