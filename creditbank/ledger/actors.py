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

The bodies are ``creditbank.core.statements.actors``; the tables are read and written
through ``creditbank.ledger.actor_store``.
"""

from __future__ import annotations

import base64

from creditbank.core.bodies import parse_body
from creditbank.core.entry import AUTHORITY as AUTHORITY
from creditbank.core.entry import Derivation, SignedStatement
from creditbank.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from creditbank.core.statements.actors import (
    ActorAccredited,
    ActorRegistered,
    KeyAdded,
    KeyRecovered,
    KeyRevokedBody,
    NoticePublished,
)
from creditbank.core.verify import author_key_id
from creditbank.ledger import actor_store
from creditbank.ledger.kinds import ActorState, BatchContext, KeyState, require_authority


def _add_key(ctx: BatchContext, index: int, actor_id: str, public_key_b64: str) -> None:
    public_key = base64.b64decode(public_key_b64)
    actor_store.insert_key(
        ctx, KeyState(author_key_id(public_key), actor_id, public_key, index, None)
    )


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
        actor_store.insert_actor(
            ctx, index, ActorState(body.actor_id, body.role, body.name, "active")
        )
        _add_key(ctx, index, body.actor_id, body.public_key)
        actor_store.insert_accreditations(ctx, body.actor_id, body.standards)
        return []


class ActorAccreditedHandler:
    """The authority changes a certifying body's accreditation; certificates it issued
    before keep the accreditation they were issued under."""

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        body = parse_body(ActorAccredited, signed)
        require_authority(ctx, signed)
        actor = ctx.actor(body.actor_id)
        if actor is None:
            raise NotFound(f"no actor {body.actor_id}", field="statement.body.actor_id")
        if actor.role != "certifier":
            raise InvalidInput(
                f"{body.actor_id} is a {actor.role}: only certifying bodies are accredited "
                "for standards",
                field="statement.body.actor_id",
            )
        if len(set(body.standards)) != len(body.standards):
            raise InvalidInput("a standard is listed twice", field="statement.body.standards")

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(ActorAccredited, signed)
        actor_store.replace_accreditations(ctx, body.actor_id, body.standards)
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
        active = actor_store.active_key(ctx, body.actor_id)
        if active is not None:
            raise Forbidden(
                f"{body.actor_id} still has an active key ({active}); it adds keys "
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
        actor_store.revoke_key(ctx, body.key_id, index)
        return []


class NoticeHandler:
    """A signed free-form notice by any active actor (announcements; also the benchmark's
    synthetic entries)."""

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        parse_body(NoticePublished, signed)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        return []
