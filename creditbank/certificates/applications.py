"""Applying for a certificate and the certifying body's assessment.

- ``certificate.applied``: the learner applies (the API authenticates them; the operator
  logs it). Refused unless the learner's account is open, the level is published, the
  learner is eligible now, holds no active certificate for it, and has no open
  application for it.
- ``assessment.recorded``: a certifying body accredited for the standard records its
  assessment of a pending application: ``passed`` (the body may then issue) or
  ``failed`` (the application closes; the learner may apply again).

Each handler reads its facts through the domain stores (``certificates.store``,
``access.store``, ``catalogue.store``, ``credits.store``, ``ledger.actor_store``),
decides with ``creditbank.core.rules.certificates``, and writes through
``certificates.store``.
"""

from __future__ import annotations

from creditbank.access.store import account_status, record_learner_entry
from creditbank.catalogue.store import standard_version
from creditbank.certificates import store
from creditbank.core.bodies import parse_body
from creditbank.core.entry import Derivation, SignedStatement
from creditbank.core.rules import certificates as rules
from creditbank.core.statements.certificates import AssessmentRecorded, CertificateApplied
from creditbank.credits.store import level_progress
from creditbank.ledger import actor_store
from creditbank.ledger.kinds import BatchContext


def require_certifier(ctx: BatchContext, signed: SignedStatement, standard_id: str) -> None:
    """The author is an active certifying body accredited for ``standard_id``."""
    actor = ctx.actor(signed.actor)
    rules.check_certifier(
        signed.actor,
        None if actor is None else actor.role,
        None if actor is None else actor.status,
        standard_id,
        accredited=actor_store.accredited(ctx, signed.actor, standard_id),
    )


class CertificateAppliedHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        rules.check_applied_by_log(signed.actor)
        body = parse_body(CertificateApplied, signed)
        rules.check_learner_account(
            body.learner, account_status(ctx, body.learner), must_be_open=True
        )
        standard = standard_version(ctx.conn, body.standard_id, None)
        level = rules.check_level_published(
            body.standard_id, body.level, None if standard is None else standard.level(body.level)
        )
        rules.check_no_active_certificate(
            body.learner,
            body.standard_id,
            body.level,
            holds=store.has_active_certificate(
                ctx.conn, body.learner, body.standard_id, body.level
            ),
        )
        rules.check_no_open_application(
            store.open_application(ctx, body.learner, body.standard_id, body.level)
        )
        progress = level_progress(ctx.conn, body.learner, body.standard_id, level, ctx.now)
        rules.check_eligible_to_apply(
            body.learner, body.standard_id, body.level, eligible=progress.eligible
        )

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(CertificateApplied, signed)
        store.insert_application(ctx, index, body.learner, body.standard_id, body.level)
        record_learner_entry(ctx, body.learner, index, signed.kind)
        return []


class AssessmentRecordedHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        body = parse_body(AssessmentRecorded, signed)
        found = rules.check_application_found(
            body.application_index, store.application(ctx, body.application_index)
        )
        require_certifier(ctx, signed, found.standard_id)
        rules.check_assessable(found)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(AssessmentRecorded, signed)
        found = store.application(ctx, body.application_index)
        assert found is not None  # check() found it in this same transaction
        store.record_assessment(
            ctx,
            body.application_index,
            rules.status_after(body),
            signed.actor,
            rules.assessment_of(body),
            index,
        )
        record_learner_entry(ctx, found.learner, index, signed.kind)
        return []
