"""Tampering: the database refuses to rewrite the log, and the audit finds what slips past.

First the append-only triggers (created by the Alembic migration) must refuse UPDATE and
DELETE on entries, tree nodes and checkpoints (and TRUNCATE on PostgreSQL) with nothing
changed. Then, with the triggers dropped as a hostile database administrator would, each
kind of rewrite must make the audit fail and name the first bad index.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from creditbank.bank import Bank
from creditbank.core.keys import KeyPair
from creditbank.core.tlog import merkle
from creditbank.core.tlog.checkpoint import Checkpoint, sign_checkpoint
from creditbank.ledger.audit import AuditReport, audit
from creditbank.ledger.sequencer import Appended
from creditbank.registry import default_handlers
from tests.factories import notice, register

APPEND_ONLY = ("log_entries", "tree_nodes", "checkpoints")
JUNK = b"\x5a" * 32


def run_audit(bank: Bank) -> AuditReport:
    return audit(bank.engine, bank.verifier_key, bank.settings.origin, default_handlers())


def snapshot(bank: Bank) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the ledger tables, in key order."""
    order = {
        "log_entries": "idx",
        "tree_nodes": "level, idx",
        "checkpoints": "size",
        "log_state": "id",
    }
    with bank.engine.connect() as conn:
        return {
            table: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY {key}"))]
            for table, key in order.items()
        }


def is_postgres(bank: Bank) -> bool:
    return bank.engine.dialect.name == "postgresql"


# --- the database refuses -------------------------------------------------------------


@pytest.fixture
def small_bank(bank: Bank) -> Bank:
    """A bank with a few entries and several checkpoints (sizes 2, 3, 4, 7)."""
    key = register(bank, "prov-a")
    register(bank, "prov-b")
    results = bank.ledger.append_many([notice("prov-a", key) for _ in range(3)])
    assert all(isinstance(r, Appended) for r in results)
    return bank


REFUSED = [
    ("update-entry-data", "UPDATE log_entries SET data = :junk WHERE idx = 2"),
    ("update-entry-leaf-hash", "UPDATE log_entries SET leaf_hash = :junk WHERE idx = 2"),
    ("update-entry-to-itself", "UPDATE log_entries SET kind = kind WHERE idx = 2"),
    ("delete-entry", "DELETE FROM log_entries WHERE idx = 3"),
    ("delete-last-entry", "DELETE FROM log_entries WHERE idx = 6"),
    ("delete-all-entries", "DELETE FROM log_entries"),
    ("update-node", "UPDATE tree_nodes SET hash = :junk WHERE level = 0 AND idx = 1"),
    ("update-interior-node", "UPDATE tree_nodes SET hash = :junk WHERE level = 2 AND idx = 0"),
    ("delete-node", "DELETE FROM tree_nodes WHERE level = 1 AND idx = 0"),
    ("delete-all-nodes", "DELETE FROM tree_nodes"),
    ("update-checkpoint-note", "UPDATE checkpoints SET note = 'forged' WHERE size = 2"),
    ("update-checkpoint-root", "UPDATE checkpoints SET root_hash = :junk WHERE size = 7"),
    ("delete-checkpoint", "DELETE FROM checkpoints WHERE size = 7"),
    ("delete-all-checkpoints", "DELETE FROM checkpoints"),
]


@pytest.mark.parametrize("sql", [sql for _, sql in REFUSED], ids=[i for i, _ in REFUSED])
def test_database_refuses_rewrites(small_bank: Bank, sql: str) -> None:
    before = snapshot(small_bank)
    statement = text(sql)
    params = {"junk": JUNK} if ":junk" in sql else {}
    with pytest.raises(DBAPIError, match="append-only"), small_bank.engine.begin() as conn:
        conn.execute(statement, params)
    assert snapshot(small_bank) == before
    assert run_audit(small_bank).ok


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_postgres_refuses_truncate(small_bank: Bank, table: str) -> None:
    if not is_postgres(small_bank):
        pytest.skip("SQLite has no TRUNCATE (DELETE without WHERE is covered above)")
    before = snapshot(small_bank)
    with pytest.raises(DBAPIError, match="append-only"), small_bank.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {table} CASCADE"))
    assert snapshot(small_bank) == before
    assert run_audit(small_bank).ok


def test_refused_rewrite_leaves_the_ledger_writable(small_bank: Bank) -> None:
    with pytest.raises(DBAPIError), small_bank.engine.begin() as conn:
        conn.execute(text("DELETE FROM log_entries WHERE idx = 2"))
    key = register(small_bank, "prov-c")  # the sequencer still writes after the refusal
    assert small_bank.ledger.append(notice("prov-c", key)).index == 8
    assert run_audit(small_bank).ok


# --- what slips past the database, the audit finds ------------------------------------

# The ledger below: init (0, 1), prov-a (2), prov-b (3), then notices appended in batches
# of 1..8, alternating authors, so entries 4..39 and checkpoints at
# 2, 3, 4, 5, 7, 10, 14, 19, 25, 32, 40.
BATCHES = (1, 2, 3, 4, 5, 6, 7, 8)
SIZE = 40
CHECKPOINT_SIZES = (2, 3, 4, 5, 7, 10, 14, 19, 25, 32, 40)


@pytest.fixture
def forty(bank: Bank) -> Bank:
    """A ledger of 40 entries with its append-only triggers dropped."""
    keys = {"prov-a": register(bank, "prov-a"), "prov-b": register(bank, "prov-b")}
    index = 4
    for n in BATCHES:
        batch = []
        for _ in range(n):
            actor = "prov-a" if index % 2 == 0 else "prov-b"
            batch.append(notice(actor, keys[actor], text=f"notice at {index}"))
            index += 1
        assert all(isinstance(r, Appended) for r in bank.ledger.append_many(batch))
    with bank.engine.begin() as conn:
        sizes = [r.size for r in conn.execute(text("SELECT size FROM checkpoints ORDER BY size"))]
        assert sizes == list(CHECKPOINT_SIZES)
        drop_append_only_triggers(conn)
    report = run_audit(bank)
    assert report.ok, report.problem
    assert report.entries == SIZE
    return bank


def drop_append_only_triggers(conn: Connection) -> None:
    """What a database administrator could do; the log must still betray any rewrite."""
    for table in APPEND_ONLY:
        if conn.dialect.name == "sqlite":
            conn.execute(text(f"DROP TRIGGER {table}_no_update"))
            conn.execute(text(f"DROP TRIGGER {table}_no_delete"))
        else:
            conn.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))


def entry_data(conn: Connection, index: int) -> bytes:
    row = conn.execute(text("SELECT data FROM log_entries WHERE idx = :k"), {"k": index})
    return bytes(row.scalar_one())


def checkpoint_after(index: int) -> int:
    """The size of the first checkpoint covering ``index``."""
    return next(size for size in CHECKPOINT_SIZES if size > index)


Tamper = Callable[[Connection, Bank], None]


def flip_entry_byte(k: int, where: int | None = None) -> Tamper:
    def tamper(conn: Connection, _: Bank) -> None:
        data = bytearray(entry_data(conn, k))
        pos = len(data) // 2 if where is None else where % len(data)
        data[pos] ^= 0x01
        conn.execute(
            text("UPDATE log_entries SET data = :d WHERE idx = :k"), {"d": bytes(data), "k": k}
        )

    return tamper


def delete_entry(k: int) -> Tamper:
    def tamper(conn: Connection, _: Bank) -> None:
        conn.execute(text("DELETE FROM log_entries WHERE idx = :k"), {"k": k})

    return tamper


def swap_entries(i: int, j: int) -> Tamper:
    """Swap two entries' bytes and leaf hashes (each row stays self-consistent)."""

    def tamper(conn: Connection, _: Bank) -> None:
        rows = {
            r.idx: (bytes(r.data), bytes(r.leaf_hash))
            for r in conn.execute(
                text("SELECT idx, data, leaf_hash FROM log_entries WHERE idx IN (:i, :j)"),
                {"i": i, "j": j},
            )
        }
        for dst, src in ((i, j), (j, i)):
            data, leaf = rows[src]
            conn.execute(
                text("UPDATE log_entries SET data = :d, leaf_hash = :h WHERE idx = :k"),
                {"d": data, "h": leaf, "k": dst},
            )

    return tamper


def change_node(level: int, idx: int) -> Tamper:
    def tamper(conn: Connection, _: Bank) -> None:
        result = conn.execute(
            text("UPDATE tree_nodes SET hash = :h WHERE level = :lv AND idx = :ix"),
            {"h": JUNK, "lv": level, "ix": idx},
        )
        assert result.rowcount == 1

    return tamper


def delete_node(level: int, idx: int) -> Tamper:
    def tamper(conn: Connection, _: Bank) -> None:
        result = conn.execute(
            text("DELETE FROM tree_nodes WHERE level = :lv AND idx = :ix"),
            {"lv": level, "ix": idx},
        )
        assert result.rowcount == 1

    return tamper


def _set_note(conn: Connection, size: int, note: str, root: bytes | None = None) -> None:
    if root is None:
        conn.execute(
            text("UPDATE checkpoints SET note = :n WHERE size = :s"), {"n": note, "s": size}
        )
    else:
        conn.execute(
            text("UPDATE checkpoints SET note = :n, root_hash = :r WHERE size = :s"),
            {"n": note, "r": root, "s": size},
        )


def _note(conn: Connection, size: int) -> str:
    return str(
        conn.execute(text("SELECT note FROM checkpoints WHERE size = :s"), {"s": size}).scalar_one()
    )


def flip_checkpoint_signature(size: int) -> Tamper:
    def tamper(conn: Connection, _: Bank) -> None:
        note = _note(conn, size)
        body, sig_line = note.rstrip("\n").rsplit("\n", 1)
        prefix, sig = sig_line.rsplit(" ", 1)
        raw = bytearray(base64.b64decode(sig))
        raw[-1] ^= 0x01
        _set_note(conn, size, f"{body}\n{prefix} {base64.b64encode(bytes(raw)).decode()}\n")

    return tamper


def change_checkpoint_root_line(size: int) -> Tamper:
    """Rewrite the root line of the note but keep the (now wrong) signature."""

    def tamper(conn: Connection, _: Bank) -> None:
        lines = _note(conn, size).split("\n")
        lines[2] = base64.b64encode(JUNK).decode()
        _set_note(conn, size, "\n".join(lines), JUNK)

    return tamper


def resign_checkpoint(size: int) -> Tamper:
    """The log key's holder signs a checkpoint over a root the entries do not make."""

    def tamper(conn: Connection, bank: Bank) -> None:
        origin = bank.settings.origin
        note = sign_checkpoint(Checkpoint(origin, size, JUNK), origin, bank.log_key.private_key)
        _set_note(conn, size, note, JUNK)

    return tamper


def sign_checkpoint_with_another_key(size: int) -> Tamper:
    def tamper(conn: Connection, bank: Bank) -> None:
        origin = bank.settings.origin
        root = bytes(
            conn.execute(
                text("SELECT root_hash FROM checkpoints WHERE size = :s"), {"s": size}
            ).scalar_one()
        )
        impostor = KeyPair.generate(origin)
        forged = sign_checkpoint(Checkpoint(origin, size, root), origin, impostor.private_key)
        _set_note(conn, size, forged)

    return tamper


# (id, tampering, the index the audit must name)
CASES: list[tuple[str, Tamper, int]] = [
    ("entry-byte-0", flip_entry_byte(0), 0),
    ("entry-byte-11", flip_entry_byte(11), 11),
    ("entry-byte-20", flip_entry_byte(20), 20),
    ("entry-first-byte-20", flip_entry_byte(20, 0), 20),
    ("entry-last-byte-20", flip_entry_byte(20, -1), 20),
    ("entry-byte-39-last", flip_entry_byte(39), 39),
    ("entry-deleted-0", delete_entry(0), 0),
    ("entry-deleted-11", delete_entry(11), 11),
    ("entry-deleted-20", delete_entry(20), 20),
    ("entry-deleted-39-last", delete_entry(39), 39),
    ("swap-13-14-batch-edges", swap_entries(13, 14), 13),
    ("swap-11-12-one-batch", swap_entries(11, 12), 11),
    ("swap-20-33-two-batches", swap_entries(20, 33), 20),
    ("swap-5-38-far-apart", swap_entries(5, 38), 5),
    ("node-leaf-20", change_node(0, 20), 20),
    ("node-1-10-leaves-20-21", change_node(1, 10), 20),
    ("node-3-2-leaves-16-23", change_node(3, 2), 16),
    ("node-5-0-leaves-0-31", change_node(5, 0), 0),
    ("node-deleted-2-5-leaves-20-23", delete_node(2, 5), 20),
    ("node-deleted-leaf-39", delete_node(0, 39), 39),
    ("checkpoint-14-signature", flip_checkpoint_signature(14), 13),
    ("checkpoint-40-signature", flip_checkpoint_signature(40), 39),
    ("checkpoint-14-root-line", change_checkpoint_root_line(14), 13),
    ("checkpoint-25-resigned-forged-root", resign_checkpoint(25), 24),
    ("checkpoint-19-other-key", sign_checkpoint_with_another_key(19), 18),
]


@pytest.mark.parametrize(
    ("tamper", "first_bad"),
    [pytest.param(tamper, first_bad, id=name) for name, tamper, first_bad in CASES],
)
def test_audit_names_the_first_bad_index(forty: Bank, tamper: Tamper, first_bad: int) -> None:
    with forty.engine.begin() as conn:
        tamper(conn, forty)
    report = run_audit(forty)
    assert not report.ok
    assert report.first_bad_index == first_bad, report.problem


def test_swapped_entries_still_verify_alone(forty: Bank) -> None:
    """Why the audit must look at positions: each swapped row is a valid, signed entry
    whose stored leaf hash matches its bytes, so only the tree betrays the swap."""
    with forty.engine.begin() as conn:
        swap_entries(11, 12)(conn, forty)
        for k in (11, 12):
            data = entry_data(conn, k)
            leaf = conn.execute(
                text("SELECT leaf_hash FROM log_entries WHERE idx = :k"), {"k": k}
            ).scalar_one()
            assert merkle.leaf_hash(data) == bytes(leaf)
    assert not run_audit(forty).ok
