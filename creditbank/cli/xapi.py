"""`creditbank xapi enable --provider ID`: let a provider's LMS send xAPI statements."""

from __future__ import annotations

from typing import Annotated

import typer

from creditbank.bank import open_bank
from creditbank.cli.common import DatabaseUrl, DataDir, cli_errors, console, make_settings
from creditbank.credits.gateway import enable_xapi, gateway_key_path

xapi_app = typer.Typer(help="xAPI statements from LMSs (see docs/xapi.md).", no_args_is_help=True)


@xapi_app.command("enable")
@cli_errors
def enable(
    provider: Annotated[str, typer.Option(help="The provider whose LMS will send xAPI.")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create the provider's gateway key, register it on the ledger (signed by the
    authority), and keep it in the data dir for the server to sign xAPI completions."""
    bank = open_bank(make_settings(data_dir, database_url))
    try:
        key = enable_xapi(bank, provider)
        path = gateway_key_path(bank, provider)
    finally:
        bank.close()
    console.print(f"xAPI enabled for {provider}: gateway key {key.key_id} in {path}")
