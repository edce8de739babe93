"""Shared CLI plumbing: settings from flags, one error handler, a console."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from creditbank.core.errors import CreditBankError, VerificationError
from creditbank.settings import Settings

console = Console()
err_console = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Data directory (default $CREDITBANK_DATA_DIR or ./creditbank-data)."
    ),
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="SQLAlchemy URL (default SQLite in the data dir)."),
]

P = ParamSpec("P")
R = TypeVar("R")


def make_settings(data_dir: Path | None, database_url: str | None = None, **extra: Any) -> Settings:
    overrides: dict[str, Any] = {k: v for k, v in extra.items() if v is not None}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if database_url is not None:
        overrides["database_url"] = database_url
    return Settings(**overrides)


def cli_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Report domain and verification errors as a message and exit code 1 (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except CreditBankError as exc:
            where = escape(f" [{exc.field}]") if exc.field else ""
            err_console.print(f"[red]error{where}:[/red] {escape(exc.detail)}", highlight=False)
            raise typer.Exit(1) from exc
        except VerificationError as exc:
            err_console.print(
                f"[red]verification failed:[/red] {escape(str(exc))}", highlight=False
            )
            raise typer.Exit(1) from exc

    return wrapper
