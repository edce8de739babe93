"""Verifiers that ask for witnesses: a certificate bundle is valid with ``--quorum N``
only when N of the trusted witnesses cosigned its checkpoint."""

from __future__ import annotations

from typer.testing import CliRunner

from creditbank.certificates.verification import certificate_bundle
from creditbank.cli.main import app as cli
from creditbank.core.verify.certificate import verify_certificate
from creditbank.core.verify.witnessed import WITNESS_CHECK, with_witness_check
from creditbank.federation.service import cosign_now
from tests.api.certflow import money_world
from tests.federation.conftest import Pair


def test_a_bundle_needs_its_quorum_of_cosignatures(pair: Pair) -> None:
    bj, tj = pair.beijing, pair.tianjin
    flow = money_world(bj.bank)
    number = flow.certify().number
    key = bj.bank.verifier_key

    def verdict_now() -> tuple[bool, dict[str, object]]:
        bundle = certificate_bundle(bj.bank.engine, number)
        verdict = verify_certificate(bundle, key, number=number)
        verdict = with_witness_check(verdict, bundle, key, [tj.witness_key], 1)
        [check] = [c for c in verdict.checks if c["check"] == WITNESS_CHECK]
        return verdict.valid, check

    # no witness has cosigned yet: refused under a quorum of 1
    valid, check = verdict_now()
    assert not valid
    assert not check["ok"]
    assert "expected at least 1" in str(check["detail"])
    # Tianjin's witness cosigns: the same bundle request now carries the cosignature
    [result] = cosign_now(bj.bank.engine, bj.keys_dir)
    assert result.cosigned
    valid, check = verdict_now()
    assert valid
    assert check["ok"]


def test_verify_certificate_takes_witness_and_quorum(pair: Pair) -> None:
    bj, tj = pair.beijing, pair.tianjin
    number = money_world(bj.bank).certify().number
    cosign_now(bj.bank.engine, bj.keys_dir)
    args = ["verify-certificate", number, "--server", bj.url, "--key", bj.bank.verifier_key]
    runner = CliRunner()
    ok = runner.invoke(cli, [*args, "--witness", tj.witness_key, "--quorum", "1"])
    assert ok.exit_code == 0, ok.output
    # Beijing's own witness key never cosigned Beijing's log
    own = runner.invoke(cli, [*args, "--witness", bj.witness_key, "--quorum", "1"])
    assert own.exit_code == 1
    too_many = runner.invoke(cli, [*args, "--witness", tj.witness_key, "--quorum", "2"])
    assert too_many.exit_code == 1
    assert "quorum 2 is not in 0..1" in too_many.output
