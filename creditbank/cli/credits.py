"""`creditbank balance ACCOUNT`: a learner's credits as a readable table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from creditbank.bank import open_bank
from creditbank.cli.common import (
    AsJson,
    DatabaseUrl,
    DataDir,
    cli_errors,
    echo_json,
    make_settings,
    out_console,
    table,
)
from creditbank.credits import service


@cli_errors
def balance(
    account: Annotated[
        str, typer.Argument(help="The learner's account number, e.g. CB12345678906.")
    ],
    as_json: AsJson = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """A learner's credits per unit and progress toward each level.

    Example: creditbank balance CB12345678906 --json
    """
    bank = open_bank(make_settings(data_dir, database_url))
    now = datetime.now(UTC)
    try:
        held, levels = service.balance_and_progress(bank.engine, account, now)
    finally:
        bank.close()
    if as_json:
        echo_json({"balance": held, "progress": levels})
        return
    units = table(
        f"credits of {account} (active total {held['total_active']})",
        "standard",
        "level",
        "unit",
        "active",
        "online",
        "expired",
        "revoked",
    )
    for u in held["units"]:
        units.add_row(
            u["standard_id"],
            str(u["level"]),
            u["unit_code"],
            u["active"],
            u["active_online"],
            u["expired"],
            u["revoked"],
        )
    console = out_console()
    console.print(units)
    console.print("online: active credits earned online (they count up to the program's cap)")
    progress = table(
        "progress toward each level",
        "standard",
        "level",
        "counted / required",
        "eligible",
        "missing units",
    )
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
