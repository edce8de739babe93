"""Rules for certificates (rules.md: Certificates).

- ``certificate.issued`` (a certifying body accredited for the standard): number,
  learner, standard, level, the learner's application it answers, the award indexes it
  rests on (all the learner's awards valid at issuance in that level's units: the body
  attests exactly the record it assessed) and the assessment result, which must be the
  passed assessment the same body recorded on that application. Refused unless the
  learner is eligible at issuance and holds no active certificate for the same standard
  and level. The log derives the learner's reward and the providers' subsidy from it
  (``creditbank.money``), under the program of the issuance's year.
- ``certificate.revoked``: only by the issuing body or the authority, with a reason; the
  log cancels the unpaid reward and subsidy parts and marks paid ones as clawbacks due.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, StrictInt
from sqlalchemy import Connection, select, update

from creditbank.access.store import account_status, record_learner_entry
from creditbank.catalogue.store import standard_version
from creditbank.certificates.applications import application, require_certifier
from creditbank.certificates.store import has_active_certificate
from creditbank.core.accounts import ACCOUNT_RE, check_account_number
from creditbank.core.bodies import Body, parse_body
from creditbank.core.entry import Derivation, SignedStatement
from creditbank.core.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from creditbank.core.rules import money as rules
from creditbank.credits.store import learner_awards, level_progress
from creditbank.db import tables
from creditbank.ledger.kinds import BatchContext
from creditbank.money import programs
from creditbank.money.rewards import reward_on_issue, reward_on_revoke
from creditbank.money.subsidies import subsidy_on_issue, subsidy_on_revoke

CERTIFICATE_NUMBER = r"^[A-Z0-9][A-Z0-9-]{5,47}$"


class Assessment(Body):
    result: Literal["passed"]
    score: StrictInt | None = Field(default=None, ge=0, le=100)
    assessed_at: str | None = None


class CertificateIssued(Body):
    certificate_number: str = Field(pattern=CERTIFICATE_NUMBER)
    learner: str = Field(pattern=ACCOUNT_RE.pattern)
    standard_id: str = Field(min_length=1, max_length=64)
    level: StrictInt = Field(ge=1, le=5)
    application_index: StrictInt = Field(ge=0)
    awards: list[StrictInt]
    assessment: Assessment


class CertificateRevoked(Body):
    certificate_number: str = Field(pattern=CERTIFICATE_NUMBER)
    reason: str = Field(min_length=1, max_length=500)


def _certificate(ctx: BatchContext, number: str) -> Any:
    c = tables.certificates
    return ctx.conn.execute(select(c).where(c.c.number == number)).first()


def resting_awards(
    conn: Connection, learner: str, standard_id: str, level: int, t: datetime
) -> list[int]:
    """All the learner's awards valid at ``t`` in the units of that standard's level: what
    a certificate issued at ``t`` rests on."""
    return sorted(
        a.index
        for a in learner_awards(conn, learner, standard_id)
        if a.unit[1] == level and a.valid_at(t)
    )


class CertificateIssuedHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        body = parse_body(CertificateIssued, signed)
        require_certifier(ctx, signed, body.standard_id)
        check_account_number(body.learner, field="statement.body.learner")
        status = account_status(ctx, body.learner)
        if status is None:
            raise NotFound(f"no learner account {body.learner}", field="statement.body.learner")
        if _certificate(ctx, body.certificate_number) is not None:
            raise Conflict(
                f"certificate number {body.certificate_number} is taken",
                field="statement.body.certificate_number",
            )
        if has_active_certificate(ctx.conn, body.learner, body.standard_id, body.level):
            raise Conflict(
                f"{body.learner} already holds an active {body.standard_id} level {body.level} "
                "certificate",
                field="statement.body.level",
            )
        standard = standard_version(ctx.conn, body.standard_id, None)
        level = None if standard is None else standard.level(body.level)
        if level is None:
            raise NotFound(
                f"no published level {body.level} of {body.standard_id}",
                field="statement.body.level",
            )
        progress = level_progress(ctx.conn, body.learner, body.standard_id, level, ctx.now)
        if not progress.eligible:
            raise RuleViolation(
                f"{body.learner} is not eligible for {body.standard_id} level {body.level} now",
                field="statement.body.learner",
            )
        self._check_application(ctx, signed, body)
        expected = resting_awards(ctx.conn, body.learner, body.standard_id, body.level, ctx.now)
        if sorted(body.awards) != expected:
            raise RuleViolation(
                "awards must list exactly the learner's awards valid now in this level's units",
                field="statement.body.awards",
                expected=expected,
            )

    @staticmethod
    def _check_application(
        ctx: BatchContext, signed: SignedStatement, body: CertificateIssued
    ) -> None:
        """The certificate answers the learner's application for this very level, which
        this body assessed as passed, with the same assessment."""
        row = application(ctx, body.application_index)
        if row is None:
            raise NotFound(
                f"no application {body.application_index}",
                field="statement.body.application_index",
            )
        for name in ("learner", "standard_id", "level"):
            if getattr(row, name) != getattr(body, name):
                raise InvalidInput(
                    f"application {body.application_index} is for another {name}",
                    field=f"statement.body.{name}",
                )
        if row.status != "assessed":
            raise Conflict(
                f"application {body.application_index} is {row.status}; a certificate "
                "answers an application assessed as passed",
                field="statement.body.application_index",
            )
        if row.assessor != signed.actor:
            raise Forbidden(
                f"application {body.application_index} was assessed by {row.assessor}",
                field="statement.actor",
            )
        recorded = json.loads(row.assessment)
        if body.assessment.model_dump(include={"result", "score"}) != recorded:
            raise InvalidInput(
                "assessment must be the one recorded on the application",
                field="statement.body.assessment",
                expected=recorded,
            )

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(CertificateIssued, signed)
        a = tables.certificate_applications
        ctx.conn.execute(
            update(a)
            .where(a.c.idx == body.application_index)
            .values(status="issued", certificate_number=body.certificate_number)
        )
        ctx.conn.execute(
            tables.certificates.insert().values(
                number=body.certificate_number,
                learner=body.learner,
                standard_id=body.standard_id,
                level=body.level,
                issuer=signed.actor,
                issued_index=index,
                issued_at=ctx.integrated_at,
                awards=json.dumps(sorted(body.awards)),
                assessment=json.dumps(body.assessment.model_dump(), sort_keys=True),
                application_index=body.application_index,
            )
        )
        record_learner_entry(ctx, body.learner, index, signed.kind)
        found = programs.program_for_year(ctx.conn, rules.program_year(ctx.now))
        if found is None:
            return []  # no program governs this year: no reward, no subsidy
        return reward_on_issue(
            ctx, index, body.learner, body.certificate_number, body.level, found
        ) + subsidy_on_issue(ctx, index, body.learner, body.certificate_number, body.awards, found)


class CertificateRevokedHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        body = parse_body(CertificateRevoked, signed)
        row = _certificate(ctx, body.certificate_number)
        if row is None:
            raise NotFound(
                f"no certificate {body.certificate_number}",
                field="statement.body.certificate_number",
            )
        actor = ctx.actor(signed.actor)
        if signed.actor != row.issuer and (actor is None or actor.role != "authority"):
            raise Forbidden(
                "only the issuing body or the authority revokes a certificate",
                field="statement.actor",
            )
        if row.revoked_index is not None:
            raise Conflict(
                "that certificate is already revoked", field="statement.body.certificate_number"
            )

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(CertificateRevoked, signed)
        c = tables.certificates
        row = _certificate(ctx, body.certificate_number)
        ctx.conn.execute(
            update(c)
            .where(c.c.number == body.certificate_number)
            .values(revoked_index=index, revoked_reason=body.reason)
        )
        record_learner_entry(ctx, row.learner, index, signed.kind)
        return reward_on_revoke(ctx, index, body.certificate_number) + subsidy_on_revoke(
            ctx, index, body.certificate_number
        )
