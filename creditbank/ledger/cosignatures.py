"""Witness cosignatures of this log's checkpoints, kept beside them (off the ledger).

The checkpoints table holds each note as the log signed it; the ``cosignature/v1`` lines
that witnesses return later (see :mod:`creditbank.federation.cosigner`) are stored here by
(size, witness) and appended to the note wherever a checkpoint is served: the
``/tlog/checkpoint`` resource, receipts read later, certificate bundles. A receipt handed
out at append time carries none: it is made before any witness has seen its checkpoint.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, func, select

from creditbank.core.tlog.receipt import Receipt, format_receipt
from creditbank.db import tables
from creditbank.ledger import store
from creditbank.ledger.tree import receipt_for

CS = tables.checkpoint_cosignatures


def cosignature_lines(conn: Connection, size: int) -> list[str]:
    """The stored cosignature lines on the checkpoint of ``size``, by witness."""
    rows = conn.execute(select(CS.c.line).where(CS.c.size == size).order_by(CS.c.witness))
    return [line for (line,) in rows]


def with_cosignatures(conn: Connection, size: int, note: str) -> str:
    """``note`` (the log's checkpoint of ``size``) with its witnesses' lines appended."""
    return note + "".join(cosignature_lines(conn, size))


def newest_cosigned_size(conn: Connection) -> int | None:
    """The size of the newest checkpoint any witness cosigned (None: none yet)."""
    size: int | None = conn.execute(select(func.max(CS.c.size))).scalar_one_or_none()
    return size


def served_checkpoint(conn: Connection, *, witnessed: bool, at_least: int = 0) -> tuple[int, str]:
    """The checkpoint to serve, with its cosignatures: when the log is ``witnessed`` (it
    has witnesses configured), the newest cosigned checkpoint of at least ``at_least``
    leaves, if there is one; else the latest checkpoint."""
    latest_size, latest_note = store.latest_checkpoint(conn)
    if witnessed:
        size = newest_cosigned_size(conn)
        if size is not None and at_least <= size <= latest_size:
            note = conn.execute(
                select(store.C.c.note).where(store.C.c.size == size)
            ).scalar_one_or_none()
            if note is not None:
                return size, with_cosignatures(conn, size, note)
    return latest_size, with_cosignatures(conn, latest_size, latest_note)


def cosigned_receipt(conn: Connection, index: int) -> str:
    """A tlog-proof receipt for entry ``index`` on the newest cosigned checkpoint that
    covers it, with its cosignatures (else on the latest checkpoint)."""
    size, note = served_checkpoint(conn, witnessed=True, at_least=index + 1)
    data = store.entry_data(conn, index)
    proof = store.inclusion_proof(conn, index, size)
    return format_receipt(Receipt(index, tuple(proof), note, data))


def proven_entries(
    conn: Connection, roles: Mapping[int, str], kind_of: Callable[[int], object]
) -> dict[str, Any]:
    """``entries`` (each listed index with its kind, its role and its original receipt),
    the served ``checkpoint``, read after them so that it covers every receipt, and the
    ``consistency`` proofs from each receipt's checkpoint to it: the part of a bundle
    (a certificate's, a peer's credit awards) that a verifier checks offline."""
    entries, sizes = [], set()
    for index in sorted(roles):
        size, _ = store.checkpoint_covering(conn, index)
        sizes.add(size)
        entries.append(
            {
                "index": index,
                "kind": kind_of(index),
                "role": roles[index],
                "receipt": receipt_for(conn, index, original=True),
            }
        )
    latest_size, latest_note = served_checkpoint(conn, witnessed=True, at_least=max(sizes))
    consistency = [
        {
            "first": size,
            "second": latest_size,
            "hashes": [
                base64.b64encode(h).decode()
                for h in store.consistency_proof(conn, size, latest_size)
            ],
        }
        for size in sorted(sizes)
        if size != latest_size
    ]
    return {"checkpoint": latest_note, "entries": entries, "consistency": consistency}
