"""The money rules of rules.md (Rewards; Enterprise subsidies), as pure functions.

Values in, values out: amounts are integer fen, instants are aware datetimes, nothing here
reads a database or a clock. The ledger handlers (``creditbank.money.handlers``) feed them
projections and log what they decide.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

PROGRAM_TIMEZONE = ZoneInfo("Asia/Shanghai")


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
