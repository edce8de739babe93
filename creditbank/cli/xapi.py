"""`creditbank xapi enable --key PROVIDER_KEY`: let a provider's LMS send xAPI statements."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from creditbank.bank import open_bank
from creditbank.cli.common import DatabaseUrl, DataDir, cli_errors, make_settings, out_console
from creditbank.core.keys import read_key_file
from creditbank.credits.gateway import enable_xapi, gateway_key_path

xapi_app = typer.Typer(help="xAPI statements from LMSs (see docs/xapi.md).", no_args_is_help=True)


@xapi_app.command("enable")
@cli_errors
def enable(
    key_file: Annotated[
        Path,
        typer.Option(
            "--key",
            help="The provider's own signing key file: the provider signs the registration "
            "of the gateway key (nobody else may add a key for it).",
        ),
    ],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create the provider's gateway key, register it on the ledger (signed by the
    provider), and keep it in the data dir for the server to sign xAPI completions.

    Example: creditbank xapi enable --key bj-ai-training.key
    """
    provider_key = read_key_file(key_file)
    provider = provider_key.name
    bank = open_bank(make_settings(data_dir, database_url))
    try:
        key = enable_xapi(bank, provider_key)
        path = gateway_key_path(bank, provider)
    finally:
        bank.close()
    out_console().print(f"xAPI enabled for {provider}: gateway key {key.key_id} in {path}")
