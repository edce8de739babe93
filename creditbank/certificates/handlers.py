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

Each handler reads its facts through the domain stores (``certificates.store``,
``access.store``, ``catalogue.store``, ``credits.store``), decides with
``creditbank.core.rules.certificates``, and writes through ``certificates.store``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from creditbank.access.store import account_status, record_learner_entry
from creditbank.catalogue.store import standard_version
from creditbank.certificates import store
from creditbank.certificates.applications import require_certifier
from creditbank.core.accounts import check_account_number
from creditbank.core.bodies import parse_body
from creditbank.core.entry import Derivation, SignedStatement
from creditbank.core.rules import certificates as certificate_rules
from creditbank.core.rules import money as rules
from creditbank.core.statements.certificates import (
    CERTIFICATE_NUMBER as CERTIFICATE_NUMBER,  # re-exported: verification compares to it
)
from creditbank.core.statements.certificates import CertificateIssued, CertificateRevoked
from creditbank.credits.store import learner_awards, level_progress
from creditbank.ledger.kinds import BatchContext
from creditbank.money.rewards import reward_on_issue, reward_on_revoke
from creditbank.money.store import program_for_year
from creditbank.money.subsidies import subsidy_on_issue, subsidy_on_revoke


def resting_awards(
    conn: Connection, learner: str, standard_id: str, level: int, t: datetime
) -> list[int]:
    """All the learner's awards valid at ``t`` in the units of that standard's level: what
    a certificate issued at ``t`` rests on."""
    return certificate_rules.certificate_awards(
        learner_awards(conn, learner, standard_id), standard_id, level, t
    )


class CertificateIssuedHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        body = parse_body(CertificateIssued, signed)
        require_certifier(ctx, signed, body.standard_id)
        check_account_number(body.learner, field="statement.body.learner")
        certificate_rules.check_learner_account(
            body.learner, account_status(ctx, body.learner), must_be_open=False
        )
        certificate_rules.check_number_free(
            body.certificate_number,
            taken=store.certificate(ctx, body.certificate_number) is not None,
        )
        certificate_rules.check_no_active_certificate(
            body.learner,
            body.standard_id,
            body.level,
            holds=store.has_active_certificate(
                ctx.conn, body.learner, body.standard_id, body.level
            ),
        )
        standard = standard_version(ctx.conn, body.standard_id, None)
        level = certificate_rules.check_level_published(
            body.standard_id, body.level, None if standard is None else standard.level(body.level)
        )
        awards = learner_awards(ctx.conn, body.learner, body.standard_id)
        progress = level_progress(
            ctx.conn, body.learner, body.standard_id, level, ctx.now, awards=awards
        )
        certificate_rules.check_eligible_at_issuance(
            body.learner, body.standard_id, body.level, eligible=progress.eligible
        )
        certificate_rules.check_answers_application(
            body, signed.actor, store.application(ctx, body.application_index)
        )
        certificate_rules.check_listed_awards(
            body.awards,
            certificate_rules.certificate_awards(awards, body.standard_id, body.level, ctx.now),
        )

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(CertificateIssued, signed)
        store.insert_certificate(ctx, index, signed.actor, body)
        record_learner_entry(ctx, body.learner, index, signed.kind)
        found = program_for_year(ctx.conn, rules.program_year(ctx.now))
        if found is None:
            return []  # no program governs this year: no reward, no subsidy
        return reward_on_issue(
            ctx, index, body.learner, body.certificate_number, body.level, found
        ) + subsidy_on_issue(ctx, index, body.learner, body.certificate_number, body.awards, found)


class CertificateRevokedHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        body = parse_body(CertificateRevoked, signed)
        found = store.certificate(ctx, body.certificate_number)
        actor = ctx.actor(signed.actor)
        certificate_rules.check_revocation(
            body.certificate_number,
            found,
            actor_id=signed.actor,
            role=None if actor is None else actor.role,
        )

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(CertificateRevoked, signed)
        found = store.certificate(ctx, body.certificate_number)
        assert found is not None  # check() found it in this same transaction
        store.revoke_certificate(ctx, body.certificate_number, index, body.reason)
        record_learner_entry(ctx, found.learner, index, signed.kind)
        return reward_on_revoke(ctx, index, body.certificate_number) + subsidy_on_revoke(
            ctx, index, body.certificate_number
        )
