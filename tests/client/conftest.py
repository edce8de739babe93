"""The client against a real server: the app on a uvicorn server in a background thread,
on each engine (through the ``bank`` fixture), and clients that are always closed."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import uvicorn

from creditbank.api.app import create_app
from creditbank.bank import Bank
from creditbank.client import CreditBankClient

Connect = Callable[..., CreditBankClient]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def base_url(bank: Bank) -> Iterator[str]:
    """The URL of a uvicorn server running the app around ``bank``; stopped after the test."""
    port = free_port()
    # ws="none": no websocket routes, so no websocket library is loaded
    config = uvicorn.Config(
        create_app(bank), host="127.0.0.1", port=port, log_level="warning", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(timeout=5)
            raise RuntimeError("the uvicorn server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        assert not thread.is_alive(), "the uvicorn server did not stop"


@pytest.fixture
def connect(base_url: str) -> Iterator[Connect]:
    """``connect(token=..., key=..., actor=...)``: a client on the server, closed at the end."""
    with ExitStack() as stack:

        def make(**kwargs: Any) -> CreditBankClient:
            return stack.enter_context(CreditBankClient(base_url, **kwargs))

        yield make
