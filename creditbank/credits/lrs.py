"""The bank as an xAPI learning record store for LMSs (``POST /xapi/statements``, see
docs/xapi.md): statements in, signed completions on the ledger.

:mod:`creditbank.credits.xapi` maps each statement to a completion (pure); this takes a
request's statements, signs their completions with the provider's gateway key and logs
them all or none, as an LRS stores a POST.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from creditbank.core.entry import sign_statement
from creditbank.core.errors import CreditBankError, InvalidInput, RuleViolation
from creditbank.credits.gateway import gateway_key
from creditbank.credits.xapi import VERSION_RE, to_completion
from creditbank.ledger.sequencer import NOT_ALONE
from creditbank.ports import BankServices

MAX_STATEMENTS = 1000
VERSION_HEADER = "X-Experience-API-Version"
ANSWER_VERSION = "2.0.0"
"""The xAPI version the bank answers in."""


def _completions(statements: object, provider: str, now: datetime) -> list[dict[str, Any]]:
    """The completion of every statement of a request, or InvalidInput naming every
    statement that cannot be one (``problems``, each with its ``statement`` position)."""
    items = statements if isinstance(statements, list) else [statements]
    if not items or len(items) > MAX_STATEMENTS:
        raise InvalidInput(f"send 1 to {MAX_STATEMENTS} statements", field="statements")
    mapped: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        try:
            mapped.append(to_completion(item, provider, now, i))
        except CreditBankError as exc:
            problems.append({"statement": i, **exc.problem()})
    if problems:
        raise InvalidInput(
            f"{len(problems)} of {len(items)} statements cannot be stored; none were",
            field=str(problems[0].get("field", "statements")),
            problems=problems,
        )
    return mapped


def store_statements(
    bank: BankServices, provider: str, statements: object, version: str | None
) -> list[str]:
    """Store one xAPI statement or a list of them, sent in xAPI ``version``, as
    ``provider``'s completions signed with its gateway key: the statement ids, in order.
    Nothing is stored unless every statement is (a problem names each refused one)."""
    if version is None or not VERSION_RE.match(version):
        raise InvalidInput(f"send {VERSION_HEADER}: 1.0.3 or 2.0.0", field=VERSION_HEADER)
    mapped = _completions(statements, provider, bank.ledger.clock())
    key = gateway_key(bank, provider)
    outcomes = bank.ledger.append_many([sign_statement(m, key) for m in mapped], atomic=True)
    refused = [
        {"statement": i, **o.problem()}
        for i, o in enumerate(outcomes)
        if isinstance(o, CreditBankError) and o is not NOT_ALONE
    ]
    if refused:
        first = refused[0]
        raise RuleViolation(
            f"{len(refused)} of {len(mapped)} statements were refused by the bank's rules "
            f"(statement {first['statement']}: {first['detail']}); none were stored",
            field=str(first.get("field") or "statements"),
            problems=refused,
        )
    return [m["id"].removeprefix("xapi:") for m in mapped]
