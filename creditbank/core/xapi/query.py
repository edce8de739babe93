"""The parameters of ``GET /xapi/statements`` (xAPI Data.md "Statement Resource": one
statement by ``statementId`` / ``voidedStatementId``, or a query with filters), checked
into a value; a ``more`` link is the same query with ``cursor``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from pydantic import TypeAdapter, ValidationError

from creditbank.core.entry import format_time, parse_time
from creditbank.core.errors import InvalidInput
from creditbank.core.xapi.model import IRI_RE, UUID_RE, Actor

MAX_LIMIT = 500
SINGLE_ONLY = frozenset({"statementId", "voidedStatementId"})
WITH_SINGLE = frozenset({"format", "attachments"})
FILTERS = frozenset(
    {
        "agent",
        "verb",
        "activity",
        "registration",
        "related_activities",
        "related_agents",
        "since",
        "until",
        "limit",
        "format",
        "attachments",
        "ascending",
        "cursor",
    }
)
_ACTOR: TypeAdapter[object] = TypeAdapter(Actor)


@dataclass(frozen=True)
class One:
    """GET one statement: by its id, or a voided one by ``voidedStatementId``."""

    statement_id: str
    voided: bool


@dataclass(frozen=True)
class Query:
    """GET statements matching every filter given (``agent``: the identifier form of
    ``Agent.ifi``; times in the ledger's format)."""

    agent: str | None
    verb: str | None
    activity: str | None
    registration: str | None
    since: str | None
    until: str | None
    limit: int
    ascending: bool
    cursor: int | None
    params: tuple[tuple[str, str], ...]

    def more(self, path: str, last_seq: int) -> str:
        """The ``more`` link that continues this query after the statement ``last_seq``."""
        rest = [(k, v) for k, v in self.params if k != "cursor"]
        return f"{path}?{urlencode([*rest, ('cursor', str(last_seq))])}"


def _bool(name: str, value: str) -> bool:
    if value not in ("true", "false"):
        raise InvalidInput(f"{name} is true or false, not {value!r}", field=name)
    return value == "true"


def _iri(name: str, value: str) -> str:
    if not IRI_RE.match(value):
        raise InvalidInput(f"{name} must be an IRI, not {value!r}", field=name)
    return value


def _uuid(name: str, value: str) -> str:
    if not UUID_RE.match(value):
        raise InvalidInput(f"{name} must be a UUID, not {value!r}", field=name)
    return value.lower()


def _agent(value: str) -> str:
    try:
        agent = _ACTOR.validate_python(json.loads(value))
    except (ValueError, ValidationError) as exc:
        raise InvalidInput(
            "agent must be an Agent or identified Group as JSON", field="agent"
        ) from exc
    ifi = agent.ifi()  # type: ignore[attr-defined]  # Agent and Group both have it
    if ifi is None:
        raise InvalidInput("agent must carry an identifier", field="agent")
    return str(ifi)


def _time(name: str, value: str) -> str:
    return format_time(parse_time(value, field=name))


def parse_query(params: Mapping[str, str]) -> One | Query:
    """The request's parameters as a single-statement GET or a query; InvalidInput (the
    LRS's 400) naming the parameter for an unknown, repeated-in-meaning or bad one."""
    names = set(params)
    single = names & SINGLE_ONLY
    if single:
        if len(single) > 1 or names - single - WITH_SINGLE:
            extra = sorted(names - WITH_SINGLE)
            raise InvalidInput(
                f"{' and '.join(extra)} cannot be combined: statementId and "
                "voidedStatementId take only format and attachments",
                field=extra[-1],
            )
        name = single.pop()
        return One(_uuid(name, params[name]), voided=name == "voidedStatementId")
    unknown = sorted(names - FILTERS)
    if unknown:
        raise InvalidInput(f"unknown parameter {unknown[0]}", field=unknown[0])
    for name in ("related_activities", "related_agents", "attachments"):
        if name in params and _bool(name, params[name]):
            raise InvalidInput(f"{name}=true is not supported by this LRS", field=name)
    if params.get("format", "exact") not in ("exact", "ids", "canonical"):
        raise InvalidInput("format is ids, exact or canonical", field="format")
    limit = MAX_LIMIT
    if "limit" in params:
        raw = params["limit"]
        if not raw.isdigit():
            raise InvalidInput(f"limit is a whole number, not {raw!r}", field="limit")
        limit = min(int(raw), MAX_LIMIT) or MAX_LIMIT  # 0: the server's maximum
    cursor = None
    if "cursor" in params:
        if not params["cursor"].isdigit():
            raise InvalidInput("cursor is the `more` link's, unchanged", field="cursor")
        cursor = int(params["cursor"])
    return Query(
        agent=_agent(params["agent"]) if "agent" in params else None,
        verb=_iri("verb", params["verb"]) if "verb" in params else None,
        activity=_iri("activity", params["activity"]) if "activity" in params else None,
        registration=(
            _uuid("registration", params["registration"]) if "registration" in params else None
        ),
        since=_time("since", params["since"]) if "since" in params else None,
        until=_time("until", params["until"]) if "until" in params else None,
        limit=limit,
        ascending=_bool("ascending", params["ascending"]) if "ascending" in params else False,
        cursor=cursor,
        params=tuple(sorted(params.items())),
    )
