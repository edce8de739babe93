"""A learner's application for a certificate, filed for them: the operator logs
``certificate.applied`` for the learner (or the authority acting for them), and the rules
refuse it unless the learner is eligible now, holds no active certificate for the level
and has no open application for it."""

from __future__ import annotations

import asyncio
import uuid

from creditbank.core.errors import CreditBankError
from creditbank.ledger.sequencer import Appended, Ledger

# Refusals of the operator statement name its body's fields; the caller named them so.
_REQUEST_FIELD = {"statement.body.learner": "account"}
_BODY = "statement.body."


def _request_field(field: str | None) -> str | None:
    if field is None:
        return None
    if field in _REQUEST_FIELD:
        return _REQUEST_FIELD[field]
    return field.removeprefix(_BODY)


async def file_application(ledger: Ledger, account: str, standard_id: str, level: int) -> Appended:
    """Log the learner ``account``'s application for ``standard_id`` at ``level``; a
    refusal names the field as the request did (``account``, ``standard_id``, ``level``)."""
    body = {"learner": account, "standard_id": standard_id, "level": level}
    future = ledger.submit_operator("certificate.applied", f"apply:{uuid.uuid4()}", body)
    try:
        return await asyncio.wrap_future(future)
    except CreditBankError as exc:
        exc.field = _request_field(exc.field)
        raise
