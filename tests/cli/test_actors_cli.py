"""`creditbank actor ...`: registration, listing, rotation, revocation and recovery of
keys, and the refusals (one line, exit 1, nothing logged), on both engines."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from creditbank.bank import open_bank
from creditbank.cli.main import app
from creditbank.core.entry import sign_statement
from creditbank.core.errors import CreditBankError
from creditbank.core.keys import KeyPair, read_key_file
from creditbank.ledger import store
from creditbank.settings import Settings

runner = CliRunner()
COLUMNS = os.environ.get("COLUMNS", "80")


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": COLUMNS})
    return result.exit_code, result.output


@pytest.fixture
def bank_args(tmp_path: Path, database_url: str) -> list[str]:
    data = tmp_path / "data"
    code, out = run("init", "--data-dir", str(data), "--database-url", database_url)
    assert code == 0, out
    return ["--data-dir", str(data), "--database-url", database_url]


def size(args: list[str]) -> int:
    bank = open_bank(Settings(data_dir=Path(args[1]), database_url=args[3]))
    try:
        with bank.engine.connect() as conn:
            return store.tree_size(conn)
    finally:
        bank.close()


def actors(args: list[str], *extra: str) -> dict[str, dict[str, Any]]:
    code, out = run("actor", "list", "--json", *extra, *args)
    assert code == 0, out
    rows = [json.loads(line) for line in out.splitlines()]
    return {r["id"]: r for r in rows}


def notice(args: list[str], key: KeyPair, text: str) -> None:
    """Log a notice signed with ``key`` (raises if the log refuses it)."""
    bank = open_bank(Settings(data_dir=Path(args[1]), database_url=args[3]))
    try:
        statement = {
            "kind": "notice.published",
            "actor": key.name,
            "id": text,
            "body": {"text": text},
        }
        bank.ledger.append(sign_statement(statement, key))
    finally:
        bank.close()


def refused(args: list[str], *cmd: str, expect: str) -> None:
    before = size(args)
    code, out = run(*cmd, *args)
    assert code == 1, out
    assert len(out.strip().splitlines()) == 1, out
    assert "Traceback" not in out
    assert expect in out, out
    assert size(args) == before


def test_register_list_rotate_revoke_recover(bank_args: list[str], tmp_path: Path) -> None:
    prov_key = tmp_path / "prov-a.key"
    code, out = run(
        "actor", "register", "prov-a", "--role", "provider", "--name", "Provider A",
        "--generate-key", str(prov_key), *bank_args,
    )  # fmt: skip
    assert code == 0, out
    assert stat.S_IMODE(prov_key.stat().st_mode) == 0o600
    cert = KeyPair.generate("cb-weld")
    code, out = run(
        "actor", "register", "cb-weld", "--role", "certifier", "--name", "Welding Board",
        "--public-key", base64.b64encode(cert.public_key).decode(),
        "--standards", "weld-2,weld-1", *bank_args,
    )  # fmt: skip
    assert code == 0, out

    listed = actors(bank_args)
    assert listed["prov-a"]["role"] == "provider"
    assert listed["cb-weld"]["standards"] == ["weld-1", "weld-2"]
    assert [k["status"] for k in listed["cb-weld"]["keys"]] == ["active"]
    assert set(actors(bank_args, "--role", "certifier")) == {"cb-weld"}
    code, out = run("actor", "list", *bank_args)
    assert code == 0, out
    assert "actors" in out  # the title; cells fold at narrow widths

    old = read_key_file(prov_key)
    notice(bank_args, old, "before-rotation")
    new_path = tmp_path / "prov-a-2.key"
    code, out = run(
        "actor", "rotate-key", "prov-a", "--key", str(prov_key), "--new-key", str(new_path),
        *bank_args,
    )  # fmt: skip
    assert code == 0, out
    new = read_key_file(new_path)
    assert new.key_id in out.replace("\n", "")
    assert stat.S_IMODE(new_path.stat().st_mode) == 0o600
    keys = {k["key_id"]: k["status"] for k in actors(bank_args)["prov-a"]["keys"]}
    assert keys == {old.key_id: "revoked", new.key_id: "active"}
    with pytest.raises(CreditBankError, match="revoked"):
        notice(bank_args, old, "after-rotation")
    notice(bank_args, new, "with-the-new-key")
    code, out = run("audit", *bank_args)
    assert code == 0, out  # what the old key signed before stays valid

    refused(
        bank_args, "actor", "recover-key", "prov-a", "--reason", "lost",
        "--new-key", str(tmp_path / "r.key"), expect="still has an active key",
    )  # fmt: skip
    assert not (tmp_path / "r.key").exists()
    code, out = run("actor", "revoke-key", "prov-a", new.key_id, "--reason", "stolen", *bank_args)
    assert code == 0, out
    rec_path = tmp_path / "prov-a-rec.key"
    code, out = run(
        "actor", "recover-key", "prov-a", "--reason", "all keys lost",
        "--new-key", str(rec_path), *bank_args,
    )  # fmt: skip
    assert code == 0, out
    notice(bank_args, read_key_file(rec_path), "recovered")
    code, out = run("audit", *bank_args)
    assert code == 0, out


def test_refusals_are_one_line_and_write_nothing(bank_args: list[str], tmp_path: Path) -> None:
    key = tmp_path / "prov-a.key"
    args = ("actor", "register", "prov-a", "--role", "provider", "--name", "A")
    assert run(*args, "--generate-key", str(key), *bank_args)[0] == 0
    refused(
        bank_args, *args, "--generate-key", str(tmp_path / "other.key"),
        expect="already registered",
    )  # fmt: skip
    assert not (tmp_path / "other.key").exists()  # no orphan key
    refused(bank_args, *args, "--generate-key", str(key), expect="already exists")
    bad = tmp_path / "bad.key"
    bad.write_text("not a key\n")
    refused(bank_args, "actor", "rotate-key", "prov-a", "--key", str(bad), expect="not a signer")
    refused(
        bank_args, "actor", "register", "prov-b", "--role", "provider", "--name", "B",
        "--public-key", str(bad), expect="not a key file",
    )  # fmt: skip
    refused(bank_args, "actor", "revoke-key", "nobody", "abc", "--reason", "x", expect="no key abc")
    refused(
        bank_args, "actor", "recover-key", "nobody", "--reason", "x",
        "--new-key", str(tmp_path / "n.key"), expect="no actor nobody",
    )  # fmt: skip
    refused(
        bank_args, "actor", "accredit", "prov-a", "--standards", "weld-1",
        expect="only certifying bodies",
    )  # fmt: skip
    refused(
        bank_args, "actor", "accredit", "nobody", "--standards", "weld-1",
        expect="no actor nobody",
    )  # fmt: skip
    # A key of another actor cannot rotate prov-a's.
    refused(
        bank_args, "actor", "rotate-key", "prov-a", "--key",
        str(tmp_path / "data/keys/authority.key"),
        "--new-key", str(tmp_path / "x.key"), expect="error",
    )  # fmt: skip
    assert not (tmp_path / "x.key").exists()


def test_accredit_sets_a_certifying_bodys_standards(bank_args: list[str], tmp_path: Path) -> None:
    code, out = run(
        "actor", "register", "cb-weld", "--role", "certifier", "--name", "Board",
        "--generate-key", str(tmp_path / "cb.key"), "--standards", "weld-1", *bank_args,
    )  # fmt: skip
    assert code == 0, out
    assert actors(bank_args)["cb-weld"]["standards"] == ["weld-1"]
    before = size(bank_args)
    code, out = run("actor", "accredit", "cb-weld", "--standards", "weld-3,weld-2", *bank_args)
    assert code == 0, out
    assert f"accredited cb-weld for weld-2, weld-3 at index {before}" in out
    assert actors(bank_args)["cb-weld"]["standards"] == ["weld-2", "weld-3"]
    code, out = run("audit", *bank_args)
    assert code == 0, out


def test_xapi_enable_refuses_a_certifier_in_one_line(bank_args: list[str], tmp_path: Path) -> None:
    key = tmp_path / "cb.key"
    code, out = run(
        "actor", "register", "cb-weld", "--role", "certifier", "--name", "Board",
        "--generate-key", str(key), *bank_args,
    )  # fmt: skip
    assert code == 0, out
    refused(bank_args, "xapi", "enable", "--key", str(key), expect="only a provider")


def test_every_actor_command_has_help_with_an_example() -> None:
    for cmd in ("register", "accredit", "list", "rotate-key", "revoke-key", "recover-key"):
        code, out = run("actor", cmd, "--help")
        assert code == 0, out
        assert "Example: creditbank actor" in out.replace("\n", " "), cmd
