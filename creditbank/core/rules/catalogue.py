"""The catalogue's rules (rules.md: Standards, Courses) as pure functions: what a
publication, a course registration and a recognition must satisfy, and a course's
default credits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from creditbank.core.errors import Conflict, InvalidInput, NotFound, RuleViolation
from creditbank.core.standards.model import Standard, parse_credits, semver_key
from creditbank.core.statements.catalogue import CourseRegistered

CREDIT_HOURS_TENTHS = 16  # 16 study hours = 1.0 credit (rules.md), in tenths per tenth


def violations_error(field: str, violations: list[Any]) -> InvalidInput:
    """The first of a document's rule violations, as the error naming its path."""
    first = violations[0]
    path = f"{field}.{first.path}" if first.path else field
    return InvalidInput(
        f"{path}: {first.reason}"
        + (f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""),
        field=path,
    )


def check_new_version(
    published: Sequence[tuple[str, str]], doc_id: str, version: str, digest: str, what: str
) -> None:
    """Refuse a standard or program version already published (the same content: a
    repeat; other content: a changed document needs a new version) or not newer than the
    newest published. ``published``: (version, content hash) of each published version."""
    for row_version, row_hash in published:
        if row_version == version:
            if row_hash == digest:
                raise Conflict(
                    f"{what} {doc_id} {version} is already published", field="statement.body"
                )
            raise Conflict(
                f"{what} {doc_id} {version} was published with other content; "
                "a changed document needs a new version",
                field=f"statement.body.{what}.version",
            )
    newest = max((semver_key(v) for v, _ in published), default=None)
    if newest is not None and semver_key(version) <= newest:
        raise RuleViolation(
            f"{what} {doc_id} {version} is not newer than the published version",
            field=f"statement.body.{what}.version",
        )


def check_course_registration(
    body: CourseRegistered, standard: Standard | None, *, registered: bool
) -> None:
    """Refuse a course against a standard, level or unit that is not published, with no
    study hours, or registered twice. ``standard``: the newest published version of the
    one it names."""
    if standard is None:
        raise NotFound(
            f"no published standard {body.standard_id}", field="statement.body.standard_id"
        )
    level = standard.level(body.level)
    if level is None:
        raise InvalidInput(
            f"{standard.id} has no level {body.level} (levels {list(standard.level_numbers)})",
            field="statement.body.level",
        )
    if level.unit(body.unit_code) is None:
        raise InvalidInput(
            f"{standard.id} level {body.level} has no unit {body.unit_code}",
            field="statement.body.unit_code",
        )
    if parse_credits(body.hours) == 0:
        raise InvalidInput("study hours must be greater than 0.0", field="statement.body.hours")
    if registered:
        raise Conflict(
            f"course {body.course_id} is already registered", field="statement.body.course_id"
        )


def default_credits_tenths(hours_tenths: int) -> int:
    """rules.md: credits_tenths = hours_tenths // 16 (16 study hours = 1.0 credit)."""
    return hours_tenths // CREDIT_HOURS_TENTHS


def recognition_credits(
    provider: str, course_id: str, hours_tenths: int | None, credits: str | None
) -> int:
    """The credits (tenths) a recognition gives: the authority's figure, else the default
    from the course's study hours. ``hours_tenths`` None: no such course."""
    if hours_tenths is None:
        raise NotFound(f"{provider} has no course {course_id}", field="statement.body.course_id")
    if credits is None:
        return default_credits_tenths(hours_tenths)
    try:
        return parse_credits(credits)
    except InvalidInput as exc:
        raise InvalidInput(exc.detail, field="statement.body.credits") from exc


def check_recognition(credits_tenths: int, valid_from: datetime, valid_until: datetime) -> None:
    """A course worth 0 credits cannot be recognised; the window must not be empty."""
    if credits_tenths == 0:
        raise RuleViolation(
            "a course worth 0 credits cannot be recognized", field="statement.body.credits"
        )
    if valid_until <= valid_from:
        raise InvalidInput(
            "valid_until must be after valid_from", field="statement.body.valid_until"
        )
