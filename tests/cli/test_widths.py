"""The CLI at any terminal width: each run prints at its own width (the console is made
when a command runs, not when the CLI is imported), tables fold long cells instead of
cutting them, and errors are one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from creditbank.cli.main import app

runner = CliRunner()


def output(args: list[str], width: int) -> str:
    result = runner.invoke(app, args, env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    return result.output


def test_each_run_prints_at_its_own_width() -> None:
    narrow, wide, narrow_again = (output(["routes"], w) for w in (40, 250, 40))
    assert max(len(line) for line in narrow.splitlines()) == 40
    assert max(len(line) for line in wide.splitlines()) > 80
    assert narrow_again == narrow


@pytest.mark.parametrize("width", [40, 80, 250])
@pytest.mark.parametrize(
    "args",
    [["routes"], ["kinds"], ["standards", "list", "--occupation", "4-04-05-05"]],
    ids=["routes", "kinds", "standards-list"],
)
def test_tables_fold_and_never_cut(args: list[str], width: int) -> None:
    out = output(args, width)
    assert all(len(line) <= width for line in out.splitlines())
    assert "…" not in out


def test_an_error_is_one_line_at_any_width(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["audit", "--data-dir", f"{tmp_path}/{'nowhere-' * 8}"], env={"COLUMNS": "40"}
    )
    assert result.exit_code == 1
    assert len(result.output.splitlines()) == 1
    assert "creditbank init" in result.output
