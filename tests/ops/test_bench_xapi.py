"""`creditbank bench xapi`, small: a served bank with its workers and one sequencer takes
each load and every statement lands (the figures themselves belong in
docs/performance.md, from full-size runs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select

from creditbank.bank import open_bank
from creditbank.db import tables
from creditbank.settings import Settings
from creditbank.tooling.bench import xapi
from creditbank.tooling.bench.common import Figure

pytestmark = pytest.mark.slow


def test_a_small_lrs_run_reports_every_figure_and_logs_every_completion(
    tmp_path: Path,
) -> None:
    with (tmp_path / "out.txt").open("w") as out:
        figures: list[Figure] = xapi.run_xapi_bench(
            statements=100,
            batched=200,
            learners=10,
            data_dir=tmp_path / "data",
            database_url=None,
            root=Path(__file__).resolve().parents[2],
            console=Console(file=out, width=200),
            ralph="no-such-ralph-command",
        )
    rates = {f.name: f.value for f in figures}
    for name in (
        "Ed25519 verify, raw, one core (machine speed)",
        "signed completion route, 8 clients (baseline)",
        "signed completion route, 32 clients (baseline)",
        "xAPI, 1 statement/request, 8 clients",
        "xAPI, 1 statement/request, 32 clients",
        "xAPI video played (stored, no ledger entry), 32 clients",
        "xAPI, batches of 100, 4 clients",
    ):
        assert rates[name] > 0, name
    bank = open_bank(Settings(data_dir=tmp_path / "data"))
    try:
        with bank.engine.connect() as conn:
            completions = conn.execute(
                select(func.count()).where(tables.log_entries.c.kind == "completion.recorded")
            ).scalar_one()
    finally:
        bank.close()
    # the baselines' 100 + 100 and the xAPI runs' 100 + 100 + 200 completions, each
    # logged once
    assert completions == 600
    notes = {f.name: f.note for f in figures}
    for clients in (8, 32):
        ratio = (
            rates[f"xAPI, 1 statement/request, {clients} clients"]
            / rates[f"signed completion route, {clients} clients (baseline)"]
        )
        assert notes[f"xAPI, 1 statement/request, {clients} clients"].endswith(
            f"{ratio:.2f}x the signed route"
        )
