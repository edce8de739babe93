"""Growing the log by a batch: entries and tree nodes written, the checkpoint signed and
the log state moved, all in the batch's transaction; then receipts for what was logged.

The rows of a batch come from the sequencer in index order; ``grow`` is the only place
the Merkle tree, checkpoints and ``log_state`` are written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from creditbank.core.keys import KeyPair
from creditbank.core.tlog import merkle
from creditbank.core.tlog.checkpoint import Checkpoint, sign_checkpoint
from creditbank.core.tlog.receipt import Receipt, format_receipt, format_receipts
from creditbank.ledger import store


@dataclass
class Row:
    """One entry of a batch, as it will be stored."""

    idx: int
    kind: str
    actor: str
    idem_key: str | None
    statement_hash: bytes
    leaf_hash: bytes
    data: bytes


@dataclass(frozen=True)
class Grown:
    """The tree after a batch: its size, the signed checkpoint note, and the nodes read or
    made on the way (reused for the batch's inclusion proofs)."""

    size: int
    note: str
    nodes: dict[merkle.NodeId, bytes]
    frontier: dict[merkle.NodeId, bytes]
    """The new tree's ``range_nodes(0, size)``: where the next batch starts."""
    kinds: tuple[str, ...] = ()  # of the entries the batch added (for the metrics)


_INSERT_CHECKPOINT = "INSERT INTO checkpoints (size, root_hash, note) VALUES (?, ?, ?)"
_MOVE_STATE = "UPDATE log_state SET size = ?, root_hash = ?, integrated_at = ? WHERE id = 1"


def grow(
    conn: Connection,
    size: int,
    rows: Sequence[Row],
    integrated_at: str,
    origin: str,
    log_key: KeyPair,
    frontier: Mapping[merkle.NodeId, bytes] | None = None,
) -> Grown:
    """Append ``rows`` to a tree of ``size`` leaves and sign the new checkpoint.
    ``frontier``: that tree's ``range_nodes(0, size)`` when the caller knows them (the
    sequencer keeps its last batch's), else they are read."""
    if frontier is None:
        frontier = store.lookup_nodes(conn, merkle.range_nodes(0, size))
    created, new_frontier = merkle.append_leaves(size, frontier, [r.leaf_hash for r in rows])
    new_size = size + len(rows)
    root = merkle.hash_range(list(new_frontier.values()))
    store.insert_entries(
        conn,
        [(r.idx, r.kind, r.actor, r.idem_key, r.statement_hash, r.leaf_hash, r.data) for r in rows],
    )
    store.insert_nodes(conn, [(lv, ix, h) for (lv, ix), h in created])
    note = sign_checkpoint(Checkpoint(origin, new_size, root), origin, log_key.private_key)
    # straight to the driver (or held with the batch's other writes), as the entries and
    # nodes are: a batch of four statements paid more for composing these two statements
    # in SQLAlchemy than for the rest of its tree
    store.write(conn, _INSERT_CHECKPOINT, (new_size, root, note))
    store.write(conn, _MOVE_STATE, (new_size, root, integrated_at))
    nodes = dict(frontier)
    nodes.update(created)
    return Grown(new_size, note, nodes, new_frontier, tuple(r.kind for r in rows))


def receipts(conn: Connection, grown: Grown, entries: Sequence[tuple[int, bytes]]) -> list[str]:
    """A tlog-proof receipt for each (index, entry bytes) just logged, against the new
    checkpoint."""
    proofs = store.inclusion_proofs(conn, [index for index, _ in entries], grown.size, grown.nodes)
    return format_receipts(
        [
            Receipt(index, tuple(proof), grown.note, data)
            for (index, data), proof in zip(entries, proofs, strict=True)
        ]
    )


def receipt_for(
    conn: Connection, index: int, *, original: bool = False, committed: bool = False
) -> str:
    """A tlog-proof receipt for entry ``index``: against the checkpoint that first covered
    it (``original``, byte-identical to the one handed out at append) or the latest.
    ``committed``: ``conn`` is read-only (see ``store.inclusion_proof``)."""
    size, note = (
        store.checkpoint_covering(conn, index) if original else store.latest_checkpoint(conn)
    )
    data = store.entry_data(conn, index)
    proof = store.inclusion_proof(conn, index, size, committed=committed)
    return format_receipt(Receipt(index, tuple(proof), note, data))
