"""RFC 9457 problem details: the one mapping from errors to HTTP responses."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from creditbank.core.errors import CreditBankError

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        body, status_code=int(body["status"]), media_type=PROBLEM_JSON, headers=headers
    )


def _field_of(error: Any) -> str:
    if error.get("type") == "json_invalid":
        return "body"  # the position in the text is in the message, not a field
    return _field_from_loc(tuple(error.get("loc", ())))


def _field_from_loc(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]  # the location kind; the field's own path follows it
    return ".".join(parts) or "body"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(CreditBankError)
    async def _domain(_: Request, exc: CreditBankError) -> JSONResponse:
        if exc.status >= 500:
            log.error("integrity failure: %s", exc.detail)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem_response(exc.problem(), headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        field = _field_of(first)
        return problem_response(
            {
                "type": "https://creditbank.local/problems/invalid-input",
                "title": "Invalid input",
                "status": 422,
                "detail": f"{field}: {first.get('msg', 'invalid')}",
                "field": field,
                "errors": [{"field": _field_of(e), "message": e.get("msg")} for e in errors],
            }
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(
            {
                # RFC 9457 4.2.1: with about:blank, the title is the status's own phrase
                "type": "about:blank",
                "title": _phrase(exc.status_code),
                "status": exc.status_code,
                "detail": str(exc.detail),
            },
            dict(exc.headers) if exc.headers else None,
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return problem_response(
            {
                "type": "https://creditbank.local/problems/internal",
                "title": "Internal error",
                "status": 500,
                "detail": "an unexpected error occurred; it has been logged",
            }
        )
