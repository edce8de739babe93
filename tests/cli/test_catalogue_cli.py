"""`creditbank standards ...` and `creditbank course ...`."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from creditbank.cli.catalogue import PROJECT_ROOT
from creditbank.cli.main import app
from creditbank.core.keys import KeyPair, write_key_file
from tests.factories import b64

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
    code, out = run("course", "list", "prov-a", "--data-dir", str(data))
    assert "registered" in out
    code, out = run(
        "course", "recognize", "--data-dir", str(data), "--provider", "prov-a", "--course-id", "c1"
    )
    assert code == 0, out
    code, out = run("course", "list", "prov-a", "--data-dir", str(data))
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
