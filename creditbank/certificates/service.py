"""What applications and certificates look like to their readers (projection reads).

- A learner (or the authority) reads the learner's applications.
- A certifying body reads the applications for the standards it is accredited for, and,
  per application, the learner's record for that standard level: progress now, and the
  awards in that level's units with the completions they came from, each with a
  receipt. Nothing else of the learner's history: not other standards, not other levels.
- Anyone reads a certificate by its number (the learner appears as the account number,
  a pseudonym).

Engine in, plain dicts out; refusals are domain errors naming the field.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Engine
from sqlmodel import Session, col
from sqlmodel import select as select_models

from creditbank.catalogue.store import standard_version
from creditbank.certificates.handlers import resting_awards
from creditbank.certificates.store import has_active_certificate
from creditbank.core.accounts import check_account_number
from creditbank.core.entry import format_time, parse_time
from creditbank.core.errors import Forbidden, NotFound
from creditbank.core.paging import PageRequest
from creditbank.core.rules import credits as rules
from creditbank.core.standards.model import format_credits
from creditbank.credits.store import learner_awards
from creditbank.db.paging import keyset
from creditbank.db.tables import (
    Certificate,
    CertificateApplication,
    CertifierStandard,
    Completion,
    CreditAward,
    LearnerAccount,
)
from creditbank.ledger.tree import receipt_for

ApplicationStatus = Literal["pending", "assessed", "failed", "issued"]


def _application_view(r: CertificateApplication) -> dict[str, Any]:
    return {
        "index": r.idx,
        "learner": r.learner,
        "standard_id": r.standard_id,
        "level": r.level,
        "status": r.status,
        "applied_at": r.applied_at,
        "assessor": r.assessor,
        "assessment": None if r.assessment is None else json.loads(r.assessment),
        "assessed_index": r.assessed_index,
        "certificate_number": r.certificate_number,
    }


def _require_account(session: Session, account: str) -> None:
    check_account_number(account)
    if session.get(LearnerAccount, account) is None:
        raise NotFound(f"no account {account}", field="account")


def accredited_standards(session: Session, certifier: str) -> set[str]:
    return {
        r.standard_id
        for r in session.exec(
            select_models(CertifierStandard).where(col(CertifierStandard.actor_id) == certifier)
        )
    }


def learner_applications(
    engine: Engine, account: str, page: PageRequest | None = None
) -> list[dict[str, Any]]:
    """The learner's applications, oldest first, with their status (with a page request:
    those after its cursor)."""
    app = CertificateApplication
    with Session(engine) as session:
        _require_account(session, account)
        rows = session.exec(
            keyset(
                select_models(app).where(col(app.learner) == account).order_by(col(app.idx)),
                page,
                col(app.idx),
                example=0,
            )
        ).all()
        return [_application_view(r) for r in rows]


def list_applications(
    engine: Engine,
    *,
    certifier: str | None = None,
    status: ApplicationStatus | None = None,
    page: PageRequest | None = None,
) -> list[dict[str, Any]]:
    """Applications, oldest first: for a certifying body (``certifier``) only those for the
    standards it is accredited for; for the authority (None) all of them."""
    query = keyset(
        select_models(CertificateApplication).order_by(col(CertificateApplication.idx)),
        page,
        col(CertificateApplication.idx),
        example=0,
    )
    if status is not None:
        query = query.where(col(CertificateApplication.status) == status)
    with Session(engine) as session:
        if certifier is not None:
            standards = accredited_standards(session, certifier)
            if not standards:
                return []
            query = query.where(col(CertificateApplication.standard_id).in_(sorted(standards)))
        rows = session.exec(query).all()
        return [_application_view(r) for r in rows]


def _award_status(r: CreditAward, now: datetime) -> str:
    if r.revoked_index is not None:
        return "revoked"
    if parse_time(r.expires_at, field="expires_at") <= now:
        return "expired"
    return "active"


def application_record(
    engine: Engine, index: int, now: datetime, *, certifier: str | None = None
) -> dict[str, Any]:
    """One application and the learner's record for that standard level, as a certifying
    body assesses it: progress at ``now`` and every award in the level's units (active,
    expired or revoked) with its completion, each with a receipt. ``certifier`` (None
    for the authority) must be accredited for the application's standard."""
    with Session(engine) as session:
        row = session.get(CertificateApplication, index)
        if row is None:
            raise NotFound(f"no application {index}", field="index")
        if certifier is not None and row.standard_id not in accredited_standards(
            session, certifier
        ):
            raise Forbidden(f"{certifier} is not accredited for {row.standard_id}", field="index")
        conn = session.connection()  # for the store helpers and receipts
        standard = standard_version(conn, row.standard_id, None)
        level = None if standard is None else standard.level(row.level)
        progress: dict[str, Any] | None = None
        if standard is not None and level is not None:
            terms = rules.level_terms(level, row.standard_id)
            p = rules.progress(
                terms,
                learner_awards(conn, row.learner, row.standard_id),
                now,
                has_lower_certificate=has_active_certificate(
                    conn, row.learner, row.standard_id, row.level + 1
                ),
            )
            progress = {
                "standard_version": standard.version,
                "eligible": p.eligible,
                "required": format_credits(p.required_tenths),
                "counted": format_credits(p.counted_tenths),
                "offline": format_credits(p.offline_tenths),
                "online": format_credits(p.online_tenths),
                "online_cap": format_credits(terms.online_cap_tenths),
                "missing": format_credits(p.missing_tenths),
                "missing_units": {code: format_credits(n) for code, n in p.missing_units.items()},
                "needs_lower_level_certificate": p.needs_lower_certificate,
            }
        awards = session.exec(
            select_models(CreditAward)
            .where(
                col(CreditAward.learner) == row.learner,
                col(CreditAward.standard_id) == row.standard_id,
                col(CreditAward.level) == row.level,
            )
            .order_by(col(CreditAward.idx))
        ).all()
        completions = (
            {
                r.idx: r
                for r in session.exec(
                    select_models(Completion).where(
                        col(Completion.idx).in_([r.completion_index for r in awards])
                    )
                ).all()
            }
            if awards
            else {}
        )
        items = []
        for r in awards:
            done = completions.get(r.completion_index)
            items.append(
                {
                    "index": r.idx,
                    "unit_code": r.unit_code,
                    "credits": format_credits(r.credits_tenths),
                    "mode": r.mode,
                    "provider": r.provider,
                    "course_id": r.course_id,
                    "completed_at": r.completed_at,
                    "expires_at": r.expires_at,
                    "revoked_index": r.revoked_index,
                    "status": _award_status(r, now),
                    "receipt": receipt_for(conn, r.idx),
                    "completion": None
                    if done is None
                    else {
                        "index": done.idx,
                        "provider": done.provider,
                        "completion_id": done.completion_id,
                        "course_id": done.course_id,
                        "completed_at": done.completed_at,
                        "score": done.score,
                        "passed": done.passed,
                        "outcome": done.outcome,
                        "retracted_index": done.retracted_index,
                        "receipt": receipt_for(conn, done.idx),
                    },
                }
            )
        application_receipt = receipt_for(conn, row.idx)
    return {
        "application": {**_application_view(row), "receipt": application_receipt},
        "record": {
            "as_of": format_time(now),
            "learner": row.learner,
            "standard_id": row.standard_id,
            "level": row.level,
            "progress": progress,
            # what a certificate issued now must list (rules.md: Certificates)
            "certificate_awards": [i["index"] for i in items if i["status"] == "active"],
            "awards": items,
        },
    }


def certificate_view(engine: Engine, number: str) -> dict[str, Any]:
    """A certificate as anyone may read it: the learner by account number only."""
    with Session(engine) as session:
        row = session.get(Certificate, number)
    if row is None:
        raise NotFound(f"no certificate {number}", field="certificate_number")
    return {
        "certificate_number": row.number,
        "learner": row.learner,
        "standard_id": row.standard_id,
        "level": row.level,
        "issuer": row.issuer,
        "issued_at": row.issued_at,
        "issued_index": row.issued_index,
        "status": "active" if row.revoked_index is None else "revoked",
        "revoked_index": row.revoked_index,
        "revocation_reason": row.revoked_reason,
    }


def certificate_awards(
    engine: Engine, learner: str, standard_id: str, level: int, now: datetime
) -> list[int]:
    """The awards a certificate for that standard level, issued to ``learner`` at ``now``,
    must list (``application_record``'s ``certificate_awards``, without its receipts)."""
    with engine.connect() as conn:
        return resting_awards(conn, learner, standard_id, level, now)
