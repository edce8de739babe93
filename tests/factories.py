"""Small factories for tests: actors, keys and signed statements."""

from __future__ import annotations

import base64
import itertools
from typing import Any

from creditbank.bank import Bank
from creditbank.core.entry import SignedStatement, sign_statement
from creditbank.core.keys import KeyPair
from creditbank.ledger.actors import AUTHORITY
from creditbank.ledger.sequencer import Appended

_ids = itertools.count(1)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def register(
    bank: Bank,
    actor_id: str,
    role: str = "provider",
    name: str | None = None,
    standards: list[str] | None = None,
) -> KeyPair:
    """Accredit an actor through the authority and return its signing key (a certifying
    body: for ``standards``)."""
    key = KeyPair.generate(actor_id)
    accredited = {} if standards is None else {"standards": standards}
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
                    **accredited,
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
        role = conn.execute(
            select(tables.actors.c.role).where(tables.actors.c.id == actor_id)
        ).scalar_one()
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


_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
]
_person_ids = itertools.count(1)


def resident_id(serial: int, birth: str = "19980512", region: str = "110105") -> str:
    """A well-formed PRC resident ID number (GB 11643 check character) for tests."""
    body = f"{region}{birth}{serial % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def make_person(**overrides: Any) -> Any:
    """A learner's personal data; every value is registered for the privacy scan."""
    from creditbank.access.service import PersonIn
    from tests.conftest import PERSONAL_DATA

    n = next(_person_ids)
    fields: dict[str, Any] = {
        "name": _SURNAMES[n % len(_SURNAMES)] + _GIVEN[(n * 7) % len(_GIVEN)] + str(n),
        "id_type": "resident_id",
        "id_number": resident_id(n, birth=f"19{80 + n % 20}0{1 + n % 9}1{n % 10}"),
        "phone": f"+86 138{n:08d}",
        "email": f"learner{n}@example.cn",
    }
    fields.update(overrides)
    PERSONAL_DATA.update(str(v) for k, v in fields.items() if k != "id_type" and v)
    return PersonIn(**fields)
