"""Enterprise subsidies (rules.md: Enterprise subsidies), as ledger entries.

- On ``certificate.issued`` the log derives ``subsidy.entitled``: the program's amount per
  certified trainee split among the providers whose awards the certificate rests on, by
  credits (``rules.split_subsidy``), at most the program's number per trainee per year (a
  subsidy whose parts were all cancelled no longer counts). Each provider's part is an
  entitlement, claimable until ``claim_until`` (issuance plus the claim window).
- ``subsidy.claimed`` (the provider, its own part, within the window), then
  ``subsidy.approved`` (authority; only if the year's subsidy budget still covers it) or
  ``subsidy.rejected`` (authority, with a reason), then ``subsidy.paid`` (authority, with a
  payment reference).
- On ``certificate.revoked``: open, claimed and approved parts are cancelled
  (``subsidy.cancelled``); paid ones become ``subsidy.clawback_due`` (still counted
  against the budget). Rejected parts stay rejected.

An entitlement is named by the index of its ``subsidy.entitled`` entry and the provider.

Each handler reads its facts through ``money.store``, decides with
``creditbank.core.rules.money``, and writes what was decided through ``money.store``.
"""

from __future__ import annotations

from typing import Literal

from creditbank.access.store import record_learner_entry
from creditbank.core.bodies import parse_body
from creditbank.core.entry import Derivation, SignedStatement
from creditbank.core.errors import Forbidden
from creditbank.core.rules import money as rules
from creditbank.core.rules.money import PartStatus
from creditbank.core.standards.program import Program
from creditbank.core.statements.money import (
    PartDecision,
    PartEnded,
    PartPaid,
    PartRef,
    PartRejected,
    SubsidyEntitled,
)
from creditbank.ledger.kinds import BatchContext, require_authority
from creditbank.money import store


def subsidy_on_issue(
    ctx: BatchContext, index: int, learner: str, number: str, awards: list[int], found: Program
) -> list[Derivation]:
    """The subsidy a new certificate generates, split among its awards' providers."""
    if not rules.may_generate_subsidy(found, awards):
        return []
    if not rules.within_subsidy_limit(found, store.subsidies_counted(ctx, learner, found.year)):
        return []
    return [
        rules.subsidy_entitled(
            found,
            learner=learner,
            certificate_number=number,
            credits_by_provider=store.credits_by_provider(ctx, learner, awards),
            now=ctx.now,
            source=index,
        )
    ]


def subsidy_on_revoke(ctx: BatchContext, index: int, number: str) -> list[Derivation]:
    """Cancel the certificate's unpaid parts; paid parts become clawbacks due."""
    return rules.parts_on_revoke(store.certificate_parts(ctx, number), index)


def _require_part(
    ctx: BatchContext, body: PartDecision, status: PartStatus, action: str
) -> rules.SubsidyPart:
    """The part the authority's statement names, in ``status`` (or the refusal)."""
    entitlement = store.entitlement(ctx, body.entitlement_index)
    part = None if entitlement is None else store.part(ctx, body.entitlement_index, body.provider)
    return rules.require_part(
        body.entitlement_index, body.provider, entitlement, part, status=status, action=action
    )


class SubsidyEntitledHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        parse_body(SubsidyEntitled, signed)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(SubsidyEntitled, signed)
        store.insert_entitlement(ctx, index, body, ctx.integrated_at)
        record_learner_entry(ctx, body.learner, index, signed.kind)
        return []


class PartEndedHandler:
    """``subsidy.cancelled`` and ``subsidy.clawback_due`` (derived)."""

    def __init__(self, status: Literal["cancelled", "clawback_due"]) -> None:
        self.status = status

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        parse_body(PartEnded, signed)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(PartEnded, signed)
        store.end_part(ctx, body.entitlement_index, body.provider, self.status, index)
        record_learner_entry(ctx, body.learner, index, signed.kind)
        return []


class SubsidyClaimedHandler:
    """``subsidy.claimed``: a provider claims its own part, within the claim window."""

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        body = parse_body(PartRef, signed)
        actor = ctx.actor(signed.actor)
        if actor is None or actor.role != "provider":
            raise Forbidden("only providers claim subsidies", field="statement.actor")
        entitlement = store.entitlement(ctx, body.entitlement_index)
        part = (
            None if entitlement is None else store.part(ctx, body.entitlement_index, signed.actor)
        )
        rules.check_claim(signed.actor, body.entitlement_index, entitlement, part, ctx.now)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(PartRef, signed)
        store.claim_part(ctx, body.entitlement_index, signed.actor, index)
        return []


class SubsidyApprovedHandler:
    """``subsidy.approved`` (authority): only while the year's budget still covers it."""

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        require_authority(ctx, signed)
        part = _require_part(ctx, parse_body(PartDecision, signed), "claimed", "approved")
        found = store.program(ctx.conn, part.program_id)
        assert found is not None  # the entitlement was derived under it
        rules.check_approval_budget(
            found.id,
            store.budget(ctx.conn, found, "subsidy"),
            store.committed(ctx.conn, part.program_id, "subsidy"),
            part.amount_fen,
        )

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(PartDecision, signed)
        store.approve_part(ctx, body.entitlement_index, body.provider, index)
        return []


class SubsidyRejectedHandler:
    """``subsidy.rejected`` (authority), with a reason."""

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        require_authority(ctx, signed)
        _require_part(ctx, parse_body(PartRejected, signed), "claimed", "rejected")

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(PartRejected, signed)
        store.reject_part(ctx, body.entitlement_index, body.provider, index, body.reason)
        return []


class SubsidyPaidHandler:
    """``subsidy.paid`` (authority): an approved part was paid."""

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        require_authority(ctx, signed)
        _require_part(ctx, parse_body(PartPaid, signed), "approved", "paid")

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(PartPaid, signed)
        store.pay_part(ctx, body.entitlement_index, body.provider, index, body.payment_reference)
        return []
