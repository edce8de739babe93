"""Ending learners' sessions where the server that serves them can see it: revoking a
token, erasing or closing an account revokes tokens in the database, and this process's
token cache (``Bank.tokens``) must stop trusting them at once, not when its entries age
out. Other processes drop them when their cache entries expire (see TokenCache)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from creditbank.access import service
from creditbank.access.tokens import revoke_token
from creditbank.ledger.sequencer import Appended
from creditbank.ports import BankServices


def log_out(bank: BankServices, token_id: str, now: datetime) -> None:
    """Revoke the token ``token_id``."""
    revoke_token(bank.engine, token_id, now)
    bank.tokens.evict(token_id)


def erase_account(
    bank: BankServices, account: str, requested_by: Literal["learner", "authority"], now: datetime
) -> Appended:
    """``service.erase_account``, and forget the learner's tokens it revoked."""
    appended = service.erase_account(bank, account, requested_by, now)
    bank.tokens.evict_account(account)
    return appended


def close_account(
    bank: BankServices, account: str, closed_by: str, reason: str, now: datetime
) -> Appended:
    """``service.close_account``, and forget the learner's tokens it revoked."""
    appended = service.close_account(bank, account, closed_by, reason, now)
    bank.tokens.evict_account(account)
    return appended
