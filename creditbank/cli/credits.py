"""`creditbank balance ACCOUNT`: a learner's credits as a readable table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from creditbank.bank import open_bank
from creditbank.cli.common import DatabaseUrl, DataDir, cli_errors, make_settings, out_console
from creditbank.credits import service


@cli_errors
def balance(
    account: Annotated[
        str, typer.Argument(help="The learner's account number, e.g. CB12345678906.")
    ],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """A learner's credits per unit and progress toward each level."""
    bank = open_bank(make_settings(data_dir, database_url))
    now = datetime.now(UTC)
    try:
        held, levels = service.balance_and_progress(bank.engine, account, now)
    finally:
        bank.close()
    table = Table(title=f"credits of {account} (active total {held['total_active']})")
    for col in ("standard", "level", "unit", "active", "of which online", "expired", "revoked"):
        table.add_column(col, overflow="fold")
    for u in held["units"]:
        table.add_row(
            u["standard_id"],
            str(u["level"]),
            u["unit_code"],
            u["active"],
            u["active_online"],
            u["expired"],
            u["revoked"],
        )
    console = out_console()
    console.print(table)
    progress = Table(title="progress toward each level")
    for col in ("standard", "level", "counted / required", "eligible", "missing units"):
        progress.add_column(col, overflow="fold")
    for p in levels:
        missing = ", ".join(f"{code} {n}" for code, n in p["missing_units"].items()) or "-"
        if p["needs_lower_level_certificate"]:
            missing += " (needs the lower level's certificate)"
        progress.add_row(
            p["standard_id"],
            str(p["level"]),
            f"{p['counted']} / {p['required']}",
            "yes" if p["eligible"] else "no",
            missing,
        )
    console.print(progress)
