"""Sessions and learner accounts over HTTP."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form
from fastapi.concurrency import run_in_threadpool

from creditbank.access import service, sessions
from creditbank.access.service import PersonIn
from creditbank.api.deps import BankDep
from creditbank.api.policy import PrincipalDep, signed_in
from creditbank.api.schemas.access import (
    AccountExport,
    AccountFound,
    AccountLoggedOut,
    AccountPublic,
    ActivateIn,
    ClosureIn,
    LookupIn,
    MePublic,
    OpenedOut,
    TokenOut,
)
from creditbank.core.accounts import check_account_number

router = APIRouter(prefix="/v1", tags=["access"])


@router.post("/auth/token")
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
    token_id = signed_in(principal).token_id
    await run_in_threadpool(sessions.log_out, bank, token_id, bank.ledger.clock())


@router.get("/me")
def me(principal: PrincipalDep) -> MePublic:
    """Who the bearer token says you are."""
    who = signed_in(principal)
    return MePublic(role=who.role, actor=who.actor_id, account=who.account, token_id=who.token_id)


@router.post("/learners", status_code=201)
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
def lookup(payload: LookupIn, bank: BankDep) -> AccountFound:
    """Find a learner's account by national ID (matched through its HMAC)."""
    return AccountFound(account=service.lookup_account(bank, payload.id_type, payload.id_number))


@router.get("/learners/{account}")
def account(account: str, bank: BankDep) -> AccountPublic:
    """An account's status (learners: their own only)."""
    return AccountPublic.model_validate(service.account_view(bank.engine, account))


@router.get("/learners/{account}/export")
def export(account: str, bank: BankDep) -> AccountExport:
    """Everything the bank holds about a learner, as JSON."""
    return AccountExport.model_validate(service.export_account(bank, account))


@router.post("/learners/{account}/erasure")
def erase(account: str, bank: BankDep, principal: PrincipalDep) -> AccountLoggedOut:
    """Destroy the learner's personal data (its key); the ledger logs ``account.erased``."""
    who = signed_in(principal)
    requested_by: Literal["learner", "authority"] = (
        "learner" if who.role == "learner" else "authority"
    )
    appended = sessions.erase_account(bank, account, requested_by, bank.ledger.clock())
    return AccountLoggedOut(account=account, index=appended.index, receipt=appended.receipt)


@router.post("/learners/{account}/closure")
def close(
    account: str, payload: ClosureIn, bank: BankDep, principal: PrincipalDep
) -> AccountLoggedOut:
    """Close an account: completions for it are refused from then on, the learner's
    tokens are revoked and login is refused."""
    who = signed_in(principal)
    appended = sessions.close_account(
        bank, account, who.actor_id or "authority", payload.reason, bank.ledger.clock()
    )
    return AccountLoggedOut(account=account, index=appended.index, receipt=appended.receipt)
