"""Small factories for tests: actors, keys and signed statements."""

from __future__ import annotations

import base64
import itertools
from typing import Any

from creditbank.bank import Bank
from creditbank.keys import KeyPair
from creditbank.ledger.actors import AUTHORITY
from creditbank.ledger.entry import SignedStatement, sign_statement
from creditbank.ledger.sequencer import Appended

_ids = itertools.count(1)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def register(bank: Bank, actor_id: str, role: str = "provider", name: str | None = None) -> KeyPair:
    """Accredit an actor through the authority and return its signing key."""
    key = KeyPair.generate(actor_id)
    bank.ledger.append(
        sign_statement(
            {
                "kind": "actor.registered",
                "actor": AUTHORITY,
                "id": f"register-{actor_id}",
                "body": {
                    "actor_id": actor_id,
                    "role": role,
                    "name": name or actor_id,
                    "public_key": b64(key.public_key),
                },
            },
            bank.authority_key(),
        )
    )
    return key


def notice(
    actor: str, key: KeyPair, text: str = "hello", sid: str | None = None
) -> SignedStatement:
    return sign_statement(
        {
            "kind": "notice.published",
            "actor": actor,
            "id": sid or f"n-{next(_ids)}",
            "body": {"text": text},
        },
        key,
    )


def post_notice(bank: Bank, actor: str, key: KeyPair, **kw: Any) -> Appended:
    return bank.ledger.append(notice(actor, key, **kw))


def token_for(bank: Bank, actor_id: str, days: int = 30) -> str:
    """A bearer token for a registered actor (its role looked up from the ledger)."""
    from datetime import timedelta

    from sqlalchemy import select

    from creditbank.access.tokens import create_token
    from creditbank.db import tables

    with bank.engine.connect() as conn:
        role = conn.execute(select(tables.actors.c.role).where(tables.actors.c.id == actor_id)).scalar_one()
    token, _, _ = create_token(
        bank.engine,
        role=role,
        actor_id=actor_id,
        label="test",
        now=bank.ledger.clock(),
        ttl=timedelta(days=days),
    )
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
