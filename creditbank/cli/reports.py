"""`creditbank report --year 2026`: the authority's report of a program year, read from
the local database, as tables that read at 80 columns (``--json`` for scripts, and CSV
with ``--csv FILE``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

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
from creditbank.core.errors import InvalidInput
from creditbank.money import reports


def yuan(fen: int) -> str:
    """Fen as yuan with two decimals and thousands separators (negative for clawbacks)."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


def print_report(figures: dict[str, Any], console: Console) -> None:
    """Print a report (``creditbank.money.reports.report``) as rich tables."""
    program = figures["program"]
    console.print(
        f"report {figures['year']} ({figures['timezone']}), program {program['id']} "
        f"{program['version']}, as of {figures['as_of']}",
        highlight=False,
    )
    targets = table("targets", "figure", "actual", "target", "percent")
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
        counts = table(f"certificates by {label}", label, "issued", "revoked", "active")
        for key, n in certificates[section].items():
            if section != "by_month" or n["issued"]:
                counts.add_row(key, str(n["issued"]), str(n["revoked"]), str(n["active"]))
        total = certificates["total"]
        counts.add_row("total", str(total["issued"]), str(total["revoked"]), str(total["active"]))
        console.print(counts)

    credits = table("credits by mode", "mode", "credits")
    for mode, value in figures["credits_by_mode"].items():
        credits.add_row(mode, value)
    console.print(credits)

    for section in ("rewards", "subsidies"):
        money = figures[section]
        amounts = table(f"{section} (yuan)", "status", "count", "amount")
        for status, f in money["by_status"].items():
            amounts.add_row(status, str(f["count"]), yuan(f["amount_fen"]))
        amounts.add_row("budget", "", yuan(money["budget_fen"]))
        amounts.add_row("committed", "", yuan(money["committed_fen"]))
        amounts.add_row("remaining", "", yuan(money["remaining_fen"]))
        console.print(amounts)

    # two narrow tables rather than one of nine columns: each reads at 80 columns
    work = table(
        "per provider: completions and credits",
        "provider",
        "posted",
        "awarded",
        "credits",
        "certified",
    )
    money_by_provider = table(
        "per provider: subsidies (yuan)", "provider", "paid", "approved", "claimed", "open"
    )
    for provider, p in figures["providers"].items():
        fen = p["subsidy_fen"]
        work.add_row(
            provider,
            str(p["completions_posted"]),
            str(p["completions_awarded"]),
            p["credits_awarded"],
            str(p["learners_certified"]),
        )
        money_by_provider.add_row(
            provider,
            *(yuan(fen.get(status, 0)) for status in ("paid", "approved", "claimed", "open")),
        )
    console.print(work)
    console.print(
        "posted: completions the provider posted; awarded: those that earned credits; "
        "certified: its learners certified this year",
        highlight=False,
    )
    console.print(money_by_provider)


@cli_errors
def report(
    year: Annotated[int, typer.Option("--year", help="Program year (Asia/Shanghai).")],
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Also write the report as CSV to FILE.")
    ] = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """The authority's report of a program year: targets, certificates, credits, rewards
    and subsidies against budget, per provider. Exits 1 when no program governs the year.

    Example: creditbank report --year 2026 --csv report-2026.csv
    """
    bank = open_bank(make_settings(data_dir, database_url))
    try:
        figures = reports.report(bank.engine, year)
    finally:
        bank.close()
    console = out_console()
    if as_json:
        echo_json(figures)
    else:
        print_report(figures, console)
    if csv_file is not None:
        try:
            csv_file.write_text(reports.to_csv(figures), encoding="utf-8", newline="")
        except OSError as exc:
            raise InvalidInput(f"cannot write {csv_file}: {exc.strerror}", field="csv") from exc
        if not as_json:
            console.print(f"CSV written to {csv_file}", highlight=False)
