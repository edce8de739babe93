"""Recognition of a peer bank's records, on two real servers: a certificate from Tianjin
recognised in Beijing (a prerequisite there, no second reward), refused when revoked, not
witnessed, or with a link code for another account; undone by a later peer revocation;
recognised credits under the program's cap; and both audits re-derive it all."""

from __future__ import annotations

import json
from typing import Any

import httpx
from typer.testing import CliRunner

from creditbank.bank import audit_bank
from creditbank.catalogue.store import standard_version
from creditbank.certificates.store import has_active_certificate
from creditbank.cli.main import app as cli
from creditbank.credits.store import level_progress
from creditbank.federation.recognitions import recheck
from creditbank.ledger import reads
from creditbank.ledger.audit import rebuild
from creditbank.registry import default_handlers
from tests.access.conftest import learner_token, tree_size
from tests.conftest import FakeClock
from tests.federation.conftest import Pair
from tests.federation.recognition import federate, revoke


def kinds(bank: Any, indexes: list[int]) -> list[str]:
    return [reads.entry_view(bank.engine, i)["entry"]["kind"] for i in indexes]


def derived_kinds(bank: Any, appended: dict[str, Any]) -> list[str]:
    return kinds(bank, list(appended["derived"]))


def audits_pass(pair: Pair) -> None:
    for peer in (pair.beijing, pair.tianjin):
        report = audit_bank(peer.bank)
        assert report.ok, report.problem


def recognitions(pair: Pair, learner: str) -> list[dict[str, Any]]:
    bj = pair.beijing
    r = httpx.get(
        f"{bj.url}/v1/learners/{learner}/recognitions",
        headers={"Authorization": f"Bearer {learner_token(bj.bank, learner)}"},
    )
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()
    return found


def test_a_peer_certificate_is_recognised_without_a_second_reward(pair: Pair) -> None:
    fed = federate(pair)
    fed.agree()
    cert = fed.tianjin.certify()
    fed.witnessed()
    home = fed.beijing.learner()
    r = fed.present_certificate(cert.number, cert.learner, home)
    assert r.status_code == 201, r.text
    # derived by the rules: the recognition and nothing of money
    assert derived_kinds(pair.beijing.bank, r.json()) == ["certificate.recognized"]
    [found] = recognitions(pair, home)
    assert found["record"] == "certificate"
    assert found["peer_ref"] == cert.number
    assert (found["standard_id"], found["level"], found["status"]) == (
        "data-annotator",
        5,
        "active",
    )
    with pair.beijing.bank.engine.connect() as conn:
        assert has_active_certificate(conn, home, "data-annotator", 5)
    # presented twice (even by another learner): refused
    other = fed.beijing.learner()
    again = fed.present_certificate(cert.number, cert.learner, other)
    assert again.status_code in (409, 422)
    audits_pass(pair)
    # the projection is recomputed from the log alone
    rebuild(pair.beijing.bank.engine, default_handlers())
    assert recognitions(pair, home) == [found]


def test_a_recognised_certificate_counts_as_the_prerequisite(pair: Pair) -> None:
    fed = federate(pair)
    # Tianjin's level 5 recognised as Beijing's level 4, which level 3 requires
    fed.agree(
        mapping=[
            {
                "peer_standard_id": "data-annotator",
                "peer_level": 5,
                "standard_id": "data-annotator",
                "level": 4,
            }
        ]
    )
    cert = fed.tianjin.certify()
    fed.witnessed()
    home = fed.beijing.learner()
    bank = pair.beijing.bank

    def needs_lower() -> bool:
        with bank.engine.connect() as conn:
            standard = standard_version(conn, "data-annotator", None)
            assert standard is not None
            level = standard.level(3)
            assert level is not None
            return level_progress(
                conn, home, "data-annotator", level, bank.ledger.clock()
            ).needs_lower_certificate

    assert needs_lower()
    r = fed.present_certificate(cert.number, cert.learner, home)
    assert r.status_code == 201, r.text
    assert not needs_lower()
    audits_pass(pair)


def test_a_revoked_peer_certificate_is_refused(pair: Pair) -> None:
    fed = federate(pair)
    fed.agree()
    cert = fed.tianjin.certify()
    revoke(fed.tianjin, cert.number)
    fed.witnessed()
    home = fed.beijing.learner()
    before = tree_size(pair.beijing.bank)
    r = fed.present_certificate(cert.number, cert.learner, home)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "certificate_number"
    assert "revoked" in r.json()["detail"]
    assert tree_size(pair.beijing.bank) == before  # nothing logged


def test_a_bundle_under_a_checkpoint_without_quorum_is_refused(pair: Pair) -> None:
    fed = federate(pair)
    fed.agree(quorum=1)
    cert = fed.tianjin.certify()  # never witnessed
    home = fed.beijing.learner()
    r = fed.present_certificate(cert.number, cert.learner, home)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "bundle"
    assert "witness" in r.json()["detail"]


def test_the_link_code_cannot_be_replayed_for_another_account(pair: Pair) -> None:
    fed = federate(pair)
    fed.agree()
    cert = fed.tianjin.certify()
    fed.witnessed()
    home, intruder = fed.beijing.learner(), fed.beijing.learner()
    code = fed.link_code(cert.learner, home)
    r = fed.present_certificate(cert.number, cert.learner, intruder, code=code)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "link_code"
    # nor does a code for another peer account prove this certificate is the holder's
    other = fed.tianjin.certify()
    fed.witnessed()
    code = fed.link_code(other.learner, home)
    r = fed.present_certificate(cert.number, cert.learner, home, code=code)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "link_code"
    # the right code works
    r = fed.present_certificate(cert.number, cert.learner, home)
    assert r.status_code == 201, r.text


def test_an_expired_link_code_is_refused(pair: Pair, clock: FakeClock) -> None:
    fed = federate(pair)
    fed.agree()
    cert = fed.tianjin.certify()
    fed.witnessed()
    home = fed.beijing.learner()
    code = fed.link_code(cert.learner, home)
    clock.advance(minutes=16)
    r = fed.present_certificate(cert.number, cert.learner, home, code=code)
    assert r.status_code == 422, r.text
    assert "expired" in r.json()["detail"]


def test_a_later_peer_revocation_undoes_the_recognition(pair: Pair) -> None:
    from creditbank.federation.config import add_peer_bank

    fed = federate(pair)
    fed.agree()
    cert = fed.tianjin.certify()
    fed.witnessed()
    home = fed.beijing.learner()
    assert fed.present_certificate(cert.number, cert.learner, home).status_code == 201
    add_peer_bank(pair.beijing.keys_dir, pair.tianjin.bank.origin, pair.tianjin.url)
    # a re-check while the certificate stands changes nothing
    [first] = recheck(pair.beijing.bank.ledger, pair.beijing.keys_dir)
    assert first.problem is None
    assert not first.revoked
    revoke(fed.tianjin, cert.number)
    fed.witnessed()
    # the command, as an operator runs it
    data_dir = str(pair.beijing.bank.settings.data_dir)
    result = CliRunner().invoke(cli, ["federation", "recheck", "--json", "--data-dir", data_dir])
    assert result.exit_code == 0, result.output
    [line] = [json.loads(x) for x in result.output.splitlines()]
    assert line == {
        "recognition_index": line["recognition_index"],
        "revoked": True,
        "problem": None,
    }
    [found] = recognitions(pair, home)
    assert found["status"] == "revoked"
    with pair.beijing.bank.engine.connect() as conn:
        assert not has_active_certificate(conn, home, "data-annotator", 5)
    assert recheck(pair.beijing.bank.ledger, pair.beijing.keys_dir) == []
    audits_pass(pair)


def test_recognised_credits_count_only_up_to_the_cap(pair: Pair) -> None:
    fed = federate(pair)
    fed.agree()
    peer_learner, awards = fed.tianjin.eligible_learner()  # 3.0 + 4.0 + 3.0 credits
    fed.witnessed()
    home = fed.beijing.learner()
    r = fed.present(
        home,
        {
            "record": "credits",
            "award_indexes": awards,
            "bundle": fed.credit_bundle(awards),
            "link_code": fed.link_code(peer_learner, home),
        },
    )
    assert r.status_code == 201, r.text
    assert derived_kinds(pair.beijing.bank, r.json()) == ["credit.recognized"] * 3
    bank = pair.beijing.bank
    with bank.engine.connect() as conn:
        standard = standard_version(conn, "data-annotator", None)
        assert standard is not None
        level = standard.level(5)
        assert level is not None
        progress = level_progress(conn, home, "data-annotator", level, bank.ledger.clock())
    # 10.0 recognised, but at most 50% of the 8.0 the level requires counts
    assert progress.counted_tenths == 40
    assert not progress.eligible
    # 4.0 earned here on top: 8.0 counted, every required unit met: eligible
    done = fed.beijing.complete(home, "fl-offline")
    assert kinds(bank, list(done.derived)) == ["credit.awarded", "eligibility.reached"]
    # the same awards cannot be recognised twice
    again = fed.present(
        home,
        {
            "record": "credits",
            "award_indexes": awards[:1],
            "bundle": fed.credit_bundle(awards[:1]),
            "link_code": fed.link_code(peer_learner, home),
        },
    )
    assert again.status_code == 409, again.text
    audits_pass(pair)


def test_an_ended_agreement_recognises_nothing(pair: Pair) -> None:
    from creditbank.core.entry import sign_statement

    fed = federate(pair)
    agreement_id = fed.agree()
    bj = pair.beijing
    bj.bank.ledger.append(
        sign_statement(
            {
                "kind": "recognition.ended",
                "actor": "authority",
                "id": f"end-{agreement_id}",
                "body": {"agreement_id": agreement_id, "reason": "not renewed"},
            },
            bj.bank.authority_key(),
        )
    )
    cert = fed.tianjin.certify()
    fed.witnessed()
    home = fed.beijing.learner()
    r = fed.present_certificate(cert.number, cert.learner, home)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "agreement_id"


def test_the_periodic_task_rechecks_by_itself(pair: Pair) -> None:
    """With peers configured, the server's task re-checks on its interval."""
    import threading
    from dataclasses import replace

    from creditbank.federation.config import add_peer_bank, load_config, save_config
    from creditbank.federation.recognitions import start_rechecking

    fed = federate(pair)
    fed.agree()
    cert = fed.tianjin.certify()
    fed.witnessed()
    home = fed.beijing.learner()
    assert fed.present_certificate(cert.number, cert.learner, home).status_code == 201
    keys_dir = pair.beijing.keys_dir
    add_peer_bank(keys_dir, pair.tianjin.bank.origin, pair.tianjin.url)
    save_config(keys_dir, replace(load_config(keys_dir), recheck_interval_seconds=0.2))
    revoke(fed.tianjin, cert.number)
    fed.witnessed()
    task = start_rechecking(pair.beijing.bank.ledger, keys_dir)
    assert task is not None
    try:
        status = "active"
        for _ in range(600):  # waits for the task, up to a minute; asserts no speed
            [found] = recognitions(pair, home)
            status = found["status"]
            if status == "revoked":
                break
            threading.Event().wait(0.1)
        assert status == "revoked"
    finally:
        task.stop()
    audits_pass(pair)
