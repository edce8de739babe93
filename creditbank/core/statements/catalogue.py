"""Catalogue entries: standards and programs published, courses registered and
recognised."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictInt, StrictStr

from creditbank.core.bodies import Body

CourseId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
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
