"""Catalogue services: publish the standards and programs, build course statements, and
read the catalogue and courses back from their projections."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col
from sqlmodel import select as select_models

from creditbank.core.entry import format_time, parse_time, sign_statement
from creditbank.core.errors import CreditBankError, InvalidInput, NotFound
from creditbank.core.keys import KeyPair
from creditbank.core.paging import PageRequest
from creditbank.core.standards.model import Area, Standard, content_hash, format_credits, semver_key
from creditbank.core.standards.program import Program
from creditbank.core.statements.catalogue import course_recognition
from creditbank.db.paging import keyset
from creditbank.db.tables import Course, CourseRecognition, PublishedProgram, PublishedStandard
from creditbank.ledger.actors import AUTHORITY
from creditbank.ledger.sequencer import Appended, Ledger
from creditbank.standards.catalogue import Catalogue


@dataclass
class PublishReport:
    published: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def publish_statement(document: Standard | Program) -> dict[str, Any]:
    """The authority's statement publishing one standard or program version."""
    what = "standard" if isinstance(document, Standard) else "program"
    return {
        "kind": f"{what}.published",
        "actor": AUTHORITY,
        "id": f"{what}:{document.id}@{document.version}",
        "body": {what: document.model_dump(mode="json"), "content_hash": content_hash(document)},
    }


def publish_catalogue(ledger: Ledger, catalogue: Catalogue, authority: KeyPair) -> PublishReport:
    """Log every standard and program version not yet on the ledger, in one batch.

    Publishing an unchanged document again is a no-op (the same signed statement is an
    idempotent re-post); a changed document under a published version is refused.
    """
    documents: list[Standard | Program] = [*catalogue.standards, *catalogue.programs]
    statements = [sign_statement(publish_statement(d), authority) for d in documents]
    report = PublishReport()
    for document, outcome in zip(documents, ledger.append_many(statements), strict=True):
        name = f"{document.id}@{document.version}"
        if isinstance(outcome, CreditBankError):
            report.refused.append((name, outcome.detail))
        elif outcome.duplicate:
            report.unchanged.append(name)
        else:
            report.published.append(name)
    return report


def append_signed(ledger: Ledger, statement: dict[str, Any], key: KeyPair) -> Appended:
    return ledger.append(sign_statement(statement, key))


# --- reads -------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _standard_from_document(document: str) -> Standard:
    return Standard.model_validate(json.loads(document))


def published_standards(engine: Engine) -> list[tuple[Standard, str, int]]:
    """The newest published version of each standard: (standard, hash, log index)."""
    with Session(engine) as session:
        rows = session.exec(select_models(PublishedStandard)).all()
    newest: dict[str, PublishedStandard] = {}
    for row in rows:
        best = newest.get(row.standard_id)
        if best is None or semver_key(row.version) > semver_key(best.version):
            newest[row.standard_id] = row
    return [
        (_standard_from_document(r.document), r.content_hash, r.published_index)
        for _, r in sorted(newest.items())
    ]


def list_standards(
    engine: Engine,
    *,
    occupation: str | None = None,
    level: int | None = None,
    area: Area | None = None,
    page: PageRequest | None = None,
) -> list[dict[str, Any]]:
    """Summaries of the published standards matching every filter given, by id (with a
    page request: those after its cursor, up to one more than its limit)."""
    published = published_standards(engine)
    catalogue = Catalogue(tuple(s for s, _, _ in published))
    keep = {s.id for s in catalogue.find(occupation=occupation, level=level, area=area)}
    return [
        {
            "id": s.id,
            "version": s.version,
            "title_zh": s.title_zh,
            "title_en": s.title_en,
            "occupation_code": s.occupation_code,
            "areas": list(s.areas),
            "levels": list(s.level_numbers),
            "content_hash": digest,
            "published_index": index,
        }
        for s, digest, index in published
        if s.id in keep and (page is None or _after(s.id, page))
    ][: None if page is None else page.limit + 1]


def _after(key: str, page: PageRequest) -> bool:
    after = page.after_as("")
    return after is None or key > str(after)


def get_standard(engine: Engine, standard_id: str) -> dict[str, Any]:
    """The newest published version of one standard in full, with its version history."""
    with Session(engine) as session:
        found = session.exec(
            select_models(PublishedStandard).where(
                col(PublishedStandard.standard_id) == standard_id
            )
        ).all()
    if not found:
        raise NotFound(f"no published standard {standard_id}", field="standard_id")
    rows = sorted(found, key=lambda r: semver_key(r.version))
    newest = rows[-1]
    return {
        "standard": json.loads(newest.document),
        "content_hash": newest.content_hash,
        "published_index": newest.published_index,
        "versions": [
            {
                "version": r.version,
                "content_hash": r.content_hash,
                "published_index": r.published_index,
            }
            for r in rows
        ],
    }


def program_key(year: int, program_id: str) -> str:
    """The sort key of a program in lists: year, then id."""
    return f"{year:04d}/{program_id}"


def list_programs(engine: Engine, page: PageRequest | None = None) -> list[dict[str, Any]]:
    """The published programs by year and id (with a page request: after its cursor)."""
    with Session(engine) as session:
        rows = session.exec(
            select_models(PublishedProgram).order_by(
                col(PublishedProgram.year), col(PublishedProgram.program_id)
            )
        ).all()
    if page is not None:
        rows = [r for r in rows if _after(program_key(r.year, r.program_id), page)]
        rows = rows[: page.limit + 1]
    return [
        {
            "program": json.loads(r.document),
            "content_hash": r.content_hash,
            "published_index": r.published_index,
        }
        for r in rows
    ]


def course_status(
    recognitions: list[tuple[str, str, int]], now: datetime
) -> tuple[str, int | None]:
    """``registered`` (never recognized), ``recognized`` (a recognition covers now),
    ``not_yet_valid`` or ``expired``; with the credits of the recognition in force."""
    if not recognitions:
        return "registered", None
    covering = [
        credits
        for start, end, credits in recognitions
        if parse_time(start, field="valid_from") <= now < parse_time(end, field="valid_until")
    ]
    if covering:
        return "recognized", covering[-1]
    if all(parse_time(start, field="valid_from") > now for start, _, _ in recognitions):
        return "not_yet_valid", None
    return "expired", None


def list_courses(
    engine: Engine, provider: str, now: datetime, page: PageRequest | None = None
) -> list[dict[str, Any]]:
    """A provider's courses by id with their recognition status at ``now`` (with a page
    request: those after its cursor)."""
    with Session(engine) as session:
        courses = session.exec(
            keyset(
                select_models(Course)
                .where(col(Course.provider) == provider)
                .order_by(col(Course.course_id)),
                page,
                col(Course.course_id),
                example="",
            )
        ).all()
        recs = session.exec(
            select_models(CourseRecognition)
            .where(
                col(CourseRecognition.provider) == provider,
                col(CourseRecognition.course_id).in_([c.course_id for c in courses]),
            )
            .order_by(col(CourseRecognition.recognized_index))
        ).all()
    by_course: dict[str, list[tuple[str, str, int]]] = {}
    for rec in recs:
        by_course.setdefault(rec.course_id, []).append(
            (rec.valid_from, rec.valid_until, rec.credits_tenths)
        )
    out = []
    for course in courses:
        status, credits = course_status(by_course.get(course.course_id, []), now)
        out.append(
            {
                "provider": course.provider,
                "course_id": course.course_id,
                "title": course.title,
                "standard_id": course.standard_id,
                "standard_version": course.standard_version,
                "level": course.level,
                "unit_code": course.unit_code,
                "mode": course.mode,
                "hours": format_credits(course.hours_tenths),
                "min_score": course.min_score,
                "pass_fail_only": course.min_score is None,
                "status": status,
                "credits": None if credits is None else format_credits(credits),
                "registered_index": course.registered_index,
                "recognitions": [
                    {"valid_from": a, "valid_until": b, "credits": format_credits(n)}
                    for a, b, n in by_course.get(course.course_id, [])
                ],
            }
        )
    return out


RECOGNITION_YEARS = 3
"""How long a recognition lasts when the authority names no end."""

RECOGNITION_ENDS_SOON = timedelta(days=30)
"""A recognition ending sooner than this after it is given earns a warning."""


@dataclass(frozen=True)
class RecognitionWindow:
    """When a recognition runs, and whether it ends within RECOGNITION_ENDS_SOON of now."""

    valid_from: datetime
    valid_until: datetime
    ends_soon: bool


def recognition_window(
    now: datetime, valid_from: datetime | None = None, valid_until: datetime | None = None
) -> RecognitionWindow:
    """The window of a recognition given at ``now``: from ``valid_from`` (default ``now``)
    until ``valid_until`` (default RECOGNITION_YEARS after the start, not after ``now``).
    Refuses a window already over at ``now``: it would recognize nothing."""
    start = valid_from or now
    end = valid_until or start + timedelta(days=RECOGNITION_YEARS * 365)
    if end <= now:
        default = "" if valid_until else f" ({RECOGNITION_YEARS} years after valid_from)"
        raise InvalidInput(
            f"the recognition would end {format_time(end)}{default}, before now "
            f"({format_time(now)}); give a later valid_from or valid_until",
            field="valid_until" if valid_until else "valid_from",
        )
    return RecognitionWindow(start, end, ends_soon=end - now < RECOGNITION_ENDS_SOON)


@dataclass(frozen=True)
class Recognized:
    """A recognition logged: its entry and its window."""

    appended: Appended
    window: RecognitionWindow


def recognize_course(
    ledger: Ledger,
    authority: KeyPair,
    provider: str,
    course_id: str,
    now: datetime,
    *,
    credits: str | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> Recognized:
    """Recognize a provider's course as the authority, for the window of
    :func:`recognition_window` (refused, with nothing written, when it is already over).
    The statement's id carries the start, so a later recognition of the same course is a
    new statement."""
    window = recognition_window(now, valid_from, valid_until)
    statement = course_recognition(
        provider,
        course_id,
        valid_from=window.valid_from,
        valid_until=window.valid_until,
        credits=credits,
        ref=window.valid_from.strftime("%Y%m%dT%H%M%S"),
    )
    return Recognized(append_signed(ledger, statement, authority), window)
