"""`creditbank federation ...`: the witness key, the configuration file, and clear
one-line refusals of bad input (never a traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from creditbank.cli.main import app as cli
from creditbank.core.errors import InvalidInput
from creditbank.core.keys import KeyPair
from creditbank.core.tlog.note import SIG_COSIGNATURE_V1, parse_verifier_key
from creditbank.federation.config import load_config, parse_config

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args), env={"COLUMNS": "200"})
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "bank"
    code, out = run("init", "--data-dir", str(path), "--origin", "bank.example/ledger")
    assert code == 0, out
    return path


def test_the_witness_key_is_its_own_and_made_once(data_dir: Path) -> None:
    code, out = run(
        "federation", "witness-init", "--name", "bank.example/witness", "--data-dir", str(data_dir)
    )
    assert code == 0, out
    key = parse_verifier_key(out.strip())
    assert key.sig_type == SIG_COSIGNATURE_V1
    assert key.name == "bank.example/witness"
    log_key = (data_dir / "keys" / "log.key").read_text()
    assert (data_dir / "keys" / "witness.key").read_text() != log_key
    code, out = run(
        "federation", "witness-init", "--name", "again.example/witness", "--data-dir", str(data_dir)
    )
    assert code == 1
    assert "already" in out


def test_peers_and_cosigners_are_checked_and_saved(data_dir: Path) -> None:
    peer = KeyPair.generate("peer.example/ledger")
    code, out = run(
        "federation",
        "witness-log",
        "peer.example/ledger",
        peer.verifier_key,
        "--data-dir",
        str(data_dir),
    )
    assert code == 0, out
    # the key must be the named log's Ed25519 key
    code, out = run(
        "federation",
        "witness-log",
        "other.example/ledger",
        peer.verifier_key,
        "--data-dir",
        str(data_dir),
    )
    assert code == 1
    assert "origin" in out
    # a cosigner key must be a cosignature/v1 key, not a log key
    code, out = run(
        "federation",
        "cosigner",
        "http://127.0.0.1:1/witness",
        peer.verifier_key,
        "--data-dir",
        str(data_dir),
    )
    assert code == 1
    assert "type 0x04" in out
    code, out = run(
        "federation", "cosigner", "ftp://x", peer.verifier_key, "--data-dir", str(data_dir)
    )
    assert code == 1
    config = load_config(data_dir / "keys")
    assert [log.origin for log in config.logs] == ["peer.example/ledger"]
    assert config.cosigners == ()
    # nothing witnessed, nothing to report
    code, out = run("federation", "split-views", "--data-dir", str(data_dir))
    assert code == 0, out


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[witness\n", "config"),
        ("[nonsense]\n", "config"),
        ("[[cosigners]]\nurl = 'http://x'\nkey = 'nope'\n", "key"),
        ("[cosigning]\ntimeout_seconds = 0\n", "timeout_seconds"),
        ("[cosigning]\ntimeout_seconds = true\n", "timeout_seconds"),
        ("[[peers]]\norigin = 'a'\nurl = 'file:///etc'\n", "url"),
    ],
    ids=["not-toml", "unknown-section", "bad-key", "zero-timeout", "bool-timeout", "bad-url"],
)
def test_a_bad_configuration_is_refused_naming_the_field(text: str, field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_config(text)
    assert info.value.field == field


def test_a_broken_configuration_file_fails_commands_clearly(data_dir: Path) -> None:
    (data_dir / "federation.toml").write_text("[witness\n")
    code, out = run("federation", "cosign", "--data-dir", str(data_dir))
    assert code == 1
    assert "federation.toml is not valid TOML" in out


def test_serve_refuses_a_broken_configuration_before_starting(data_dir: Path) -> None:
    (data_dir / "federation.toml").write_text("[[cosigners]]\nurl = 'http://x'\nkey = 'k'\n")
    code, out = run("serve", "--data-dir", str(data_dir), "--port", "1")
    assert code == 1
    assert "federation.toml" in out


def test_the_federation_demo_takes_no_database_url_or_serve(tmp_path: Path) -> None:
    code, out = run("demo", "--federation", "--serve", "--data-dir", str(tmp_path / "d"))
    assert code == 1
    assert "--federation" in out
    assert not (tmp_path / "d").exists()
