"""`creditbank tiles ...`: publish the log as a static tlog-tiles tree, and audit a log
from such a tree alone (no creditbank server needed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from creditbank.cli.common import (
    DatabaseUrl,
    DataDir,
    cli_errors,
    log_verifier_key,
    make_settings,
    out_console,
)
from creditbank.core.errors import Unavailable

tiles_app = typer.Typer(
    help="The log as static tlog-tiles files, for a web server, CDN or object store."
)

AsJson = Annotated[bool, typer.Option("--json", help="One JSON object instead of text.")]


@tiles_app.command("publish")
@cli_errors
def publish_command(
    folder: Annotated[Path, typer.Argument(help="Folder to write (created if missing).")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """Write (or bring up to date) the checkpoint, tiles and entry bundles under FOLDER.

    Only what changed since the last publish is written; full tiles are never rewritten.
    Sync the folder to a bucket with the store's own tool (see docs/scaling.md).

    Example: creditbank tiles publish /var/www/tiles --data-dir bank
    """
    from creditbank.bank import open_bank
    from creditbank.federation.config import load_config
    from creditbank.ledger.publish import publish

    bank = open_bank(make_settings(data_dir, database_url))
    try:
        witnessed = bool(load_config(bank.settings.keys_dir).cosigners)
        done = publish(bank.engine, folder, bank.origin, witnessed=witnessed)
    finally:
        bank.close()
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "size": done.size,
                    "previous_size": done.previous_size,
                    "written": done.written,
                    "removed": done.removed,
                }
            )
        )
        return
    out_console().print(
        f"published tree size {done.size:,} to {folder} (was {done.previous_size:,}): "
        f"{done.written:,} files written, {done.removed:,} partial tiles removed",
        highlight=False,
        soft_wrap=True,
    )


@tiles_app.command("audit")
@cli_errors
def audit_command(
    url: Annotated[str, typer.Argument(help="Base URL of the tree (holding `checkpoint`).")],
    key: Annotated[
        str | None,
        typer.Option(
            "--key",
            help="The log's verifier key string, or @FILE (default: the key of the ledger "
            "in --data-dir).",
        ),
    ] = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Audit a log from its tiles alone: the checkpoint's signature, every tile against
    the entries, the root, every author signature and every decision re-derived.

    Example: creditbank tiles audit https://tiles.bank.example --key @log.vkey
    """
    import httpx

    from creditbank.ledger.audit import replay_elsewhere
    from creditbank.registry import default_handlers
    from creditbank.tiles_client import TilesClient

    key_text = log_verifier_key(key, data_dir)
    try:
        with TilesClient(url, key_text) as tiles:
            size = tiles.checkpoint().size
            count = replay_elsewhere(tiles.audit(), default_handlers(), size=size)
    except httpx.HTTPError as exc:
        raise Unavailable(f"cannot read the tiles at {url}: {exc}", field="url") from exc
    if as_json:
        typer.echo(json.dumps({"ok": True, "size": size, "entries": count}))
        return
    out_console().print(
        f"tiles audit OK: {count:,} entries at tree size {size:,}, every tile, signature "
        "and decision checked",
        highlight=False,
        soft_wrap=True,
    )
