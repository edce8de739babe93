"""`creditbank credential export|verify`: the round trip, offline, and its refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from creditbank.bank import Bank
from creditbank.cli.main import app
from creditbank.core.keys import write_key_file
from creditbank.credentials import service
from tests.api.certflow import Certified, Flow

runner = CliRunner()


def run(bank: Bank, *args: str) -> tuple[int, str]:
    where = ["--data-dir", str(bank.settings.data_dir)]
    if bank.settings.database_url:
        where += ["--database-url", bank.settings.database_url]
    result = runner.invoke(app, ["credential", *args, *where], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def verdict(bank: Bank, path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    code, out = run(bank, "verify", str(path), "--json", *extra)
    return code, json.loads(out.strip().splitlines()[-1])


@pytest.fixture
def exported(bank: Bank, certified: Certified, tmp_path: Path) -> Path:
    path = tmp_path / "credential.json"
    code, out = run(bank, "export", certified.number, "--out", str(path))
    assert code == 0, out
    return path


def test_export_then_verify_offline_with_the_log_key(bank: Bank, exported: Path) -> None:
    code, found = verdict(bank, exported, "--log-key", bank.verifier_key)
    assert code == 0, found
    assert found["status"] == "valid"
    assert found["evidence_checked"] is True
    assert [c["check"] for c in found["checks"]] == ["signature", "validity", "status", "evidence"]
    code, out = run(bank, "verify", str(exported))
    assert code == 0
    assert "VALID" in out
    assert "not checked" in out  # the evidence, without --log-key


def test_any_changed_byte_of_the_data_fails(bank: Bank, exported: Path, tmp_path: Path) -> None:
    """A changed character in any value fails the signature; the JSON's layout (spaces,
    key order) is not the data, so re-indenting the file changes nothing."""
    text = exported.read_text(encoding="utf-8")
    credential = json.loads(text)
    evidence = credential["evidence"][0]
    account = credential["credentialSubject"]["identifier"][0]["identityHash"]
    leaf = evidence["leafHash"]
    for old, new in (
        ("数据标注员", "数据标注师"),
        (account, account[:-1] + str((int(account[-1]) + 1) % 10)),
        (leaf, ("0" if leaf[0] != "0" else "1") + leaf[1:]),
        (
            f'"ledgerIndex": {evidence["ledgerIndex"]}',
            f'"ledgerIndex": {evidence["ledgerIndex"] + 1}',
        ),
        (credential["validFrom"], credential["validFrom"].replace(":00Z", ":01Z")),
    ):
        assert old in text, old
        tampered = tmp_path / "tampered.json"
        tampered.write_text(text.replace(old, new, 1), encoding="utf-8")
        code, found = verdict(bank, tampered)
        assert code == 1, old
        assert found["status"] == "invalid"
        assert "signature" in [c["check"] for c in found["checks"] if not c["ok"]]
    relaid = tmp_path / "relaid.json"
    relaid.write_text(json.dumps(credential, sort_keys=True), encoding="utf-8")
    assert verdict(bank, relaid)[0] == 0


def test_a_revoked_certificate_exits_1_as_revoked(
    bank: Bank, flow: Flow, certified: Certified, exported: Path
) -> None:
    flow.sign(flow.revocation(certified.number))
    code, found = verdict(bank, exported)
    assert code == 1
    assert found["status"] == "revoked"


def test_a_certifying_body_signs_with_its_own_key_file(
    bank: Bank, flow: Flow, certified: Certified, tmp_path: Path
) -> None:
    key_file = tmp_path / "cert-a.key"
    write_key_file(key_file, flow.keys["cert-a"])
    out = tmp_path / "own.json"
    code, text = run(bank, "export", certified.number, "--key", str(key_file), "--out", str(out))
    assert code == 0, text
    credential = json.loads(out.read_text(encoding="utf-8"))
    assert credential["proof"]["verificationMethod"].endswith(f"#key-{flow.keys['cert-a'].key_id}")
    code, found = verdict(bank, out, "--log-key", bank.verifier_key)
    assert code == 0, found


def test_files_given_for_the_did_document_and_status_list(
    bank: Bank, exported: Path, tmp_path: Path
) -> None:
    did = tmp_path / "did.json"
    did.write_text(json.dumps(service.did_document_of(bank, "cert-a")))
    status = tmp_path / "status.json"
    status.write_text(json.dumps(service.status_list_of(bank, "cert-a")))
    result = runner.invoke(
        app,
        ["credential", "verify", str(exported), "--did", str(did), "--status-list", str(status)],
    )
    assert result.exit_code == 0, result.output


def test_bad_input_is_one_line_and_exit_1(bank: Bank, tmp_path: Path) -> None:
    code, out = run(bank, "export", "DAN5-2026-999999")
    assert code == 1
    assert "no certificate DAN5-2026-999999" in out
    not_json = tmp_path / "x.json"
    not_json.write_text("{")
    code, out = run(bank, "verify", str(not_json))
    assert code == 1
    assert "is not JSON" in out
    assert "Traceback" not in out
