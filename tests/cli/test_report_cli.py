"""`creditbank report`: the year's report from the local database as tables, and as CSV
with --csv; exit 1 with a message for a year no program governs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from creditbank.bank import init_bank
from creditbank.cli.main import app
from creditbank.money import reports
from creditbank.settings import Settings
from tests.api.certflow import money_world
from tests.conftest import FakeClock, PrivacyScan

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "220"})
    return result.exit_code, result.output


def test_report_prints_tables_and_writes_csv(
    tmp_path: Path, database_url: str, clock: FakeClock, privacy_scan: PrivacyScan
) -> None:
    data = tmp_path / "data"
    bank = init_bank(Settings(data_dir=data, database_url=database_url), clock=clock)
    try:
        flow = money_world(bank)
        certified = flow.certify("DAN5-2026-000001")
        flow.sign(flow.reward_payment(certified.reward(bank), "PAY-1"))
        expected = reports.report(bank.engine, 2026)
        privacy_scan.check(bank)
    finally:
        bank.close()
    where = ("--data-dir", str(data), "--database-url", database_url)
    out_file = tmp_path / "out" / "report.csv"
    out_file.parent.mkdir()
    code, out = run("report", "--year", "2026", "--csv", str(out_file), *where)
    assert code == 0, out
    for text in (
        "beijing-ai-2026",
        "certified trainees",
        "advanced certificates",
        "certificates by standard",
        "data-annotator",
        "credits by mode",
        "per provider",
        "prov-a",
        "prov-b",
        "CSV written to",
    ):
        assert text in out, text
    assert "500.00" in out  # the paid reward, in yuan
    assert out_file.read_bytes().decode() == reports.to_csv(expected)
    with out_file.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    cells = {(r["section"], r["key"], r["subkey"]): r["value"] for r in rows}
    assert cells[("targets", "certified_trainees", "actual")] == "1"
    assert cells[("rewards", "paid", "amount_fen")] == "50000"
    assert cells[("providers", "prov-a", "subsidy_open_fen")] == "420000"

    # --json: the report's figures themselves, for scripts
    code, out = run("report", "--year", "2026", "--json", *where)
    assert code == 0, out
    assert json.loads(out) == json.loads(json.dumps(expected))

    # at 80 columns every table fits and no header is broken inside a word
    result = runner.invoke(app, ["report", "--year", "2026", *where], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(len(line) <= 80 for line in lines)
    for headers in (
        ("provider", "posted", "awarded", "credits", "certified"),
        ("provider", "paid", "approved", "claimed", "open"),
        ("status", "count", "amount"),
        ("figure", "actual", "target", "percent"),
    ):
        assert any(all(h in line for h in headers) for line in lines), headers

    code, out = run("report", "--year", "2031", *where)
    assert code == 1
    assert "no program governs 2031" in out
    assert "Traceback" not in out
    code, out = run("report", "--year", "2026", "--csv", str(tmp_path / "no" / "dir.csv"), *where)
    assert code == 1
    assert "cannot write" in out
