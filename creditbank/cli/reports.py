"""`creditbank report --year 2026`: the authority's report of a program year, read from
the local database, as tables (and as CSV with ``--csv FILE``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from creditbank.bank import open_bank
from creditbank.cli.common import DatabaseUrl, DataDir, cli_errors, make_settings, out_console
from creditbank.core.errors import InvalidInput
from creditbank.money import reports


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


def _table(title: str, columns: tuple[str, ...]) -> Table:
    table = Table(title=title)
    for col in columns:
        table.add_column(col, overflow="fold")
    return table


def print_report(figures: dict[str, Any], console: Console) -> None:
    """Print a report (``creditbank.money.reports.report``) as rich tables."""
    program = figures["program"]
    console.print(
        f"report {figures['year']} ({figures['timezone']}), program {program['id']} "
        f"{program['version']}, as of {figures['as_of']}",
        highlight=False,
    )
    targets = _table("targets", ("figure", "actual", "target", "percent"))
    for name, t in figures["targets"].items():
        pct = "-" if t["percent"] is None else f"{t['percent']}%"
        targets.add_row(name.replace("_", " "), f"{t['actual']:,}", f"{t['target']:,}", pct)
    console.print(targets)

    certificates = figures["certificates"]
    for section, label in (
        ("by_standard", "standard"),
        ("by_level", "level"),
        ("by_month", "month"),
    ):
        table = _table(f"certificates by {label}", (label, "issued", "revoked", "active"))
        for key, n in certificates[section].items():
            if section != "by_month" or n["issued"]:
                table.add_row(key, str(n["issued"]), str(n["revoked"]), str(n["active"]))
        total = certificates["total"]
        table.add_row("total", str(total["issued"]), str(total["revoked"]), str(total["active"]))
        console.print(table)

    credits = _table("credits by mode", ("mode", "credits"))
    for mode, value in figures["credits_by_mode"].items():
        credits.add_row(mode, value)
    console.print(credits)

    for section in ("rewards", "subsidies"):
        money = figures[section]
        table = _table(f"{section} (yuan)", ("status", "count", "amount"))
        for status, f in money["by_status"].items():
            table.add_row(status, str(f["count"]), _yuan(f["amount_fen"]))
        table.add_row("budget", "", _yuan(money["budget_fen"]))
        table.add_row("committed", "", _yuan(money["committed_fen"]))
        table.add_row("remaining", "", _yuan(money["remaining_fen"]))
        console.print(table)

    providers = _table(
        "per provider",
        (
            "provider",
            "completions posted",
            "completions awarded",
            "credits awarded",
            "learners certified",
            "subsidy paid (yuan)",
            "subsidy approved",
            "subsidy claimed",
            "subsidy open",
        ),
    )
    for provider, p in figures["providers"].items():
        fen = p["subsidy_fen"]
        providers.add_row(
            provider,
            str(p["completions_posted"]),
            str(p["completions_awarded"]),
            p["credits_awarded"],
            str(p["learners_certified"]),
            _yuan(fen.get("paid", 0)),
            _yuan(fen.get("approved", 0)),
            _yuan(fen.get("claimed", 0)),
            _yuan(fen.get("open", 0)),
        )
    console.print(providers)


@cli_errors
def report(
    year: Annotated[int, typer.Option("--year", help="Program year (Asia/Shanghai).")],
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Also write the report as CSV to FILE.")
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """The authority's report of a program year: targets, certificates, credits, rewards
    and subsidies against budget, per provider. Exits 1 when no program governs the year."""
    bank = open_bank(make_settings(data_dir, database_url))
    try:
        figures = reports.report(bank.engine, year)
    finally:
        bank.close()
    console = out_console()
    print_report(figures, console)
    if csv_file is not None:
        try:
            csv_file.write_text(reports.to_csv(figures), encoding="utf-8", newline="")
        except OSError as exc:
            raise InvalidInput(f"cannot write {csv_file}: {exc.strerror}", field="csv") from exc
        console.print(f"CSV written to {csv_file}", highlight=False)
