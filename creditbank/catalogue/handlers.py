"""Rules for the catalogue's entries.

- ``standard.published`` / ``program.published`` (authority): the full document and its
  content hash. A version is published once; a changed document needs a newer version, so
  credits awarded under an old version never change.
- ``course.registered`` (provider, for itself): a course against one unit of one level of
  the latest published version of a standard, with mode, hours and passing rule.
- ``course.recognized`` (authority): the course earns credits (default hours_tenths // 16)
  between ``valid_from`` and ``valid_until``. A course worth 0 credits cannot be recognized.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from creditbank.catalogue import store
from creditbank.core.bodies import parse_body
from creditbank.core.canonical import canonical_bytes
from creditbank.core.entry import Derivation, SignedStatement, format_time, parse_time
from creditbank.core.errors import Forbidden, InvalidInput
from creditbank.core.rules import catalogue as rules
from creditbank.core.standards.model import (
    Standard,
    check_standard,
    content_hash,
    parse_credits,
)
from creditbank.core.standards.program import Program, check_program
from creditbank.core.statements.catalogue import (
    CourseRecognized,
    CourseRegistered,
    ProgramPublished,
    StandardPublished,
)
from creditbank.ledger.kinds import BatchContext, require_authority


def _document_text(document: BaseModel) -> str:
    return canonical_bytes(document.model_dump(mode="json")).decode()


class DocumentPublishedHandler:
    """``standard.published`` and ``program.published``: the same rules for both kinds of
    versioned document, differing only in the model, its table and its id column."""

    def __init__(self, what: Literal["standard", "program"]) -> None:
        self.what = what

    def _parse(self, signed: SignedStatement) -> tuple[Standard | Program, str]:
        document: Standard | Program | None
        if self.what == "standard":
            sbody = parse_body(StandardPublished, signed)
            digest, (document, violations) = sbody.content_hash, check_standard(sbody.standard)
        else:
            pbody = parse_body(ProgramPublished, signed)
            digest, (document, violations) = pbody.content_hash, check_program(pbody.program)
        if document is None:
            raise rules.violations_error(f"statement.body.{self.what}", violations)
        if content_hash(document) != digest:
            raise InvalidInput(
                f"content_hash is not the SHA-256 of the {self.what}'s canonical JSON",
                field="statement.body.content_hash",
            )
        return document, digest

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        require_authority(ctx, signed)
        document, digest = self._parse(signed)
        rules.check_new_version(
            store.published_versions(ctx, self.what, document.id),
            document.id,
            document.version,
            digest,
            self.what,
        )

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        document, digest = self._parse(signed)
        extra = {"year": document.year} if isinstance(document, Program) else {}
        store.insert_document(
            ctx,
            self.what,
            document.id,
            document.version,
            digest,
            _document_text(document),
            index,
            extra,
        )
        return []


class CourseRegisteredHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        body = parse_body(CourseRegistered, signed)
        actor = ctx.actor(signed.actor)
        if actor is None or actor.role != "provider":
            raise Forbidden("only accredited providers register courses", field="statement.actor")
        if body.provider != signed.actor:
            raise Forbidden(
                f"{signed.actor} cannot register a course for {body.provider}",
                field="statement.body.provider",
            )
        rules.check_course_registration(
            body,
            store.newest_standard(ctx, body.standard_id),
            registered=store.course_hours_tenths(ctx, body.provider, body.course_id) is not None,
        )

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(CourseRegistered, signed)
        standard = store.newest_standard(ctx, body.standard_id)
        assert standard is not None  # check() found it in this same transaction
        store.insert_course(
            ctx,
            index,
            {
                "provider": body.provider,
                "course_id": body.course_id,
                "title": body.title,
                "standard_id": standard.id,
                "standard_version": standard.version,
                "level": body.level,
                "unit_code": body.unit_code,
                "mode": body.mode,
                "hours_tenths": parse_credits(body.hours),
                "min_score": body.min_score,
            },
        )
        return []


class CourseRecognizedHandler:
    def _credits(self, ctx: BatchContext, body: CourseRecognized) -> int:
        hours_tenths = store.course_hours_tenths(ctx, body.provider, body.course_id)
        return rules.recognition_credits(body.provider, body.course_id, hours_tenths, body.credits)

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        require_authority(ctx, signed)
        body = parse_body(CourseRecognized, signed)
        rules.check_recognition(
            self._credits(ctx, body),
            parse_time(body.valid_from, field="statement.body.valid_from"),
            parse_time(body.valid_until, field="statement.body.valid_until"),
        )

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(CourseRecognized, signed)
        store.insert_recognition(
            ctx,
            index,
            body.provider,
            body.course_id,
            self._credits(ctx, body),
            format_time(parse_time(body.valid_from, field="valid_from")),
            format_time(parse_time(body.valid_until, field="valid_until")),
        )
        return []
