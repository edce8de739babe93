"""The web pages under test: the demo's bank served by uvicorn in this process (one per
test process), a tampering proxy in front of it, and Debian's Chromium driven by
Selenium. Browser tests skip cleanly when chromium or chromedriver is missing.

Screenshots go to $CREDITBANK_ARTIFACTS (default: tmp/artifacts/web under the project),
never into the repository's tracked files."""

from __future__ import annotations

import io
import os
import shutil
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from creditbank.api.app import create_app
from creditbank.bank import Bank, open_bank
from creditbank.certificates.service import certificate_view, list_applications
from creditbank.settings import Settings
from creditbank.tooling.demo import run_demo
from creditbank.tooling.demo_portal import DemoLogin, demo_logins

PROJECT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("CREDITBANK_ARTIFACTS", PROJECT / "tmp" / "artifacts" / "web"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
PHONE = (390, 844)
DESKTOP = (1280, 900)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]


class StepClock:
    """The served bank's clock: just after the demo's simulated autumn, moving only
    forward (a microsecond a call), so runs are reproducible."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            self.now += timedelta(microseconds=1)
            return self.now


def tamper(body: bytes, offset: int) -> bytes:
    """``body`` with the byte at ``offset`` changed to another of its kind (a letter or
    digit to the next one, anything else to 'x')."""
    b = body[offset]
    ch = chr(b)
    if ch.isdigit():
        new = ord("0") + (b - ord("0") + 1) % 10
    elif "a" <= ch <= "z":
        new = ord("a") + (b - ord("a") + 1) % 26
    elif "A" <= ch <= "Z":
        new = ord("A") + (b - ord("A") + 1) % 26
    else:
        new = ord("x")
    return body[:offset] + bytes([new]) + body[offset + 1 :]


class TamperingProxy:
    """An ASGI app in front of the bank's: every certificate bundle it passes on has one
    byte changed, at ``choose(body)`` (None: passed on as it is)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.choose: Callable[[bytes], int | None] = lambda _: None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.endswith("/verification"):
            await self.app(scope, receive, send)
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def collect(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, collect)
        body = b"".join(chunks)
        offset = self.choose(body)
        if offset is not None:
            body = tamper(body, offset)
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _serve(app: Any) -> tuple[str, Callable[[], None]]:
    """Serve ``app`` with uvicorn on a free port in a thread; its URL and a stop."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", server_header=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = threading.Event()

    def ready() -> None:
        # uvicorn sets `started` once it listens; wait on it without sleeping blindly
        while not server.started and thread.is_alive():
            started.wait(0.02)

    ready()

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

    return f"http://127.0.0.1:{port}", stop


@dataclass
class Served:
    bank: Bank
    url: str
    proxy_url: str
    proxy: TamperingProxy
    logins: dict[str, DemoLogin]
    valid_number: str
    revoked_number: str
    data_dir: Path


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The demo's bank, served: four learners who can sign in, a valid and a revoked
    certificate, and the tampering proxy in front."""
    data_dir = tmp_path_factory.mktemp("web") / "demo"
    assert run_demo(data_dir, root=PROJECT, console=Console(file=io.StringIO(), width=120))
    bank = open_bank(
        Settings(data_dir=data_dir, batch_max_wait_ms=1),
        clock=StepClock(datetime(2026, 12, 9, 2, 0, tzinfo=UTC)),
    )
    try:
        logins = {login.kind: login for login in demo_logins(bank)}
        issued = [a for a in list_applications(bank.engine) if a["certificate_number"]]
        numbers = sorted(a["certificate_number"] for a in issued)
        views = [certificate_view(bank.engine, n) for n in numbers]
        revoked = next(v["certificate_number"] for v in views if v["status"] == "revoked")
        valid = next(v["certificate_number"] for v in views if v["status"] == "active")
        app = create_app(bank)
        proxy = TamperingProxy(app)
        url, stop = _serve(app)
        proxy_url, stop_proxy = _serve(proxy)
        try:
            yield Served(bank, url, proxy_url, proxy, logins, valid, revoked, data_dir)
        finally:
            stop_proxy()
            stop()
    finally:
        bank.close()


@pytest.fixture(scope="session")
def browser_downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="session")
def browser(browser_downloads: Path) -> Iterator[Any]:
    """Headless Debian Chromium through chromedriver (no browser download)."""
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip(
            "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--lang=en-US",
        f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
    ):
        options.add_argument(arg)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(browser_downloads),
            "download.prompt_for_download": False,
            "intl.accept_languages": "en-US,en",
        },
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior",
        {"behavior": "allow", "downloadPath": str(browser_downloads)},
    )
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def fresh_browser(browser: Any, served: Served) -> Any:
    """The browser with no cookies of the bank's (each test signs in as it needs)."""
    for url in (served.url, served.proxy_url):
        browser.get(url + "/static/favicon.svg")
        browser.delete_all_cookies()
    browser.set_window_size(*DESKTOP)
    return browser


def screenshot(browser: Any, name: str) -> None:
    """The page at phone and desktop widths, full height, as test artifacts."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in (("phone", PHONE), ("desktop", DESKTOP)):
        browser.set_window_size(width, height)
        full = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(width, min(max(height, int(full) + 140), 4000))
        browser.save_screenshot(str(ARTIFACTS / f"{name}-{label}.png"))
    browser.set_window_size(*DESKTOP)
