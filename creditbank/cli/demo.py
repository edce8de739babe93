"""`creditbank demo`: the tooling's demo scenario (creditbank.tooling.demo), run from the
command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from creditbank.cli.catalogue import PROJECT_ROOT
from creditbank.cli.common import DatabaseUrl, cli_errors, out_console
from creditbank.cli.processes import stops_processes
from creditbank.core.errors import InvalidInput


@cli_errors
@stops_processes
def demo(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Where the demo ledger goes (recreated each run).")
    ] = Path("./creditbank-demo"),
    database_url: DatabaseUrl = None,
    federation: Annotated[
        bool,
        typer.Option(
            "--federation",
            help="Instead: two banks (Tianjin, Beijing) on localhost that witness each other "
            "and recognise each other's certificates (docs/federation.md).",
        ),
    ] = False,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="Afterwards, leave the demo's bank running with its web pages (portal, "
            "verification, dashboard) and print the URLs and learners' sign-ins.",
        ),
    ] = False,
    port: Annotated[
        int, typer.Option(min=1, max=65535, help="With --serve: the port (on 127.0.0.1).")
    ] = 8000,
) -> None:
    """The whole story on a simulated autumn: catalogue and programs published, providers
    and a certifying body accredited, a few hundred learners' completions, certificates,
    rewards and subsidies paid, one certificate revoked, a report, a verification, an
    audit.

    The demo replaces only a data dir it made; with --database-url it needs an empty
    database (it never empties one). Its database is --database-url, else
    $CREDITBANK_DATABASE_URL, else SQLite in its data dir.

    Example: creditbank demo --data-dir demo-data --serve
    """
    if federation:
        from creditbank.tooling.federation_demo import run_federation_demo

        if database_url is not None or serve:
            raise InvalidInput(
                "--federation runs two banks on SQLite in the data dir and stops them at "
                "the end: drop --database-url and --serve",
                field="federation",
            )

        if not run_federation_demo(data_dir, root=PROJECT_ROOT, console=out_console()):
            raise typer.Exit(1)
        return
    from creditbank.tooling.demo import run_demo

    if not run_demo(data_dir, root=PROJECT_ROOT, console=out_console(), database_url=database_url):
        raise typer.Exit(1)
    if serve:
        from creditbank.cli.demo_serve import serve_demo

        serve_demo(data_dir, database_url, "127.0.0.1", port, out_console())
