"""Shared CLI plumbing: settings from flags, the log key as given, one error handler, and
consoles made per invocation."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from creditbank.client import ApiError
from creditbank.core.errors import CreditBankError, InvalidInput, VerificationError
from creditbank.core.keys import read_key_file
from creditbank.settings import Settings, load_settings

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Data directory (default $CREDITBANK_DATA_DIR or ./creditbank-data)."
    ),
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL (default $CREDITBANK_DATABASE_URL, else the one `init` saved in "
        "the data dir's creditbank.toml, else SQLite in the data dir).",
    ),
]

AsJson = Annotated[
    bool, typer.Option("--json", help="JSON instead of tables: one object, for scripts.")
]

P = ParamSpec("P")
R = TypeVar("R")


def out_console() -> Console:
    """A console on standard output, made when a command runs: it takes the width of this
    run's terminal (or its $COLUMNS), not of whichever run first imported the CLI."""
    return Console()


def err_console() -> Console:
    """Like :func:`out_console`, on standard error."""
    return Console(stderr=True)


def make_settings(data_dir: Path | None, database_url: str | None = None, **extra: Any) -> Settings:
    """Settings from the options given (None: not given), then the environment, then the
    data dir's creditbank.toml, then the defaults."""
    overrides: dict[str, Any] = {k: v for k, v in extra.items() if v is not None}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if database_url is not None:
        overrides["database_url"] = database_url
    return load_settings(**overrides)


def log_verifier_key(key: str | None, data_dir: Path | None) -> str:
    """The log's verifier key from ``--key``: the key string itself, ``@FILE``, or (None)
    the key of the ledger in the data dir."""
    if key is None:
        return read_key_file(make_settings(data_dir).log_key_path).verifier_key
    if key.startswith("@"):
        path = Path(key[1:])
        try:
            return path.read_text().strip()
        except OSError as exc:
            raise InvalidInput(f"cannot read {path}: {exc.strerror}", field="key") from exc
    return key


def table(title: str, *headers: str) -> Table:
    """A table that reads at any width: long cells fold, and no header is broken inside a
    word (each column is at least as wide as its header's longest word)."""
    return Table(
        *(
            Column(h, overflow="fold", min_width=max(len(w) for w in h.split()))
            for h in headers
        ),
        title=title,
    )


def echo_json(value: Any) -> None:
    """Print ``value`` as one JSON document on standard output (no console, no width)."""
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


def fail(message: str) -> typer.Exit:
    """Print ``message`` (rich markup) as one line on standard error, whatever the width,
    and return the exit (code 1) for the caller to raise."""
    err_console().print(message, highlight=False, soft_wrap=True)
    return typer.Exit(1)


def check_server(url: str) -> str:
    """The bank's base URL as given to ``--server``, refused when it cannot be right: the
    routes carry their own ``/v1``, so a URL ending in it doubles the prefix."""
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise InvalidInput(
            f"--server {url!r} is not an http(s) URL: give the bank's base URL, "
            "e.g. http://127.0.0.1:8000",
            field="server",
        )
    if parsed.path.rstrip("/").endswith("/v1"):
        base = str(parsed.copy_with(path=parsed.path.rstrip("/")[: -len("/v1")] or "/"))
        raise InvalidInput(
            f"--server {url} ends in /v1: give the bank's base URL without it ({base.rstrip('/')})",
            field="server",
        )
    return url


_ADVICE = {
    401: "the token was refused: check --token (or $CREDITBANK_TOKEN), or ask the bank "
    "for a new one (creditbank token create)",
    403: "this token's account may not do that: use a token of the right actor",
    404: "check --server (the bank's base URL, e.g. http://127.0.0.1:8000) and the ids given",
    413: "the request is too large: use a smaller --batch",
    429: "the bank is busy: wait a little and run the same command again (it is safe)",
}


def server_problem(exc: ApiError) -> str:
    """One line for a refusal by the bank: its status and problem, and what to do."""
    where = escape(f" [{exc.field}]") if exc.field else ""
    advice = _ADVICE.get(exc.status)
    if advice is None and exc.status >= 500:
        advice = "the bank failed: try again later, and tell its operators if it persists"
    tail = f"; {advice}" if advice else ""
    return f"[red]error{where}:[/red] {exc.status} {escape(exc.detail)}{escape(tail)}"


def connection_problem(exc: httpx.HTTPError) -> str:
    """One line for a bank that could not be reached or did not answer."""
    try:
        url = exc.request.url
        at = f" at {url.scheme}://{url.netloc.decode()}"
    except RuntimeError:  # an error raised before any request was made
        at = ""
    if isinstance(exc, httpx.TimeoutException):
        what = f"the bank{at} did not answer in time"
    elif isinstance(exc, httpx.ConnectError):
        what = f"cannot connect to the bank{at}"
    else:
        what = f"cannot talk to the bank{at} ({type(exc).__name__})"
    return (
        f"[red]error {escape('[server]')}:[/red] {escape(what)}: check --server and that the "
        "bank is running (creditbank serve), then run the same command again"
    )


def cli_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Report domain, verification and server errors as one line with what to do, and exit
    code 1 (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except CreditBankError as exc:
            where = escape(f" [{exc.field}]") if exc.field else ""
            raise fail(f"[red]error{where}:[/red] {escape(exc.detail)}") from exc
        except VerificationError as exc:
            raise fail(f"[red]verification failed:[/red] {escape(str(exc))}") from exc
        except ApiError as exc:
            raise fail(server_problem(exc)) from exc
        except httpx.HTTPError as exc:
            raise fail(connection_problem(exc)) from exc

    return wrapper
