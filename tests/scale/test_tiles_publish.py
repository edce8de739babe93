"""`creditbank tiles publish`: the log as a static tlog-tiles tree, served by a plain
static file server (python's http.server) and verified with no creditbank server."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from creditbank.bank import Bank, init_bank
from creditbank.cli.main import app
from creditbank.core.errors import Conflict, InvalidInput
from creditbank.core.tlog import merkle
from creditbank.core.verify import VerificationError
from creditbank.ledger import audit, store
from creditbank.ledger.publish import publish
from creditbank.ledger.sequencer import Appended
from creditbank.registry import default_handlers
from creditbank.settings import Settings
from creditbank.tiles_client import TilesClient
from tests.conftest import FakeClock, PrivacyScan, scanned
from tests.credits.conftest import World
from tests.factories import notice, register
from tests.scale.conftest import static_server

runner = CliRunner()


def _notices(bank: Bank, n: int, prefix: str) -> list[Appended]:
    key = register(bank, f"prov-{prefix}")
    done: list[Appended] = []
    for start in range(0, n, 500):
        out = bank.ledger.append_many(
            [
                notice(f"prov-{prefix}", key, sid=f"{prefix}-{i}")
                for i in range(start, min(n, start + 500))
            ]
        )
        assert all(isinstance(o, Appended) for o in out)
        done.extend(o for o in out if isinstance(o, Appended))
    return done


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its inode and modification time (ns)."""
    return {
        str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_a_static_copy_verifies_receipts_proofs_and_the_audit(world: World, tmp_path: Path) -> None:
    bank = world.bank
    learner = world.learner()
    done = world.complete(learner, "clean-online")
    assert done.derived  # the rules derived a credit: replay must re-derive it
    _notices(bank, 300, "n")
    folder = tmp_path / "tiles"
    first = publish(bank.engine, folder, bank.origin)
    with bank.engine.connect() as conn:
        size = store.tree_size(conn)
    assert (first.previous_size, first.size) == (0, size)
    assert (folder / "tile/0/000").stat().st_size == 256 * 32
    assert (folder / f"tile/0/001.p/{size - 256}").exists()
    assert (folder / "tile/1/000.p/1").exists()

    with static_server(folder) as url, TilesClient(url, bank.verifier_key) as tiles:
        cp = tiles.checkpoint()
        assert cp.size == size
        # a receipt handed out at append time verifies, and its checkpoint is a prefix
        verified = tiles.verify_receipt(done.receipt)
        assert verified.index == done.index
        # proofs from tiles are the bank's own
        with bank.engine.connect() as conn:
            for index in (0, done.index, size - 1):
                assert tiles.inclusion_proof(index) == store.inclusion_proof(conn, index, size)
                assert tiles.entry(index) == store.entry_data(conn, index)
            assert tiles.consistency_proof(done.index + 1) == store.consistency_proof(
                conn, done.index + 1, size
            )
        # the audit by tiles: every tile, the root, every signature, every decision
        assert audit.replay_elsewhere(tiles.audit(), default_handlers()) == size


def test_republishing_writes_only_what_changed_and_never_rewrites_a_full_tile(
    bank: Bank, tmp_path: Path
) -> None:
    early = _notices(bank, 200, "a")[0]
    folder = tmp_path / "tiles"
    publish(bank.engine, folder, bank.origin)
    with bank.engine.connect() as conn:
        size = store.tree_size(conn)
    assert not (folder / "tile/0/000").exists()
    partial = folder / f"tile/0/000.p/{size}"
    assert partial.exists()

    again = publish(bank.engine, folder, bank.origin)
    assert (again.written, again.size) == (0, size)  # nothing new, nothing written

    _notices(bank, 400, "b")
    second = publish(bank.engine, folder, bank.origin)
    assert second.previous_size == size
    assert not (folder / "tile/0/000.p").exists()  # partials of a full tile are removed
    assert second.removed >= 1
    before = _files(folder)
    full = {p: v for p, v in before.items() if ".p/" not in p and p != "checkpoint"}
    assert "tile/0/000" in full
    assert "tile/entries/001" in full

    _notices(bank, 10, "c")
    third = publish(bank.engine, folder, bank.origin)
    after = _files(folder)
    assert {p: after[p] for p in full} == full  # full tiles untouched: same inode, same time
    assert third.written == len(
        [p for p in after if ".p/" in p and (p not in before or after[p] != before[p])]
    )

    with static_server(folder) as url, TilesClient(url, bank.verifier_key) as tiles:
        assert tiles.checkpoint().size == third.size
        # an early receipt (checkpoint at size 3) is consistent with the newest tree,
        # read through the full tiles that replaced its partials
        assert tiles.verify_receipt(early.receipt).index == early.index
        assert audit.replay_elsewhere(tiles.audit(), default_handlers()) == third.size


def test_a_changed_file_fails_the_audit_and_the_receipt(bank: Bank, tmp_path: Path) -> None:
    appended = _notices(bank, 50, "a")
    folder = tmp_path / "tiles"
    publish(bank.engine, folder, bank.origin)
    with bank.engine.connect() as conn:
        size = store.tree_size(conn)
    bundle = folder / f"tile/entries/000.p/{size}"
    data = bytearray(bundle.read_bytes())
    data[-3] ^= 0x01  # one bit of the last entry
    bundle.write_bytes(bytes(data))
    with static_server(folder) as url, TilesClient(url, bank.verifier_key) as tiles:
        with pytest.raises(VerificationError, match="leaf hashes"):
            list(tiles.audit())
        with pytest.raises(VerificationError, match="leaf hash"):
            tiles.verify_receipt(appended[-1].receipt)
    with (
        static_server(folder) as url,
        TilesClient(url, "other.example+00000000+AAAA") as tiles,
        pytest.raises(VerificationError),
    ):
        tiles.checkpoint()


def test_a_folder_of_another_log_is_refused(
    bank: Bank, settings: Settings, tmp_path: Path, clock: FakeClock, privacy_scan: PrivacyScan
) -> None:
    folder = tmp_path / "tiles"
    publish(bank.engine, folder, bank.origin)
    other_settings = settings.model_copy(
        update={"data_dir": tmp_path / "other", "database_url": None, "origin": "other.example/log"}
    )
    with (
        scanned(init_bank(other_settings, clock=clock), privacy_scan) as other,
        pytest.raises(Conflict, match="another log"),
    ):
        publish(other.engine, folder, other.origin)


def test_the_tiles_dir_setting_publishes_as_the_log_grows(
    settings: Settings, tmp_path: Path, clock: FakeClock, privacy_scan: PrivacyScan
) -> None:
    folder = tmp_path / "published"
    configured = settings.model_copy(update={"tiles_dir": folder, "tiles_publish_seconds": 0.05})
    with scanned(init_bank(configured, clock=clock), privacy_scan) as bank:
        _notices(bank, 20, "a")
        with bank.engine.connect() as conn:
            size = store.tree_size(conn)
        assert bank.publisher is not None
        bank.publisher.close()  # stops the thread, then publishes what is left
        text = (folder / "checkpoint").read_text()
        assert text.split("\n")[:2] == [bank.origin, str(size)]
        with bank.engine.connect() as conn:
            want = merkle.leaf_hash(store.entry_data(conn, size - 1))
        assert (folder / f"tile/0/000.p/{size}").read_bytes()[-32:] == want
        bank.publisher = None


def test_the_commands_publish_and_audit(bank: Bank, tmp_path: Path) -> None:
    _notices(bank, 30, "a")
    folder = tmp_path / "tiles"
    data_dir = str(bank.settings.data_dir)
    url_option = ["--database-url", bank.settings.resolved_database_url]
    env = {"COLUMNS": "200"}
    result = runner.invoke(
        app,
        ["tiles", "publish", str(folder), "--data-dir", data_dir, *url_option, "--json"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["previous_size"] == 0
    assert out["size"] > 30
    assert out["written"] > 0
    with static_server(folder) as url:
        result = runner.invoke(
            app, ["tiles", "audit", url, "--key", bank.verifier_key, "--json"], env=env
        )
        assert result.exit_code == 0, result.output
        assert json.loads(result.output) == {
            "ok": True,
            "size": out["size"],
            "entries": out["size"],
        }
        os.remove(folder / "checkpoint")
        result = runner.invoke(app, ["tiles", "audit", url, "--key", bank.verifier_key], env=env)
        assert result.exit_code == 1
        assert "no checkpoint" in result.output
        assert "Traceback" not in result.output
    result = runner.invoke(
        app, ["tiles", "audit", "http://127.0.0.1:9/", "--key", bank.verifier_key], env=env
    )
    assert result.exit_code == 1
    assert "cannot read the tiles" in result.output


def test_the_tiles_client_loads_no_server_code() -> None:
    """Verifiers vendor it: importing it loads only the core, httpx and the standard
    library (no database or web framework, no creditbank module outside the core)."""
    import subprocess
    import sys

    code = "import json, sys, creditbank.tiles_client\nprint(json.dumps(sorted(sys.modules)))\n"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    loaded = json.loads(result.stdout)
    own = [
        m
        for m in loaded
        if m.startswith("creditbank")
        and not m.startswith("creditbank.core")
        and m not in ("creditbank", "creditbank.tiles_client")
    ]
    assert own == []
    assert [m for m in loaded if m.split(".")[0] in ("sqlalchemy", "fastapi", "psycopg")] == []


def test_publishing_into_a_file_is_refused(bank: Bank, tmp_path: Path) -> None:
    target = tmp_path / "not-a-folder"
    target.write_text("x")
    with pytest.raises(InvalidInput, match="not a folder"):
        publish(bank.engine, target, bank.origin)
    assert target.read_text() == "x"
