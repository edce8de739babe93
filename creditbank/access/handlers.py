"""Rules for learner-account entries. They hold account numbers only, never personal data.

- ``account.opened``: logged by the operator for the authority or a provider who opened
  the account through the API (the bank assigns the number, so the opener cannot sign a
  statement naming it in advance); names the opener.
- ``account.closed``: the authority closes an account; completions for it are refused
  (and, off the ledger, the service revokes the learner's tokens; login reads the status).
- ``account.erased``: the learner's personal data was destroyed (crypto-shredded); the
  ledger keeps the pseudonymous account and everything logged about it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from sqlalchemy import update

from creditbank.core.accounts import ACCOUNT_RE, check_account_number
from creditbank.core.bodies import Body, parse_body
from creditbank.core.entry import LOG_ACTOR, Derivation, SignedStatement
from creditbank.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from creditbank.db import tables
from creditbank.ledger import store
from creditbank.ledger.kinds import BatchContext

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


def account_status(ctx: BatchContext, account: str) -> str | None:
    """An account's status (None: no such account), read once per batch."""
    key = ("acct", account)
    if key not in ctx.cache:
        rows = store.query(
            ctx.conn, "SELECT status FROM learner_accounts WHERE account = ?", (account,)
        )
        ctx.cache[key] = str(rows[0][0]) if rows else None
    status: str | None = ctx.cache[key]
    return status


def record_learner_entry(ctx: BatchContext, account: str, index: int, kind: str) -> None:
    """Note that entry ``index`` concerns ``account`` (history and export)."""
    store.write(
        ctx.conn,
        "INSERT INTO learner_entries (account, idx, kind) VALUES (?, ?, ?)",
        (account, index, kind),
    )


def _operator_only(signed: SignedStatement) -> None:
    if signed.actor != LOG_ACTOR:
        raise Forbidden(
            f"{signed.kind} is logged by the operator for an authenticated request",
            field="statement.actor",
        )


def _set_status(ctx: BatchContext, account: str, status: str, index: int) -> None:
    t = tables.learner_accounts
    ctx.conn.execute(
        update(t).where(t.c.account == account).values(status=status, updated_index=index)
    )
    ctx.cache[("acct", account)] = status


class AccountOpenedHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        _operator_only(signed)
        body = parse_body(AccountOpened, signed)
        check_account_number(body.account, field="statement.body.account")
        opener = ctx.actor(body.opened_by)
        if opener is None or opener.role not in ("authority", "provider"):
            raise Forbidden(
                "accounts are opened by the authority or a provider",
                field="statement.body.opened_by",
            )
        if account_status(ctx, body.account) is not None:
            raise Conflict(f"account {body.account} exists", field="statement.body.account")

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(AccountOpened, signed)
        ctx.conn.execute(
            tables.learner_accounts.insert().values(
                account=body.account,
                status="open",
                opened_by=body.opened_by,
                opened_index=index,
                updated_index=index,
            )
        )
        ctx.cache[("acct", body.account)] = "open"
        record_learner_entry(ctx, body.account, index, signed.kind)
        return []


class AccountClosedHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        _operator_only(signed)
        body = parse_body(AccountClosed, signed)
        status = account_status(ctx, body.account)
        if status is None:
            raise NotFound(f"no account {body.account}", field="statement.body.account")
        if status == "closed":
            raise Conflict(
                f"account {body.account} is already closed", field="statement.body.account"
            )

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(AccountClosed, signed)
        _set_status(ctx, body.account, "closed", index)
        record_learner_entry(ctx, body.account, index, signed.kind)
        return []


class AccountErasedHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        _operator_only(signed)
        body = parse_body(AccountErased, signed)
        status = account_status(ctx, body.account)
        if status is None:
            raise NotFound(f"no account {body.account}", field="statement.body.account")
        if status == "erased":
            raise InvalidInput(
                f"the personal data of {body.account} is already erased",
                field="statement.body.account",
            )

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(AccountErased, signed)
        _set_status(ctx, body.account, "erased", index)
        record_learner_entry(ctx, body.account, index, signed.kind)
        return []
