"""Builders for the catalogue's statements, shared by the services, the CLI and the
client SDK (so they import nothing of the database or the web)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from creditbank.core.entry import AUTHORITY, format_time


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
