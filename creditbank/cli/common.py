"""Shared CLI plumbing: settings from flags, the log key as given, one error handler, and
consoles made per invocation."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

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


def fail(message: str) -> typer.Exit:
    """Print ``message`` (rich markup) as one line on standard error, whatever the width,
    and return the exit (code 1) for the caller to raise."""
    err_console().print(message, highlight=False, soft_wrap=True)
    return typer.Exit(1)


def cli_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Report domain and verification errors as one line and exit code 1 (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except CreditBankError as exc:
            where = escape(f" [{exc.field}]") if exc.field else ""
            raise fail(f"[red]error{where}:[/red] {escape(exc.detail)}") from exc
        except VerificationError as exc:
            raise fail(f"[red]verification failed:[/red] {escape(str(exc))}") from exc

    return wrapper
