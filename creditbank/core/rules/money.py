"""The money rules of rules.md (Rewards; Enterprise subsidies), as pure functions.

Values in, values out: amounts are integer fen, instants are aware datetimes, nothing here
reads a database or a clock. The ledger handlers (``creditbank.money.rewards`` and
``creditbank.money.subsidies``) read the facts through ``creditbank.money.store``, call
these, and write and log what they return.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from creditbank.core.entry import Derivation, format_time
from creditbank.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from creditbank.core.standards.model import format_credits
from creditbank.core.standards.program import Program

PROGRAM_TIMEZONE = ZoneInfo("Asia/Shanghai")

RewardStatus = Literal["pending_budget", "granted", "paid", "cancelled", "clawback_due"]
PartStatus = Literal["open", "claimed", "approved", "rejected", "paid", "cancelled", "clawback_due"]
BudgetKind = Literal["reward", "subsidy"]

# Statuses that consume a budget (rules.md: granted and paid rewards, approved and paid
# subsidy parts; a clawback due stays counted against the budget).
REWARD_COMMITTED: tuple[RewardStatus, ...] = ("granted", "paid", "clawback_due")
SUBSIDY_COMMITTED: tuple[PartStatus, ...] = ("approved", "paid", "clawback_due")


def program_year(instant: datetime) -> int:
    """The program year of an instant: its calendar year in Asia/Shanghai time."""
    return instant.astimezone(PROGRAM_TIMEZONE).year


def program_month(instant: datetime) -> str:
    """``YYYY-MM`` of an instant in Asia/Shanghai time (for monthly reports)."""
    local = instant.astimezone(PROGRAM_TIMEZONE)
    return f"{local.year:04d}-{local.month:02d}"


def reward_amount(level_reward_fen: int, yearly_cap_fen: int, counted_this_year_fen: int) -> int:
    """The reward for a new certificate: its level's amount, capped so the learner's
    non-cancelled rewards in the program year never exceed the cap. 0 grants nothing."""
    return max(0, min(level_reward_fen, yearly_cap_fen - counted_this_year_fen))


@dataclass(frozen=True)
class Waiting:
    """A reward waiting for budget (``pending_budget``), in arrival order."""

    reward_index: int
    amount_fen: int


@dataclass(frozen=True)
class Admission:
    """What happens to a new reward: ``granted``, or ``pending_budget`` because an earlier
    reward of its year still waits (``queue_waiting``: nobody overtakes it) or because what
    the budget has left cannot cover it (``budget_short``)."""

    status: Literal["granted", "pending_budget"]
    reason: Literal["covered", "queue_waiting", "budget_short"]

    @property
    def granted(self) -> bool:
        return self.status == "granted"


def admit(remaining_fen: int, amount_fen: int, *, queue_waiting: bool) -> Admission:
    """The decision for a new reward: the year's rewards form one queue in issuance order,
    so it is granted only when no earlier reward of the year waits and the remainder
    covers it; otherwise it joins the queue, even if it is smaller than the one waiting."""
    if queue_waiting:
        return Admission("pending_budget", "queue_waiting")
    if amount_fen > remaining_fen:
        return Admission("pending_budget", "budget_short")
    return Admission("granted", "covered")


def release(remaining_fen: int, waiting: Sequence[Waiting]) -> list[int]:
    """Which waiting rewards the remaining budget now grants: strictly in arrival order,
    stopping at the first that does not fit."""
    granted: list[int] = []
    for reward in sorted(waiting, key=lambda w: w.reward_index):
        if reward.amount_fen > remaining_fen:
            break
        remaining_fen -= reward.amount_fen
        granted.append(reward.reward_index)
    return granted


def split_subsidy(total_fen: int, credits_by_provider: Mapping[str, int]) -> dict[str, int]:
    """Split a subsidy among providers in proportion to their credits (tenths).

    Each provider gets the floor of its share in fen; the fen left over go one each to the
    largest fractional remainders, ties to the smaller provider id. The parts always sum
    to ``total_fen``. Providers with no credits get nothing; so does a zero part.
    """
    if total_fen < 0:
        raise ValueError("a subsidy is not negative")
    weights = {p: c for p, c in credits_by_provider.items() if c > 0}
    if any(c < 0 for c in credits_by_provider.values()):
        raise ValueError("credits are not negative")
    whole = sum(weights.values())
    if whole == 0:
        raise ValueError("a subsidy needs at least one provider with credits")
    parts = {p: total_fen * c // whole for p, c in weights.items()}
    # exact remainders as integers: (total * c) mod whole, compared without floats
    remainders = {p: total_fen * c % whole for p, c in weights.items()}
    left = total_fen - sum(parts.values())
    for provider in sorted(weights, key=lambda p: (-remainders[p], p))[:left]:
        parts[provider] += 1
    return {p: amount for p, amount in sorted(parts.items()) if amount > 0}


def claim_deadline(issued_at: datetime, window_days: int) -> datetime:
    """The last instant a subsidy entitlement may be claimed: issuance plus the window."""
    return issued_at + timedelta(days=window_days)


def may_claim(now: datetime, deadline: datetime) -> bool:
    """A claim is within the window up to and including its deadline."""
    return now <= deadline


def fits_budget(budget_fen: int, committed_fen: int, amount_fen: int) -> bool:
    """Whether ``amount_fen`` fits what the budget has left after what it already covers."""
    return committed_fen + amount_fen <= budget_fen


def program_budget(program: Program, kind: BudgetKind, set_fen: int | None) -> int:
    """A program's budget of ``kind``: the last ``budget.set`` since its newest version was
    published (``set_fen``), else what that version states."""
    if set_fen is not None:
        return set_fen
    return program.reward_budget_fen if kind == "reward" else program.subsidy_budget_fen


# --- transitions: rewards -----------------------------------------------------------------
# The ledger handlers read the facts below through ``creditbank.money.store``, call these,
# and write and log what they return; these read nothing and write nothing.


@dataclass(frozen=True)
class Reward:
    """A reward as the rules see it; its id is the index of its first entry."""

    index: int
    learner: str
    certificate_number: str
    program_id: str
    year: int
    level: int
    amount_fen: int
    status: RewardStatus


def issuance_reward(program: Program, level: int, counted_this_year_fen: int) -> int:
    """What a new certificate at ``level`` earns under the year's program: the level's
    reward under the learner's yearly cap (``reward_amount``; 0 grants nothing)."""
    return reward_amount(
        program.reward_for_level_fen(level),
        program.reward_cap_per_learner_per_year_fen,
        counted_this_year_fen,
    )


def reward_decided(
    program: Program,
    *,
    learner: str,
    certificate_number: str,
    level: int,
    amount_fen: int,
    admission: Admission,
    source: int,
) -> Derivation:
    """The ``reward.granted`` (``queued_index`` None) or ``reward.queued`` decision for the
    certificate issued at ``source``, as ``admit`` decided it."""
    body: dict[str, object] = {
        "learner": learner,
        "certificate_number": certificate_number,
        "program_id": program.id,
        "year": program.year,
        "level": level,
        "amount_fen": amount_fen,
    }
    if admission.granted:
        return Derivation("reward.granted", {**body, "queued_index": None}, (source,))
    return Derivation("reward.queued", body, (source,))


def released_rewards(
    remaining_fen: int, waiting: Sequence[Reward], source: int
) -> list[Derivation]:
    """The ``reward.granted`` decisions (naming ``queued_index``) for the waiting rewards
    the remainder now covers (``release``: in arrival order, stopping at the first that
    does not fit), each derived from ``source`` and the reward."""
    ordered = sorted(waiting, key=lambda r: r.index)
    granted = set(release(remaining_fen, [Waiting(r.index, r.amount_fen) for r in ordered]))
    return [
        Derivation(
            "reward.granted",
            {
                "learner": r.learner,
                "certificate_number": r.certificate_number,
                "program_id": r.program_id,
                "year": r.year,
                "level": r.level,
                "amount_fen": r.amount_fen,
                "queued_index": r.index,
            },
            (source, r.index),
        )
        for r in ordered
        if r.index in granted
    ]


REWARD_ENDINGS: Mapping[RewardStatus, str] = {
    "granted": "reward.cancelled",
    "pending_budget": "reward.cancelled",
    "paid": "reward.clawback_due",
}
"""What a certificate's revocation does to its reward, by the reward's status: an unpaid
one is cancelled, a paid one becomes a clawback due; any other stays as it is."""


def rewards_on_revoke(rewards: Iterable[Reward], source: int) -> list[Derivation]:
    """The revocation at ``source`` of the certificate these rewards were granted for."""
    out: list[Derivation] = []
    for r in rewards:
        kind = REWARD_ENDINGS.get(r.status)
        if kind is None:
            continue
        body = {
            "reward_index": r.index,
            "learner": r.learner,
            "certificate_number": r.certificate_number,
            "amount_fen": r.amount_fen,
        }
        out.append(Derivation(kind, body, (source, r.index)))
    return out


def ending_moves_queue(ended: Literal["cancelled", "clawback_due"], before: RewardStatus) -> bool:
    """Whether ending a reward lets the year's queue move: a cancelled granted reward grows
    the remainder, and a cancelled waiting one may have been the head that held the others
    back (``release`` grants nothing when the remainder covers nobody)."""
    return ended == "cancelled" and before in ("granted", "pending_budget")


def check_reward_payment(reward_index: int, reward: Reward | None) -> None:
    """Refuse ``reward.paid`` for a reward that does not exist or is not granted."""
    if reward is None:
        raise NotFound(f"no reward {reward_index}", field="statement.body.reward_index")
    if reward.status != "granted":
        raise Conflict(
            f"reward {reward_index} is {reward.status}; only a granted reward is paid",
            field="statement.body.reward_index",
        )


def require_program(program_id: str, program: Program | None) -> Program:
    """The published program a ``budget.set`` names, or the refusal."""
    if program is None:
        raise NotFound(f"no published program {program_id}", field="statement.body.program_id")
    return program


def check_budget_floor(kind: BudgetKind, amount_fen: int, committed_fen: int) -> None:
    """A budget never goes below what it already covers."""
    if amount_fen < committed_fen:
        raise RuleViolation(
            f"the {kind} budget cannot go below the {committed_fen} fen it already covers",
            field="statement.body.amount_fen",
        )


# --- transitions: subsidies ---------------------------------------------------------------


@dataclass(frozen=True)
class Entitlement:
    """A ``subsidy.entitled`` entry as the claim rules see it."""

    index: int
    learner: str
    claim_until: datetime


@dataclass(frozen=True)
class SubsidyPart:
    """One provider's part of an entitlement."""

    entitlement_index: int
    provider: str
    learner: str
    program_id: str
    amount_fen: int
    status: PartStatus


def may_generate_subsidy(program: Program, awards: Sequence[int]) -> bool:
    """Whether a certificate can generate a subsidy at all: the program pays one per
    certified trainee and the certificate rests on awards (someone trained the learner)."""
    return program.subsidy_per_trainee_fen != 0 and bool(awards)


def within_subsidy_limit(program: Program, counted_this_year: int) -> bool:
    """Whether the learner may generate one more subsidy this program year;
    ``counted_this_year``: the learner's subsidies of the year with a part not cancelled."""
    return counted_this_year < program.subsidies_per_trainee_per_year


def subsidy_entitled(
    program: Program,
    *,
    learner: str,
    certificate_number: str,
    credits_by_provider: Mapping[str, int],
    now: datetime,
    source: int,
) -> Derivation:
    """The ``subsidy.entitled`` decision for the certificate issued at ``source`` (at
    ``now``): the program's amount per trainee split among the providers by the credits
    (tenths) of the awards it rests on, claimable until issuance plus the claim window."""
    split = split_subsidy(program.subsidy_per_trainee_fen, credits_by_provider)
    deadline = claim_deadline(now, program.subsidy_claim_window_days)
    return Derivation(
        "subsidy.entitled",
        {
            "learner": learner,
            "certificate_number": certificate_number,
            "program_id": program.id,
            "year": program.year,
            "amount_fen": program.subsidy_per_trainee_fen,
            "claim_until": format_time(deadline),
            "parts": [
                {
                    "provider": p,
                    "credits": format_credits(credits_by_provider[p]),
                    "amount_fen": amount,
                }
                for p, amount in split.items()
            ],
        },
        (source,),
    )


PART_ENDINGS: Mapping[PartStatus, str] = {
    "open": "subsidy.cancelled",
    "claimed": "subsidy.cancelled",
    "approved": "subsidy.cancelled",
    "paid": "subsidy.clawback_due",
}
"""What a certificate's revocation does to a subsidy part, by the part's status: unpaid
parts are cancelled, paid ones become clawbacks due; rejected ones stay rejected."""


def parts_on_revoke(parts: Iterable[SubsidyPart], source: int) -> list[Derivation]:
    """The revocation at ``source`` of the certificate these parts were entitled for, in
    (entitlement, provider) order."""
    # Sorted here, by code point: an SQL ORDER BY on text follows the database's
    # collation (a linguistic PostgreSQL locale ignores '-'), and the audit's SQLite replay
    # must derive these entries in the same order.
    out: list[Derivation] = []
    for part in sorted(parts, key=lambda p: (p.entitlement_index, p.provider)):
        kind = PART_ENDINGS.get(part.status)
        if kind is None:
            continue
        body = {
            "entitlement_index": part.entitlement_index,
            "provider": part.provider,
            "learner": part.learner,
            "amount_fen": part.amount_fen,
        }
        out.append(Derivation(kind, body, (source, part.entitlement_index)))
    return out


def check_claim(
    provider: str,
    entitlement_index: int,
    entitlement: Entitlement | None,
    part: SubsidyPart | None,
    now: datetime,
) -> None:
    """Refuse a provider's ``subsidy.claimed`` unless the entitlement exists, the provider
    holds an open part of it, and the claim window is still open at ``now``."""
    if entitlement is None:
        raise NotFound(
            f"no subsidy entitlement {entitlement_index}", field="statement.body.entitlement_index"
        )
    if part is None:
        raise Forbidden(
            f"{provider} has no part in subsidy entitlement {entitlement_index}",
            field="statement.body.entitlement_index",
        )
    if part.status != "open":
        raise Conflict(
            f"{provider}'s part of entitlement {entitlement_index} is {part.status}",
            field="statement.body.entitlement_index",
        )
    if not may_claim(now, entitlement.claim_until):
        raise RuleViolation(
            f"the claim window closed at {format_time(entitlement.claim_until)}",
            field="statement.body.entitlement_index",
        )


def require_part(
    entitlement_index: int,
    provider: str,
    entitlement: Entitlement | None,
    part: SubsidyPart | None,
    *,
    status: PartStatus,
    action: str,
) -> SubsidyPart:
    """The part the authority decides on or pays, refused unless it exists in ``status``
    (``action``: what is done to it, for the message)."""
    if entitlement is None:
        raise NotFound(
            f"no subsidy entitlement {entitlement_index}", field="statement.body.entitlement_index"
        )
    if part is None:
        raise NotFound(
            f"{provider} has no part in subsidy entitlement {entitlement_index}",
            field="statement.body.provider",
        )
    if part.status != status:
        raise Conflict(
            f"{provider}'s part of entitlement {entitlement_index} is {part.status}; "
            f"only a {status} part is {action}",
            field="statement.body.entitlement_index",
        )
    return part


def check_approval_budget(
    program_id: str, budget_fen: int, committed_fen: int, amount_fen: int
) -> None:
    """Refuse approving a part the program's subsidy budget no longer covers."""
    if not fits_budget(budget_fen, committed_fen, amount_fen):
        raise RuleViolation(
            f"the {program_id} subsidy budget has {budget_fen - committed_fen} fen left; "
            f"this part needs {amount_fen} fen",
            field="statement.body.entitlement_index",
        )
