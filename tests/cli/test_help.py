"""Every command says what it does and shows one example, in its --help and at 80
columns; `creditbank --help` says what the tool is and where to start."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from creditbank.cli.main import app

runner = CliRunner()


def commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name)


EVERY_COMMAND = sorted(commands(typer.main.get_command(app)))


def test_the_tool_says_what_it_is_and_where_to_start() -> None:
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "vocational credit bank" in text
    assert "creditbank demo" in text
    assert "docs/operations.md" in text


@pytest.mark.parametrize("command", EVERY_COMMAND, ids=" ".join)
def test_every_command_has_help_with_an_example(command: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert all(len(line) <= 80 for line in result.output.splitlines())
    text = " ".join(result.output.split())
    assert f"Example: creditbank {' '.join(command)}" in text, text
