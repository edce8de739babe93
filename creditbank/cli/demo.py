"""`creditbank demo`: the tooling's demo scenario (creditbank.tooling.demo), run from the
command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from creditbank.cli.catalogue import PROJECT_ROOT
from creditbank.cli.common import DatabaseUrl, cli_errors, out_console


@cli_errors
def demo(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Where the demo ledger goes (recreated each run).")
    ] = Path("./creditbank-demo"),
    database_url: DatabaseUrl = None,
) -> None:
    """The whole story on a simulated autumn: catalogue and programs published, providers
    and a certifying body accredited, a few hundred learners' completions, certificates,
    rewards and subsidies paid, one certificate revoked, a report, a verification, an
    audit.

    The demo replaces only a data dir it made; with --database-url it needs an empty
    database (it never empties one). Its database is --database-url, else
    $CREDITBANK_DATABASE_URL, else SQLite in its data dir.
    """
    from creditbank.tooling.demo import run_demo

    if not run_demo(data_dir, root=PROJECT_ROOT, console=out_console(), database_url=database_url):
        raise typer.Exit(1)
