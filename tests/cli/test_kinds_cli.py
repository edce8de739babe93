"""`creditbank kinds`: the authorship table, as people and scripts read it."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from creditbank.cli.main import app
from creditbank.core.authorship import KINDS


def test_kinds_lists_the_authorship_table_as_json() -> None:
    result = CliRunner().invoke(app, ["kinds", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["kind"] for r in rows] == list(KINDS)
    by_kind = {r["kind"]: r for r in rows}
    assert by_kind["subsidy.entitled"] == {
        "kind": "subsidy.entitled",
        "way": "derived",
        "roles": [],
        "note": KINDS["subsidy.entitled"].note,
    }
    assert by_kind["completion.recorded"]["roles"] == ["provider"]
    assert by_kind["key.recovered"]["roles"] == ["authority"]


def test_kinds_table_reads_at_80_columns() -> None:
    result = CliRunner().invoke(app, ["kinds"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert all(len(line) <= 80 for line in result.output.splitlines())
    assert "credit.awarded" in result.output.replace("\n", "")
