"""`creditbank token ...`: bearer tokens for organisations (authority staff, providers'
and certifying bodies' systems). Learners sign in through the API instead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from creditbank.access import tokens as service
from creditbank.bank import open_bank
from creditbank.cli.common import DatabaseUrl, DataDir, cli_errors, console, make_settings
from creditbank.db import tables
from creditbank.errors import NotFound

token_app = typer.Typer(help="Bearer tokens for organisations.", no_args_is_help=True)


@token_app.command("create")
@cli_errors
def create(
    actor: Annotated[
        str, typer.Option(help="The actor the token acts as (e.g. authority, prov-a).")
    ],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "api",
    days: Annotated[
        int | None, typer.Option(help="Lifetime in days (default from settings).")
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Issue a token; it is printed once and stored only as a hash."""
    bank = open_bank(make_settings(data_dir, database_url))
    try:
        with bank.engine.connect() as conn:
            role = conn.execute(
                tables.actors.select()
                .with_only_columns(tables.actors.c.role)
                .where(tables.actors.c.id == actor)
            ).scalar_one_or_none()
        if role is None:
            raise NotFound(f"no registered actor {actor}", field="actor")
        token, token_id, expires = service.create_token(
            bank.engine,
            role=role,
            actor_id=actor,
            label=label,
            now=datetime.now(UTC),
            ttl=timedelta(days=days or bank.settings.token_days),
        )
    finally:
        bank.close()
    console.print(
        f"token id {token_id} for {actor} ({role}), expires {expires:%Y-%m-%d}", highlight=False
    )
    print(token)


@token_app.command("revoke")
@cli_errors
def revoke(token_id: str, data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Revoke a token by its id; it stops working at once."""
    bank = open_bank(make_settings(data_dir, database_url))
    try:
        service.revoke_token(bank.engine, token_id, datetime.now(UTC))
    finally:
        bank.close()
    console.print(f"revoked {token_id}")


@token_app.command("list")
@cli_errors
def list_(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Organisation tokens (never the tokens themselves)."""
    bank = open_bank(make_settings(data_dir, database_url))
    try:
        rows = service.list_tokens(bank.engine)
    finally:
        bank.close()
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
    console.print(table)
