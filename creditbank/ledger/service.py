"""Signed statements taken for their authors: the one way a write of an organisation
(over HTTP: a provider's completion, a certifying body's certificate, the authority's
budget) reaches the ledger. Nobody writes as someone else, and a route per kind of write
takes only its kind.

The sequencer's group commit owns the transaction; this checks who may send what before
anything is queued.
"""

from __future__ import annotations

from typing import Any, Protocol

from creditbank.core.entry import SignedStatement
from creditbank.core.errors import Forbidden, InvalidInput
from creditbank.ledger.sequencer import Appended, Ledger


class Submitted(Protocol):
    """A statement as its author sent it: checked for its author and kind first, then
    turned into a signed statement (decoding the signature may refuse it)."""

    @property
    def statement(self) -> dict[str, Any]: ...

    def to_signed(self) -> SignedStatement: ...


def require_author(statement: dict[str, Any], author: str | None) -> None:
    """The caller's actor must be the statement's author."""
    if statement.get("actor") != author:
        raise Forbidden(
            f"the token is {author}'s but the statement is by {statement.get('actor')!r}",
            field="statement.actor",
        )


async def append(
    ledger: Ledger, submitted: Submitted, *, author: str | None, kind: str | None = None
) -> Appended:
    """Log a statement ``author`` signed, of ``kind`` when one is given; its receipt once
    it is durable and checkpointed (or the original one for an idempotent re-post)."""
    require_author(submitted.statement, author)
    if kind is not None and submitted.statement.get("kind") != kind:
        raise InvalidInput(f"this endpoint takes {kind} statements", field="statement.kind")
    return await ledger.append_async(submitted.to_signed())
