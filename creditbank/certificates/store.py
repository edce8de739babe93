"""The certificates domain's tables on the ledger's write path (applications and
certificates). Every read and write of them during sequencing goes through here, as the
values of ``creditbank.core.rules.certificates``. Other domains ask here whether a
learner holds a certificate (a prerequisite of the next level; no ``eligibility.lost``
once certified).

The read models for people (applications, a learner's record, a certificate by number)
are in ``creditbank.certificates.service``.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select, update

from creditbank.core.rules.certificates import OPEN_STATUSES, Application, Certificate
from creditbank.core.statements.certificates import CertificateIssued
from creditbank.db import tables
from creditbank.ledger import store
from creditbank.ledger.kinds import BatchContext


def has_active_certificate(conn: Connection, learner: str, standard_id: str, level: int) -> bool:
    """Whether the learner holds an unrevoked certificate of that standard and level,
    issued here or recognised from a peer bank (docs/federation.md)."""
    return bool(
        store.query(
            conn,
            "SELECT 1 FROM certificates WHERE learner = ? AND standard_id = ? AND level = ? "
            "AND revoked_index IS NULL "
            "UNION ALL SELECT 1 FROM recognitions WHERE learner = ? AND standard_id = ? "
            "AND level = ? AND record = 'certificate' AND revoked_index IS NULL",
            (learner, standard_id, level, learner, standard_id, level),
        )
    )


# --- applications ----------------------------------------------------------------------


def application(ctx: BatchContext, index: int) -> Application | None:
    """The application logged at ``index`` (None: none there)."""
    a = tables.certificate_applications
    row = ctx.conn.execute(a.select().where(a.c.idx == index)).first()
    if row is None:
        return None
    recorded: dict[str, Any] | None = None if row.assessment is None else json.loads(row.assessment)
    return Application(
        row.idx, row.learner, row.standard_id, row.level, row.status, row.assessor, recorded
    )


def open_application(ctx: BatchContext, learner: str, standard_id: str, level: int) -> int | None:
    """The index of the learner's open application for that level, if any."""
    a = tables.certificate_applications
    row = ctx.conn.execute(
        a.select().where(
            a.c.learner == learner,
            a.c.standard_id == standard_id,
            a.c.level == level,
            a.c.status.in_(OPEN_STATUSES),
        )
    ).first()
    return None if row is None else int(row.idx)


def insert_application(
    ctx: BatchContext, index: int, learner: str, standard_id: str, level: int
) -> None:
    """A pending application, applied at the batch's integration time."""
    ctx.conn.execute(
        tables.certificate_applications.insert().values(
            idx=index,
            learner=learner,
            standard_id=standard_id,
            level=level,
            status="pending",
            applied_at=ctx.integrated_at,
        )
    )


def record_assessment(
    ctx: BatchContext,
    application_index: int,
    status: str,
    assessor: str,
    assessment: dict[str, object],
    index: int,
) -> None:
    """The assessment logged at ``index`` on the application, and its new status."""
    a = tables.certificate_applications
    ctx.conn.execute(
        a.update()
        .where(a.c.idx == application_index)
        .values(
            status=status,
            assessor=assessor,
            assessment=json.dumps(assessment, sort_keys=True),
            assessed_index=index,
        )
    )


# --- certificates ----------------------------------------------------------------------


def certificate(ctx: BatchContext, number: str) -> Certificate | None:
    """The certificate with that number (None: none)."""
    c = tables.certificates
    row = ctx.conn.execute(select(c).where(c.c.number == number)).first()
    if row is None:
        return None
    return Certificate(
        row.number, row.learner, row.standard_id, row.level, row.issuer, row.revoked_index
    )


def insert_certificate(ctx: BatchContext, index: int, issuer: str, body: CertificateIssued) -> None:
    """The certificate issued at ``index`` (at the batch's integration time), and its
    application marked ``issued``."""
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
            issuer=issuer,
            issued_index=index,
            issued_at=ctx.integrated_at,
            awards=json.dumps(sorted(body.awards)),
            assessment=json.dumps(body.assessment.model_dump(), sort_keys=True),
            application_index=body.application_index,
        )
    )


def revoke_certificate(ctx: BatchContext, number: str, index: int, reason: str) -> None:
    c = tables.certificates
    ctx.conn.execute(
        update(c).where(c.c.number == number).values(revoked_index=index, revoked_reason=reason)
    )
