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
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictInt, StrictStr

from creditbank.access.store import record_learner_entry
from creditbank.catalogue.handlers import DocumentPublishedHandler
from creditbank.core.bodies import Body, parse_body
from creditbank.core.entry import Derivation, SignedStatement
from creditbank.core.errors import Conflict, NotFound, RuleViolation
from creditbank.core.rules import money as rules
from creditbank.core.standards.program import Program
from creditbank.db import tables
from creditbank.ledger import store
from creditbank.ledger.kinds import BatchContext, require_authority
from creditbank.money import programs

PaymentReference = Field(min_length=1, max_length=100, pattern=r"^[\x21-\x7e]+$")


class RewardDecided(Body):
    """``reward.granted`` / ``reward.queued``: the reward for one certificate."""

    learner: str
    certificate_number: str
    program_id: str
    year: StrictInt
    level: StrictInt
    amount_fen: StrictInt
    queued_index: StrictInt | None = None
    derived_from: list[StrictInt]


class RewardEnded(Body):
    """``reward.cancelled`` / ``reward.clawback_due``."""

    reward_index: StrictInt
    learner: str
    certificate_number: str
    amount_fen: StrictInt
    derived_from: list[StrictInt]


class RewardPaid(Body):
    reward_index: StrictInt = Field(ge=0)
    payment_reference: StrictStr = PaymentReference


class BudgetSet(Body):
    program_id: str = Field(min_length=1, max_length=64)
    kind: Literal["reward", "subsidy"]
    amount_fen: StrictInt = Field(ge=0)


def _reward(ctx: BatchContext, index: int) -> tuple[str, str, int, str, str] | None:
    rows = store.query(
        ctx.conn,
        "SELECT status, program_id, amount_fen, learner, certificate_number "
        "FROM rewards WHERE idx = ?",
        (index,),
    )
    if not rows:
        return None
    status, program_id, amount, learner, number = rows[0]
    return str(status), str(program_id), int(amount), str(learner), str(number)


def _queue_waiting(ctx: BatchContext, program_id: str) -> bool:
    """Whether any reward of the program's year waits for budget (one probe of the
    ``ix_rewards_program`` index on program and status)."""
    rows = store.query(
        ctx.conn,
        "SELECT 1 FROM rewards WHERE program_id = ? AND status = 'pending_budget' LIMIT 1",
        (program_id,),
    )
    return bool(rows)


def reward_on_issue(
    ctx: BatchContext, index: int, learner: str, number: str, level: int, found: Program
) -> list[Derivation]:
    """The reward a new certificate earns under the year's program (none if 0)."""
    year = found.year
    counted = store.query(
        ctx.conn,
        "SELECT COALESCE(SUM(amount_fen), 0) FROM rewards "
        "WHERE learner = ? AND year = ? AND status <> 'cancelled'",
        (learner, year),
    )[0][0]
    amount = rules.reward_amount(
        found.reward_for_level_fen(level), found.reward_cap_per_learner_per_year_fen, int(counted)
    )
    if amount == 0:
        return []
    admission = rules.admit(
        programs.remaining(ctx.conn, found, "reward"),
        amount,
        queue_waiting=_queue_waiting(ctx, found.id),
    )
    kind = "reward.granted" if admission.granted else "reward.queued"
    body = {
        "learner": learner,
        "certificate_number": number,
        "program_id": found.id,
        "year": year,
        "level": level,
        "amount_fen": amount,
    }
    if kind == "reward.granted":
        body["queued_index"] = None
    return [Derivation(kind, body, (index,))]


def release_waiting(ctx: BatchContext, found: Program, source: int) -> list[Derivation]:
    """Grant waiting rewards the grown remainder now covers, in arrival order."""
    waiting = [
        (int(idx), str(learner), str(number), int(year), int(level), int(amount))
        for idx, learner, number, year, level, amount in store.query(
            ctx.conn,
            "SELECT idx, learner, certificate_number, year, level, amount_fen FROM rewards "
            "WHERE program_id = ? AND status = 'pending_budget' ORDER BY idx",
            (found.id,),
        )
    ]
    if not waiting:
        return []
    granted = set(
        rules.release(
            programs.remaining(ctx.conn, found, "reward"),
            [rules.Waiting(w[0], w[5]) for w in waiting],
        )
    )
    return [
        Derivation(
            "reward.granted",
            {
                "learner": learner,
                "certificate_number": number,
                "program_id": found.id,
                "year": year,
                "level": level,
                "amount_fen": amount,
                "queued_index": idx,
            },
            (source, idx),
        )
        for idx, learner, number, year, level, amount in waiting
        if idx in granted
    ]


def reward_on_revoke(ctx: BatchContext, index: int, number: str) -> list[Derivation]:
    """Cancel the certificate's unpaid reward; a paid one becomes a clawback due."""
    rows = store.query(
        ctx.conn,
        "SELECT idx, status, learner, amount_fen FROM rewards WHERE certificate_number = ?",
        (number,),
    )
    out: list[Derivation] = []
    for idx, status, learner, amount in rows:
        if status in ("granted", "pending_budget"):
            kind = "reward.cancelled"
        elif status == "paid":
            kind = "reward.clawback_due"
        else:
            continue
        body = {
            "reward_index": int(idx),
            "learner": str(learner),
            "certificate_number": number,
            "amount_fen": int(amount),
        }
        out.append(Derivation(kind, body, (index, int(idx))))
    return out


class RewardDecidedHandler:
    """``reward.granted`` and ``reward.queued`` (derived)."""

    def __init__(self, status: Literal["granted", "pending_budget"]) -> None:
        self.status = status

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        parse_body(RewardDecided, signed)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(RewardDecided, signed)
        if body.queued_index is not None:
            store.write(
                ctx.conn,
                "UPDATE rewards SET status = 'granted', granted_index = ? WHERE idx = ?",
                (index, body.queued_index),
            )
        else:
            store.write(
                ctx.conn,
                "INSERT INTO rewards (idx, learner, certificate_number, program_id, year, level, "
                "amount_fen, status, granted_index) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    index,
                    body.learner,
                    body.certificate_number,
                    body.program_id,
                    body.year,
                    body.level,
                    body.amount_fen,
                    self.status,
                    index if self.status == "granted" else None,
                ),
            )
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
        before = _reward(ctx, body.reward_index)
        assert before is not None  # derived from a reward the log holds
        store.write(
            ctx.conn,
            "UPDATE rewards SET status = ?, cancelled_index = ? WHERE idx = ?",
            (self.status, index, body.reward_index),
        )
        record_learner_entry(ctx, body.learner, index, signed.kind)
        # A cancelled granted reward grows the remainder; a cancelled waiting one may have
        # been the head of the queue that held the others back. Either way the queue moves
        # on as far as the remainder allows (release grants nothing otherwise).
        if self.status == "cancelled" and before[0] in ("granted", "pending_budget"):
            found = programs.program(ctx.conn, before[1])
            if found is not None:
                return release_waiting(ctx, found, index)
        return []


class RewardPaidHandler:
    """``reward.paid`` (authority): a granted reward was paid."""

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        require_authority(ctx, signed)
        body = parse_body(RewardPaid, signed)
        reward = _reward(ctx, body.reward_index)
        if reward is None:
            raise NotFound(f"no reward {body.reward_index}", field="statement.body.reward_index")
        if reward[0] != "granted":
            raise Conflict(
                f"reward {body.reward_index} is {reward[0]}; only a granted reward is paid",
                field="statement.body.reward_index",
            )

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(RewardPaid, signed)
        store.write(
            ctx.conn,
            "UPDATE rewards SET status = 'paid', paid_index = ?, payment_reference = ? "
            "WHERE idx = ?",
            (index, body.payment_reference, body.reward_index),
        )
        reward = _reward(ctx, body.reward_index)
        assert reward is not None
        record_learner_entry(ctx, reward[3], index, signed.kind)
        return []


class BudgetSetHandler:
    """``budget.set`` (authority): a program's reward or subsidy budget changes; never
    below what it already covers. A grown reward budget grants waiting rewards."""

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        require_authority(ctx, signed)
        body = parse_body(BudgetSet, signed)
        found = programs.program(ctx.conn, body.program_id)
        if found is None:
            raise NotFound(
                f"no published program {body.program_id}", field="statement.body.program_id"
            )
        covered = programs.committed(ctx.conn, found.id, body.kind)
        if body.amount_fen < covered:
            raise RuleViolation(
                f"the {body.kind} budget cannot go below the {covered} fen it already covers",
                field="statement.body.amount_fen",
            )

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(BudgetSet, signed)
        t = tables.budgets
        ctx.conn.execute(t.delete().where(t.c.program_id == body.program_id, t.c.kind == body.kind))
        ctx.conn.execute(
            t.insert().values(
                program_id=body.program_id,
                kind=body.kind,
                amount_fen=body.amount_fen,
                set_index=index,
            )
        )
        found = programs.program(ctx.conn, body.program_id)
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
        t = tables.budgets
        ctx.conn.execute(t.delete().where(t.c.program_id == program_id))
        found = programs.program(ctx.conn, program_id)
        if found is None:
            return []
        return release_waiting(ctx, found, index)
