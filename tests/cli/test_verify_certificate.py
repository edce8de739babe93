"""`creditbank verify-certificate` against a live server: the bundle comes over HTTP, the
verdict is computed locally with the key given, and the exit code says it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from creditbank.cli.main import app
from creditbank.core.keys import KeyPair
from creditbank.core.verify.certificate import CHECKS
from tests.client.conftest import base_url, free_port  # noqa: F401  (the live-server fixture)
from tests.credits.conftest import World
from tests.credits.conftest import world as world  # the credits world fixture, re-exported
from tests.credits.test_certificates import revoke
from tests.credits.test_verification import NUMBER, certify, more_activity

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["verify-certificate", *args], env={"COLUMNS": "220"})
    return result.exit_code, result.output


def test_a_valid_certificate_exits_0(world: World, base_url: str) -> None:  # noqa: F811
    _, learner = certify(world)
    more_activity(world)
    code, out = run(NUMBER, "--server", base_url, "--key", world.bank.verifier_key)
    assert code == 0, out
    assert "verdict: VALID" in out
    assert learner in out
    assert "data-annotator" in out
    for check in CHECKS:
        assert check in out
    assert "FAILED" not in out


def test_the_key_from_a_file_or_the_data_dir(
    world: World,
    base_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    certify(world)
    key_file = tmp_path / "log.vkey"
    key_file.write_text(world.bank.verifier_key + "\n")
    code, out = run(NUMBER, "--server", base_url, "--key", f"@{key_file}")
    assert code == 0, out
    code, out = run(NUMBER, "--server", base_url, "--data-dir", str(world.bank.settings.data_dir))
    assert code == 0, out
    assert "verdict: VALID" in out


def test_a_revoked_certificate_exits_1(world: World, base_url: str) -> None:  # noqa: F811
    key, _ = certify(world)
    revoke(world, key, "cert-a", NUMBER)
    code, out = run(NUMBER, "--server", base_url, "--key", world.bank.verifier_key)
    assert code == 1, out
    assert "verdict: REVOKED" in out
    assert "assessment irregularity" in out


def test_another_key_than_the_logs_makes_it_invalid(
    world: World,
    base_url: str,  # noqa: F811
) -> None:
    certify(world)
    impostor = KeyPair.generate(world.bank.origin).verifier_key
    code, out = run(NUMBER, "--server", base_url, "--key", impostor)
    assert code == 1, out
    assert "verdict: INVALID" in out
    assert "FAILED" in out
    # the table shows the server's summary, marked as unverified, only when no entry
    # could be verified
    assert "summary, NOT verified" in out


def test_an_unknown_number_exits_1_with_a_clear_message(
    world: World,
    base_url: str,  # noqa: F811
) -> None:
    code, out = run("DAN5-2026-999999", "--server", base_url, "--key", world.bank.verifier_key)
    assert code == 1
    assert "404" in out
    assert "no certificate DAN5-2026-999999" in out
    assert "Traceback" not in out
    code, out = run("not a number", "--server", base_url, "--key", world.bank.verifier_key)
    assert code == 1
    assert "422" in out
    assert "[certificate_number]" in out


def test_bad_keys_and_unreachable_servers_exit_1(world: World, tmp_path: Path) -> None:
    code, out = run(NUMBER, "--key", "not-a-key")
    assert code == 1
    assert "verification failed" in out
    code, out = run(NUMBER, "--key", f"@{tmp_path / 'missing.vkey'}")
    assert code == 1
    assert "cannot read" in out
    server = f"http://127.0.0.1:{free_port()}"
    code, out = run(NUMBER, "--server", server, "--key", world.bank.verifier_key)
    assert code == 1
    assert f"cannot connect to the bank at {server}" in out
