"""The catalogue's tables on the ledger's write path (published standards and programs,
courses and their recognitions), with the batch's typed cache of what completions need.

Every read and write of those tables during sequencing goes through here. Other domains
ask ``newest_standard``, ``standard_version`` and ``course_facts``; the catalogue's own
handlers keep the cache current (a publication or a recognition forgets what it changes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, ClassVar

from sqlalchemy import Connection, select

from creditbank.core.entry import parse_time
from creditbank.core.standards.model import Standard, semver_key
from creditbank.db import tables
from creditbank.ledger.kinds import BatchContext


@dataclass(frozen=True)
class CourseFacts:
    """What a completion needs to know about its course: the course as registered, its
    recognitions (from, until, credits tenths) in log order, and its unit's cap and its
    level's credit validity under the standard version it was registered against."""

    provider: str
    course_id: str
    standard_id: str
    level: int
    unit_code: str
    mode: str
    min_score: int | None
    recognitions: tuple[tuple[datetime, datetime, int], ...]
    unit_max_tenths: int
    validity_years: int


@dataclass
class CatalogueState:
    """The newest version of each standard and each course's facts, as of this point of
    the batch."""

    # kept from batch to batch of one sequencer while nobody else writes (the log's
    # size tells), as the handlers below keep it current: a completion's course facts
    # are read once, not once a batch (BatchContext.carried)
    carried: ClassVar[bool] = True
    newest: dict[str, Standard | None] = field(default_factory=dict)
    courses: dict[tuple[str, str], CourseFacts | None] = field(default_factory=dict)


@lru_cache(maxsize=512)
def _standard(document: str) -> Standard:
    return Standard.model_validate(json.loads(document))


def standard_version(conn: Connection, standard_id: str, version: str | None) -> Standard | None:
    """A published standard: that version, or the newest when ``version`` is None."""
    t = tables.published_standards
    query = select(t.c.version, t.c.document).where(t.c.standard_id == standard_id)
    if version is not None:
        query = query.where(t.c.version == version)
    rows = conn.execute(query).all()
    if not rows:
        return None
    return _standard(max(rows, key=lambda r: semver_key(r.version)).document)


def newest_standard(ctx: BatchContext, standard_id: str) -> Standard | None:
    """The newest published version of a standard, read once per batch."""
    state = ctx.state(CatalogueState)
    if standard_id not in state.newest:
        state.newest[standard_id] = standard_version(ctx.conn, standard_id, None)
    return state.newest[standard_id]


def published_versions(ctx: BatchContext, what: str, doc_id: str) -> list[tuple[str, str]]:
    """(version, content hash) of every published version of a standard or program."""
    table = tables.published_standards if what == "standard" else tables.published_programs
    id_column = table.c.standard_id if what == "standard" else table.c.program_id
    rows = ctx.conn.execute(
        select(table.c.version, table.c.content_hash).where(id_column == doc_id)
    )
    return [(str(v), str(h)) for v, h in rows]


def insert_document(
    ctx: BatchContext,
    what: str,
    doc_id: str,
    version: str,
    digest: str,
    text: str,
    index: int,
    extra: dict[str, Any],
) -> None:
    table = tables.published_standards if what == "standard" else tables.published_programs
    ctx.conn.execute(
        table.insert().values(
            **{f"{what}_id": doc_id},
            version=version,
            content_hash=digest,
            document=text,
            published_index=index,
            **extra,
        )
    )
    if what == "standard":
        ctx.state(CatalogueState).newest.pop(doc_id, None)


def course_facts(ctx: BatchContext, provider: str, course_id: str) -> CourseFacts | None:
    """The course's facts (None: no such course), read once per batch."""
    state = ctx.state(CatalogueState)
    key = (provider, course_id)
    if key not in state.courses:
        state.courses[key] = _read_course_facts(ctx.conn, provider, course_id)
    return state.courses[key]


def _read_course_facts(conn: Connection, provider: str, course_id: str) -> CourseFacts | None:
    c, r = tables.courses, tables.course_recognitions
    course = conn.execute(
        select(c).where(c.c.provider == provider, c.c.course_id == course_id)
    ).first()
    if course is None:
        return None
    recognitions = tuple(
        (
            parse_time(rec.valid_from, field="valid_from"),
            parse_time(rec.valid_until, field="valid_until"),
            rec.credits_tenths,
        )
        for rec in conn.execute(
            select(r.c.credits_tenths, r.c.valid_from, r.c.valid_until)
            .where(r.c.provider == provider, r.c.course_id == course_id)
            .order_by(r.c.recognized_index)
        )
    )
    standard = standard_version(conn, course.standard_id, course.standard_version)
    assert standard is not None  # a course is only registered against a published standard
    level = standard.level(course.level)
    unit = standard.unit(course.level, course.unit_code)
    assert level is not None
    assert unit is not None
    return CourseFacts(
        provider,
        course.course_id,
        course.standard_id,
        course.level,
        course.unit_code,
        course.mode,
        course.min_score,
        recognitions,
        unit.max_credits_tenths,
        level.credit_validity_years,
    )


def course_hours_tenths(ctx: BatchContext, provider: str, course_id: str) -> int | None:
    """A registered course's study hours in tenths (None: no such course)."""
    t = tables.courses
    row = ctx.conn.execute(
        select(t.c.hours_tenths).where(t.c.provider == provider, t.c.course_id == course_id)
    ).first()
    return None if row is None else int(row.hours_tenths)


def insert_course(ctx: BatchContext, index: int, values: dict[str, Any]) -> None:
    ctx.conn.execute(tables.courses.insert().values(registered_index=index, **values))
    ctx.state(CatalogueState).courses.pop((values["provider"], values["course_id"]), None)


def insert_recognition(
    ctx: BatchContext,
    index: int,
    provider: str,
    course_id: str,
    credits_tenths: int,
    valid_from: str,
    valid_until: str,
) -> None:
    ctx.conn.execute(
        tables.course_recognitions.insert().values(
            recognized_index=index,
            provider=provider,
            course_id=course_id,
            credits_tenths=credits_tenths,
            valid_from=valid_from,
            valid_until=valid_until,
        )
    )
    ctx.state(CatalogueState).courses.pop((provider, course_id), None)
