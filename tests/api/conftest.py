"""HTTP tests go through httpx against the ASGI app, driven from sync tests by an anyio
blocking portal (an event loop in a helper thread)."""

from __future__ import annotations

from typing import Any

import httpx
from anyio.from_thread import BlockingPortal


class ASGIClient:
    """A synchronous face on ``httpx.AsyncClient(transport=ASGITransport(app))``."""

    def __init__(self, portal: BlockingPortal, client: httpx.AsyncClient) -> None:
        self._portal = portal
        self._client = client
        self.token: str | None = None  # sent when a call names none

    def request(
        self, method: str, url: str, *, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        token = token or self.token
        if token is not None:
            kwargs["headers"] = {**kwargs.get("headers", {}), "Authorization": f"Bearer {token}"}
        return self._portal.call(lambda: self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)
