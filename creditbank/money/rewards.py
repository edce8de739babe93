"""Learners' rewards (rules.md: Rewards), as ledger entries.

- On ``certificate.issued`` the log derives ``reward.granted`` or ``reward.queued``
  (``pending_budget``: it waits, and counts toward the yearly cap). The year's rewards
  form one queue in issuance order: a new one is granted only when no earlier reward of
  its year waits and the budget covers it (``rules.admit``); nobody overtakes a waiting
  learner, even with a smaller amount.
- ``budget.set`` (authority), a new program version, or a cancelled granted reward grow
  what the budget has left: waiting rewards are then granted (``reward.granted`` naming
  ``queued_index``) strictly in arrival order, stopping at the first that does not fit.
  So does cancelling a waiting reward, which may have been the head holding the rest back.
- ``reward.paid`` (authority): a granted reward was paid, with the payment reference.
- On ``certificate.revoked``: an unpaid reward is cancelled (``reward.cancelled``); a paid
  one becomes ``reward.clawback_due`` (still counted against the budget).

A reward's id is the index of its first entry (``reward.granted`` or ``reward.queued``).

Each handler reads its facts through ``money.store``, decides with
``creditbank.core.rules.money``, and writes what was decided through ``money.store``.
"""

from __future__ import annotations

from typing import Literal

from creditbank.access.store import record_learner_entry
from creditbank.catalogue.handlers import DocumentPublishedHandler
from creditbank.core.bodies import parse_body
from creditbank.core.entry import Derivation, SignedStatement
from creditbank.core.rules import money as rules
from creditbank.core.standards.program import Program
from creditbank.core.statements.money import BudgetSet, RewardDecided, RewardEnded, RewardPaid
from creditbank.ledger.kinds import BatchContext, require_authority
from creditbank.money import store


def reward_on_issue(
    ctx: BatchContext, index: int, learner: str, number: str, level: int, found: Program
) -> list[Derivation]:
    """The reward a new certificate earns under the year's program (none if 0)."""
    amount = rules.issuance_reward(found, level, store.rewards_counted(ctx, learner, found.year))
    if amount == 0:
        return []
    admission = rules.admit(
        store.remaining(ctx.conn, found, "reward"),
        amount,
        queue_waiting=store.queue_waiting(ctx, found.id),
    )
    return [
        rules.reward_decided(
            found,
            learner=learner,
            certificate_number=number,
            level=level,
            amount_fen=amount,
            admission=admission,
            source=index,
        )
    ]


def release_waiting(ctx: BatchContext, found: Program, source: int) -> list[Derivation]:
    """Grant waiting rewards the grown remainder now covers, in arrival order."""
    waiting = store.waiting_rewards(ctx, found.id)
    if not waiting:
        return []
    return rules.released_rewards(store.remaining(ctx.conn, found, "reward"), waiting, source)


def reward_on_revoke(ctx: BatchContext, index: int, number: str) -> list[Derivation]:
    """Cancel the certificate's unpaid reward; a paid one becomes a clawback due."""
    return rules.rewards_on_revoke(store.certificate_rewards(ctx, number), index)


class RewardDecidedHandler:
    """``reward.granted`` and ``reward.queued`` (derived)."""

    def __init__(self, status: Literal["granted", "pending_budget"]) -> None:
        self.status = status

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        parse_body(RewardDecided, signed)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(RewardDecided, signed)
        if body.queued_index is not None:
            store.grant_waiting(ctx, body.queued_index, index)
        else:
            store.insert_reward(ctx, index, body, self.status)
        record_learner_entry(ctx, body.learner, index, signed.kind)
        return []


class RewardEndedHandler:
    """``reward.cancelled`` and ``reward.clawback_due`` (derived)."""

    def __init__(self, status: Literal["cancelled", "clawback_due"]) -> None:
        self.status = status

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        parse_body(RewardEnded, signed)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(RewardEnded, signed)
        before = store.reward(ctx, body.reward_index)
        assert before is not None  # derived from a reward the log holds
        store.end_reward(ctx, body.reward_index, self.status, index)
        record_learner_entry(ctx, body.learner, index, signed.kind)
        if rules.ending_moves_queue(self.status, before.status):
            found = store.program(ctx.conn, before.program_id)
            if found is not None:
                return release_waiting(ctx, found, index)
        return []


class RewardPaidHandler:
    """``reward.paid`` (authority): a granted reward was paid."""

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        require_authority(ctx, signed)
        body = parse_body(RewardPaid, signed)
        rules.check_reward_payment(body.reward_index, store.reward(ctx, body.reward_index))

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(RewardPaid, signed)
        store.pay_reward(ctx, body.reward_index, index, body.payment_reference)
        reward = store.reward(ctx, body.reward_index)
        assert reward is not None
        record_learner_entry(ctx, reward.learner, index, signed.kind)
        return []


class BudgetSetHandler:
    """``budget.set`` (authority): a program's reward or subsidy budget changes; never
    below what it already covers. A grown reward budget grants waiting rewards."""

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        require_authority(ctx, signed)
        body = parse_body(BudgetSet, signed)
        found = rules.require_program(body.program_id, store.program(ctx.conn, body.program_id))
        rules.check_budget_floor(
            body.kind, body.amount_fen, store.committed(ctx.conn, found.id, body.kind)
        )

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(BudgetSet, signed)
        store.set_budget(ctx, body.program_id, body.kind, body.amount_fen, index)
        found = store.program(ctx.conn, body.program_id)
        if body.kind != "reward" or found is None:
            return []
        return release_waiting(ctx, found, index)


class ProgramPublishedHandler(DocumentPublishedHandler):
    """``program.published``: a new version's budgets replace earlier ``budget.set``
    figures, and a grown reward budget grants waiting rewards."""

    def __init__(self) -> None:
        super().__init__("program")

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        super().apply(ctx, index, signed)
        program_id = str(signed.body["program"]["id"])  # validated by check
        store.reset_budgets(ctx, program_id)
        found = store.program(ctx.conn, program_id)
        if found is None:
            return []
        return release_waiting(ctx, found, index)
