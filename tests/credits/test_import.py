"""`creditbank import`: JSON Lines and CSV exports, signed, sent in batches through the
client SDK to a live server; re-runs log nothing twice; rejected rows land in a file."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx
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


def _invoke(args: list[str]) -> tuple[int, str]:
    """Exit code and standard output (or, on failure, standard error without the progress
    bar's lines)."""
    result = CliRunner().invoke(app, args, env={"COLUMNS": "80"})
    return result.exit_code, result.stdout if result.exit_code == 0 else result.stderr


def _import_args(world: World, server: str, path: Path, tmp_path: Path, token: str) -> list[str]:
    keyfile = tmp_path / "prov-a.key"
    if not keyfile.exists():
        write_key_file(keyfile, world.key)
    return [
        "import",
        str(path),
        "--server",
        server,
        "--token",
        token,
        "--provider",
        "prov-a",
        "--key",
        str(keyfile),
    ]


def _csv(tmp_path: Path, header: str, row: str) -> Path:
    path = tmp_path / "export.csv"
    path.write_text(f"{header}\n{row}\n")
    return path


def test_unknown_and_missing_columns_are_refused_once_before_anything_is_sent(
    world: World, base_url: str, tmp_path: Path
) -> None:
    learner = world.learner()
    path = _csv(
        tmp_path,
        "completion_id,learner,learner_name,course_id,completed_at,score",
        f"c-1,{learner},Wang Fang,clean-online,2026-11-01T10:00:00Z,90",
    )
    before = size(world)
    token = token_for(world.bank, "prov-a")
    code, out = _invoke(_import_args(world, base_url, path, tmp_path, token))
    assert code == 1
    assert len(out.strip().splitlines()) == 1, out
    assert "unknown columns learner_name" in out
    assert "--ignore-columns learner_name" in out
    assert "missing columns hours_attended" in out
    assert size(world) == before
    assert not (tmp_path / "export.csv.rejects.jsonl").exists()


def test_ignored_columns_are_dropped_and_the_rows_logged(
    world: World, base_url: str, tmp_path: Path
) -> None:
    learner = world.learner()
    path = _csv(
        tmp_path,
        "completion_id,learner,learner_name,course_id,completed_at,score,hours_attended",
        f"c-9,{learner},Wang Fang,clean-online,2026-11-01T10:00:00Z,90,40.0",
    )
    args = _import_args(world, base_url, path, tmp_path, token_for(world.bank, "prov-a"))
    code, out = _invoke([*args, "--ignore-columns", "learner_name", "--json"])
    assert code == 0, out
    outcome = json.loads(out)
    assert (outcome["logged"], outcome["already_logged"], outcome["rejected"]) == (1, 0, 0)


def test_a_rerun_asks_once_per_batch_and_sends_nothing_again(
    world: World, base_url: str, tmp_path: Path
) -> None:
    from creditbank.client import CreditBankClient
    from creditbank.core.imports import read_rows

    learners = [world.learner() for _ in range(2)]
    text = "\n".join(
        json.dumps(
            {
                "completion_id": f"r-{i}",
                "learner": learners[i % 2],
                "course_id": "clean-online",
                "completed_at": "2026-11-01T10:00:00Z",
                "score": 80,
                "hours_attended": "40.0",
            }
        )
        for i in range(5)
    )
    rows = list(read_rows(text, "prov-a", fmt="jsonl"))
    paths: list[str] = []

    class Recording(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            paths.append(request.url.path)
            return super().handle_request(request)

    token = token_for(world.bank, "prov-a")
    with CreditBankClient(
        base_url, token=token, key=world.key, actor="prov-a", transport=Recording()
    ) as client:
        first = client.import_rows(rows, batch=3)
        assert (first.new, first.duplicate) == (5, 0)
        paths.clear()
        again = client.import_rows(rows, batch=3)
    assert (again.new, again.duplicate, again.refused) == (0, 5, [])
    assert paths == ["/v1/ledger/logged", "/v1/ledger/logged"]


def test_server_down_is_one_line_with_what_to_do(world: World, tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nothing listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = _csv(
        tmp_path,
        "completion_id,learner,course_id,completed_at,hours_attended",
        f"c-1,{world.learner()},clean-online,2026-11-01T10:00:00Z,40.0",
    )
    code, out = _invoke(_import_args(world, f"http://127.0.0.1:{port}", path, tmp_path, "t"))
    assert code == 1
    assert "Traceback" not in out
    assert len(out.strip().splitlines()) == 1, out
    assert f"cannot connect to the bank at http://127.0.0.1:{port}" in out
    assert "check --server" in out


def test_a_bad_token_is_one_line_with_what_to_do(
    world: World, base_url: str, tmp_path: Path
) -> None:
    path = _csv(
        tmp_path,
        "completion_id,learner,course_id,completed_at,hours_attended",
        f"c-1,{world.learner()},clean-online,2026-11-01T10:00:00Z,40.0",
    )
    code, out = _invoke(_import_args(world, base_url, path, tmp_path, "cbt_not-a-token"))
    assert code == 1
    assert len(out.strip().splitlines()) == 1, out
    assert "401" in out
    assert "check --token" in out


def test_a_base_url_ending_in_v1_is_refused_before_connecting(
    world: World, base_url: str, tmp_path: Path
) -> None:
    path = _csv(
        tmp_path,
        "completion_id,learner,course_id,completed_at,hours_attended",
        f"c-1,{world.learner()},clean-online,2026-11-01T10:00:00Z,40.0",
    )
    token = token_for(world.bank, "prov-a")
    code, out = _invoke(_import_args(world, f"{base_url}/v1/", path, tmp_path, token))
    assert code == 1
    assert len(out.strip().splitlines()) == 1, out
    assert f"without it ({base_url})" in out
