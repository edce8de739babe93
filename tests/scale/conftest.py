"""Fixtures for the scale tests: the credits world (a catalogue, a provider with
recognized courses) and a plain static file server over a folder."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.credits.conftest import world  # noqa: F401  (the credits world, reused)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def static_server(folder: Path) -> Iterator[str]:
    """Python's own static file server over ``folder`` on a free port, in a thread: no
    creditbank code answers a request."""
    handler: Callable[..., SimpleHTTPRequestHandler] = functools.partial(
        _Quiet, directory=str(folder)
    )
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, name="static-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
