"""`creditbank bench ingest`, small: it imports, queries and reports each figure (the
figures themselves belong in docs/performance.md, from full-size runs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from creditbank.ledger import audit
from creditbank.tooling.bench import ingest
from creditbank.tooling.bench.common import Figure

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("rebuild", [True, False])
def test_a_small_ingest_reports_its_figures(
    tmp_path: Path, rebuild: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    rebuilt: list[int] = []
    real_rebuild = audit.rebuild

    def counting_rebuild(*args: object, **kwargs: object) -> int:
        rebuilt.append(real_rebuild(*args, **kwargs))  # type: ignore[arg-type]
        return rebuilt[-1]

    monkeypatch.setattr(audit, "rebuild", counting_rebuild)

    with (tmp_path / "out.txt").open("w") as out:
        figures: list[Figure] = ingest.run_ingest_bench(
            learners=1000,
            completions=2000,
            http_completions=0,
            rebuild=rebuild,
            data_dir=tmp_path / "data",
            database_url=None,
            root=Path(__file__).resolve().parents[2],
            console=Console(file=out, width=200),
        )
    names = [f.name for f in figures]
    bulk = figures[names.index("bulk import (verified, converted, projections updated)")]
    assert bulk.value > 0
    assert bulk.target == ">= 5,000"  # issue #17's SQLite target
    assert "balance query p99, 1,000 learners" in names
    # every completion logged, with its derived decisions, then rebuilt from the log alone
    assert ("rebuild" in names) is rebuild
    if rebuild:
        assert rebuilt[0] > 2000
    else:
        assert rebuilt == []
