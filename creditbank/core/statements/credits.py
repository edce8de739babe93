"""Completions and credits: a provider's completion and retraction, and the decisions the
rules derive from them (awards, their revocation, eligibility changes)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, StrictInt, StrictStr

from creditbank.core.accounts import ACCOUNT_RE
from creditbank.core.bodies import Body

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class CompletionRecorded(Body):
    learner: str = Field(pattern=ACCOUNT_RE.pattern)
    course_id: str = Field(min_length=1, max_length=64)
    completed_at: StrictStr
    score: StrictInt | None = Field(default=None, ge=0, le=100)
    passed: StrictBool | None = None
    hours_attended: StrictStr = Field(pattern=r"^(0|[1-9][0-9]{0,4})\.[0-9]$")
    evidence_sha256: Sha256 | None = None


class CompletionRetracted(Body):
    completion_index: StrictInt = Field(ge=0)
    reason: str = Field(min_length=1, max_length=500)


class CreditAwarded(Body):
    learner: str
    standard_id: str
    level: StrictInt
    unit_code: str
    credits: StrictStr
    mode: str
    provider: str
    course_id: str
    completion_index: StrictInt
    completed_at: str
    expires_at: str
    derived_from: list[StrictInt]


class CreditRevoked(Body):
    learner: str
    award_index: StrictInt
    completion_index: StrictInt
    reason: str
    derived_from: list[StrictInt]


class EligibilityChanged(Body):
    learner: str
    standard_id: str
    level: StrictInt
    derived_from: list[StrictInt]
