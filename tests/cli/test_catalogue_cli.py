"""`creditbank standards ...` and `creditbank course ...`."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from creditbank.bank import open_bank
from creditbank.catalogue.service import recognition_window
from creditbank.cli.catalogue import PROJECT_ROOT
from creditbank.cli.main import app
from creditbank.core.entry import format_time, parse_time
from creditbank.core.errors import InvalidInput
from creditbank.core.keys import KeyPair, write_key_file
from creditbank.settings import Settings
from tests.factories import b64, register

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "220"})
    return result.exit_code, result.output


def test_validate_the_real_catalogue() -> None:
    code, out = run("standards", "validate")
    assert code == 0, out
    assert "150 standards" in out


def test_validate_reports_file_field_and_reason(tmp_path: Path) -> None:
    shutil.copytree(PROJECT_ROOT / "standards", tmp_path / "standards")
    bad = tmp_path / "standards" / "data-annotator.yaml"
    bad.write_text(
        bad.read_text().replace('credits_required: "8.0"', 'credits_required: "8.05"', 1)
    )
    (tmp_path / "standards" / "broken.yaml").write_text("id: [unclosed\n")
    code, out = run("standards", "validate", "--root", str(tmp_path))
    assert code == 1
    assert "data-annotator.yaml" in out
    assert "levels[0].credits_required" in out
    assert "broken.yaml" in out


def test_list_and_show() -> None:
    code, out = run("standards", "list", "--occupation", "4-04-05-05")
    assert code == 0
    assert "data-annotator" in out
    code, out = run("standards", "show", "ai-ethics-reviewer")
    assert code == 0
    assert '"id": "ai-ethics-reviewer"' in out
    code, out = run("standards", "show", "no-such-thing")
    assert code == 1


def test_list_as_json_is_the_catalogue_filtered() -> None:
    from creditbank.cli.catalogue import PROJECT_ROOT
    from creditbank.standards.catalogue import load_catalogue

    result = runner.invoke(app, ["standards", "list", "--level", "5", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    expected = load_catalogue(PROJECT_ROOT).find(occupation=None, level=5, area=None)
    assert [s["id"] for s in listed] == [s.id for s in expected]
    assert all(5 in s["levels"] for s in listed)


def test_publish_and_courses(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run("init", "--data-dir", str(data))[0] == 0
    code, out = run("standards", "publish", "--data-dir", str(data))
    assert code == 0, out
    assert "published 152" in out
    code, out = run("standards", "publish", "--data-dir", str(data))
    assert "published 0, unchanged 152" in out

    from creditbank.bank import open_bank
    from creditbank.core.entry import sign_statement
    from creditbank.settings import Settings

    key = KeyPair.generate("prov-a")
    write_key_file(tmp_path / "prov-a.key", key)
    bank = open_bank(Settings(data_dir=data))
    try:
        bank.ledger.append(
            sign_statement(
                {
                    "kind": "actor.registered",
                    "actor": "authority",
                    "id": "register-prov-a",
                    "body": {
                        "actor_id": "prov-a",
                        "role": "provider",
                        "name": "A",
                        "public_key": b64(key.public_key),
                    },
                },
                bank.authority_key(),
            )
        )
    finally:
        bank.close()
    code, out = run(
        "course",
        "register",
        "--data-dir",
        str(data),
        "--provider",
        "prov-a",
        "--key",
        str(tmp_path / "prov-a.key"),
        "--course-id",
        "c1",
        "--title",
        "Annotation lab",
        "--standard",
        "data-annotator",
        "--level",
        "5",
        "--unit",
        "DAN-5-01",
        "--mode",
        "offline",
        "--hours",
        "32.0",
    )
    assert code == 0, out
    code, out = run("course", "list", "--provider", "prov-a", "--data-dir", str(data))
    assert "registered" in out
    code, out = run(
        "course", "recognize", "--data-dir", str(data), "--provider", "prov-a", "--course-id", "c1"
    )
    assert code == 0, out
    code, out = run("course", "list", "--provider", "prov-a", "--data-dir", str(data))
    assert "recognized" in out
    assert "2.0" in out
    code, out = run(
        "course",
        "register",
        "--data-dir",
        str(data),
        "--provider",
        "prov-a",
        "--key",
        str(tmp_path / "prov-a.key"),
        "--course-id",
        "c2",
        "--title",
        "Bad",
        "--standard",
        "data-annotator",
        "--level",
        "5",
        "--unit",
        "NOPE",
        "--mode",
        "offline",
        "--hours",
        "32.0",
    )
    assert code == 1
    assert "statement.body.unit_code" in out
    assert run("audit", "--data-dir", str(data))[0] == 0


# --- recognition windows and `course list --provider` ----------------------------------------


@pytest.fixture
def registered(tmp_path: Path, database_url: str) -> list[str]:
    """A ledger with the catalogue published and course prov-a/c1 registered; returns the
    options that name it."""
    data = tmp_path / "data"
    where = ["--data-dir", str(data), "--database-url", database_url]
    assert run("init", *where)[0] == 0
    assert run("standards", "publish", *where)[0] == 0
    bank = open_bank(Settings(data_dir=data, database_url=database_url))
    try:
        write_key_file(tmp_path / "prov-a.key", register(bank, "prov-a"))
    finally:
        bank.close()
    code, out = run(
        "course", "register", *where, "--provider", "prov-a", "--key",
        str(tmp_path / "prov-a.key"), "--course-id", "c1", "--title", "Lab", "--standard",
        "data-annotator", "--level", "5", "--unit", "DAN-5-01", "--mode", "offline",
        "--hours", "32.0",
    )  # fmt: skip
    assert code == 0, out
    return where


def courses(where: list[str]) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["course", "list", "--provider", "prov-a", "--json", *where])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_recognize_refuses_a_window_already_over(registered: list[str]) -> None:
    for args in (
        ["--valid-from", "2020-01-01T00:00:00Z"],  # default end: 2022-12-31
        ["--valid-from", "2020-01-01T00:00:00Z", "--valid-until", "2021-01-01T00:00:00Z"],
    ):
        result = runner.invoke(
            app, ["course", "recognize", "--provider", "prov-a", "--course-id", "c1", *args,
                  *registered],
        )  # fmt: skip
        assert result.exit_code == 1
        assert result.stdout == ""
        assert len(result.stderr.splitlines()) == 1
        assert "before now" in result.stderr
    (course,) = courses(registered)
    assert (course["status"], course["recognitions"]) == ("registered", [])


def test_recognize_warns_when_the_window_ends_within_30_days(registered: list[str]) -> None:
    soon = format_time(datetime.now(UTC) + timedelta(days=10))
    result = runner.invoke(
        app, ["course", "recognize", "--provider", "prov-a", "--course-id", "c1",
              "--valid-until", soon, *registered],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [f"warning: this recognition ends {soon}, within 30 days"]
    (course,) = courses(registered)
    assert course["status"] == "recognized"
    assert course["recognitions"][0]["valid_until"] == soon


def test_recognize_by_default_lasts_3_years_and_says_so(registered: list[str]) -> None:
    result = runner.invoke(
        app, ["course", "recognize", "--provider", "prov-a", "--course-id", "c1", *registered]
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    (course,) = courses(registered)
    (window,) = course["recognitions"]
    days = parse_time(window["valid_until"], field="t") - parse_time(
        window["valid_from"], field="t"
    )
    assert days == timedelta(days=3 * 365)
    help_text = runner.invoke(app, ["course", "recognize", "--help"], env={"COLUMNS": "220"})
    assert "3 years after --valid-from" in help_text.stdout


@pytest.mark.parametrize(
    ("from_days", "until_days", "outcome"),
    [
        (None, None, "ok"),
        (-3 * 365 + 10, None, "soon"),  # default end 10 days ahead
        (-3 * 365 - 1, None, "over"),  # default end yesterday
        (None, 29, "soon"),
        (None, 31, "ok"),
        (-10, 0, "over"),  # ends exactly now
    ],
    ids=["default", "default-end-soon", "default-end-past", "29-days", "31-days", "ends-now"],
)
def test_recognition_window(from_days: int | None, until_days: int | None, outcome: str) -> None:
    now = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    start = None if from_days is None else now + timedelta(days=from_days)
    end = None if until_days is None else now + timedelta(days=until_days)
    if outcome == "over":
        with pytest.raises(InvalidInput, match="before now"):
            recognition_window(now, start, end)
        return
    window = recognition_window(now, start, end)
    assert window.ends_soon == (outcome == "soon")


def test_course_list_takes_provider_and_deprecates_the_positional(registered: list[str]) -> None:
    result = runner.invoke(app, ["course", "list", "prov-a", "--json", *registered])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["course_id"] for line in result.stdout.splitlines()] == ["c1"]
    assert result.stderr.splitlines() == [
        "warning: `course list PROVIDER` is deprecated; use `course list --provider prov-a`"
    ]
    assert [c["course_id"] for c in courses(registered)] == ["c1"]  # no warning
    for args in (["prov-a", "--provider", "prov-b"], []):
        result = runner.invoke(app, ["course", "list", *args, *registered])
        assert result.exit_code == 1
        assert len(result.stderr.splitlines()) == 1
        assert "[provider]" in result.stderr
