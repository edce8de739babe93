"""Builders for made-up worlds: accredited actors and their keys, signed statements,
registered and recognized courses, learners' personal data, tokens.

Shared by the demo scenario, the benchmarks and the tests (tests/factories.py re-exports
them), so that one story is told one way. Everything goes through the ledger and the
services as production does; nothing here writes a table.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from creditbank.access.service import PersonIn
from creditbank.access.tokens import create_actor_token
from creditbank.bank import Bank
from creditbank.core.entry import SignedStatement, format_time, sign_statement
from creditbank.core.errors import CreditBankError
from creditbank.core.keys import KeyPair
from creditbank.core.statements.catalogue import course_recognition, course_registration
from creditbank.ledger.actors import AUTHORITY
from creditbank.ledger.sequencer import Appended

_ids = itertools.count(1)

Statement = dict[str, Any]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def register(
    bank: Bank,
    actor_id: str,
    role: str = "provider",
    name: str | None = None,
    standards: list[str] | None = None,
) -> KeyPair:
    """Accredit an actor through the authority and return its new signing key (a
    certifying body: for ``standards``)."""
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
    """A signed ``notice.published``: the simplest statement an actor can log."""
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


def register_course(
    bank: Bank,
    provider: str,
    key: KeyPair,
    course_id: str,
    *,
    title: str,
    standard_id: str,
    level: int,
    unit_code: str,
    mode: str,
    hours: str,
    valid_from: datetime,
    valid_until: datetime,
    authority: KeyPair | None = None,
) -> None:
    """A course registered by its provider and recognized by the authority for
    [valid_from, valid_until)."""
    bank.ledger.append(
        sign_statement(
            course_registration(
                provider,
                course_id,
                title=title,
                standard_id=standard_id,
                level=level,
                unit_code=unit_code,
                mode=mode,
                hours=hours,
            ),
            key,
        )
    )
    bank.ledger.append(
        sign_statement(
            course_recognition(provider, course_id, valid_from=valid_from, valid_until=valid_until),
            authority or bank.authority_key(),
        )
    )


def completion(
    provider: str,
    sid: str,
    learner: str,
    course_id: str,
    completed_at: datetime,
    score: int | None,
    hours_attended: str,
) -> Statement:
    """A provider's ``completion.recorded`` statement (unsigned)."""
    return {
        "kind": "completion.recorded",
        "actor": provider,
        "id": sid,
        "body": {
            "learner": learner,
            "course_id": course_id,
            "completed_at": format_time(completed_at),
            "score": score,
            "hours_attended": hours_attended,
        },
    }


def append_all(bank: Bank, statements: Sequence[tuple[Statement, KeyPair]]) -> list[Appended]:
    """Sign and log statements in batches of 500; a refusal is raised, since a scenario
    that the rules refuse is a broken scenario."""
    done: list[Appended] = []
    for start in range(0, len(statements), 500):
        chunk = statements[start : start + 500]
        results = bank.ledger.append_many([sign_statement(s, k) for s, k in chunk])
        for result in results:
            if isinstance(result, CreditBankError):
                raise result
            done.append(result)
    return done


def resident_id(serial: int, birth: str = "19980512", region: str = "110105") -> str:
    """A well-formed PRC resident ID number (GB 11643 check character), made up."""
    body = f"{region}{birth}{serial % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = (
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
)


def person_fields(n: int) -> dict[str, Any]:
    """Made-up personal data for learner ``n`` (valid in form only; distinct per n)."""
    return {
        "name": _SURNAMES[n % len(_SURNAMES)] + _GIVEN[(n * 7) % len(_GIVEN)] + str(n),
        "id_type": "resident_id",
        "id_number": resident_id(n, birth=f"19{80 + n % 20}0{1 + n % 9}1{n % 10}"),
        "phone": f"+86 138{n:08d}",
        "email": f"learner{n}@example.cn",
    }


def person(n: int, **overrides: Any) -> PersonIn:
    """Learner ``n``'s personal data, as a learner or the authority submits it."""
    return PersonIn(**{**person_fields(n), **overrides})


def token_for(bank: Bank, actor_id: str, days: int = 30, label: str = "test") -> str:
    """A bearer token for a registered actor, with its role on the ledger."""
    token, _, _, _ = create_actor_token(
        bank.engine, actor_id, label=label, days=days, now=bank.ledger.clock()
    )
    return token
