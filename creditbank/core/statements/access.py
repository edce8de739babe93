"""Learner-account entries: they hold account numbers only, never personal data."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from creditbank.core.accounts import ACCOUNT_RE
from creditbank.core.bodies import Body

Account = Field(pattern=ACCOUNT_RE.pattern)


class AccountOpened(Body):
    account: str = Account
    opened_by: str = Field(min_length=1, max_length=64)


class AccountClosed(Body):
    account: str = Account
    closed_by: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500)


class AccountErased(Body):
    account: str = Account
    requested_by: Literal["learner", "authority"]
