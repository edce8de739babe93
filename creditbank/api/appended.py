"""The answer to a logged statement: 201 with its receipt for a new entry, 200 with the
original receipt for an idempotent re-post (decision 0006)."""

from __future__ import annotations

from typing import Any

from fastapi import status
from fastapi.responses import JSONResponse

from creditbank.api.schemas.ledger import AppendedOut
from creditbank.ledger.sequencer import Appended

REPOSTED: dict[int | str, dict[str, Any]] = {
    status.HTTP_200_OK: {
        "model": AppendedOut,
        "description": "An idempotent re-post: the entry first logged, with its original receipt.",
    }
}
"""The ``responses`` of a route that logs a statement (its 201 is its response_model)."""


def appended_response(a: Appended) -> JSONResponse:
    """201 for a new entry, 200 with the original receipt for an idempotent re-post."""
    return JSONResponse(
        AppendedOut.of(a).model_dump(),
        status_code=status.HTTP_200_OK if a.duplicate else status.HTTP_201_CREATED,
    )
