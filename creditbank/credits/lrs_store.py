"""The LRS's tables (off the ledger): stored xAPI statements, and each provider's links
from LMS accounts to learner accounts and from activity IRIs to courses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, and_, insert, or_, select, update

from creditbank.core.xapi.credit import Mappings
from creditbank.db import tables
from creditbank.ledger import store as ledger_store

S = tables.lrs_statements


@dataclass(frozen=True)
class Stored:
    """One stored statement's row, as reads need it."""

    seq: int
    statement_id: str
    stored: str
    voids: str | None
    voided: bool
    digest: str
    document: str
    outcome: str
    reason: str | None
    ledger_index: int | None
    receipt: str | None


_COLUMNS = (
    S.c.seq,
    S.c.statement_id,
    S.c.stored,
    S.c.voids,
    S.c.voided,
    S.c.digest,
    S.c.document,
    S.c.outcome,
    S.c.reason,
    S.c.ledger_index,
    S.c.receipt,
)


def _stored(row: Any) -> Stored:
    return Stored(*row)


_STORED_COLUMNS = ", ".join(c.name for c in _COLUMNS)


def by_ids(conn: Connection, provider: str, ids: Iterable[str]) -> dict[str, Stored]:
    """The provider's stored statements among ``ids``.

    Every POST reads this (the repeat and conflict check), so it goes to the driver
    directly: on a connection that has run nothing else, no BEGIN and no ROLLBACK of
    SQLAlchemy's either (one implicit read transaction for the one statement). Under an
    LMS's load of one statement per request, the SQLAlchemy round of checkout, BEGIN,
    compiled select and reset cost more CPU than the rest of a stored statement's request
    (docs/performance.md, the xAPI section).
    """
    rows = ledger_store.rows_matching(
        conn,
        "lrs_statements",
        _STORED_COLUMNS,
        [("statement_id", "text")],
        [(i,) for i in sorted(set(ids))],
        "provider = ?",
        [provider],
    )
    found: dict[str, Stored] = {}
    for row in rows:
        seq, sid, stored, voids, voided, *rest = row[1:]
        found[sid] = Stored(seq, sid, stored, voids, bool(voided), *rest)
    return found


def _activity_keys(activities: Iterable[str]) -> list[str]:
    """The IRIs a link may be stored under: each as sent and without a trailing slash."""
    return sorted({a for act in activities for a in (act, act.rstrip("/"))})


def request_reads(
    conn: Connection,
    provider: str,
    ids: Iterable[str],
    agents: Iterable[str],
    activities: Iterable[str],
) -> tuple[dict[str, Stored], Mappings]:
    """What a POST reads before it decides: the provider's statements among ``ids``
    (``by_ids``) and its links for the agents and activities (``mappings``), in one round
    trip (three lookups joined by UNION ALL) when the keys fit one query. Under load a
    round trip costs more than the lookups: each one is a turn at the GIL for the
    request's thread. The full rows of ids stored before (a repeat or a conflict, rare)
    are read afterwards."""
    wanted = sorted(set(ids))
    agent_keys = sorted(set(agents))
    activity_keys = _activity_keys(activities)
    if max(len(wanted), len(agent_keys), len(activity_keys)) > ledger_store.KEYS_PER_QUERY:
        return by_ids(conn, provider, wanted), mappings(conn, provider, agents, activities)
    parts: list[str] = []
    args: list[object] = []
    for table, columns, key, values in (
        ("lrs_statements", "'s', digest", "statement_id", wanted),
        ("lrs_learners", "'l', learner", "agent", agent_keys),
        ("lrs_courses", "'c', course_id", "activity_id", activity_keys),
    ):
        if values:
            sql, key_args = ledger_store.matching_sql(
                conn.dialect.name,
                table,
                columns,
                [(key, "text")],
                [(v,) for v in values],
                "provider = ?",
            )
            parts.append(sql)
            args.extend([*key_args, provider])
    learners: dict[str, str] = {}
    courses: dict[str, str] = {}
    seen: list[str] = []
    rows = ledger_store.query(conn, " UNION ALL ".join(parts), args) if parts else []
    for key, what, value in rows:
        if what == "s":
            seen.append(key)
        else:
            (learners if what == "l" else courses)[key] = value
    return (by_ids(conn, provider, seen) if seen else {}), Mappings(learners, courses)


_ROW_COLUMNS = tuple(c.name for c in S.columns if c.name != "seq")  # seq: the database's
_INSERT_ONE = (
    f"INSERT INTO lrs_statements ({', '.join(_ROW_COLUMNS)}) "  # noqa: S608  (constant)
    f"VALUES ({', '.join('?' * len(_ROW_COLUMNS))})"
)


def hold_statement(conn: Connection, row: dict[str, Any]) -> None:
    """Store one statement inside the sequencer's transaction, among the batch's held
    writes (``ledger.store.write``): a batch of credited statements is one run of one
    INSERT, not an SQLAlchemy statement each."""
    ledger_store.write(conn, _INSERT_ONE, tuple(row[c] for c in _ROW_COLUMNS))


def insert_statements(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(S), list(rows))


def mark_voided(conn: Connection, provider: str, ids: Sequence[str]) -> None:
    if ids:
        conn.execute(
            update(S)
            .where(S.c.provider == provider, S.c.statement_id.in_(list(ids)))
            .values(voided=True)
        )


def query(
    conn: Connection,
    provider: str,
    *,
    agent: str | None,
    verb: str | None,
    activity: str | None,
    registration: str | None,
    since: str | None,
    until: str | None,
    after_seq: int | None,
    ascending: bool,
    limit: int,
) -> list[Stored]:
    """The provider's statements that are not voided and match every filter given, in
    stored order (newest first unless ``ascending``), ``limit`` of them past ``after_seq``."""
    conditions = [S.c.provider == provider, S.c.voided.is_(False)]
    for column, value in (
        (S.c.agent, agent),
        (S.c.verb_id, verb),
        (S.c.activity_id, activity),
        (S.c.registration, registration),
    ):
        if value is not None:
            conditions.append(column == value)
    if since is not None:
        conditions.append(S.c.stored > since)
    if until is not None:
        conditions.append(S.c.stored <= until)
    if after_seq is not None:
        conditions.append(S.c.seq > after_seq if ascending else S.c.seq < after_seq)
    stmt: Select[Any] = select(*_COLUMNS).where(and_(*conditions))
    stmt = stmt.order_by(S.c.seq.asc() if ascending else S.c.seq.desc()).limit(limit)
    return [_stored(row) for row in conn.execute(stmt)]


def mappings(
    conn: Connection, provider: str, agents: Iterable[str], activities: Iterable[str]
) -> Mappings:
    """The provider's links for the agent identifiers and activity IRIs of a request
    (read as ``by_ids`` reads, straight from the driver)."""
    return Mappings(
        _linked(conn, "lrs_learners", "learner", "agent", sorted(set(agents)), provider),
        _linked(
            conn, "lrs_courses", "course_id", "activity_id", _activity_keys(activities), provider
        ),
    )


def _linked(
    conn: Connection, table: str, value: str, key: str, keys: Sequence[str], provider: str
) -> dict[str, str]:
    """``key`` -> ``value`` of the provider's links in ``table`` for ``keys``."""
    if not keys:
        return {}
    rows = ledger_store.rows_matching(
        conn, table, value, [(key, "text")], [(k,) for k in keys], "provider = ?", [provider]
    )
    return {str(k): str(v) for k, v in rows}


def link(conn: Connection, table: str, provider: str, key: str, value: str, linked_at: str) -> None:
    """Set (or replace) one link of the provider: ``table`` is lrs_learners (agent ->
    learner) or lrs_courses (activity -> course)."""
    t = tables.lrs_learners if table == "lrs_learners" else tables.lrs_courses
    key_col, value_col = (
        (t.c.agent, "learner") if table == "lrs_learners" else (t.c.activity_id, "course_id")
    )
    changed = conn.execute(
        update(t)
        .where(t.c.provider == provider, key_col == key)
        .values({value_col: value, "linked_at": linked_at})
    ).rowcount
    if not changed:
        conn.execute(
            insert(t).values(
                {"provider": provider, key_col.name: key, value_col: value, "linked_at": linked_at}
            )
        )


def links(conn: Connection, provider: str) -> dict[str, list[dict[str, str]]]:
    """Every link of the provider."""
    lt, ct = tables.lrs_learners, tables.lrs_courses
    return {
        "learners": [
            {"agent": a, "learner": learner, "linked_at": at}
            for a, learner, at in conn.execute(
                select(lt.c.agent, lt.c.learner, lt.c.linked_at)
                .where(lt.c.provider == provider)
                .order_by(lt.c.agent)
            )
        ],
        "courses": [
            {"activity": a, "course_id": c, "linked_at": at}
            for a, c, at in conn.execute(
                select(ct.c.activity_id, ct.c.course_id, ct.c.linked_at)
                .where(ct.c.provider == provider)
                .order_by(ct.c.activity_id)
            )
        ],
    }


def add_code(
    conn: Connection, provider: str, agent: str, code_hash: str, issued_at: str, expires_at: str
) -> None:
    """Store a new link code for ``agent``, replacing the agent's unused ones."""
    c = tables.lrs_link_codes
    conn.execute(
        c.delete().where(c.c.provider == provider, c.c.agent == agent, c.c.used.is_(False))
    )
    conn.execute(
        insert(c).values(
            code_hash=code_hash,
            provider=provider,
            agent=agent,
            issued_at=issued_at,
            expires_at=expires_at,
            used=False,
        )
    )


def use_code(conn: Connection, provider: str, code_hash: str, now: str) -> str | None:
    """Mark the provider's unused, unexpired code used; the agent it is for, or None if
    there is no such code. One conditional update: two redemptions of one code cannot
    both win."""
    c = tables.lrs_link_codes
    taken = conn.execute(
        update(c)
        .where(
            c.c.code_hash == code_hash,
            c.c.provider == provider,
            c.c.used.is_(False),
            c.c.expires_at > now,
        )
        .values(used=True)
    ).rowcount
    if taken != 1:
        return None
    agent: str = conn.execute(select(c.c.agent).where(c.c.code_hash == code_hash)).scalar_one()
    return agent


def learner_links(
    conn: Connection, learner: str, after: tuple[str, str] | None, limit: int | None
) -> list[tuple[str, str, str]]:
    """(provider, agent, linked_at) of the LMS accounts linked to ``learner``, by provider
    and agent: those after ``after``, at most ``limit`` (None: all)."""
    t = tables.lrs_learners
    stmt = select(t.c.provider, t.c.agent, t.c.linked_at).where(t.c.learner == learner)
    if after is not None:
        provider, agent = after
        stmt = stmt.where(
            or_(t.c.provider > provider, and_(t.c.provider == provider, t.c.agent > agent))
        )
    stmt = stmt.order_by(t.c.provider, t.c.agent)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [(p, a, at) for p, a, at in conn.execute(stmt)]


def unlink_learner(conn: Connection, learner: str, provider: str, agent: str) -> bool:
    """Remove the provider's link of ``agent`` if it is to ``learner``; whether it was."""
    t = tables.lrs_learners
    removed = conn.execute(
        t.delete().where(t.c.provider == provider, t.c.agent == agent, t.c.learner == learner)
    ).rowcount
    return bool(removed)


def learner_exists(conn: Connection, account: str) -> bool:
    """Whether a learner account was opened (read from the accounts' projection)."""
    t = tables.learner_accounts
    return conn.execute(select(t.c.account).where(t.c.account == account)).first() is not None


def course_exists(conn: Connection, provider: str, course_id: str) -> bool:
    """Whether ``provider`` registered ``course_id`` (read from the catalogue's projection)."""
    t = tables.courses
    found = conn.execute(
        select(t.c.course_id).where(t.c.provider == provider, t.c.course_id == course_id)
    ).first()
    return found is not None


def learner_statements(conn: Connection, account: str) -> list[str]:
    """The stored statements (documents, in stored order) of every LMS account linked to
    ``account``: what an account export shows and an erasure deletes."""
    s, links_t = tables.lrs_statements, tables.lrs_learners
    stmt = (
        select(s.c.document)
        .join(links_t, and_(links_t.c.provider == s.c.provider, links_t.c.agent == s.c.agent))
        .where(links_t.c.learner == account)
        .order_by(s.c.seq)
    )
    return [document for (document,) in conn.execute(stmt)]


def forget_learner(conn: Connection, account: str) -> None:
    """A learner's erasure reaches the LRS: the statements of every LMS account linked to
    them (they may carry names or e-mail addresses), the link codes of those accounts (an
    agent identifier may be an e-mail address; codes name agents, never learners) and the
    links themselves are deleted. The ledger keeps the completions, which name only the
    account number."""
    s, links_t, codes = tables.lrs_statements, tables.lrs_learners, tables.lrs_link_codes
    linked = select(links_t.c.provider, links_t.c.agent).where(links_t.c.learner == account)
    for provider, agent in conn.execute(linked).all():
        conn.execute(s.delete().where(s.c.provider == provider, s.c.agent == agent))
        conn.execute(codes.delete().where(codes.c.provider == provider, codes.c.agent == agent))
    conn.execute(links_t.delete().where(links_t.c.learner == account))
