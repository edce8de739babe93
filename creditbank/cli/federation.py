"""`creditbank federation ...`: the bank's witness, the peer logs it witnesses, the
witnesses it asks to cosign its own checkpoints, and what the witness caught."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape

from creditbank.bank import open_bank
from creditbank.cli.common import DatabaseUrl, DataDir, cli_errors, fail, make_settings, out_console
from creditbank.core.tlog.witness import witness_verifier_key
from creditbank.federation import config as federation_config
from creditbank.federation import service
from creditbank.federation.recognitions import recheck
from creditbank.federation.witness import split_views

federation_app = typer.Typer(
    help="Witnessing: banks that cosign each other's checkpoints (docs/federation.md).",
    no_args_is_help=True,
)


@federation_app.command("witness-init")
@cli_errors
def witness_init(
    name: Annotated[str, typer.Option(help="The witness's name, e.g. beijing.example/witness.")],
    data_dir: DataDir = None,
) -> None:
    """Make this bank's witness key (not the log key) and print its cosigner key string,
    the one peers configure and verifiers pass to --witness.

    Example: creditbank federation witness-init --name beijing.example/witness
    """
    settings = make_settings(data_dir)
    settings.make_dirs()
    key = federation_config.create_witness_key(settings.keys_dir, name)
    print(witness_verifier_key(key.name, key.public_key))


@federation_app.command("witness-log")
@cli_errors
def witness_log(
    origin: Annotated[str, typer.Argument(help="The peer log's origin line.")],
    key: Annotated[str, typer.Argument(help="The peer log's verifier key string.")],
    data_dir: DataDir = None,
) -> None:
    """Witness a peer log: cosign its checkpoints when they are consistent with what this
    witness saw of it before.

    Example: creditbank federation witness-log tianjin.example/ledger "$(cat tj-log.vkey)"
    """
    settings = make_settings(data_dir)
    federation_config.add_peer_log(settings.keys_dir, origin, key)
    out_console().print(f"witnessing {escape(origin)}", highlight=False)


@federation_app.command("cosigner")
@cli_errors
def cosigner(
    url: Annotated[str, typer.Argument(help="The witness's base URL (its add-checkpoint prefix).")],
    key: Annotated[str, typer.Argument(help="The witness's cosigner key string.")],
    data_dir: DataDir = None,
) -> None:
    """Ask a witness to cosign this log's checkpoints (in the background of `serve`).

    Example: creditbank federation cosigner https://tianjin.example "$(cat tj-witness.vkey)"
    """
    settings = make_settings(data_dir)
    federation_config.add_cosigner(settings.keys_dir, url, key)
    out_console().print(f"asking {escape(url)} to cosign", highlight=False)


@federation_app.command("cosign")
@cli_errors
def cosign(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Ask every configured witness to cosign the latest checkpoint now (the server does
    this by itself in the background). Exits 1 if one did not.

    Example: creditbank federation cosign --data-dir bank
    """
    bank = open_bank(make_settings(data_dir, database_url))
    try:
        results = service.cosign_now(bank.engine, bank.settings.keys_dir)
    finally:
        bank.close()
    console = out_console()
    for r in results:
        if r.cosigned:
            console.print(f"{escape(r.witness)}: cosigned tree size {r.size}", highlight=False)
        else:
            console.print(f"{escape(r.witness)}: [red]{escape(r.problem or '')}[/red]")
    if any(not r.cosigned for r in results):
        raise typer.Exit(1)


@federation_app.command("split-views")
@cli_errors
def show_split_views(
    origin: Annotated[str | None, typer.Option(help="Only this peer log's.")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Print the split views this bank's witness caught, as JSON lines (the evidence:
    both checkpoints). Exits 1 when there is any.

    Example: creditbank federation split-views --origin tianjin.example/ledger
    """
    bank = open_bank(make_settings(data_dir, database_url))
    try:
        found = split_views(bank.engine, origin)
    finally:
        bank.close()
    for row in found:
        typer.echo(json.dumps(row, ensure_ascii=False))
    if found:
        raise fail(f"[red]{len(found)} split view(s) recorded[/red]")


@federation_app.command("peer")
@cli_errors
def peer(
    origin: Annotated[str, typer.Argument(help="The peer bank's log origin.")],
    url: Annotated[str, typer.Argument(help="The peer bank's base URL.")],
    data_dir: DataDir = None,
) -> None:
    """Note where a peer bank serves: recognitions of its records are re-checked there
    (`creditbank federation recheck`, and periodically by `serve`).

    Example: creditbank federation peer tianjin.example/ledger https://tianjin.example
    """
    settings = make_settings(data_dir)
    federation_config.add_peer_bank(settings.keys_dir, origin, url)
    out_console().print(f"peer {escape(origin)} at {escape(url)}", highlight=False)


@federation_app.command("recheck")
@cli_errors
def recheck_command(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Re-check every active recognition with its peer bank now: each check is logged,
    and a peer's revocation undoes the recognition. Exits 1 if one could not be checked.

    Example: creditbank federation recheck --json
    """
    bank = open_bank(make_settings(data_dir, database_url))
    try:
        done = recheck(bank.ledger, bank.settings.keys_dir)
    finally:
        bank.close()
    console = out_console()
    for r in done:
        if as_json:
            line = {"recognition_index": r.recognition_index, "revoked": r.revoked}
            typer.echo(json.dumps(line | {"problem": r.problem}))
        elif r.problem is not None:
            console.print(f"recognition {r.recognition_index}: [red]{escape(r.problem)}[/red]")
        else:
            state = "REVOKED by the peer" if r.revoked else "stands"
            console.print(f"recognition {r.recognition_index}: {state}", highlight=False)
    if any(r.problem is not None for r in done):
        raise typer.Exit(1)
