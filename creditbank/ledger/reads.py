"""Read services over the ledger: entries, proofs, checkpoints and tlog-tiles resources.

Each function opens its own short read transaction, so every answer is consistent with
one committed state of the log.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from creditbank.core.errors import InvalidInput, NotFound
from creditbank.core.tlog import merkle, tiles
from creditbank.ledger import store
from creditbank.ledger.cosignatures import cosigned_receipt


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def checkpoint_note(engine: Engine) -> str:
    with engine.connect() as conn:
        return store.latest_checkpoint(conn)[1]


def entry_view(engine: Engine, index: int) -> dict[str, Any]:
    """An entry with its canonical bytes, leaf hash and inclusion proof (latest checkpoint)."""
    with engine.connect() as conn:
        data = store.entry_data(conn, index)
        size, note = store.latest_checkpoint(conn)
        proof = store.inclusion_proof(conn, index, size, committed=True)
    return {
        "index": index,
        "entry": json.loads(data),
        "canonical": _b64(data),
        "leaf_hash": _b64(merkle.leaf_hash(data)),
        "inclusion_proof": {"tree_size": size, "hashes": [_b64(h) for h in proof]},
        "checkpoint": note,
    }


def receipt(engine: Engine, index: int) -> str:
    """A receipt for ``index`` on the newest checkpoint witnesses cosigned that covers it
    (with its cosignatures), else on the latest checkpoint."""
    with engine.connect() as conn:
        return cosigned_receipt(conn, index)


def inclusion(engine: Engine, index: int, size: int | None) -> dict[str, Any]:
    with engine.connect() as conn:
        tree_size = store.tree_size(conn) if size is None else size
        proof = store.inclusion_proof(conn, index, tree_size, committed=True)
        leaf = merkle.leaf_hash(store.entry_data(conn, index)) if index < tree_size else b""
        root = store.root_at(conn, tree_size, committed=True)
    return {
        "index": index,
        "tree_size": tree_size,
        "leaf_hash": _b64(leaf),
        "root_hash": _b64(root),
        "hashes": [_b64(h) for h in proof],
    }


def consistency(engine: Engine, first: int, second: int | None) -> dict[str, Any]:
    with engine.connect() as conn:
        size = store.tree_size(conn) if second is None else second
        proof = store.consistency_proof(conn, first, size, committed=True)
        first_root, second_root = (
            store.root_at(conn, first, committed=True) if first <= size else b"",
            store.root_at(conn, size, committed=True),
        )
    return {
        "first": first,
        "second": size,
        "first_root_hash": _b64(first_root),
        "second_root_hash": _b64(second_root),
        "hashes": [_b64(h) for h in proof],
    }


@dataclass(frozen=True)
class TileData:
    content: bytes
    full: bool


def tile(engine: Engine, path: str) -> TileData:
    """A tlog-tiles resource (hash tile or entry bundle) for ``path`` like ``tile/0/001``."""
    try:
        ref = tiles.parse_tile_path(path)
    except ValueError as exc:
        raise InvalidInput(f"bad tile path: {exc}", field="path") from exc
    width = ref.width or tiles.TILE_WIDTH
    with engine.connect() as conn:
        size = store.tree_size(conn)
        if ref.is_entries:
            start = ref.index * tiles.TILE_WIDTH
            if start + width > size:
                raise NotFound(f"entry bundle {path} is beyond the log (size {size})", field="path")
            content = tiles.encode_bundle(store.entries_range(conn, start, start + width))
        else:
            level, start, count = tiles.tile_node_range(ref.level, ref.index, width)
            hashes = store.node_run(conn, level, start, count)
            if len(hashes) != count:
                raise NotFound(f"tile {path} is beyond the log (size {size})", field="path")
            content = b"".join(hashes)
    return TileData(content, ref.width is None)


MAX_IDS_ASKED = 1000


def logged_ids(engine: Engine, actor: str, ids: list[str]) -> list[str]:
    """Which of ``ids`` ``actor`` has already logged (statement ids are idempotency keys),
    in the order asked: a re-run import asks once per batch instead of re-posting each."""
    if len(ids) > MAX_IDS_ASKED:
        raise InvalidInput(f"ask about at most {MAX_IDS_ASKED} ids at a time", field="ids")
    wanted = set(ids)
    if not wanted:
        return []
    with engine.connect() as conn:
        found = store.logged_statements(conn, [(actor, i) for i in sorted(wanted)])
    return [i for i in dict.fromkeys(ids) if (actor, i) in found]
