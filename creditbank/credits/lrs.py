"""The bank as a Learning Record Store (xAPI 1.0.3 and 2.0; docs/xapi.md, ADR 0014).

Every valid statement is stored off the ledger, as an LRS stores statements, and can be
read back. Those that are completions of a recognised course also become
``completion.recorded`` entries signed with the provider's gateway key, logged through the
sequencer's group commit like every other append; a voiding statement of a credited
completion logs its ``completion.retracted``. What a statement meant (credited, not
credited and why, or nothing) is kept beside it (``outcomes``).

A request is refused whole (nothing stored) only when a statement is not valid xAPI or
an id is reused with other content (409), as xAPI requires; the ledger's rules refusing a
completion never refuse the request.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Connection

from creditbank.core.accounts import check_account_number
from creditbank.core.entry import SignedStatement, format_time, sign_statement
from creditbank.core.errors import Conflict, CreditBankError, InvalidInput, NotFound
from creditbank.core.keys import KeyPair, read_key_file
from creditbank.core.xapi.credit import COURSE_ID_RE, VERBS, Decision, decide
from creditbank.core.xapi.model import (
    IRI_RE,
    VERSION_RE,
    Activity,
    Actor,
    Statement,
    parse_statement,
)
from creditbank.core.xapi.query import One, Query, parse_query
from creditbank.credits import lrs_store
from creditbank.credits.gateway import gateway_key_path
from creditbank.ledger import reads
from creditbank.ledger.sequencer import Appended, SideEffect
from creditbank.ledger.steps import Steps, run_awaiting, run_blocking
from creditbank.ports import BankServices

MAX_STATEMENTS = 1000
VERSION_HEADER = "X-Experience-API-Version"
CONSISTENT_HEADER = "X-Experience-API-Consistent-Through"
VERSIONS = ("1.0.3", "2.0.0")
STATEMENTS_PATH = "/xapi/statements"
AUTHORITY_HOME = "https://creditbank.local/providers"
_ACTOR: TypeAdapter[Any] = TypeAdapter(Actor)
NOT_ENABLED = "xAPI crediting is not enabled for this provider (`creditbank xapi enable`)"


def answer_version(requested: str | None) -> str:
    """The version the LRS answers a request in: 1.0.3 to a 1.0.x client, else 2.0.0."""
    return "1.0.3" if requested is not None and requested.startswith("1.0") else "2.0.0"


def check_version(requested: str | None) -> str:
    """The request's xAPI version header; InvalidInput (400) when missing or unsupported."""
    if requested is None or not VERSION_RE.match(requested):
        raise InvalidInput(
            f"send {VERSION_HEADER}: 1.0.3 or 2.0.0"
            + ("" if requested is None else f" ({requested!r} is not supported)"),
            field=VERSION_HEADER,
        )
    return requested


def about(requested: str | None) -> dict[str, Any]:
    """The about resource. A 1.0.x client is told of 1.0.3 only: 1.0.x clients (such as
    TinCanPython) refuse an about listing a version they do not know."""
    versions = ["1.0.3"] if answer_version(requested) == "1.0.3" else list(VERSIONS)
    return {"version": versions, "extensions": {}}


def _digest(document: Mapping[str, Any]) -> str:
    """What makes two statements with one id the same (xAPI ignores authority, stored
    and version when comparing). Not for signing: xAPI scores are JSON floats."""
    same = {k: v for k, v in document.items() if k not in ("authority", "stored", "version")}
    return hashlib.sha256(
        json.dumps(same, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


@dataclass
class _Incoming:
    """One statement of a request on its way to storage."""

    position: int
    sid: str
    statement: Statement
    document: dict[str, Any]
    digest: str
    where: str
    decision: Decision = field(default_factory=lambda: Decision("none"))
    outcome: str = "none"
    reason: str | None = None
    ledger_index: int | None = None
    receipt: str | None = None
    future: Future[Appended] | None = None


def _parse(payload: object, version: str, statement_id: str | None) -> list[_Incoming]:
    many = isinstance(payload, list)
    if statement_id is not None and many:
        raise InvalidInput("PUT takes one statement, not a list", field="statement")
    items = payload if isinstance(payload, list) else [payload]
    if not items or len(items) > MAX_STATEMENTS:
        raise InvalidInput(f"send 1 to {MAX_STATEMENTS} statements", field="statements")
    incoming: list[_Incoming] = []
    seen: dict[str, str] = {}
    for i, raw in enumerate(items):
        where = f"statements[{i}]" if many else ""
        statement = parse_statement(raw, where=where, version=version)
        assert isinstance(raw, dict)  # parse_statement refuses anything else
        sid = statement.id
        if statement_id is not None:
            if sid is not None and sid != statement_id:
                raise InvalidInput(
                    f"the statement's id {sid} is not the statementId {statement_id}",
                    field="id",
                )
            sid = statement_id
        sid = sid or str(uuid.uuid4())
        document = {**raw, "id": sid}
        digest = _digest(document)
        if seen.get(sid, digest) != digest:
            raise InvalidInput(
                f"id {sid} is given twice in one request, with other content",
                field=f"{where}.id" if where else "id",
            )
        seen[sid] = digest
        incoming.append(_Incoming(i, sid, statement, document, digest, where))
    return incoming


def _finish_document(item: _Incoming, provider: str, stored: str, version: str) -> None:
    """Set what the LRS sets: stored, authority, version, and a timestamp if none."""
    doc = item.document
    doc["stored"] = stored
    doc.setdefault("timestamp", stored)
    doc["authority"] = {
        "objectType": "Agent",
        "account": {"homePage": AUTHORITY_HOME, "name": provider},
    }
    doc.setdefault("version", "2.0.0" if version.startswith("2.0") else "1.0.0")


def _gateway_key(bank: BankServices, provider: str) -> KeyPair | None:
    path = gateway_key_path(bank, provider)
    try:
        changed = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    key = _read_key(str(path), changed)
    return key if key.name == provider else None


@functools.lru_cache(maxsize=64)
def _read_key(path: str, changed: int) -> KeyPair:
    """A gateway key file, read once per version of it (an LMS posts many requests)."""
    return read_key_file(Path(path))


def _wait(items: Sequence[_Incoming]) -> Steps[set[str]]:
    """Each item's outcome from its ledger future; the ids of those logged now (whose
    side effect, if any, was written with them)."""
    logged: set[str] = set()
    for item in items:
        assert item.future is not None
        yield item.future
        try:
            appended = item.future.result()
        except CreditBankError as exc:
            item.outcome, item.reason = "not_credited", exc.detail
            continue
        item.outcome = "credited"
        item.ledger_index, item.receipt = appended.index, appended.receipt
        if not appended.duplicate:
            logged.add(item.sid)
    return logged


def store_statements(
    bank: BankServices,
    provider: str,
    payload: object,
    version: str | None,
    *,
    statement_id: str | None = None,
) -> list[str]:
    """Store one statement or a list (``statement_id``: PUT's ``statementId``); the
    statement ids, in order. InvalidInput (400) for invalid xAPI and Conflict (409) for an
    id stored before with other content: then nothing is stored."""
    return run_blocking(storing(bank, provider, payload, version, statement_id=statement_id))


async def store_statements_async(
    bank: BankServices,
    provider: str,
    payload: object,
    version: str | None,
    *,
    statement_id: str | None = None,
) -> list[str]:
    """``store_statements`` for the event loop: the request waits for the sequencer
    without holding a thread (its reads are local index lookups)."""
    return await run_awaiting(storing(bank, provider, payload, version, statement_id=statement_id))


def storing(
    bank: BankServices,
    provider: str,
    payload: object,
    version: str | None,
    *,
    statement_id: str | None = None,
) -> Steps[list[str]]:
    """``store_statements`` as steps: each step yields the future it waits for."""
    version = check_version(version)
    if statement_id is not None:
        one = parse_query({"statementId": statement_id})
        assert isinstance(one, One)
        statement_id = one.statement_id
    incoming = _parse(payload, version, statement_id)
    now = bank.ledger.clock()
    stored = format_time(now)
    # only would-be completions need the provider's links
    linked = [
        i.statement
        for i in incoming
        if i.statement.verb.id in VERBS and isinstance(i.statement.object, Activity)
    ]
    agents = [s.actor.ifi() or "" for s in linked]
    activities = [s.object.id for s in linked if isinstance(s.object, Activity)]
    # on a database server, off the event loop (see creditbank.db.read_threads)
    reads = bank.reads.read(
        lambda conn: lrs_store.request_reads(
            conn, provider, [i.sid for i in incoming], agents, activities
        )
    )
    yield reads
    before, mappings = reads.result()
    fresh: list[_Incoming] = []
    for item in incoming:
        old = before.get(item.sid)
        if old is not None:
            if old.digest != item.digest:
                raise Conflict(
                    f"statement {item.sid} was stored before with other content",
                    field=f"{item.where}.id" if item.where else "id",
                )
            continue  # the same statement again: already stored and answered
        item.decision = decide(
            item.statement,
            item.sid,
            provider=provider,
            mappings=mappings,
            stored=now,
            where=item.where,
        )
        fresh.append(item)
    targets = sorted({i.decision.target for i in fresh if i.decision.target is not None})
    voided_before: dict[str, lrs_store.Stored] = {}
    if targets:
        earlier = bank.reads.read(lambda conn: lrs_store.by_ids(conn, provider, targets))
        yield earlier
        voided_before = earlier.result()
    _check_voidings(fresh, voided_before)
    for item in fresh:
        _finish_document(item, provider, stored, version)
    yield from _store_and_credit(bank, provider, fresh, voided_before, stored, targets)
    return [i.sid for i in incoming]


def _check_voidings(fresh: Sequence[_Incoming], stored: Mapping[str, lrs_store.Stored]) -> None:
    """A voiding statement cannot void another voiding statement (xAPI): 400."""
    by_id = {i.sid: i for i in fresh}
    for item in fresh:
        target = item.decision.target
        if target is None:
            continue
        earlier, now_sent = stored.get(target), by_id.get(target)
        if (earlier is not None and earlier.voids is not None) or (
            now_sent is not None and now_sent.decision.what == "void"
        ):
            field_name = f"{item.where}.object.id" if item.where else "object.id"
            raise InvalidInput(
                f"{field_name}: a voiding statement cannot void another voiding statement",
                field=field_name,
            )


def _row(item: _Incoming, provider: str, stored: str) -> dict[str, Any]:
    """The stored statement's row, with what it meant for the ledger."""
    statement = item.statement
    return {
        "provider": provider,
        "statement_id": item.sid,
        "stored": stored,
        "verb_id": statement.verb.id,
        "activity_id": statement.object.id if isinstance(statement.object, Activity) else None,
        "agent": statement.actor.ifi(),
        "registration": statement.context.registration if statement.context else None,
        "voids": item.decision.target,
        "voided": False,
        "digest": item.digest,
        "document": json.dumps(item.document),  # ASCII: any string survives
        "outcome": item.outcome,
        "reason": item.reason,
        "ledger_index": item.ledger_index,
        "receipt": item.receipt,
    }


@dataclass(frozen=True)
class _StoredWhenLogged:
    """The stored statement of a completion, written in the sequencer's transaction that
    logs the completion (a SideEffect): a credited statement costs one commit, not two."""

    row: dict[str, Any]

    def check(self, conn: Connection) -> None:
        """Nothing to check: the unique statement id refuses a statement stored meanwhile."""

    def apply(self, conn: Connection, index: int) -> None:
        lrs_store.hold_statement(conn, {**self.row, "ledger_index": index})


def _store_and_credit(
    bank: BankServices,
    provider: str,
    fresh: Sequence[_Incoming],
    voided_before: Mapping[str, lrs_store.Stored],
    stored: str,
    voided: Sequence[str],
) -> Steps[None]:
    """Store every statement of ``fresh`` and log what they mean. The completions go to
    the sequencer's group commit, each with its stored statement as a side effect, while
    the statements that are no completion are stored by the LRS's group commit; then the
    retractions of voided credited completions (a voiding may follow its completion in the
    same request), and last the statements whose row is still to write."""
    completions = [i for i in fresh if i.decision.what == "completion"]
    voidings = [i for i in fresh if i.decision.what == "void"]
    others = [i for i in fresh if i.decision.what == "none"]
    for item in others:
        if item.decision.reason is not None:
            item.outcome, item.reason = "not_credited", item.decision.reason
    key = _gateway_key(bank, provider) if completions or voidings else None
    if key is None:
        for item in completions:
            item.outcome, item.reason = "not_credited", NOT_ENABLED
    else:
        signed: list[tuple[SignedStatement, SideEffect | None]] = []
        for item in completions:
            assert item.decision.completion is not None
            row = {**_row(item, provider, stored), "outcome": "credited"}
            signed.append((sign_statement(item.decision.completion, key), _StoredWhenLogged(row)))
        futures = bank.ledger.submit_many(signed, signed_with=key)
        for item, future in zip(completions, futures, strict=True):
            item.future = future
    yield from _store_rows(
        bank, provider, others if key is not None else [*others, *completions], []
    )
    if key is None:
        yield from _store_rows(bank, provider, voidings, voided)
        return
    written = yield from _wait(completions)
    retracting = _retract(bank, provider, key, fresh, voidings, voided_before)
    yield from _wait(retracting)
    for item in retracting:
        if item.outcome == "credited":
            item.outcome = "retracted"
    unwritten = [i for i in completions if i.sid not in written]
    yield from _store_rows(bank, provider, [*unwritten, *voidings], voided)


def _retract(
    bank: BankServices,
    provider: str,
    key: KeyPair,
    fresh: Sequence[_Incoming],
    voidings: Sequence[_Incoming],
    voided_before: Mapping[str, lrs_store.Stored],
) -> list[_Incoming]:
    """Submit the retraction of each credited completion a voiding statement voids."""
    by_id = {i.sid: i for i in fresh}
    retracting: list[_Incoming] = []
    for item in voidings:
        target = item.decision.target
        assert target is not None
        now_sent, earlier = by_id.get(target), voided_before.get(target)
        if earlier is not None and earlier.voided:
            continue  # voided (and retracted) before
        index = (
            now_sent.ledger_index
            if now_sent is not None
            else earlier.ledger_index
            if earlier is not None and earlier.outcome == "credited"
            else None
        )
        if index is None:
            continue  # nothing on the ledger to retract
        retraction = {
            "kind": "completion.retracted",
            "actor": provider,
            "id": f"xapi-void:{target}",
            "body": {"completion_index": index, "reason": f"voided by xAPI statement {item.sid}"},
        }
        item.future = bank.ledger.submit(sign_statement(retraction, key), signed_with=key)
        retracting.append(item)
    return retracting


def _store_rows(
    bank: BankServices, provider: str, items: Sequence[_Incoming], voided: Sequence[str]
) -> Steps[None]:
    """Store ``items``' statements (and mark ``voided`` voided) by the LRS's group commit.
    A concurrent request that stored one of the ids first: the same content is a repeat
    (answered alike), other content a conflict (409)."""
    written = bank.lrs.submit(
        provider, [_row(i, provider, i.document["stored"]) for i in items], voided
    )
    yield written
    try:
        written.result()
    except Conflict:
        there_now = bank.reads.read(
            lambda conn: lrs_store.by_ids(conn, provider, [i.sid for i in items])
        )
        yield there_now
        now_there = there_now.result()
        for item in items:
            there = now_there.get(item.sid)
            if there is None or there.digest != item.digest:
                raise Conflict(
                    f"statement {item.sid} was stored meanwhile with other content",
                    field=f"{item.where}.id" if item.where else "id",
                ) from None


# --- reads ---------------------------------------------------------------------------


def get_statements(
    bank: BankServices, provider: str, params: Mapping[str, str], version: str | None
) -> dict[str, Any]:
    """``GET /xapi/statements``: ``{"statement": ...}`` for one statement, or a
    StatementResult ``{"statements": [...], "more": ...}`` for a query."""
    check_version(version)
    parsed = parse_query(params)
    with bank.engine.connect() as conn:
        if isinstance(parsed, One):
            found = lrs_store.by_ids(conn, provider, [parsed.statement_id]).get(parsed.statement_id)
            if found is None or found.voided != parsed.voided:
                what = "voided statement" if parsed.voided else "statement"
                raise NotFound(
                    f"no {what} {parsed.statement_id}",
                    field="voidedStatementId" if parsed.voided else "statementId",
                )
            return {"statement": json.loads(found.document)}
        return _query(conn, provider, parsed)


def _query(conn: Any, provider: str, q: Query) -> dict[str, Any]:
    rows = lrs_store.query(
        conn,
        provider,
        agent=q.agent,
        verb=q.verb,
        activity=q.activity,
        registration=q.registration,
        since=q.since,
        until=q.until,
        after_seq=q.cursor,
        ascending=q.ascending,
        limit=q.limit + 1,
    )
    more = ""
    if len(rows) > q.limit:
        rows = rows[: q.limit]
        more = q.more(STATEMENTS_PATH, rows[-1].seq)
    return {"statements": [json.loads(r.document) for r in rows], "more": more}


def outcomes(
    bank: BankServices, provider: str, statement_ids: Sequence[str]
) -> list[dict[str, Any]]:
    """What each of the provider's statements meant for the ledger: credited (with the
    entry's index and receipt), retracted, not credited (with the reason), or none."""
    if not 1 <= len(statement_ids) <= MAX_STATEMENTS:
        raise InvalidInput(f"ask for 1 to {MAX_STATEMENTS} statements", field="statementId")
    ids = [parse_query({"statementId": s}) for s in statement_ids]
    wanted = [i.statement_id for i in ids if isinstance(i, One)]
    with bank.engine.connect() as conn:
        found = lrs_store.by_ids(conn, provider, wanted)
    answers = []
    for sid in wanted:
        row = found.get(sid)
        if row is None:
            raise NotFound(f"no statement {sid}", field="statementId")
        answers.append(
            {
                "id": sid,
                "stored": row.stored,
                "outcome": row.outcome,
                "reason": row.reason,
                "voided": row.voided,
                "index": row.ledger_index,
                "receipt": row.receipt or _receipt(bank, row.ledger_index),
            }
        )
    return answers


def _receipt(bank: BankServices, index: int | None) -> str | None:
    """The receipt of a completion whose statement was stored as it was logged."""
    return None if index is None else reads.receipt(bank.engine, index)


# --- mapping -------------------------------------------------------------------------


def agent_ifi(agent: object) -> str:
    """The identifier string of an LMS account given as an xAPI Agent (account homePage +
    name, mbox, mbox_sha1sum or openid), as the links key it; InvalidInput (field
    ``agent``) for anything else."""
    try:
        parsed = _ACTOR.validate_python(agent)
    except ValidationError as exc:
        err = exc.errors()[0]
        path = ".".join(str(p) for p in err["loc"] if p not in ("Agent", "Group"))
        raise InvalidInput(
            f"agent{'.' + path if path else ''}: {err['msg']}", field="agent"
        ) from exc
    ifi: str | None = parsed.ifi()
    if ifi is None:
        raise InvalidInput("the agent needs an identifier", field="agent")
    return ifi


def link_learner(bank: BankServices, provider: str, agent: object, learner: str) -> str:
    """Link an LMS account (an xAPI Agent: account homePage + name, mbox or openid) to a
    learner account, for ``provider``'s statements; the agent's identifier form."""
    ifi = agent_ifi(agent)
    check_account_number(learner, field="learner")
    with bank.engine.begin() as conn:
        if not lrs_store.learner_exists(conn, learner):
            raise NotFound(f"no learner account {learner}", field="learner")
        lrs_store.link(
            conn, "lrs_learners", provider, ifi, learner, format_time(bank.ledger.clock())
        )
    return ifi


def link_course(bank: BankServices, provider: str, activity: str, course_id: str) -> None:
    """Link an xAPI activity IRI to one of ``provider``'s courses."""
    if not isinstance(activity, str) or not IRI_RE.match(activity):
        raise InvalidInput("activity must be an IRI", field="activity")
    if not isinstance(course_id, str) or not COURSE_ID_RE.match(course_id):
        raise InvalidInput(
            "course_id: letters, digits and . _ ~ : + - (up to 64)", field="course_id"
        )
    with bank.engine.begin() as conn:
        if not lrs_store.course_exists(conn, provider, course_id):
            raise NotFound(f"{provider} has no course {course_id}", field="course_id")
        lrs_store.link(
            conn, "lrs_courses", provider, activity, course_id, format_time(bank.ledger.clock())
        )


def links(bank: BankServices, provider: str) -> dict[str, list[dict[str, str]]]:
    with bank.engine.connect() as conn:
        return lrs_store.links(conn, provider)
