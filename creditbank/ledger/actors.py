"""Actors and their keys: the trust root of the ledger.

The first entry of every log is the authority registering itself with its own key. From
then on the authority registers (accredits) providers and certifying bodies with their
first key. Keys are the actor's own: only the actor adds a key for itself (rotation),
signed by one of its own active keys, so nobody else, the authority included, can give
itself a way to sign as that actor. An actor revokes its own keys; the authority may
revoke any key (a compromise). When an actor has no active key left, the authority may
register one recovery key for it (``key.recovered``): a visible, dated entry of its own
kind, so the power is public and rare. A statement is valid only if its key was active
when the statement was logged, so revoking a key never invalidates what it signed before.
"""

from __future__ import annotations

import base64
from typing import Literal

from pydantic import Field
from sqlalchemy import select, update

from creditbank.core.bodies import Body, PublicKeyB64, parse_body
from creditbank.core.entry import ACTOR_RE, Derivation, SignedStatement
from creditbank.core.entry import AUTHORITY as AUTHORITY
from creditbank.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from creditbank.core.verify import author_key_id
from creditbank.db import tables
from creditbank.ledger.kinds import ActorState, BatchContext, KeyState, require_authority

Role = Literal["authority", "operator", "provider", "certifier"]


class ActorRegistered(Body):
    actor_id: str = Field(pattern=ACTOR_RE.pattern)
    role: Role
    name: str = Field(min_length=1, max_length=200)
    public_key: PublicKeyB64
    standards: list[str] = Field(
        default_factory=list,
        description="For a certifying body: the standards it is accredited for.",
    )


class KeyAdded(Body):
    actor_id: str = Field(pattern=ACTOR_RE.pattern)
    public_key: PublicKeyB64
    purpose: Literal["signing", "xapi-gateway"] = Field(
        default="signing",
        description="xapi-gateway: held by the bank to sign the actor's xAPI statements.",
    )


class KeyRecovered(Body):
    actor_id: str = Field(pattern=ACTOR_RE.pattern)
    public_key: PublicKeyB64
    reason: str = Field(min_length=1, max_length=500)


class KeyRevokedBody(Body):
    actor_id: str = Field(pattern=ACTOR_RE.pattern)
    key_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500)


class NoticePublished(Body):
    text: str = Field(min_length=1)


def _add_key(ctx: BatchContext, index: int, actor_id: str, public_key_b64: str) -> None:
    public_key = base64.b64decode(public_key_b64)
    state = KeyState(author_key_id(public_key), actor_id, public_key, index, None)
    ctx.conn.execute(
        tables.actor_keys.insert().values(
            key_id=state.key_id,
            actor_id=actor_id,
            public_key=public_key,
            added_index=index,
            revoked_index=None,
        )
    )
    ctx.remember_key(state)


class ActorRegisteredHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        body = parse_body(ActorRegistered, signed)
        if ctx.next_index == 0:
            # The trust root: the authority registers itself, signed by its own key.
            if body.role != "authority" or body.actor_id != signed.actor:
                raise InvalidInput(
                    "the first entry must be the authority registering itself",
                    field="statement.body.role",
                )
            if author_key_id(base64.b64decode(body.public_key)) != signed.key_id:
                raise InvalidInput(
                    "the authority's registration must be signed by the key it registers",
                    field="key_id",
                )
            return
        require_authority(ctx, signed)
        if body.role == "authority":
            raise Forbidden("there is one authority per ledger", field="statement.body.role")
        if body.standards and body.role != "certifier":
            raise InvalidInput(
                "only certifying bodies are accredited for standards",
                field="statement.body.standards",
            )
        if ctx.actor(body.actor_id) is not None:
            raise Conflict(
                f"actor {body.actor_id} is already registered", field="statement.body.actor_id"
            )
        _new_key(ctx, body.public_key)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(ActorRegistered, signed)
        ctx.conn.execute(
            tables.actors.insert().values(
                id=body.actor_id,
                role=body.role,
                name=body.name,
                status="active",
                registered_index=index,
                updated_index=index,
            )
        )
        ctx.remember_actor(ActorState(body.actor_id, body.role, body.name, "active"))
        _add_key(ctx, index, body.actor_id, body.public_key)
        for standard_id in sorted(set(body.standards)):
            ctx.conn.execute(
                tables.certifier_standards.insert().values(
                    actor_id=body.actor_id, standard_id=standard_id
                )
            )
        return []


def _new_key(ctx: BatchContext, public_key_b64: str) -> None:
    if ctx.key(author_key_id(base64.b64decode(public_key_b64))) is not None:
        raise Conflict("that public key is already registered", field="statement.body.public_key")


class KeyAddedHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        body = parse_body(KeyAdded, signed)
        if signed.actor != body.actor_id:
            raise Forbidden(
                "an actor adds keys only for itself, signed by one of its own active keys "
                "(the authority may register a recovery key, key.recovered, for an actor "
                "with no active key left)",
                field="statement.body.actor_id",
            )
        actor = ctx.actor(body.actor_id)
        if body.purpose == "xapi-gateway" and (actor is None or actor.role != "provider"):
            raise Forbidden(
                "only a provider's LMS sends xAPI completions", field="statement.body.purpose"
            )
        _new_key(ctx, body.public_key)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(KeyAdded, signed)
        _add_key(ctx, index, body.actor_id, body.public_key)
        return []


class KeyRecoveredHandler:
    """The authority's one key power over another actor: a recovery key, only once every
    key of that actor is revoked (lost or compromised), as a public entry of its own."""

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        body = parse_body(KeyRecovered, signed)
        actor = ctx.actor(body.actor_id)
        if actor is None:
            raise NotFound(f"no actor {body.actor_id}", field="statement.body.actor_id")
        if actor.role in ("authority", "operator"):
            raise Forbidden(
                f"{body.actor_id} is not an organisation the authority recovers",
                field="statement.body.actor_id",
            )
        t = tables.actor_keys
        active = ctx.conn.execute(
            select(t.c.key_id)
            .where(t.c.actor_id == body.actor_id, t.c.revoked_index.is_(None))
            .limit(1)
        ).first()
        if active is not None:
            raise Forbidden(
                f"{body.actor_id} still has an active key ({active.key_id}); it adds keys "
                "itself, or the authority revokes that key first",
                field="statement.body.actor_id",
            )
        _new_key(ctx, body.public_key)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(KeyRecovered, signed)
        _add_key(ctx, index, body.actor_id, body.public_key)
        return []


class KeyRevokedHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        body = parse_body(KeyRevokedBody, signed)
        if signed.actor != body.actor_id:
            require_authority(ctx, signed)
        key = ctx.key(body.key_id)
        if key is None or key.actor_id != body.actor_id:
            raise NotFound(
                f"{body.actor_id} has no key {body.key_id}", field="statement.body.key_id"
            )
        if key.revoked_index is not None:
            raise Conflict("that key is already revoked", field="statement.body.key_id")

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(KeyRevokedBody, signed)
        t = tables.actor_keys
        ctx.conn.execute(update(t).where(t.c.key_id == body.key_id).values(revoked_index=index))
        key = ctx.key(body.key_id)
        assert key is not None  # check() found it in this same transaction
        key.revoked_index = index
        return []


class NoticeHandler:
    """A signed free-form notice by any active actor (announcements; also the benchmark's
    synthetic entries)."""

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        parse_body(NoticePublished, signed)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        return []
