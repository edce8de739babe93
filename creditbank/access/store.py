"""The access domain's tables on the ledger's write path: learner accounts and the index
of the entries that concern each learner, with the batch's typed cache of account status.

Every read and write of ``learner_accounts`` and ``learner_entries`` during sequencing
goes through here; other domains ask ``account_status`` and call ``record_learner_entry``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from creditbank.ledger import store
from creditbank.ledger.kinds import BatchContext


@dataclass
class AccountsState:
    """Account status by account number (None: no such account), as of this point of the
    batch; every status change goes through ``set_status``/``insert_account``."""

    status: dict[str, str | None] = field(default_factory=dict)


def account_status(ctx: BatchContext, account: str) -> str | None:
    """An account's status (None: no such account), read once per batch."""
    state = ctx.state(AccountsState)
    if account not in state.status:
        rows = store.query(
            ctx.conn, "SELECT status FROM learner_accounts WHERE account = ?", (account,)
        )
        state.status[account] = str(rows[0][0]) if rows else None
    return state.status[account]


def prefetch_statuses(ctx: BatchContext, accounts: Iterable[str]) -> None:
    """Read the status of many accounts in one query per 500 (a batch of completions)."""
    state = ctx.state(AccountsState)
    wanted = sorted(set(accounts) - set(state.status))
    found: dict[str, str | None] = dict.fromkeys(wanted)
    for account, value in store.rows_matching(
        ctx.conn, "learner_accounts", "status", [("account", "text")], [(a,) for a in wanted]
    ):
        found[account] = str(value)
    state.status.update(found)


def insert_account(ctx: BatchContext, account: str, opened_by: str, index: int) -> None:
    store.write(
        ctx.conn,
        "INSERT INTO learner_accounts (account, status, opened_by, opened_index, "
        "updated_index) VALUES (?, 'open', ?, ?, ?)",
        (account, opened_by, index, index),
    )
    ctx.state(AccountsState).status[account] = "open"


def set_status(ctx: BatchContext, account: str, status: str, index: int) -> None:
    store.write(
        ctx.conn,
        "UPDATE learner_accounts SET status = ?, updated_index = ? WHERE account = ?",
        (status, index, account),
    )
    ctx.state(AccountsState).status[account] = status


def record_learner_entry(ctx: BatchContext, account: str, index: int, kind: str) -> None:
    """Note that entry ``index`` concerns ``account`` (history and export)."""
    store.write(
        ctx.conn,
        "INSERT INTO learner_entries (account, idx, kind) VALUES (?, ?, ?)",
        (account, index, kind),
    )
