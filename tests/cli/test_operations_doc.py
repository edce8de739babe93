"""docs/operations.md, run: every `$ creditbank ...` line of the walkthrough, in order, on a
fresh data dir (on each engine), with the bank's API served as `creditbank serve` would.

What the other parties do between the commands (the LMS opening accounts and exporting
completions, learners applying, the certifying body issuing through the API, the finance
system exporting its payment run) is done here with the client SDK, at the point the page
describes it. The page's example dates become dates relative to today (a recognition
from two months ago, completions of last week) and the report's year is this one, so the
walkthrough holds whenever it runs; everything else is the page's text as written.
"""

from __future__ import annotations

import csv
import os
import re
import shlex
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from typer.testing import CliRunner

from creditbank.api.app import create_app
from creditbank.bank import open_bank
from creditbank.cli.main import app
from creditbank.client import CreditBankClient
from creditbank.core.entry import format_time
from creditbank.core.keys import read_key_file
from creditbank.settings import load_settings
from tests.client.conftest import free_port
from tests.conftest import PrivacyScan
from tests.factories import make_person

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
runner = CliRunner()


def doc_commands() -> list[str]:
    """The `$ creditbank ...` lines of the page's console blocks, in order."""
    commands, in_console = [], False
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_console = line.strip() == "```console"
            continue
        if in_console and line.startswith("$ creditbank "):
            commands.append(line[len("$ ") :])
    return commands


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Where `creditbank serve` would run: started on demand, stopped after the test."""
    state: dict[str, Any] = {}
    yield state
    if "server" in state:
        state["server"].should_exit = True
        state["thread"].join(timeout=15)
        state["bank"].close()


def serve(state: dict[str, Any], data_dir: Path) -> str:
    bank = open_bank(load_settings(data_dir=data_dir))
    port = free_port()
    config = uvicorn.Config(
        create_app(bank), host="127.0.0.1", port=port, log_level="warning", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive(), "the server stopped"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    state.update(server=server, thread=thread, bank=bank)
    return f"http://127.0.0.1:{port}"


class Day:
    """The walkthrough's state: its shell variables, and the other parties' actions."""

    def __init__(self, root: Path, database_url: str) -> None:
        self.root = root
        self.database_url = database_url
        now = datetime.now(UTC)
        self.year = now.astimezone(ZoneInfo("Asia/Shanghai")).year
        self.valid_from = format_time(now - timedelta(days=60))
        self.completed_at = format_time(now - timedelta(days=7))
        self.vars: dict[str, str] = {}
        self.learners: list[str] = []
        self.imports = 0

    def expand(self, command: str) -> list[str]:
        command = command.replace("2026-09-01T00:00:00Z", self.valid_from)
        command = re.sub(r"--year 2026", f"--year {self.year}", command)
        command = command.replace("report-2026.csv", f"report-{self.year}.csv")
        for name, value in self.vars.items():
            command = command.replace(f"${name}", value)
        assert "$" not in command, f"unset variable in {command}"
        args = shlex.split(command)[1:]
        if args[0] == "init" and self.database_url.startswith("postgresql"):
            args += ["--database-url", self.database_url]
        return args

    def client(self, token_var: str, key: str | None = None) -> CreditBankClient:
        signer = None if key is None else read_key_file(self.root / key)
        return CreditBankClient(
            self.vars["BANK"],
            token=self.vars[token_var],
            key=signer,
            actor=None if signer is None else signer.name,
        )

    # --- what others do, where the page says so -------------------------------------------

    def before(self, args: list[str]) -> None:
        if args[0] == "import" and self.imports == 0:
            self.open_accounts_and_export()
        elif args[0] == "import" and self.imports == 2:
            text = (self.root / "may.csv").read_text()
            (self.root / "may.csv").write_text(text.replace(",ninety,", ",90,"))
        elif args[:2] == ["reward", "list"]:
            self.certify()
        elif args[:2] == ["reward", "pay"]:
            self.export_reward_run()
        elif args[:2] == ["subsidy", "claim"]:
            with self.client("ACME_TOKEN") as acme:
                parts = list(acme.subsidies("acme", status="open"))
            assert len(parts) == 2  # one per certified trainee, all of it acme's
            self.vars["ENTITLEMENT"] = str(parts[0]["entitlement_index"])

    def open_accounts_and_export(self) -> None:
        with self.client("ACME_TOKEN") as acme:
            for _ in range(2):
                person = make_person().model_dump(mode="json")
                self.learners.append(str(acme.open_account(person)["account"]))
        self.vars["LEARNER"] = self.learners[0]
        rows = [
            ("may-0001", self.learners[0], "clean-101", "86"),
            ("may-0002", self.learners[0], "label-201", "ninety"),  # the reject to fix
            ("may-0003", self.learners[1], "clean-101", "90"),
            ("may-0004", self.learners[1], "label-201", "75"),
        ]
        with (self.root / "may.csv").open("w", newline="") as f:
            out = csv.writer(f)
            out.writerow(
                ("completion_id", "learner", "course_id", "completed_at", "score",
                 "hours_attended", "learner_name")
            )  # fmt: skip
            for cid, learner, course, score in rows:
                out.writerow((cid, learner, course, self.completed_at, score, "64.0", "Wang Fang"))

    def certify(self) -> None:
        """Both learners apply (filed by the authority), bj-cert assesses and issues."""
        result = runner.invoke(
            app, ["token", "create", "--actor", "bj-cert", "--data-dir", str(self.root / "bank")]
        )
        assert result.exit_code == 0, result.output
        self.vars["CERT_TOKEN"] = result.output.strip().splitlines()[-1]
        with (
            self.client("FINANCE_TOKEN") as finance,
            self.client("CERT_TOKEN", "bj-cert.key") as cert,
        ):
            for n, learner in enumerate(self.learners, start=1):
                application = finance.apply_for_certificate(learner, "data-annotator", 5).index
                awards = sorted(a["index"] for a in finance.history(learner)["awards"])
                cert.record_assessment(
                    {
                        "kind": "assessment.recorded",
                        "actor": "bj-cert",
                        "id": f"assess-{application}",
                        "body": {"application_index": application, "result": "passed", "score": 88},
                    }
                )
                cert.issue_certificate(
                    {
                        "kind": "certificate.issued",
                        "actor": "bj-cert",
                        "id": f"issue-{n}",
                        "body": {
                            "certificate_number": f"DAN5-{self.year}-{n:06d}",
                            "learner": learner,
                            "standard_id": "data-annotator",
                            "level": 5,
                            "application_index": application,
                            "awards": awards,
                            "assessment": {"result": "passed", "score": 88},
                        },
                    }
                )

    def export_reward_run(self) -> None:
        with self.client("FINANCE_TOKEN") as finance:
            granted = [r["index"] for r in finance.rewards(status="granted")]
        assert len(granted) == 2
        with (self.root / "payments.csv").open("w", newline="") as f:
            out = csv.writer(f)
            out.writerow(("reward_index", "payment_reference"))
            for n, index in enumerate(granted, start=1):
                out.writerow((index, f"BJHRSS-R-{self.year}-{n:06d}"))

    def after(self, args: list[str], code: int, out: str) -> None:
        if args[0] == "token" and args[1] == "create":
            token = out.strip().splitlines()[-1]
            self.vars["ACME_TOKEN" if "acme" in args else "FINANCE_TOKEN"] = token
        if args[0] == "import":
            self.imports += 1
            expected = {1: (1, "unknown columns learner_name"), 2: (2, "3 logged, 0 already"),
                        3: (0, "1 logged, 3 already logged")}[self.imports]  # fmt: skip
            assert (code, expected[1] in " ".join(out.split())) == (expected[0], True), out
            return
        assert code == 0, f"{args}: {out}"


def test_the_operations_walkthrough_runs_as_written(
    tmp_path: Path,
    database_url: str,
    served: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    privacy_scan: PrivacyScan,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CREDITBANK_DATABASE_URL", raising=False)
    monkeypatch.delenv("CREDITBANK_DATA_DIR", raising=False)
    day = Day(tmp_path, database_url)
    commands = doc_commands()
    assert len(commands) >= 25
    outputs: dict[str, str] = {}
    for command in commands:
        words = shlex.split(command)[1:]
        if words[0] == "serve":  # `creditbank serve` in the background: a server thread
            day.vars["BANK"] = serve(served, tmp_path / words[words.index("--data-dir") + 1])
            continue
        day.before(words)  # the other parties' step, which may set variables
        args = day.expand(command)
        result = runner.invoke(app, args, env={**dict(os.environ), "COLUMNS": "80"})
        out = result.output
        day.after(args, result.exit_code, out)
        outputs[" ".join(args[:2])] = out

    # the day's outcome, as the ledger has it
    with day.client("FINANCE_TOKEN") as finance:
        rewards = list(finance.rewards())
        parts = list(finance.subsidies())
        report = finance.report(day.year)
    assert [r["status"] for r in rewards] == ["paid", "paid"]
    assert sorted(p["status"] for p in parts) == ["open", "paid"]
    assert report["targets"]["certified_trainees"]["actual"] == 2
    assert "audit OK" in outputs["audit --data-dir"]
    assert (tmp_path / f"report-{day.year}.csv").read_text().count("\n") > 10
    privacy_scan.check(served["bank"])


def test_the_page_shows_only_commands_that_exist() -> None:
    """Each command of the page parses (its options exist), checked with --help."""
    for command in doc_commands():
        words = shlex.split(command)[1:]
        path = [w for w in words[:2] if not w.startswith("-") and not w.startswith("$")]
        result = runner.invoke(app, [*path[:2], "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, command
        for option in (w for w in words if w.startswith("--")):
            assert option in result.output or option.split("=")[0] in result.output, (
                command,
                option,
            )
