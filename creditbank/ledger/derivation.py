"""Logging a batch's entries in index order, and the decisions each one triggers: the only
way an entry of a derived kind enters the log (authored by the log, unsigned: the
checkpoint covers it and re-derivation proves it; see ``creditbank.core.authorship``)."""

from __future__ import annotations

from collections.abc import Callable

from creditbank.core.entry import Derivation, SignedStatement, derived_statement, encode_derived
from creditbank.core.tlog import merkle
from creditbank.ledger.kinds import BatchContext, KindHandler
from creditbank.ledger.tree import Row


def add_row(
    ctx: BatchContext, rows: list[Row], signed: SignedStatement, data: bytes, digest: bytes
) -> int:
    """Give ``signed`` (its entry bytes ``data``) the batch's next index."""
    idx = ctx.next_index
    rows.append(
        Row(idx, signed.kind, signed.actor, signed.idem_key, digest, merkle.leaf_hash(data), data)
    )
    ctx.next_index += 1
    return idx


def log_decisions(
    ctx: BatchContext,
    rows: list[Row],
    derivations: list[Derivation],
    handler_for: Callable[[str], KindHandler],
) -> list[int]:
    """Log the decisions a statement triggered, and the decisions those trigger, depth
    first, right after it; returns their indexes."""
    logged: list[int] = []
    pending = list(reversed(derivations))
    while pending:
        d = pending.pop()
        signed = derived_statement(d.statement(ctx.next_index))
        data = encode_derived(signed.statement_bytes(), d.kind, ctx.integrated_at)
        idx = add_row(ctx, rows, signed, data, signed.statement_hash())
        logged.append(idx)
        pending.extend(reversed(handler_for(d.kind).apply(ctx, idx, signed)))
    return logged
