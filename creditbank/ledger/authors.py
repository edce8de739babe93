"""Who wrote a statement, checked under the log's lock: the authorship table allows the
kind from this author (derived kinds from nobody), the actor is registered and active,
the key is the actor's and not revoked, and the signature verifies."""

from __future__ import annotations

import base64

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from creditbank.core.authorship import check_author, refuse_derived
from creditbank.core.entry import LOG_ACTOR, SignedStatement
from creditbank.core.errors import BadSignature, InvalidInput, KeyRevoked
from creditbank.ledger.kinds import BatchContext


def check_statement_author(
    ctx: BatchContext,
    signed: SignedStatement,
    *,
    log_public_key: bytes,
    operator: bool = False,
    verified_with: bytes | None = None,
) -> None:
    """Refuse the statement unless its author may write it now. ``operator``: the log
    logs it for a request the API authenticated; ``verified_with``: a public key the
    signature was already found valid for (the bulk path verifies on another core)."""
    refuse_derived(signed.kind)
    if (signed.actor == LOG_ACTOR) != operator:
        raise InvalidInput("only the log itself writes as 'log'", field="statement.actor")
    if operator:
        check_author(signed.kind, "operator")
        public_key = log_public_key
    elif ctx.next_index == 0:
        public_key = _self_registered_key(signed)
    else:
        actor = ctx.actor(signed.actor)
        if actor is None:
            raise BadSignature(f"unknown actor {signed.actor!r}", field="statement.actor")
        check_author(signed.kind, actor.role)
        if actor.status != "active":
            raise KeyRevoked(f"actor {signed.actor} is {actor.status}", field="statement.actor")
        key = ctx.key(signed.key_id)
        if key is None or key.actor_id != signed.actor:
            raise BadSignature(
                f"key {signed.key_id} is not a key of {signed.actor}", field="key_id"
            )
        if key.revoked_index is not None:
            raise KeyRevoked(
                f"key {signed.key_id} was revoked at index {key.revoked_index}",
                field="key_id",
            )
        public_key = key.public_key
    if verified_with is not None and verified_with == public_key:
        return  # already verified against this very key (bulk path, see sigpool)
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            signed.signature, signed.statement_bytes()
        )
    except InvalidSignature as exc:
        raise BadSignature(
            "the signature does not verify over the statement's canonical bytes",
            field="signature",
        ) from exc


def _self_registered_key(signed: SignedStatement) -> bytes:
    """The key a log's first entry (the authority registering itself) is signed with."""
    if signed.kind != "actor.registered":
        raise InvalidInput(
            "the first entry must be the authority registering itself", field="statement.kind"
        )
    value = signed.body.get("public_key")
    try:
        key = base64.b64decode(str(value), validate=True)
    except ValueError as exc:
        raise InvalidInput("public_key must be base64", field="statement.body.public_key") from exc
    if len(key) != 32:
        raise InvalidInput("an Ed25519 public key is 32 bytes", field="statement.body.public_key")
    return key
