"""`creditbank bench soak`, briefly: it runs two server processes under the mixed load and
reports every operation per interval, the server's /metrics and every process's memory.
(Its figures belong in docs/performance.md, from a long run; here only that it works.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from creditbank.tooling.bench.soak import MIX
from tests.conftest import PG_URL
from tests.ops.processes import start

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_short_soak_runs_and_reports(tmp_path: Path, engine: str) -> None:
    database = []
    if engine == "postgres":
        if not PG_URL:
            pytest.skip("CREDITBANK_TEST_DATABASE_URL is not set")
        database = ["--database-url", PG_URL]
    out = tmp_path / "soak.json"
    args = ["--minutes", "0.2", "--interval", "4", "--rate", "25", "--learners", "100"]
    proc = start(
        "bench", "soak", *args, "--completions", "1000", "--json", str(out), *database, cwd=tmp_path
    )
    output, _ = proc.communicate(timeout=600)
    text = output.decode(errors="replace")
    assert proc.returncode == 0, text[-3000:]
    report = json.loads(out.read_text())
    assert report["ok"] is True
    assert report["errors"] == 0
    assert report["engine"] == ("PostgreSQL" if database else "SQLite")
    assert len(report["intervals"]) == 3
    assert {o["op"] for o in report["totals"]} == set(MIX)
    assert sum(o["count"] for o in report["totals"]) == 300  # 12 s at 25 a second
    for interval in report["intervals"]:
        assert interval["server"]["requests_per_second"] > 0  # read from /metrics
        assert interval["server"]["tree_size"] > 0
        processes = set(interval["rss_mb"])
        assert {"load generator", "server main", "server worker 1", "server worker 2"} <= processes
