"""Per request, outermost: a request id (the caller's ``X-Request-ID`` when it is a sane
one, else a fresh one) echoed in the response, the route's metrics and one log line.

A plain ASGI middleware, so that it costs a clock read, a dict and two metric updates
per request. The route is the template the router matched (``/v1/learners/{account}``),
never the raw path, so the metrics' label values stay few and name nobody; the actor is
what :func:`creditbank.api.policy.authorize` noted in the request state.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from creditbank.api.logs import FIELDS, REQUEST_LOGGER
from creditbank.api.metrics import Metrics

REQUEST_ID = "X-Request-ID"
UNMATCHED = "unmatched"
"""The route label of a request no route matched (a 404, or a 405)."""

_SANE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,64}")
_ID_HEADER = REQUEST_ID.lower().encode()
log = logging.getLogger(REQUEST_LOGGER)


def request_id(scope: Scope) -> str:
    """The caller's request id if it is short and plain, else a new one."""
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for name, value in headers:
        if name == _ID_HEADER and _SANE_ID.fullmatch(value):
            return value.decode()
    return uuid.uuid4().hex


class Telemetry:
    """Request id, metrics and the request log line (see the module docstring)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = request_id(scope)
        state = scope.setdefault("state", {})  # shared with the request (actor noted there)
        status = 500  # unless a response starts: an exception escaped

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID, rid)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            method = scope["method"]
            self.metrics.request_done(method, route, status, seconds)
            if log.isEnabledFor(logging.INFO):
                log.info(
                    "%s %s %d",
                    method,
                    route,
                    status,
                    extra={
                        FIELDS: {
                            "request_id": rid,
                            "method": method,
                            "route": route,
                            "status": status,
                            "duration_ms": round(seconds * 1000, 3),
                            "actor": state.get("actor"),
                        }
                    },
                )
