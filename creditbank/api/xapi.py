"""xAPI statements in: `POST /xapi/statements` for LMSs (see docs/xapi.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from creditbank.api.deps import BankDep
from creditbank.api.policy import PrincipalDep, signed_in
from creditbank.core.entry import sign_statement
from creditbank.core.errors import CreditBankError, InvalidInput, RuleViolation
from creditbank.credits.gateway import gateway_key
from creditbank.credits.xapi import VERSION_RE, to_completion
from creditbank.ledger.sequencer import NOT_ALONE

router = APIRouter(prefix="/xapi", tags=["xapi"])

MAX_STATEMENTS = 1000


@router.post("/statements")
async def post_statements(
    bank: BankDep,
    principal: PrincipalDep,
    statements: Annotated[Any, Body(description="One xAPI statement or a list of them.")],
    version: Annotated[str | None, Header(alias="X-Experience-API-Version")] = None,
) -> JSONResponse:
    """Store xAPI completed/passed/failed statements about the provider's courses as
    completions signed with the provider's gateway key. Answers the statement ids (200),
    or a problem naming every statement that could not be taken (nothing of a malformed
    request is written)."""
    who = signed_in(principal)
    assert who.actor_id is not None  # providers' tokens name their actor
    if version is None or not VERSION_RE.match(version):
        raise InvalidInput(
            "send X-Experience-API-Version: 1.0.3 or 2.0.0", field="X-Experience-API-Version"
        )
    items = statements if isinstance(statements, list) else [statements]
    if not items or len(items) > MAX_STATEMENTS:
        raise InvalidInput(f"send 1 to {MAX_STATEMENTS} statements", field="statements")
    now = bank.ledger.clock()
    mapped, problems = [], []
    for i, item in enumerate(items):
        try:
            mapped.append(to_completion(item, who.actor_id, now, i))
        except CreditBankError as exc:
            problems.append({"statement": i, **exc.problem()})
    if problems:
        raise InvalidInput(
            f"{len(problems)} of {len(items)} statements cannot be stored; none were",
            field=str(problems[0].get("field", "statements")),
            problems=problems,
        )
    key = gateway_key(bank, who.actor_id)
    signed = [sign_statement(m, key) for m in mapped]
    # All or nothing, as an LRS stores a POST: one refused statement stores none.
    outcomes = await run_in_threadpool(lambda: bank.ledger.append_many(signed, atomic=True))
    ids = [m["id"].removeprefix("xapi:") for m in mapped]
    refused = [
        {"statement": i, **o.problem()}
        for i, o in enumerate(outcomes)
        if isinstance(o, CreditBankError) and o is not NOT_ALONE
    ]
    if refused:
        first = refused[0]
        raise RuleViolation(
            f"{len(refused)} of {len(items)} statements were refused by the bank's rules "
            f"(statement {first['statement']}: {first['detail']}); none were stored",
            field=str(first.get("field") or "statements"),
            problems=refused,
        )
    return JSONResponse(ids, headers={"X-Experience-API-Version": "2.0.0"})
