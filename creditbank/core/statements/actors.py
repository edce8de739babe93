"""Actors and their keys: registration (the authority's own first, then the
organisations it accredits), a certifying body's accreditation changed, keys added,
recovered and revoked, and free-form notices."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from creditbank.core.bodies import Body, PublicKeyB64
from creditbank.core.entry import ACTOR_RE

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


class ActorAccredited(Body):
    """The authority sets the standards a certifying body is accredited for, from this
    entry on (the whole list: it replaces the registration's or the last one's)."""

    actor_id: str = Field(pattern=ACTOR_RE.pattern)
    standards: list[str] = Field(
        max_length=150, description="Every standard it may assess and certify from now on."
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
