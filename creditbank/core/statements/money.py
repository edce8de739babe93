"""Money entries: rewards (decided, ended, paid), budgets, and subsidy entitlements with
their parts (claimed, approved, rejected, paid, ended)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictInt, StrictStr

from creditbank.core.bodies import Body

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


class Part(Body):
    provider: str
    credits: StrictStr
    amount_fen: StrictInt


class SubsidyEntitled(Body):
    learner: str
    certificate_number: str
    program_id: str
    year: StrictInt
    amount_fen: StrictInt
    claim_until: str
    parts: list[Part]
    derived_from: list[StrictInt]


class PartEnded(Body):
    """``subsidy.cancelled`` / ``subsidy.clawback_due``: one provider's part."""

    entitlement_index: StrictInt
    provider: str
    learner: str
    amount_fen: StrictInt
    derived_from: list[StrictInt]


class PartRef(Body):
    entitlement_index: StrictInt = Field(ge=0)


class PartDecision(Body):
    entitlement_index: StrictInt = Field(ge=0)
    provider: str = Field(min_length=1, max_length=64)


class PartRejected(PartDecision):
    reason: str = Field(min_length=1, max_length=500)


class PartPaid(PartDecision):
    payment_reference: StrictStr = PaymentReference
