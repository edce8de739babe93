"""`creditbank demo --serve`: the demo, then its bank left running with the web pages,
the URLs and learners' sign-ins printed; a printed learner signs in."""

from __future__ import annotations

import os
import re
import signal
import socket
from pathlib import Path

import httpx
import pytest

from tests.ops.processes import start, stop, wait_for

pytestmark = pytest.mark.slow

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_demo_serve_prints_sign_ins_that_work(tmp_path: Path) -> None:
    port = _free_port()
    env_url = os.environ.pop("CREDITBANK_DATABASE_URL", None)  # the demo's own SQLite
    try:
        proc = start(
            "demo",
            "--data-dir",
            str(tmp_path / "demo"),
            "--serve",
            "--port",
            str(port),
            cwd=tmp_path,
        )
    finally:
        if env_url is not None:
            os.environ["CREDITBANK_DATABASE_URL"] = env_url
    base = f"http://127.0.0.1:{port}"
    output = b""
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # the demo's story, then the URLs and the sign-ins
            output += line
            if b"Ctrl-C stops the server" in line:
                break
        text = output.decode()
        assert f"{base}/portal" in text, text[-2000:]
        assert f"{base}/docs" in text
        login = re.search(r"(eligible|in-progress)\W+(CB\d{11})\W+([\w-]+)", text)
        assert login is not None, text[-2000:]
        wait_for(lambda: _answers(f"{base}/portal/signin"), 60, "the server did not start")
        with httpx.Client(base_url=base) as client:
            token = CSRF.search(client.get("/portal/signin").text)
            assert token is not None
            r = client.post(
                "/portal/signin",
                data={
                    "csrf_token": token.group(1),
                    "account": login.group(2),
                    "password": login.group(3),
                },
            )
            assert r.status_code == 303
            assert r.headers["location"] == f"/portal/{login.group(2)}"
            assert login.group(2) in client.get(r.headers["location"]).text
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.communicate(timeout=30)
        finally:
            stop(proc)
