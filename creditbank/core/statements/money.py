"""Money entries: rewards (decided, ended, paid), budgets, and subsidy entitlements with
their parts (claimed, approved, rejected, paid, ended)."""

from __future__ import annotations

from typing import Any, Literal

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


# --- the statements people sign --------------------------------------------------------
# Ids are the idempotency keys: one payment per reward, one claim per part, one decision
# and one payment per part, so a repeated command returns the first receipt.


def reward_payment(authority: str, reward_index: int, reference: str) -> dict[str, Any]:
    return {
        "kind": "reward.paid",
        "actor": authority,
        "id": f"reward-payment/{reward_index}",
        "body": {"reward_index": reward_index, "payment_reference": reference},
    }


def subsidy_claim(provider: str, entitlement_index: int) -> dict[str, Any]:
    return {
        "kind": "subsidy.claimed",
        "actor": provider,
        "id": f"subsidy-claim/{entitlement_index}",
        "body": {"entitlement_index": entitlement_index},
    }


def subsidy_decision(
    authority: str, entitlement_index: int, provider: str, *, reject_because: str | None = None
) -> dict[str, Any]:
    """``subsidy.approved``, or ``subsidy.rejected`` with the reason given."""
    body: dict[str, Any] = {"entitlement_index": entitlement_index, "provider": provider}
    if reject_because is not None:
        body["reason"] = reject_because
    return {
        "kind": "subsidy.approved" if reject_because is None else "subsidy.rejected",
        "actor": authority,
        "id": f"subsidy-decision/{entitlement_index}/{provider}",
        "body": body,
    }


def subsidy_payment(
    authority: str, entitlement_index: int, provider: str, reference: str
) -> dict[str, Any]:
    return {
        "kind": "subsidy.paid",
        "actor": authority,
        "id": f"subsidy-payment/{entitlement_index}/{provider}",
        "body": {
            "entitlement_index": entitlement_index,
            "provider": provider,
            "payment_reference": reference,
        },
    }
