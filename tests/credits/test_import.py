"""`creditbank import`: JSON Lines and CSV exports, signed, sent in batches through the
client SDK to a live server; re-runs log nothing twice; rejected rows land in a file."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from creditbank.cli.main import app
from creditbank.core.keys import write_key_file
from creditbank.ledger import store
from tests.credits.conftest import World
from tests.factories import token_for


def run_import(world: World, base_url: str, path: Path, tmp_path: Path) -> tuple[int, str]:
    keyfile = tmp_path / "prov-a.key"
    if not keyfile.exists():
        write_key_file(keyfile, world.key)
    result = CliRunner().invoke(
        app,
        [
            "import",
            str(path),
            "--server",
            base_url,
            "--token",
            token_for(world.bank, "prov-a"),
            "--provider",
            "prov-a",
            "--key",
            str(keyfile),
            "--batch",
            "3",
        ],
        env={"COLUMNS": "200"},
    )
    return result.exit_code, result.output


def size(world: World) -> int:
    with world.bank.engine.connect() as conn:
        return store.tree_size(conn)


def test_jsonl_import_is_resumable_and_reports_rejects(
    world: World, base_url: str, tmp_path: Path
) -> None:
    learners = [world.learner() for _ in range(3)]
    when = "2026-11-01T10:00:00Z"
    lines = [
        {
            "completion_id": f"x-{i}",
            "learner": learners[i % 3],
            "course_id": course,
            "completed_at": when,
            "score": 80,
            "hours_attended": "40.0",
        }
        for i, course in enumerate(
            ["clean-online", "label-offline", "speech-workplace", "clean-more", "label-offline"]
        )
    ]
    lines.append(
        {
            "completion_id": "x-bad",
            "learner": learners[0],
            "course_id": "nope",
            "completed_at": when,
            "score": 80,
            "hours_attended": "40.0",
        }
    )
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n{broken\n")
    code, out = run_import(world, base_url, path, tmp_path)
    assert code == 2, out  # some rows rejected
    assert "5 logged, 0 already logged, 2 rejected" in out
    rejected = [
        json.loads(line)
        for line in (tmp_path / "export.jsonl.rejects.jsonl").read_text().splitlines()
    ]
    assert [r["line"] for r in rejected] == [6, 7]
    assert rejected[0]["field"] == "statement.body.course_id"
    before = size(world)
    code, out = run_import(world, base_url, path, tmp_path)  # a re-run: nothing new
    assert "0 logged, 5 already logged, 2 rejected" in out
    assert size(world) == before


def test_csv_import(world: World, base_url: str, tmp_path: Path) -> None:
    learner = world.learner()
    path = tmp_path / "export.csv"
    path.write_text(
        "completion_id,learner,course_id,completed_at,score,passed,hours_attended,evidence_sha256\n"
        f"c-1,{learner},clean-online,2026-11-01T10:00:00Z,90,,40.0,\n"
        f"c-2,{learner},pf-lab,2026-11-02T10:00:00Z,,true,16.0,{'ab' * 32}\n"
        f"c-3,{learner},clean-online,2026-11-03T10:00:00Z,ninety,,40.0,\n"
    )
    code, out = run_import(world, base_url, path, tmp_path)
    assert code == 2, out
    assert "2 logged, 0 already logged, 1 rejected" in out
    rejected = json.loads((tmp_path / "export.csv.rejects.jsonl").read_text())
    assert "score" in rejected["reason"]
