"""A provider's batch of completions: up to MAX_BATCH signed ``completion.recorded``
statements logged together in one transaction, each accepted or refused on its own.

A refusal of one statement (someone else's, another kind, a bad signature, a rule) is
that statement's outcome, not the batch's: the others are still logged.
"""

from __future__ import annotations

from collections.abc import Sequence

from creditbank.core.entry import SignedStatement
from creditbank.core.errors import CreditBankError, Forbidden, InvalidInput
from creditbank.ledger.sequencer import Appended, Ledger
from creditbank.ledger.service import Submitted

MAX_BATCH = 1000
KIND = "completion.recorded"


def _signed(item: Submitted, provider: str | None) -> SignedStatement:
    if item.statement.get("actor") != provider:
        raise Forbidden("every statement must be by the token's actor", field="statement.actor")
    if item.statement.get("kind") != KIND:
        raise InvalidInput(f"a batch takes {KIND} statements", field="statement.kind")
    return item.to_signed()


def append_completions(
    ledger: Ledger, items: Sequence[Submitted], *, provider: str | None
) -> list[Appended | CreditBankError]:
    """Log the completions ``provider`` signed, in one transaction: an outcome per item,
    in order (its entry, or why it was refused)."""
    if len(items) > MAX_BATCH:
        raise InvalidInput(
            f"a batch holds at most {MAX_BATCH} completions, not {len(items)}",
            field="statements",
        )
    outcomes: list[Appended | CreditBankError | None] = [None] * len(items)
    signed: list[tuple[int, SignedStatement]] = []
    for i, item in enumerate(items):
        try:
            signed.append((i, _signed(item, provider)))
        except CreditBankError as exc:
            outcomes[i] = exc
    appended = ledger.append_many([s for _, s in signed])
    for (i, _), outcome in zip(signed, appended, strict=True):
        outcomes[i] = outcome
    return [o for o in outcomes if o is not None]
