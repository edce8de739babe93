"""The CLI: init, key, verify, audit, rebuild, demo and token, with their exit codes."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from creditbank.bank import open_bank
from creditbank.cli.main import app
from creditbank.credits.service import balance_and_progress
from creditbank.ledger import reads, store
from creditbank.settings import Settings
from creditbank.tooling.demo import DEMO_LEARNERS, demo_person
from tests.conftest import PrivacyScan
from tests.factories import post_notice, register, register_personal_data

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "220"})
    return result.exit_code, result.output


@pytest.fixture
def initialized(tmp_path: Path, database_url: str) -> tuple[Path, str]:
    data = tmp_path / "data"
    code, out = run("init", "--data-dir", str(data), "--database-url", database_url)
    assert code == 0, out
    return data, database_url


def test_init_creates_private_keys_and_prints_the_verifier_key(
    initialized: tuple[Path, str],
) -> None:
    data, url = initialized
    for name in ("log.key", "authority.key"):
        mode = stat.S_IMODE((data / "keys" / name).stat().st_mode)
        assert mode == 0o600
    code, out = run("key", "--data-dir", str(data), "--database-url", url)
    assert code == 0
    assert out.startswith("creditbank.local/ledger+")
    code, out = run("init", "--data-dir", str(data), "--database-url", url)
    assert code == 1
    assert "already holds a ledger" in out


def test_verify_accepts_a_receipt_and_rejects_a_tampered_one(
    initialized: tuple[Path, str], tmp_path: Path
) -> None:
    data, url = initialized
    bank = open_bank(Settings(data_dir=data, database_url=url))
    try:
        key = register(bank, "prov-a")
        appended = post_notice(bank, "prov-a", key, text="hello")
        verifier_key = bank.verifier_key
    finally:
        bank.close()
    receipt = tmp_path / "r.tlog-proof"
    receipt.write_text(appended.receipt)
    code, out = run("verify", str(receipt), "--key", verifier_key)
    assert code == 0, out
    assert f"entry {appended.index}" in out

    code, out = run("verify", str(receipt), "--data-dir", str(data))
    assert code == 0, out  # the key of the ledger in the data dir

    keyfile = tmp_path / "log.pub"
    keyfile.write_text(verifier_key + "\n")
    assert run("verify", str(receipt), "--key", f"@{keyfile}")[0] == 0

    tampered = tmp_path / "t.tlog-proof"
    tampered.write_text(
        appended.receipt.replace(f"index {appended.index}", f"index {appended.index - 1}")
    )
    code, out = run("verify", str(tampered), "--key", verifier_key)
    assert code == 1
    assert "verification failed" in out

    code, out = run("verify", str(tmp_path / "missing.tlog-proof"), "--key", verifier_key)
    assert code == 1
    assert "cannot read" in out


def test_audit_and_rebuild(initialized: tuple[Path, str]) -> None:
    data, url = initialized
    code, out = run("audit", "--data-dir", str(data), "--database-url", url)
    assert code == 0, out
    assert "audit OK: 2 entries" in out
    code, out = run("rebuild", "--data-dir", str(data), "--database-url", url)
    assert code == 0, out
    assert "from 2 entries" in out


def test_commands_on_a_missing_ledger_fail_cleanly(tmp_path: Path) -> None:
    code, out = run("audit", "--data-dir", str(tmp_path / "nowhere"))
    assert code == 1
    assert "creditbank init" in out


def test_demo_runs_end_to_end(tmp_path: Path, privacy_scan: PrivacyScan) -> None:
    target = tmp_path / "demo"
    code, out = run("demo", "--data-dir", str(target))
    assert code == 0, out
    assert "verifies offline" in out
    assert "audit OK" in out
    assert ": VALID (" in out
    assert ": REVOKED (" in out
    assert (target / "report-2026.csv").read_text().count("\n") > 10
    assert stat.S_IMODE(target.stat().st_mode) == 0o700  # its own data dir, private
    # re-running replaces the demo's own directory
    assert run("demo", "--data-dir", str(target))[0] == 0
    bank = open_bank(Settings(data_dir=target))
    try:
        assert "creditbank.local/ledger" in reads.checkpoint_note(bank.engine)
        with bank.engine.connect() as conn:
            counts = dict(
                store.query(
                    conn,
                    "SELECT kind, COUNT(*) FROM log_entries WHERE kind IN ("
                    "'completion.retracted', 'certificate.issued', 'certificate.revoked', "
                    "'reward.paid', 'reward.clawback_due', 'subsidy.paid', 'subsidy.rejected', "
                    "'subsidy.clawback_due') GROUP BY kind",
                )
            )
            failing = store.query(
                conn, "SELECT COUNT(*) FROM completions WHERE outcome = 'not_passed'"
            )[0][0]
        # the whole story happened: a few hundred learners, some failing, some retracted,
        # certificates, one revoked after payment, rewards and subsidies paid
        assert DEMO_LEARNERS >= 200
        assert failing > 0
        assert counts["completion.retracted"] > 0
        assert counts["certificate.issued"] > 50
        assert counts["certificate.revoked"] == 1
        assert counts["reward.paid"] == counts["certificate.issued"]
        assert counts["reward.clawback_due"] == 1
        assert counts["subsidy.paid"] > 0
        assert counts["subsidy.rejected"] == 1
        assert counts["subsidy.clawback_due"] >= 1
        # a learner's balance as JSON: the same figures the service reads
        with bank.engine.connect() as conn:
            account = str(
                store.query(conn, "SELECT account FROM learner_accounts ORDER BY account")[0][0]
            )
        result = runner.invoke(app, ["balance", account, "--json", "--data-dir", str(target)])
        assert result.exit_code == 0, result.output
        shown = json.loads(result.stdout)
        held, _ = balance_and_progress(bank.engine, account, datetime.now(UTC))
        assert shown["balance"]["total_active"] == held["total_active"]
        assert {u["unit_code"] for u in shown["balance"]["units"]} == {
            u["unit_code"] for u in held["units"]
        }
        # none of the demo's learners' personal data is on its ledger
        for i in range(DEMO_LEARNERS):
            person = demo_person(i)
            register_personal_data(person.name, person.id_number, person.phone)
        privacy_scan.check(bank)
    finally:
        bank.close()


def test_demo_refuses_a_directory_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    code, out = run("demo", "--data-dir", str(tmp_path / "mine"))
    assert code == 1
    assert "not made by the demo" in out


def test_routes_lists_the_access_table() -> None:
    from creditbank.api.policy import ROUTE_ROLES

    code, out = run("routes")
    assert code == 0
    assert "/v1/learners/{account}/export" in out
    assert "learner" in out
    assert out.count("\n") >= len(ROUTE_ROLES)
    listed = json.loads(runner.invoke(app, ["routes", "--json"]).stdout)
    assert {(r["method"], r["path"]) for r in listed} == set(ROUTE_ROLES)
    assert {"method": "GET", "path": "/v1/rewards", "roles": ["authority"]} in listed


# --- files at rest and organisation tokens ---------------------------------------------------


def test_init_makes_the_data_dir_and_database_private(tmp_path: Path) -> None:
    """The data dir and keys dir 0700, the SQLite database and its -wal and -shm 0600
    (they hold password hashes and sealed personal data), under the usual umask 022."""
    data = tmp_path / "data"
    old = os.umask(0o022)
    try:
        code, out = run("init", "--data-dir", str(data))
        assert code == 0, out
        bank = open_bank(Settings(data_dir=data))
        try:
            post_notice(bank, "prov-a", register(bank, "prov-a"))  # writes: -wal and -shm exist
            db = data / "creditbank.db"
            files = [db, db.with_name("creditbank.db-wal"), db.with_name("creditbank.db-shm")]
            modes = {f.name: stat.S_IMODE(f.stat().st_mode) for f in files}
            assert modes == {f.name: 0o600 for f in files}
        finally:
            bank.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "keys").stat().st_mode) == 0o700


def token_count(data: Path, url: str) -> int:
    bank = open_bank(Settings(data_dir=data, database_url=url))
    try:
        with bank.engine.connect() as conn:
            return int(store.query(conn, "SELECT COUNT(*) FROM api_tokens")[0][0])
    finally:
        bank.close()


@pytest.mark.parametrize("days", ["0", "-1", "3651", "99999999", "99999999999999999999"])
def test_token_create_refuses_a_lifetime_outside_1_to_3650_days(
    initialized: tuple[Path, str], days: str
) -> None:
    data, url = initialized
    args = ["token", "create", "--actor", "authority", "--days", days]
    result = runner.invoke(app, [*args, "--data-dir", str(data), "--database-url", url])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # a clean exit, not a crash
    assert result.output.splitlines() == [
        f"error [days]: a token lives 1 to 3650 days, not {int(days)}"
    ]
    assert token_count(data, url) == 0


def test_token_create_issues_tokens_for_1_to_3650_days(initialized: tuple[Path, str]) -> None:
    data, url = initialized
    where = ["--data-dir", str(data), "--database-url", url]
    today = datetime.now(UTC)
    for days, lifetime in ((None, 90), ("1", 1), ("3650", 3650)):
        lifetime_args = [] if days is None else ["--days", days]
        code, out = run("token", "create", "--actor", "authority", *lifetime_args, *where)
        assert code == 0, out
        assert f"expires {today + timedelta(days=lifetime):%Y-%m-%d}" in out
        assert out.splitlines()[-1].startswith("cbt_")
    assert token_count(data, url) == 3
    result = runner.invoke(app, ["token", "list", "--json", *where])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert [t["actor_id"] for t in listed] == ["authority"] * 3
    assert all("secret" not in t and not str(t["token_id"]).startswith("cbt_") for t in listed)
    code, out = run("token", "create", "--actor", "nobody", *where)
    assert (code, out.strip()) == (1, "error [actor]: no registered actor nobody")
