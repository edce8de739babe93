"""`creditbank token ...`: bearer tokens for organisations (authority staff, providers'
and certifying bodies' systems). Learners sign in through the API instead."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from creditbank.access import tokens as service
from creditbank.access.tokens import MAX_TOKEN_DAYS
from creditbank.bank import open_bank
from creditbank.cli.common import (
    AsJson,
    DatabaseUrl,
    DataDir,
    cli_errors,
    echo_json,
    make_settings,
    out_console,
)

token_app = typer.Typer(help="Bearer tokens for organisations.", no_args_is_help=True)


@token_app.command("create")
@cli_errors
def create(
    actor: Annotated[
        str, typer.Option(help="The actor the token acts as (e.g. authority, prov-a).")
    ],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "api",
    days: Annotated[
        int | None,
        typer.Option(
            help=f"Lifetime in days, 1 to {MAX_TOKEN_DAYS} (default $CREDITBANK_TOKEN_DAYS or 90)."
        ),
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Issue a token; it is printed once and stored only as a hash.

    Example: creditbank token create --actor acme --label "LMS import" --days 90
    """
    bank = open_bank(make_settings(data_dir, database_url))
    try:
        token, token_id, role, expires = service.create_actor_token(
            bank.engine,
            actor,
            label=label,
            days=bank.settings.token_days if days is None else days,
            now=datetime.now(UTC),
        )
    finally:
        bank.close()
    out_console().print(
        f"token id {token_id} for {actor} ({role}), expires {expires:%Y-%m-%d}", highlight=False
    )
    print(token)


@token_app.command("revoke")
@cli_errors
def revoke(token_id: str, data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Revoke a token by its id; it stops working at once.

    Example: creditbank token revoke tok_3f2a9c
    """
    bank = open_bank(make_settings(data_dir, database_url))
    try:
        service.revoke_token(bank.engine, token_id, datetime.now(UTC))
    finally:
        bank.close()
    out_console().print(f"revoked {token_id}")


@token_app.command("list")
@cli_errors
def list_(
    as_json: AsJson = False, data_dir: DataDir = None, database_url: DatabaseUrl = None
) -> None:
    """Organisation tokens (never the tokens themselves).

    Example: creditbank token list --json
    """
    bank = open_bank(make_settings(data_dir, database_url))
    try:
        rows = service.list_tokens(bank.engine)
    finally:
        bank.close()
    if as_json:
        echo_json([dict(r) for r in rows])
        return
    table = Table(title="tokens")
    for col in ("token_id", "role", "actor_id", "label", "created_at", "expires_at", "revoked_at"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            *(
                str(r[c] or "-")
                for c in (
                    "token_id",
                    "role",
                    "actor_id",
                    "label",
                    "created_at",
                    "expires_at",
                    "revoked_at",
                )
            )
        )
    out_console().print(table)
