"""The data dir remembers its settings (creditbank.toml), a never-initialised dir is
refused with nothing created, and the options' one convention (demo --database-url,
routes without a data dir)."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from creditbank.cli.main import app
from creditbank.settings import CONFIG_NAME, Settings, load_settings, without_password, write_config

runner = CliRunner()


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return runner.invoke(app, list(args), env={"COLUMNS": "220", **(env or {})})


def test_init_saves_the_url_and_later_commands_use_it(tmp_path: Path, database_url: str) -> None:
    data = tmp_path / "data"
    result = invoke("init", "--data-dir", str(data), "--database-url", database_url)
    assert result.exit_code == 0, result.output
    config = data / CONFIG_NAME
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    saved = tomllib.loads(config.read_text())
    assert saved == {"origin": "creditbank.local/ledger", "database_url": database_url}
    # no --database-url: the saved one (PostgreSQL or the fixture's SQLite file), not a new
    # SQLite database in the data dir
    for command in ("key", "audit"):
        result = invoke(command, "--data-dir", str(data))
        assert result.exit_code == 0, result.output
    assert "audit OK: 2 entries" in result.stdout
    assert not (data / "creditbank.db").exists()
    # the environment and the option come before the file: a URL to a database that does
    # not exist is refused, one line, and nothing is created
    other = tmp_path / "other.db"
    for args, env in (
        ((), {"CREDITBANK_DATABASE_URL": f"sqlite:///{other}"}),
        (("--database-url", f"sqlite:///{other}"), {}),
    ):
        result = invoke("audit", "--data-dir", str(data), *args, env=env)
        assert result.exit_code == 1
        assert result.stderr.splitlines() == [result.stderr.strip()]
        assert f"no database at {other}" in result.stderr
        assert not other.exists()
    # init again refuses, as it refuses an existing ledger
    result = invoke("init", "--data-dir", str(data), "--database-url", database_url)
    assert result.exit_code == 1
    assert "already holds a ledger" in result.stderr


def test_a_data_dir_without_its_config_is_refused_not_recreated(
    tmp_path: Path, database_url: str
) -> None:
    """A data dir from before creditbank.toml, opened without its URL: no empty SQLite
    database appears in it (the old `the log has no state row` trap)."""
    data = tmp_path / "data"
    assert invoke("init", "--data-dir", str(data), "--database-url", database_url).exit_code == 0
    (data / CONFIG_NAME).unlink()
    result = invoke("audit", "--data-dir", str(data))
    assert result.exit_code == 1
    assert "no database at" in result.stderr
    assert "--database-url" in result.stderr
    assert not (data / "creditbank.db").exists()
    result = invoke("audit", "--data-dir", str(data), "--database-url", database_url)
    assert result.exit_code == 0, result.output


def test_init_refuses_a_dir_that_has_a_config(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / CONFIG_NAME).write_text('origin = "x.example/log"\n')
    result = invoke("init", "--data-dir", str(data))
    assert result.exit_code == 1
    assert "already holds a ledger" in result.stderr
    assert sorted(p.name for p in data.iterdir()) == [CONFIG_NAME]


@pytest.mark.parametrize("command", ["key", "audit", "rebuild"])
@pytest.mark.parametrize("exists", [True, False], ids=["empty-dir", "no-dir"])
def test_a_never_initialised_dir_is_refused_with_nothing_created(
    tmp_path: Path, command: str, exists: bool
) -> None:
    data = tmp_path / "data"
    if exists:
        data.mkdir()
    result = invoke(command, "--data-dir", str(data))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: no ledger in {data} (missing {data / 'keys' / 'log.key'}); "
        f"run `creditbank init --data-dir {data}` first"
    ]
    assert (list(data.iterdir()) == []) if exists else not data.exists()


def test_serve_help_needs_no_ledger(tmp_path: Path) -> None:
    result = invoke("serve", "--help", env={"CREDITBANK_DATA_DIR": str(tmp_path / "none")})
    assert result.exit_code == 0
    assert "--database-url" in result.stdout
    assert not (tmp_path / "none").exists()


def test_the_config_holds_no_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://bank:s3cret@db.example:5432/bank#nopool"
    assert without_password(url) == "postgresql+psycopg://bank@db.example:5432/bank#nopool"
    assert without_password("sqlite:////srv/bank.db") == "sqlite:////srv/bank.db"
    settings = Settings(data_dir=tmp_path, database_url=url)
    write_config(settings)
    text = (tmp_path / CONFIG_NAME).read_text()
    assert "s3cret" not in text
    assert stat.S_IMODE((tmp_path / CONFIG_NAME).stat().st_mode) == 0o600
    # the saved URL is used when no option or environment gives one ...
    assert load_settings(data_dir=tmp_path).database_url == without_password(url)
    # ... and the full URL (with its password) comes from the option or the environment
    assert load_settings(data_dir=tmp_path, database_url=url).database_url == url
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CREDITBANK_DATABASE_URL", url)
        assert load_settings(data_dir=tmp_path).database_url == url


def test_a_broken_config_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / CONFIG_NAME).write_text("database_url = 5\n")
    result = invoke("audit", "--data-dir", str(data))
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert "[config]" in result.stderr


# --- one convention for options ---------------------------------------------------------------


def test_demo_takes_a_database_url_and_keeps_its_guards(tmp_path: Path, database_url: str) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    result = invoke("demo", "--data-dir", str(mine), "--database-url", database_url)
    assert result.exit_code == 1
    assert "not made by the demo" in result.stderr
    assert list(mine.iterdir()) == []

    target = tmp_path / "demo"
    result = invoke("demo", "--data-dir", str(target), "--database-url", database_url)
    assert result.exit_code == 0, result.output
    assert "audit OK" in result.stdout
    assert not (target / "creditbank.db").exists()  # the ledger is on the given database
    assert invoke("audit", "--data-dir", str(target)).exit_code == 0  # found through the config
    # a second run on the same database refuses before touching the demo's own dir
    result = invoke("demo", "--data-dir", str(target), "--database-url", database_url)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error [database_url]: the database already holds a ledger; the demo needs an empty "
        "one (it never empties a database)"
    ]
    assert (target / "keys" / "log.key").exists()


def test_routes_needs_no_data_dir() -> None:
    result = invoke("routes", "--help")
    assert result.exit_code == 0
    assert "takes no --data-dir" in " ".join(result.stdout.split())
    result = invoke("routes", "--data-dir", "x")
    assert result.exit_code == 2
    assert "No such option" in result.output
