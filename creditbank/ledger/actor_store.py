"""The actors' tables on the ledger's write path: actors, their keys, and the standards a
certifying body is accredited for.

The batch's caches of actors and keys are ``BatchContext.actor()`` and ``.key()`` (every
statement's author is looked up there); the writers here keep them current, so a cached
read is always what the tables hold at that point of the batch. Other domains ask
``accredited``.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update

from creditbank.db import tables
from creditbank.ledger import store
from creditbank.ledger.kinds import ActorState, BatchContext, KeyState


def insert_actor(ctx: BatchContext, index: int, actor: ActorState) -> None:
    """The actor registered at ``index``."""
    ctx.conn.execute(
        tables.actors.insert().values(
            id=actor.id,
            role=actor.role,
            name=actor.name,
            status=actor.status,
            registered_index=index,
            updated_index=index,
        )
    )
    ctx.remember_actor(actor)


def insert_key(ctx: BatchContext, key: KeyState) -> None:
    """A key of an actor, added at ``key.added_index``."""
    ctx.conn.execute(
        tables.actor_keys.insert().values(
            key_id=key.key_id,
            actor_id=key.actor_id,
            public_key=key.public_key,
            added_index=key.added_index,
            revoked_index=key.revoked_index,
        )
    )
    ctx.remember_key(key)


def revoke_key(ctx: BatchContext, key_id: str, index: int) -> None:
    """Mark the key revoked at ``index`` (statements it signed before stay valid)."""
    t = tables.actor_keys
    ctx.conn.execute(update(t).where(t.c.key_id == key_id).values(revoked_index=index))
    key = ctx.key(key_id)
    assert key is not None  # the handler's check found it in this same transaction
    key.revoked_index = index


def active_key(ctx: BatchContext, actor_id: str) -> str | None:
    """The id of one of the actor's keys not revoked (None: every key is revoked)."""
    t = tables.actor_keys
    row = ctx.conn.execute(
        select(t.c.key_id).where(t.c.actor_id == actor_id, t.c.revoked_index.is_(None)).limit(1)
    ).first()
    return None if row is None else str(row.key_id)


def insert_accreditations(ctx: BatchContext, actor_id: str, standards: Iterable[str]) -> None:
    """The standards a certifying body is accredited for, in sorted order."""
    for standard_id in sorted(set(standards)):
        ctx.conn.execute(
            tables.certifier_standards.insert().values(actor_id=actor_id, standard_id=standard_id)
        )


def replace_accreditations(ctx: BatchContext, actor_id: str, standards: Iterable[str]) -> None:
    """A certifying body's accreditation from now on: exactly ``standards``."""
    t = tables.certifier_standards
    ctx.conn.execute(t.delete().where(t.c.actor_id == actor_id))
    insert_accreditations(ctx, actor_id, standards)


def accredited(ctx: BatchContext, certifier: str, standard_id: str) -> bool:
    """Whether the certifying body is accredited for the standard."""
    rows = store.query(
        ctx.conn,
        "SELECT 1 FROM certifier_standards WHERE actor_id = ? AND standard_id = ?",
        (certifier, standard_id),
    )
    return bool(rows)
