"""Bearer tokens and the principals they stand for.

Tokens are issued by the CLI (organisations) or at login (learners), stored as SHA-256
hashes, expire, and can be revoked. A server trusts a token it has checked for a moment
(TokenCache) instead of reading the token table on every request.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Engine, insert, select, update

from creditbank.access.secrets import new_token, token_hash
from creditbank.core.entry import format_time, parse_time
from creditbank.core.errors import InvalidInput, NotFound, Unauthenticated
from creditbank.db import tables

log = logging.getLogger("creditbank.auth")

Role = Literal["authority", "provider", "certifier", "learner"]


MAX_TOKEN_DAYS = 3650
"""The longest an organisation token may live (ten years)."""

@dataclass(frozen=True)
class Principal:
    """Who is calling: a role, and the actor or learner account it acts as."""

    role: Role
    token_id: str
    actor_id: str | None = None
    account: str | None = None


# --- tokens ------------------------------------------------------------------------------


def record_event(
    conn: Connection, now: datetime, event: str, subject: str | None, detail: str
) -> None:
    """Record an authentication event; never a secret (no token, no password)."""
    conn.execute(
        insert(tables.auth_events).values(
            at=format_time(now), event=event, subject=subject, detail=detail
        )
    )
    log.warning("auth %s subject=%s: %s", event, subject, detail)


def create_token(
    engine: Engine,
    *,
    role: Role,
    label: str,
    now: datetime,
    ttl: timedelta,
    actor_id: str | None = None,
    account: str | None = None,
) -> tuple[str, str, datetime]:
    """Issue a bearer token; returns (token, token id, expiry). The token is shown once."""
    if role == "learner":
        if account is None:
            raise InvalidInput("a learner token names an account", field="account")
    else:
        if actor_id is None:
            raise InvalidInput("an organisation token names an actor", field="actor")
        with engine.connect() as conn:
            row = conn.execute(
                select(tables.actors.c.role, tables.actors.c.status).where(
                    tables.actors.c.id == actor_id
                )
            ).first()
        if row is None:
            raise NotFound(f"no registered actor {actor_id}", field="actor")
        if row.role != role:
            raise InvalidInput(f"{actor_id} is a {row.role}, not a {role}", field="role")
    token, token_id, digest = new_token()
    expires = now + ttl
    with engine.begin() as conn:
        conn.execute(
            insert(tables.api_tokens).values(
                token_id=token_id,
                token_hash=digest,
                role=role,
                actor_id=actor_id,
                account=account,
                label=label,
                created_at=format_time(now),
                expires_at=format_time(expires),
            )
        )
    return token, token_id, expires


def create_actor_token(
    engine: Engine, actor_id: str, *, label: str, days: int, now: datetime
) -> tuple[str, str, str, datetime]:
    """Issue a token for a registered actor, with that actor's role, for 1 to
    MAX_TOKEN_DAYS days; returns (token, token id, role, expiry). The token is shown once.
    (0 days is refused, not taken as the default; a typo's thousands of years would
    overflow the expiry date.)"""
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidInput(f"a token lives 1 to {MAX_TOKEN_DAYS} days, not {days}", field="days")
    with engine.connect() as conn:
        role = conn.execute(
            select(tables.actors.c.role).where(tables.actors.c.id == actor_id)
        ).scalar_one_or_none()
    if role is None:
        raise NotFound(f"no registered actor {actor_id}", field="actor")
    token, token_id, expires = create_token(
        engine, role=role, actor_id=actor_id, label=label, now=now, ttl=timedelta(days=days)
    )
    return token, token_id, str(role), expires


def revoke_token(engine: Engine, token_id: str, now: datetime) -> None:
    t = tables.api_tokens
    with engine.begin() as conn:
        done = conn.execute(
            update(t)
            .where(t.c.token_id == token_id, t.c.revoked_at.is_(None))
            .values(revoked_at=format_time(now))
        ).rowcount
    if not done:
        raise NotFound(f"no active token {token_id}", field="token_id")


def list_tokens(engine: Engine) -> list[dict[str, Any]]:
    t = tables.api_tokens
    with engine.connect() as conn:
        rows = conn.execute(select(t).where(t.c.role != "learner").order_by(t.c.created_at)).all()
    return [
        {
            k: getattr(r, k)
            for k in (
                "token_id",
                "role",
                "actor_id",
                "label",
                "created_at",
                "expires_at",
                "revoked_at",
            )
        }
        for r in rows
    ]


def authenticate(engine: Engine, token: str, now: datetime) -> Principal:
    """The principal behind a bearer token; Unauthenticated for unknown, expired or
    revoked tokens, and for organisations no longer active."""
    return _authenticate(engine, token, now)[0]


def _authenticate(engine: Engine, token: str, now: datetime) -> tuple[Principal, datetime]:
    t, a = tables.api_tokens, tables.actors
    with engine.connect() as conn:
        row = conn.execute(
            select(t, a.c.status.label("actor_status"))
            .select_from(t.outerjoin(a, a.c.id == t.c.actor_id))
            .where(t.c.token_hash == token_hash(token))
        ).first()
    expires = None if row is None else parse_time(row.expires_at, field="expires_at")
    if row is None or expires is None or row.revoked_at is not None or expires <= now:
        why = "unknown" if row is None else ("revoked" if row.revoked_at else "expired")
        with engine.begin() as conn:
            record_event(
                conn, now, "token_rejected", None if row is None else row.token_id, f"{why} token"
            )
        raise Unauthenticated(f"the bearer token is {why}")
    if row.actor_id is not None and row.actor_status != "active":
        raise Unauthenticated(f"{row.actor_id} is not an active actor")
    return Principal(row.role, row.token_id, row.actor_id, row.account), expires


class TokenCache:
    """Checked tokens, trusted for ``seconds`` so a busy server does not read the token
    table on every request. Revocation through this process evicts at once; elsewhere it
    takes effect within ``seconds``. Keys are token hashes, never tokens."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[str, tuple[Principal, datetime, float]] = {}
        self._lock = threading.Lock()

    def cached(self, token: str, now: datetime) -> Principal | None:
        """The principal if this token was checked moments ago (no database read)."""
        with self._lock:
            entry = self._entries.get(token_hash(token))
        if entry is not None:
            principal, expires, until = entry
            if time.monotonic() < until and now < expires:
                return principal
        return None

    def authenticate(self, engine: Engine, token: str, now: datetime) -> Principal:
        key = token_hash(token)
        hit = self.cached(token, now)
        if hit is not None:
            return hit
        principal, expires = _authenticate(engine, token, now)
        if self.seconds > 0:
            with self._lock:
                if len(self._entries) > 10_000:
                    self._entries.clear()
                self._entries[key] = (principal, expires, time.monotonic() + self.seconds)
        return principal

    def evict_account(self, account: str) -> None:
        """Forget every token of a learner (their tokens were revoked: erasure, closure)."""
        with self._lock:
            for key in [k for k, (p, _, _) in self._entries.items() if p.account == account]:
                del self._entries[key]

    def evict(self, token_id: str) -> None:
        with self._lock:
            for key in [k for k, (p, _, _) in self._entries.items() if p.token_id == token_id]:
                del self._entries[key]
