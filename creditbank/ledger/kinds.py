"""The contract between the sequencer and the rules for each kind of entry.

For every statement in a batch the sequencer does the common checks (actor active, key
active, signature, idempotency), then asks the kind's handler to ``check`` it (raise a
CreditBankError to refuse it, having written nothing), logs it, and calls ``apply``:
update projections and return the decisions to log right after it, each authored by the
log (unsigned: see ``creditbank.core.authorship``) and naming the entries it derives from.
Replaying the log through the same handlers rebuilds every projection (``creditbank
rebuild``) and re-derives every decision (``creditbank audit``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, select

from creditbank.core.entry import Derivation, SignedStatement
from creditbank.core.errors import Forbidden
from creditbank.db import tables

S = TypeVar("S")


@dataclass
class KeyState:
    key_id: str
    actor_id: str
    public_key: bytes
    added_index: int
    revoked_index: int | None


@dataclass
class ActorState:
    id: str
    role: str
    name: str
    status: str


@dataclass(frozen=True)
class Carried:
    """A committed batch's caches, for the next batch of the same sequencer (see
    ``BatchContext.carried``)."""

    size: int
    states: dict[type[Any], Any]
    keys: dict[str, KeyState | None]
    actors: dict[str, ActorState | None]


@dataclass
class BatchContext:
    """What handlers see while a batch is being sequenced (inside its transaction)."""

    conn: Connection
    now: datetime
    integrated_at: str
    next_index: int
    replaying: bool = False
    _states: dict[type[Any], Any] = field(default_factory=dict)
    _keys: dict[str, KeyState | None] = field(default_factory=dict)
    _actors: dict[str, ActorState | None] = field(default_factory=dict)

    def state(self, kind: type[S]) -> S:
        """The batch's typed cache of one domain (made empty on first use).

        Each domain owns one such class in its ``store`` module: it fills it from its own
        tables and keeps it current in its own handlers, so a cached read is always what
        the tables hold at that point of the batch. Other domains read it only through
        that store's functions.
        """
        found = self._states.get(kind)
        if found is None:
            found = self._states[kind] = kind()
        state: S = found
        return state

    def carried(self, size: int) -> Carried:
        """What the next batch of this process may start from, once this one has committed
        leaving the log at ``size``: the domain caches marked ``carried`` (small, rarely
        changed facts: courses, standards) and the actors and keys read."""
        states = {k: v for k, v in self._states.items() if getattr(k, "carried", False)}
        return Carried(size, states, dict(self._keys), dict(self._actors))

    def start_from(self, carried: Carried) -> None:
        """Begin with an earlier batch's caches (the caller checked that the log is still
        at ``carried.size``: nobody else wrote since, so they are what the tables hold)."""
        self._states.update(carried.states)
        self._keys.update(carried.keys)
        self._actors.update(carried.actors)

    def forget_states(self) -> None:
        """Drop every domain's cache (replay does, now and then, to bound memory)."""
        self._states.clear()

    def key(self, key_id: str) -> KeyState | None:
        if key_id not in self._keys:
            t = tables.actor_keys
            row = self.conn.execute(select(t).where(t.c.key_id == key_id)).first()
            self._keys[key_id] = (
                None
                if row is None
                else KeyState(
                    row.key_id, row.actor_id, row.public_key, row.added_index, row.revoked_index
                )
            )
        return self._keys[key_id]

    def remember_key(self, state: KeyState) -> None:
        self._keys[state.key_id] = state

    def actor(self, actor_id: str) -> ActorState | None:
        if actor_id not in self._actors:
            t = tables.actors
            row = self.conn.execute(select(t).where(t.c.id == actor_id)).first()
            self._actors[actor_id] = (
                None if row is None else ActorState(row.id, row.role, row.name, row.status)
            )
        return self._actors[actor_id]

    def remember_actor(self, state: ActorState) -> None:
        self._actors[state.id] = state


def require_authority(ctx: BatchContext, signed: SignedStatement) -> None:
    """Refuse the statement unless the authority wrote it."""
    actor = ctx.actor(signed.actor)
    if actor is None or actor.role != "authority":
        raise Forbidden(f"only the authority may log {signed.kind}", field="statement.actor")


class KindHandler(Protocol):
    """Rules for one kind of entry. For the kinds the authorship table marks derived,
    ``check`` is never called: such entries come only from another handler's ``apply``,
    and replay matches them against what the rules derive. A handler may also define
    ``prepare(ctx, statements)``, called once per batch with that batch's statements of its
    kind, to read what they need in one query (into its domain's ``ctx.state(...)``)."""

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        """Raise a CreditBankError if the statement must be refused."""

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        """Update projections for the logged statement; return decisions to log after it."""
