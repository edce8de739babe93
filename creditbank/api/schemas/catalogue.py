"""The catalogue as readers see it: standards, programs and providers' courses."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from creditbank.api.schemas.base import Public
from creditbank.core.standards.model import Area

CREDITS = "credits as a decimal string with one place, e.g. 2.5"


class StandardSummaryPublic(Public):
    """The newest published version of a standard, in brief."""

    id: str
    version: str
    title_zh: str
    title_en: str
    occupation_code: str | None = Field(description="None when none is published.")
    areas: list[Area]
    levels: list[int]
    content_hash: str
    published_index: int


class StandardVersionPublic(Public):
    version: str
    content_hash: str
    published_index: int


class StandardPublic(Public):
    """A standard's newest published version in full, and every version published."""

    standard: dict[str, Any] = Field(description="The standard's document, as published.")
    content_hash: str
    published_index: int
    versions: list[StandardVersionPublic]


class ProgramPublic(Public):
    """A published program: its rewards, subsidies, budgets and targets for a year."""

    program: dict[str, Any] = Field(description="The program's document, as published.")
    content_hash: str
    published_index: int


class RecognitionPublic(Public):
    valid_from: str
    valid_until: str
    credits: str = Field(description=CREDITS)


class CoursePublic(Public):
    """A provider's course and its recognition status now."""

    provider: str
    course_id: str
    title: str
    standard_id: str
    standard_version: str
    level: int
    unit_code: str
    mode: str
    hours: str
    min_score: int | None
    pass_fail_only: bool
    status: Literal["registered", "recognized", "not_yet_valid", "expired"]
    credits: str | None = Field(description=f"While recognized: {CREDITS}.")
    registered_index: int
    recognitions: list[RecognitionPublic]
