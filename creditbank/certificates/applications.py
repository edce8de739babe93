"""Applying for a certificate and the certifying body's assessment.

- ``certificate.applied``: the learner applies (the API authenticates them; the operator
  logs it). Refused unless the learner's account is open, the level is published, the
  learner is eligible now, holds no active certificate for it, and has no open
  application for it.
- ``assessment.recorded``: a certifying body accredited for the standard records its
  assessment of a pending application: ``passed`` (the body may then issue) or
  ``failed`` (the application closes; the learner may apply again).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field, StrictInt, StrictStr

from creditbank.access.store import account_status, record_learner_entry
from creditbank.catalogue.store import standard_version
from creditbank.certificates.store import has_active_certificate
from creditbank.core.accounts import ACCOUNT_RE
from creditbank.core.bodies import Body, parse_body
from creditbank.core.entry import LOG_ACTOR, Derivation, SignedStatement
from creditbank.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from creditbank.credits.store import level_progress
from creditbank.db import tables
from creditbank.ledger import store
from creditbank.ledger.kinds import BatchContext

OPEN_STATUSES = ("pending", "assessed")


class CertificateApplied(Body):
    learner: str = Field(pattern=ACCOUNT_RE.pattern)
    standard_id: str = Field(min_length=1, max_length=64)
    level: StrictInt = Field(ge=1, le=5)


class AssessmentRecorded(Body):
    application_index: StrictInt = Field(ge=0)
    result: Literal["passed", "failed"]
    score: StrictInt | None = Field(default=None, ge=0, le=100)
    assessed_at: StrictStr | None = Field(default=None, max_length=40)
    notes: StrictStr | None = Field(default=None, max_length=500)


def accredited(ctx: BatchContext, certifier: str, standard_id: str) -> bool:
    rows = store.query(
        ctx.conn,
        "SELECT 1 FROM certifier_standards WHERE actor_id = ? AND standard_id = ?",
        (certifier, standard_id),
    )
    return bool(rows)


def require_certifier(ctx: BatchContext, signed: SignedStatement, standard_id: str) -> None:
    """The author is an active certifying body accredited for ``standard_id``."""
    actor = ctx.actor(signed.actor)
    if actor is None or actor.role != "certifier" or actor.status != "active":
        raise Forbidden("only accredited certifying bodies may do this", field="statement.actor")
    if not accredited(ctx, signed.actor, standard_id):
        raise Forbidden(
            f"{signed.actor} is not accredited for {standard_id}",
            field="statement.body.standard_id",
        )


def application(ctx: BatchContext, index: int) -> Any:
    a = tables.certificate_applications
    return ctx.conn.execute(a.select().where(a.c.idx == index)).first()


class CertificateAppliedHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        if signed.actor != LOG_ACTOR:
            raise Forbidden(
                "a learner applies through the API; the operator logs it",
                field="statement.actor",
            )
        body = parse_body(CertificateApplied, signed)
        status = account_status(ctx, body.learner)
        if status is None:
            raise NotFound(f"no learner account {body.learner}", field="statement.body.learner")
        if status != "open":
            raise RuleViolation(
                f"learner account {body.learner} is {status}", field="statement.body.learner"
            )
        standard = standard_version(ctx.conn, body.standard_id, None)
        level = None if standard is None else standard.level(body.level)
        if level is None:
            raise NotFound(
                f"no published level {body.level} of {body.standard_id}",
                field="statement.body.level",
            )
        if has_active_certificate(ctx.conn, body.learner, body.standard_id, body.level):
            raise Conflict(
                f"{body.learner} already holds an active {body.standard_id} level "
                f"{body.level} certificate",
                field="statement.body.level",
            )
        a = tables.certificate_applications
        open_one = ctx.conn.execute(
            a.select().where(
                a.c.learner == body.learner,
                a.c.standard_id == body.standard_id,
                a.c.level == body.level,
                a.c.status.in_(OPEN_STATUSES),
            )
        ).first()
        if open_one is not None:
            raise Conflict(
                f"application {open_one.idx} for this level is still open",
                field="statement.body.level",
                index=open_one.idx,
            )
        if not level_progress(ctx.conn, body.learner, body.standard_id, level, ctx.now).eligible:
            raise RuleViolation(
                f"{body.learner} is not eligible for {body.standard_id} level {body.level}",
                field="statement.body.level",
            )

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(CertificateApplied, signed)
        ctx.conn.execute(
            tables.certificate_applications.insert().values(
                idx=index,
                learner=body.learner,
                standard_id=body.standard_id,
                level=body.level,
                status="pending",
                applied_at=ctx.integrated_at,
            )
        )
        record_learner_entry(ctx, body.learner, index, signed.kind)
        return []


def assessment_of(body: AssessmentRecorded) -> dict[str, Any]:
    """The assessment as the certificate states it."""
    return {"result": body.result, "score": body.score}


class AssessmentRecordedHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        body = parse_body(AssessmentRecorded, signed)
        row = application(ctx, body.application_index)
        if row is None:
            raise NotFound(
                f"no application {body.application_index}",
                field="statement.body.application_index",
            )
        require_certifier(ctx, signed, row.standard_id)
        if row.status != "pending":
            raise Conflict(
                f"application {body.application_index} is {row.status}, not pending",
                field="statement.body.application_index",
            )

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(AssessmentRecorded, signed)
        a = tables.certificate_applications
        row = application(ctx, body.application_index)
        ctx.conn.execute(
            a.update()
            .where(a.c.idx == body.application_index)
            .values(
                status="assessed" if body.result == "passed" else "failed",
                assessor=signed.actor,
                assessment=json.dumps(assessment_of(body), sort_keys=True),
                assessed_index=index,
            )
        )
        record_learner_entry(ctx, row.learner, index, signed.kind)
        return []
