"""`creditbank import FILE`: a training platform's completions export, signed and sent."""

from __future__ import annotations

import json
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

from creditbank.cli.common import cli_errors, console, err_console
from creditbank.client import ApiError, CreditBankClient
from creditbank.core.errors import InvalidInput
from creditbank.core.keys import read_key_file
from creditbank.credits.imports import Row, read_rows


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
    new = duplicate = 0
    refused: list[tuple[Row, str, str | None]] = [
        (r, r.problem or "", None) for r in rows if r.statement is None
    ]
    todo = [r for r in rows if r.statement is not None]
    started = time.perf_counter()
    interrupted = False
    with (
        CreditBankClient(server, token=token, key=signing_key, actor=provider) as client,
        Progress(
            TextColumn("importing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>8.0f}/s"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err_console,
        ) as progress,
    ):
        task = progress.add_task("import", total=len(todo), rate=0.0)
        try:
            for start in range(0, len(todo), batch):
                chunk = todo[start : start + batch]
                outcomes = client.post_completions([r.statement for r in chunk if r.statement])
                for row, outcome in zip(chunk, outcomes, strict=True):
                    if isinstance(outcome, ApiError):
                        refused.append((row, outcome.detail, outcome.field))
                    elif outcome.duplicate:
                        duplicate += 1
                    else:
                        new += 1
                done = start + len(chunk)
                progress.update(
                    task, completed=done, rate=done / max(time.perf_counter() - started, 1e-9)
                )
        except KeyboardInterrupt:
            interrupted = True
    with rejects.open("w", encoding="utf-8") as out:
        for row, reason, field in sorted(refused, key=lambda r: r[0].line):
            out.write(
                json.dumps(
                    {"line": row.line, "reason": reason, "field": field, "row": row.raw},
                    ensure_ascii=False,
                )
                + "\n"
            )
    seconds = time.perf_counter() - started
    console.print(
        f"{'interrupted: ' if interrupted else ''}{new} logged, {duplicate} already logged, "
        f"{len(refused)} rejected (see {rejects}) in {seconds:.1f}s"
    )
    if interrupted:
        raise typer.Exit(130)
    if refused:
        raise typer.Exit(2)
