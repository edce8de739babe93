"""The credits domain's tables on the ledger's write path (completions, awards,
eligibility), with the batch's typed cache of each learner's awards and eligibility.

Every read and write of those tables during sequencing goes through here, on the
ledger store's raw-SQL fast path (a batch makes several projection writes per
completion). The read models for people (balances, progress, history) are in
``creditbank.credits.service``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from creditbank.certificates.store import has_active_certificate
from creditbank.core.entry import parse_time
from creditbank.core.rules import credits as rules
from creditbank.core.standards.model import Level
from creditbank.federation.store import (
    any_recognized_credits,
    learners_with_recognized_credits,
    recognized_credits,
)
from creditbank.ledger import store
from creditbank.ledger.kinds import BatchContext

EligibilityKey = tuple[str, str, int]
"""(learner, standard id, level)"""


@dataclass
class CreditsState:
    """Each learner's awards and eligibility rows as of this point of the batch. A
    learner in ``eligibility_read`` had all of its eligibility rows read: a key missing
    from ``eligible`` is then a level never reached."""

    awards: dict[str, list[rules.Award]] = field(default_factory=dict)
    eligible: dict[EligibilityKey, bool] = field(default_factory=dict)
    eligibility_read: set[str] = field(default_factory=set)
    peer_credits: dict[str, bool] = field(default_factory=dict)
    """Whether a learner holds credits recognised from a peer bank, for the learners read
    by ``prefetch``; dropped for a learner whose recognitions change (see
    ``forget_peer_credits``)."""
    any_peer_credits: bool | None = None
    """Whether any learner holds such credits (None: not read since the last change)."""
    level_terms: dict[tuple[int, str], tuple[Level, rules.LevelTerms]] = field(default_factory=dict)
    """Each level's terms, made once a batch (see ``batch_progress``), by the level
    object's identity; the level is kept with them, so the identity stays its own."""


_AWARD_COLUMNS = (
    "idx, provider, course_id, standard_id, level, unit_code, credits_tenths, mode, "
    "expires_at, revoked_index"
)


def _award(row: tuple[Any, ...]) -> rules.Award:
    idx, provider, course_id, standard_id, level, unit_code = row[:6]
    credits_tenths, mode, expires_at, revoked_index = row[6:]
    return rules.Award(
        idx,
        provider,
        course_id,
        (standard_id, level, unit_code),
        credits_tenths,
        mode,
        parse_time(expires_at, field="expires_at"),
        revoked_index is not None,
    )


def learner_awards(
    conn: Connection, learner: str, standard_id: str | None = None
) -> list[rules.Award]:
    """Every award of the learner (of one standard, when given), revoked ones included."""
    sql = f"SELECT {_AWARD_COLUMNS} FROM awards WHERE learner = ?"  # noqa: S608  (constant)
    params: list[object] = [learner]
    if standard_id is not None:
        sql += " AND standard_id = ?"
        params.append(standard_id)
    return [_award(r) for r in store.query(conn, sql, params)]


def awards_of(ctx: BatchContext, learner: str) -> list[rules.Award]:
    """The learner's awards, read once per batch and kept current by ``insert_award`` and
    ``revoke_award``."""
    state = ctx.state(CreditsState)
    found = state.awards.get(learner)
    if found is None:
        found = state.awards[learner] = learner_awards(ctx.conn, learner)
    return found


def prefetch(ctx: BatchContext, learners: Iterable[str]) -> None:
    """The awards, eligibility rows and whether they hold peer-recognised credits, of many
    learners, one query each per 500 (what a batch of completions needs)."""
    state = ctx.state(CreditsState)
    wanted = sorted(set(learners) - set(state.awards))
    if not wanted:
        return
    keys = [(learner,) for learner in wanted]
    found: dict[str, list[rules.Award]] = {learner: [] for learner in wanted}
    for learner, *award in store.rows_matching(
        ctx.conn, "awards", _AWARD_COLUMNS, [("learner", "text")], keys
    ):
        found[learner].append(_award(tuple(award)))
    state.awards.update(found)
    for learner, standard_id, level, eligible in store.rows_matching(
        ctx.conn, "eligibility", "standard_id, level, eligible", [("learner", "text")], keys
    ):
        state.eligible.setdefault((learner, standard_id, level), bool(eligible))
    state.eligibility_read.update(wanted)
    peers = learners_with_recognized_credits(ctx.conn, wanted)
    state.peer_credits.update((learner, learner in peers) for learner in wanted)


def was_eligible(ctx: BatchContext, key: EligibilityKey) -> bool:
    """Whether the learner was eligible for that level before this decision."""
    state = ctx.state(CreditsState)
    if key not in state.eligible:
        if key[0] in state.eligibility_read:
            return False
        rows = store.query(
            ctx.conn,
            "SELECT eligible FROM eligibility WHERE learner = ? AND standard_id = ? AND level = ?",
            key,
        )
        state.eligible[key] = bool(rows[0][0]) if rows else False
    return state.eligible[key]


def insert_completion(
    ctx: BatchContext,
    index: int,
    provider: str,
    completion_id: str | None,
    learner: str,
    course_id: str,
    completed_at: str,
    score: int | None,
    passed: bool,
    outcome: str,
) -> None:
    store.write(
        ctx.conn,
        "INSERT INTO completions (idx, provider, completion_id, learner, course_id, "
        "completed_at, score, passed, outcome, award_index) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            index,
            provider,
            completion_id,
            learner,
            course_id,
            completed_at,
            score,
            passed,
            outcome,
            None,
        ),
        row=index,
    )


_AWARD_INDEX = 9
"""Position of award_index among the parameters of insert_completion's INSERT."""


@dataclass(frozen=True)
class CompletionRow:
    """What a retraction needs of the completion it names."""

    provider: str
    learner: str
    retracted_index: int | None


def completion(ctx: BatchContext, index: int) -> CompletionRow | None:
    """The completion logged at ``index`` (None: none there)."""
    rows = store.query(
        ctx.conn,
        "SELECT provider, learner, retracted_index FROM completions WHERE idx = ?",
        (index,),
    )
    return None if not rows else CompletionRow(str(rows[0][0]), str(rows[0][1]), rows[0][2])


def mark_retracted(ctx: BatchContext, completion_index: int, index: int) -> None:
    store.write(
        ctx.conn,
        "UPDATE completions SET retracted_index = ? WHERE idx = ?",
        (index, completion_index),
    )


def award_of_completion(ctx: BatchContext, completion_index: int) -> tuple[int, bool] | None:
    """The award a completion earned: (its index, whether it is revoked), if any."""
    rows = store.query(
        ctx.conn,
        "SELECT idx, revoked_index FROM awards WHERE completion_index = ?",
        (completion_index,),
    )
    return None if not rows else (int(rows[0][0]), rows[0][1] is not None)


def insert_award(
    ctx: BatchContext, index: int, learner: str, award: rules.Award, values: dict[str, Any]
) -> None:
    """Write the award (and link its completion); the learner's cached awards follow."""
    standard_id, level, unit_code = award.unit
    store.write(
        ctx.conn,
        "INSERT INTO awards (idx, learner, standard_id, level, unit_code, provider, "
        "course_id, credits_tenths, mode, completion_index, completed_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            index,
            learner,
            standard_id,
            level,
            unit_code,
            award.provider,
            award.course_id,
            award.credits_tenths,
            award.mode,
            values["completion_index"],
            values["completed_at"],
            values["expires_at"],
        ),
    )
    completion_index = values["completion_index"]
    if not store.amend_held(ctx.conn, "completions", completion_index, _AWARD_INDEX, index):
        store.write(
            ctx.conn,
            "UPDATE completions SET award_index = ? WHERE idx = ?",
            (index, completion_index),
        )
    cached = ctx.state(CreditsState).awards.get(learner)
    if cached is not None:
        cached.append(award)


def revoke_award(ctx: BatchContext, learner: str, award_index: int, index: int) -> tuple[str, int]:
    """Mark the award revoked at ``index``; returns its (standard id, level)."""
    store.write(ctx.conn, "UPDATE awards SET revoked_index = ? WHERE idx = ?", (index, award_index))
    cached = ctx.state(CreditsState).awards.get(learner)
    if cached is not None:
        cached[:] = [
            dataclasses.replace(x, revoked=True) if x.index == award_index else x for x in cached
        ]
    rows = store.query(
        ctx.conn, "SELECT standard_id, level FROM awards WHERE idx = ?", (award_index,)
    )
    return str(rows[0][0]), int(rows[0][1])


def set_eligibility(ctx: BatchContext, key: EligibilityKey, eligible: bool, index: int) -> None:
    learner, standard_id, level = key
    store.write(
        ctx.conn,
        "INSERT INTO eligibility (learner, standard_id, level, eligible, changed_index) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (learner, standard_id, level) "
        "DO UPDATE SET eligible = excluded.eligible, changed_index = excluded.changed_index",
        (learner, standard_id, level, eligible, index),
    )
    ctx.state(CreditsState).eligible[key] = eligible


def level_progress(
    conn: Connection,
    learner: str,
    standard_id: str,
    level: Level,
    t: datetime,
    awards: list[rules.Award] | None = None,
) -> rules.Progress:
    """rules.progress with the learner's awards (read unless given), the credits
    recognised from peer banks that count (under the program's cap), and lower-level
    certificate at ``t`` (looked up only for a level that requires one)."""
    terms = rules.level_terms(level, standard_id)
    own = learner_awards(conn, learner, standard_id) if awards is None else awards
    return rules.progress(
        terms,
        [*own, *recognized_credits(conn, learner, terms, t)],
        t,
        has_lower_certificate=level.requires_lower_level_certificate
        and has_active_certificate(conn, learner, standard_id, level.level + 1),
    )


def batch_progress(
    ctx: BatchContext, learner: str, standard_id: str, level: Level
) -> rules.Progress:
    """``level_progress`` at ``ctx.now`` inside a batch: the awards from the batch's cache,
    no peer-bank query for a learner the batch knows holds no recognised credits (the
    common case: a query per award was most of a PostgreSQL batch's time), and each
    level's terms made once (a batch of completions asks for the same few levels)."""
    awards = awards_of(ctx, learner)
    state = ctx.state(CreditsState)
    if state.peer_credits.get(learner) is None:  # not prefetched (a replay): ask the table
        if state.any_peer_credits is None:
            state.any_peer_credits = any_recognized_credits(ctx.conn)
        if state.any_peer_credits:
            return level_progress(ctx.conn, learner, standard_id, level, ctx.now, awards=awards)
    elif state.peer_credits[learner]:
        return level_progress(ctx.conn, learner, standard_id, level, ctx.now, awards=awards)
    key = (id(level), standard_id)
    known = state.level_terms.get(key)
    if known is None or known[0] is not level:
        known = state.level_terms[key] = (level, rules.level_terms(level, standard_id))
    return rules.progress(
        known[1],
        awards,
        ctx.now,
        has_lower_certificate=level.requires_lower_level_certificate
        and has_active_certificate(ctx.conn, learner, standard_id, level.level + 1),
    )


def forget_peer_credits(ctx: BatchContext, learner: str) -> None:
    """The learner's recognised credits may have changed: ask the table next time."""
    state = ctx.state(CreditsState)
    state.peer_credits.pop(learner, None)
    state.any_peer_credits = None
