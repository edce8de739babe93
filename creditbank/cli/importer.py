"""`creditbank import FILE`: a training platform's completions export, signed and sent."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from creditbank.cli.common import cli_errors, err_console, out_console
from creditbank.client import CreditBankClient
from creditbank.core.errors import InvalidInput
from creditbank.core.imports import read_rows
from creditbank.core.keys import read_key_file


@cli_errors
def import_completions(
    file: Annotated[Path, typer.Argument(help="A .jsonl or .csv export of completions.")],
    server: Annotated[str, typer.Option(help="The bank's API, e.g. http://127.0.0.1:8000.")],
    token: Annotated[
        str, typer.Option(envvar="CREDITBANK_TOKEN", help="The provider's bearer token.")
    ],
    provider: Annotated[str, typer.Option(help="The provider's actor id.")],
    key: Annotated[Path, typer.Option(help="The provider's signing key file.")],
    fmt: Annotated[
        str, typer.Option("--format", help="jsonl, csv, or auto (by extension).")
    ] = "auto",
    batch: Annotated[int, typer.Option(min=1, max=1000, help="Completions per request.")] = 500,
    rejects: Annotated[
        Path | None, typer.Option(help="Where rejected rows go (default FILE.rejects.jsonl).")
    ] = None,
) -> None:
    """Sign every row with the provider's key and post them in batches. Safe to interrupt
    and re-run: completion ids are idempotency keys, so rows already logged come back as
    duplicates and nothing is logged twice."""
    if fmt == "auto":
        fmt = "csv" if file.suffix.lower() == ".csv" else "jsonl"
    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}: {exc.strerror}", field="file") from exc
    try:
        rows = list(read_rows(text, provider, fmt=fmt))
    except ValueError as exc:
        raise InvalidInput(str(exc), field="format") from exc
    rejects = rejects or file.with_name(file.name + ".rejects.jsonl")
    signing_key = read_key_file(key)
    started = time.perf_counter()
    with (
        CreditBankClient(server, token=token, key=signing_key, actor=provider) as client,
        Progress(
            TextColumn("importing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>8.0f}/s"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err_console(),
        ) as progress,
    ):
        task = progress.add_task("import", total=None, rate=0.0)

        def show(done: int, total: int) -> None:
            rate = done / max(time.perf_counter() - started, 1e-9)
            progress.update(task, completed=done, total=total, rate=rate)

        result = client.import_rows(rows, batch=batch, progress=show)
    rejects.write_text(result.rejects_jsonl(), encoding="utf-8")
    seconds = time.perf_counter() - started
    out_console().print(
        f"{'interrupted: ' if result.interrupted else ''}{result.new} logged, "
        f"{result.duplicate} already logged, {len(result.refused)} rejected (see {rejects}) "
        f"in {seconds:.1f}s"
    )
    if result.interrupted:
        raise typer.Exit(130)
    if result.refused:
        raise typer.Exit(2)
