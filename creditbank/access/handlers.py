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

from creditbank.access.store import (
    account_status,
    insert_account,
    record_learner_entry,
    set_status,
)
from creditbank.core.accounts import check_account_number
from creditbank.core.bodies import parse_body
from creditbank.core.entry import LOG_ACTOR, Derivation, SignedStatement
from creditbank.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from creditbank.core.statements.access import AccountClosed, AccountErased, AccountOpened
from creditbank.ledger.kinds import BatchContext


def _operator_only(signed: SignedStatement) -> None:
    if signed.actor != LOG_ACTOR:
        raise Forbidden(
            f"{signed.kind} is logged by the operator for an authenticated request",
            field="statement.actor",
        )


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
        insert_account(ctx, body.account, body.opened_by, index)
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
        set_status(ctx, body.account, "closed", index)
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
        set_status(ctx, body.account, "erased", index)
        record_learner_entry(ctx, body.account, index, signed.kind)
        return []
