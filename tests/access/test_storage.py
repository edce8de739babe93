"""Files at rest: the data dir, the keys dir and the SQLite database with its -wal and -shm
files are their owner's alone (0700 and 0600), whatever the umask, because the database
holds password and token hashes and the sealed personal data. (`creditbank init` is
checked end to end in tests/cli/test_cli.py.)"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from creditbank.access.vault import write_master_key_file
from creditbank.bank import init_bank
from creditbank.db.engine import make_engine
from creditbank.settings import Settings


@contextmanager
def umask(mask: int) -> Iterator[None]:
    """The usual shell umask (022: new files world-readable unless the code says not)."""
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def sqlite_files(db: Path) -> list[Path]:
    return [db, db.with_name(f"{db.name}-wal"), db.with_name(f"{db.name}-shm")]


def test_a_new_data_dir_and_its_database_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with umask(0o022):
        bank = init_bank(Settings(data_dir=data, batch_max_wait_ms=1))
        try:
            # the bank's pooled connections are open, so SQLite's -wal and -shm files exist
            files = sqlite_files(data / "creditbank.db")
            assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        finally:
            bank.close()
    assert (mode(data), mode(data / "keys")) == (0o700, 0o700)
    for key in ("log.key", "authority.key", "master.key"):
        assert mode(data / "keys" / key) == 0o600


def test_a_database_elsewhere_is_private_too(tmp_path: Path) -> None:
    db = tmp_path / "new" / "dir" / "bank.db"
    with umask(0o022):
        engine = make_engine(f"sqlite:///{db}")
        try:
            with engine.begin() as conn:
                conn.execute(text("CREATE TABLE t (x INTEGER)"))
                conn.execute(text("INSERT INTO t VALUES (1)"))
            with engine.connect() as conn:
                assert conn.execute(text("SELECT x FROM t")).scalar() == 1
                files = sqlite_files(db)
                assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        finally:
            engine.dispose()
    assert mode(db.parent) == 0o700  # the directory it had to create


def test_an_existing_readable_database_is_made_private(tmp_path: Path) -> None:
    """A database made before this control (0644, and so its -wal and -shm) is closed to
    others the next time the bank opens it."""
    db = tmp_path / "bank.db"
    with umask(0o022):
        old = sqlite3.connect(db)
        try:
            old.execute("PRAGMA journal_mode=WAL")
            old.execute("CREATE TABLE t (x INTEGER)")
            old.commit()
            assert [mode(f) for f in sqlite_files(db)] == [0o644] * 3
            engine = make_engine(f"sqlite:///{db}")
            engine.dispose()
            assert [mode(f) for f in sqlite_files(db)] == [0o600] * 3
        finally:
            old.close()


def test_the_master_key_file_directory_is_private(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "master.key"
    with umask(0o022):
        write_master_key_file(path)
    assert (mode(path.parent), mode(path)) == (0o700, 0o600)
