"""`creditbank demo --federation` end to end: two banks, two servers, the whole story."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from creditbank.cli.catalogue import PROJECT_ROOT
from creditbank.tooling.federation_demo import run_federation_demo


def test_the_federation_demo_runs_and_both_audits_pass(tmp_path: Path) -> None:
    out = io.StringIO()
    console = Console(file=out, width=200)
    assert run_federation_demo(tmp_path / "demo", root=PROJECT_ROOT, console=console)
    text = out.getvalue()
    assert "Beijing recognised IRO5-2026-000001" in text
    assert "eligibility.reached" in text
    assert "verdict VALID" in text
    assert "tianjin audit OK" in text
    assert "beijing audit OK" in text
