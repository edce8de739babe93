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

from creditbank.cli.common import check_server, cli_errors, err_console, out_console
from creditbank.client import CreditBankClient, ImportResult
from creditbank.core.errors import InvalidInput
from creditbank.core.imports import Row, check_columns, columns_of, read_rows
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
    ignore_columns: Annotated[
        str | None,
        typer.Option(help="Extra columns of the export to drop, C1,C2 (e.g. learner_name)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the outcome as one JSON object.")
    ] = False,
) -> None:
    """Sign every row with the provider's key and post them in batches. The columns are
    checked once, before anything is sent. Safe to interrupt and re-run: completion ids
    are idempotency keys, so rows already logged are counted, not sent again.

    Example: creditbank import may.csv --server http://127.0.0.1:8000 --provider acme
    --key acme.key --token "$CREDITBANK_TOKEN"
    """
    server = check_server(server)
    if fmt == "auto":
        fmt = "csv" if file.suffix.lower() == ".csv" else "jsonl"
    if fmt not in ("csv", "jsonl"):
        raise InvalidInput(f"--format {fmt!r} is not one of jsonl, csv, auto", field="format")
    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}: {exc.strerror}", field="file") from exc
    ignore = frozenset(c.strip() for c in (ignore_columns or "").split(",") if c.strip())
    try:
        check_columns(columns_of(text, fmt=fmt), ignore=ignore)
    except ValueError as exc:
        raise InvalidInput(f"{file}: {exc}", field="columns") from exc
    rows = list(read_rows(text, provider, fmt=fmt, ignore=ignore))
    rejects = rejects or file.with_name(file.name + ".rejects.jsonl")
    signing_key = read_key_file(key)
    started = time.perf_counter()
    with CreditBankClient(server, token=token, key=signing_key, actor=provider) as client:
        # before any progress is shown: the bank answers, and the token is this provider's
        who = client.me()
        if who.get("actor") != provider:
            raise InvalidInput(
                f"the token belongs to {who.get('actor') or who.get('account')}, not "
                f"--provider {provider}: use that provider's token",
                field="token",
            )
        result = _send(client, rows, batch, started)
    rejects.write_text(result.rejects_jsonl(), encoding="utf-8")
    seconds = time.perf_counter() - started
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "logged": result.new,
                    "already_logged": result.duplicate,
                    "rejected": len(result.refused),
                    "rejects_file": str(rejects),
                    "interrupted": result.interrupted,
                    "seconds": round(seconds, 3),
                }
            )
        )
    else:
        out_console().print(
            f"{'interrupted: ' if result.interrupted else ''}{result.new} logged, "
            f"{result.duplicate} already logged, {len(result.refused)} rejected "
            f"(see {rejects}) in {seconds:.1f}s",
            highlight=False,
            soft_wrap=True,
        )
    if result.interrupted:
        raise typer.Exit(130)
    if result.refused:
        raise typer.Exit(2)


def _send(client: CreditBankClient, rows: list[Row], batch: int, started: float) -> ImportResult:
    """Post the rows with a progress bar on standard error."""
    with Progress(
        TextColumn("importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>8.0f}/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console(),
    ) as progress:
        task = progress.add_task("import", total=None, rate=0.0)

        def show(done: int, total: int) -> None:
            rate = done / max(time.perf_counter() - started, 1e-9)
            progress.update(task, completed=done, total=total, rate=rate)

        return client.import_rows(rows, batch=batch, progress=show)
