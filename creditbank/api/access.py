"""Sessions and learner accounts over HTTP."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from creditbank.access import service
from creditbank.access.service import IdType, PersonIn
from creditbank.access.tokens import revoke_token
from creditbank.api.deps import BankDep
from creditbank.api.policy import PrincipalDep, signed_in
from creditbank.core.accounts import check_account_number

router = APIRouter(prefix="/v1", tags=["access"])


class TokenOut(BaseModel):
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


class OpenedOut(BaseModel):
    account: str
    activation_code: str = Field(description="One-time code the learner uses to set a password.")
    index: int
    receipt: str


class ClosureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


@router.post("/auth/token", response_model=TokenOut)
async def login(
    bank: BankDep,
    username: Annotated[str, Form(description="The learner's account number.")],
    password: Annotated[str, Form()],
) -> TokenOut:
    """OAuth2 password flow for learners: account number and password for a bearer token."""
    account = check_account_number(username, field="username")
    now = bank.ledger.clock()
    token, expires = await run_in_threadpool(service.login, bank, account, password, now)
    return TokenOut(access_token=token, expires_in=int((expires - now).total_seconds()))


@router.post("/auth/activate", status_code=204)
async def activate(payload: ActivateIn, bank: BankDep) -> None:
    """Set a learner's password with the activation code given when the account opened
    and the learner's national ID number."""
    await run_in_threadpool(
        service.activate,
        bank,
        payload.account,
        payload.activation_code,
        payload.id_number,
        payload.password,
        bank.ledger.clock(),
    )


@router.post("/auth/logout", status_code=204)
async def logout(bank: BankDep, principal: PrincipalDep) -> None:
    """Revoke the token this request carries."""
    who = signed_in(principal)
    await run_in_threadpool(revoke_token, bank.engine, who.token_id, bank.ledger.clock())
    bank.tokens.evict(who.token_id)


@router.get("/me")
def me(principal: PrincipalDep) -> dict[str, Any]:
    """Who the bearer token says you are."""
    who = signed_in(principal)
    return {
        "role": who.role,
        "actor": who.actor_id,
        "account": who.account,
        "token_id": who.token_id,
    }


@router.post("/learners", status_code=201, response_model=OpenedOut)
def open_account(person: PersonIn, bank: BankDep, principal: PrincipalDep) -> OpenedOut:
    """Open a learner account (authority, or a provider on the learner's behalf). The
    personal data is sealed off the ledger; the ledger logs the account number only."""
    who = signed_in(principal)
    assert who.actor_id is not None  # organisations' tokens always name an actor
    opened = service.open_account(bank, person, who.actor_id, bank.ledger.clock())
    return OpenedOut(
        account=opened.account,
        activation_code=opened.activation_code,
        index=opened.appended.index,
        receipt=opened.appended.receipt,
    )


@router.post("/learners/lookup")
def lookup(payload: LookupIn, bank: BankDep) -> dict[str, str]:
    """Find a learner's account by national ID (matched through its HMAC)."""
    return {"account": service.lookup_account(bank, payload.id_type, payload.id_number)}


@router.get("/learners/{account}")
def account(account: str, bank: BankDep) -> dict[str, Any]:
    """An account's status (learners: their own only)."""
    return service.account_view(bank.engine, account)


@router.get("/learners/{account}/export")
def export(account: str, bank: BankDep) -> dict[str, Any]:
    """Everything the bank holds about a learner, as JSON."""
    return service.export_account(bank, account)


@router.post("/learners/{account}/erasure")
def erase(account: str, bank: BankDep, principal: PrincipalDep) -> dict[str, Any]:
    """Destroy the learner's personal data (its key); the ledger logs ``account.erased``."""
    who = signed_in(principal)
    requested_by: Literal["learner", "authority"] = (
        "learner" if who.role == "learner" else "authority"
    )
    appended = service.erase_account(bank, account, requested_by, bank.ledger.clock())
    bank.tokens.evict_account(account)  # the erasure revoked them: stop trusting them now
    return {"account": account, "index": appended.index, "receipt": appended.receipt}


@router.post("/learners/{account}/closure")
def close(
    account: str, payload: ClosureIn, bank: BankDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Close an account: completions for it are refused from then on, the learner's
    tokens are revoked and login is refused."""
    who = signed_in(principal)
    appended = service.close_account(
        bank, account, who.actor_id or "authority", payload.reason, bank.ledger.clock()
    )
    bank.tokens.evict_account(account)  # the closure revoked them: stop trusting them now
    return {"account": account, "index": appended.index, "receipt": appended.receipt}
