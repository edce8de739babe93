"""Sessions and learner accounts: what is sent to sign in and open accounts, and what
comes back."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from creditbank.access.service import IdType
from creditbank.access.tokens import Role
from creditbank.api.schemas.base import Public


class TokenOut(Public):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105  (the OAuth2 token type, not a secret)
    expires_in: int


class ActivateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account: str
    activation_code: str = Field(min_length=1, max_length=64)
    id_number: str = Field(
        min_length=5,
        max_length=32,
        description="The learner's national ID number, as given when the account was opened: "
        "the activation code alone does not set a password.",
    )
    password: str = Field(min_length=1, max_length=200)


class LookupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id_type: IdType
    id_number: str = Field(min_length=5, max_length=32)


class ClosureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class MePublic(Public):
    """Who a bearer token says its holder is."""

    role: Role
    actor: str | None = Field(description="The organisation's actor id (not for learners).")
    account: str | None = Field(description="The learner's account number (learners only).")
    token_id: str


class OpenedOut(Public):
    account: str
    activation_code: str = Field(description="One-time code the learner uses to set a password.")
    index: int
    receipt: str


class AccountFound(Public):
    account: str


class AccountPublic(Public):
    """A learner account as the ledger knows it: the number, never the person."""

    account: str
    status: str = Field(description="open, closed or erased")
    opened_by: str
    opened_index: int


class AccountLoggedOut(Public):
    """A change to an account, logged: the entry and its receipt."""

    account: str
    index: int
    receipt: str


class PersonPublic(Public):
    """The learner's personal data, unsealed (as it was given, normalized)."""

    name: str
    id_type: IdType
    id_number: str
    phone: str | None
    email: str | None


class CredentialsPublic(Public):
    password_set: bool
    failed_attempts: int
    locked_until: str | None


class TokenPublic(Public):
    token_id: str
    created_at: str
    expires_at: str
    revoked_at: str | None


class LedgerEntryPublic(Public):
    index: int
    entry: dict[str, Any]


class LmsLinkPublic(Public):
    """An LMS account (an xAPI agent) a provider's statements name, linked to a learner."""

    provider: str
    agent: dict[str, Any]
    linked_at: str


class AccountExport(Public):
    """Everything the bank holds about a learner."""

    account: AccountPublic
    personal_data: PersonPublic | None = Field(description="None once erased.")
    personal_data_erased_at: str | None
    credentials: CredentialsPublic | None
    tokens: list[TokenPublic]
    ledger_entries: list[LedgerEntryPublic]
    lms_links: list[LmsLinkPublic] = Field(description="The LMS accounts linked to the learner.")
    xapi_statements: list[dict[str, Any]] = Field(
        description="The stored xAPI statements of those LMS accounts."
    )
