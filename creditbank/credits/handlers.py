"""Completions in, credits out: the ledger handlers around the pure rules.

- ``completion.recorded`` (provider): checked (accreditation, course and its recognition
  at completed_at, learner account, time, score) and decided at its integration time;
  an award follows as ``credit.awarded`` (derived, by the log).
- ``completion.retracted`` (provider, its own completions): the award, if any, is revoked
  by ``credit.revoked`` (derived).
- After every award or revocation the learner's eligibility for that standard's level is
  recomputed; a change is logged as ``eligibility.reached`` or ``eligibility.lost``.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any

from pydantic import Field, StrictBool, StrictInt, StrictStr
from sqlalchemy import Connection, select, update

from creditbank.access.handlers import account_status, record_learner_entry
from creditbank.catalogue.handlers import semver_key
from creditbank.core.accounts import ACCOUNT_RE, check_account_number
from creditbank.core.bodies import Body, parse_body
from creditbank.core.entry import Derivation, SignedStatement, format_time, parse_time
from creditbank.core.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from creditbank.core.rules import credits as rules
from creditbank.core.standards.model import Level, Standard, parse_credits
from creditbank.db import tables
from creditbank.ledger import store
from creditbank.ledger.kinds import BatchContext

FUTURE_TOLERANCE = timedelta(minutes=5)
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class CompletionRecorded(Body):
    learner: str = Field(pattern=ACCOUNT_RE.pattern)
    course_id: str = Field(min_length=1, max_length=64)
    completed_at: StrictStr
    score: StrictInt | None = Field(default=None, ge=0, le=100)
    passed: StrictBool | None = None
    hours_attended: StrictStr = Field(pattern=r"^(0|[1-9][0-9]{0,4})\.[0-9]$")
    evidence_sha256: Sha256 | None = None


class CompletionRetracted(Body):
    completion_index: StrictInt = Field(ge=0)
    reason: str = Field(min_length=1, max_length=500)


class CreditAwarded(Body):
    learner: str
    standard_id: str
    level: StrictInt
    unit_code: str
    credits: StrictStr
    mode: str
    provider: str
    course_id: str
    completion_index: StrictInt
    completed_at: str
    expires_at: str
    derived_from: list[StrictInt]


class CreditRevoked(Body):
    learner: str
    award_index: StrictInt
    completion_index: StrictInt
    reason: str
    derived_from: list[StrictInt]


class EligibilityChanged(Body):
    learner: str
    standard_id: str
    level: StrictInt
    derived_from: list[StrictInt]


@lru_cache(maxsize=512)
def _standard(document: str) -> Standard:
    return Standard.model_validate(json.loads(document))


def standard_version(conn: Connection, standard_id: str, version: str | None) -> Standard | None:
    """A published standard: that version, or the newest when ``version`` is None."""
    t = tables.published_standards
    query = select(t.c.version, t.c.document).where(t.c.standard_id == standard_id)
    if version is not None:
        query = query.where(t.c.version == version)
    rows = conn.execute(query).all()
    if not rows:
        return None
    return _standard(max(rows, key=lambda r: semver_key(r.version)).document)


def level_terms(level: Level, standard_id: str) -> rules.LevelTerms:
    return rules.LevelTerms(
        standard_id,
        level.level,
        level.credits_required_tenths,
        level.max_online_share_percent,
        {u.code: u.min_credits_tenths for u in level.required_units},
        frozenset(u.code for u in level.units),
        level.requires_lower_level_certificate,
    )


def learner_awards(
    conn: Connection, learner: str, standard_id: str | None = None
) -> list[rules.Award]:
    a = tables.awards
    query = select(a).where(a.c.learner == learner)
    if standard_id is not None:
        query = query.where(a.c.standard_id == standard_id)
    return [_award(r) for r in conn.execute(query)]


def _award(r: Any) -> rules.Award:
    return rules.Award(
        r.idx,
        r.provider,
        r.course_id,
        (r.standard_id, r.level, r.unit_code),
        r.credits_tenths,
        r.mode,
        parse_time(r.expires_at, field="expires_at"),
        r.revoked_index is not None,
    )


def cached_awards(ctx: BatchContext, learner: str) -> list[rules.Award]:
    """All the learner's awards, read once per batch and kept current by the award and
    revocation handlers."""
    key = ("awards", learner)
    if key not in ctx.cache:
        ctx.cache[key] = learner_awards(ctx.conn, learner)
    awards: list[rules.Award] = ctx.cache[key]
    return awards


@dataclass(frozen=True)
class _CourseFacts:
    """What a completion needs to know about its course, read once per batch."""

    row: Any
    recognitions: tuple[tuple[datetime, datetime, int], ...]
    unit_max_tenths: int
    validity_years: int


def _course_facts(ctx: BatchContext, provider: str, course_id: str) -> _CourseFacts:
    key = ("course", provider, course_id)
    cached = ctx.cache.get(key)
    if cached is not None:
        facts: _CourseFacts = cached
        return facts
    c, r = tables.courses, tables.course_recognitions
    course = ctx.conn.execute(
        select(c).where(c.c.provider == provider, c.c.course_id == course_id)
    ).first()
    if course is None:
        raise NotFound(f"{provider} has no course {course_id}", field="statement.body.course_id")
    recognitions = tuple(
        (
            parse_time(rec.valid_from, field="valid_from"),
            parse_time(rec.valid_until, field="valid_until"),
            rec.credits_tenths,
        )
        for rec in ctx.conn.execute(
            select(r.c.credits_tenths, r.c.valid_from, r.c.valid_until)
            .where(r.c.provider == provider, r.c.course_id == course_id)
            .order_by(r.c.recognized_index)
        )
    )
    standard = standard_version(ctx.conn, course.standard_id, course.standard_version)
    assert standard is not None  # a course is only registered against a published standard
    level = standard.level(course.level)
    unit = standard.unit(course.level, course.unit_code)
    assert level is not None
    assert unit is not None
    facts = _CourseFacts(course, recognitions, unit.max_credits_tenths, level.credit_validity_years)
    ctx.cache[key] = facts
    return facts


def _course(
    ctx: BatchContext, provider: str, body: CompletionRecorded
) -> tuple[rules.CourseTerms, Any]:
    """The course's terms at completed_at: its unit, mode, passing rule and the credits of
    the recognition in force then."""
    facts = _course_facts(ctx, provider, body.course_id)
    completed_at = parse_time(body.completed_at, field="statement.body.completed_at")
    credits = None
    for valid_from, valid_until, tenths in facts.recognitions:
        if valid_from <= completed_at < valid_until:
            credits = tenths
    if credits is None:
        raise RuleViolation(
            f"course {body.course_id} was not recognized at {body.completed_at}",
            field="statement.body.completed_at",
        )
    course = facts.row
    terms = rules.CourseTerms(
        provider,
        course.course_id,
        (course.standard_id, course.level, course.unit_code),
        course.mode,
        credits,
        course.min_score,
        facts.unit_max_tenths,
        facts.validity_years,
    )
    return terms, course


def has_active_certificate(conn: Connection, learner: str, standard_id: str, level: int) -> bool:
    """Whether the learner holds an unrevoked certificate of that standard and level."""
    return bool(
        store.query(
            conn,
            "SELECT 1 FROM certificates WHERE learner = ? AND standard_id = ? AND level = ? "
            "AND revoked_index IS NULL",
            (learner, standard_id, level),
        )
    )


def level_progress(
    conn: Connection,
    learner: str,
    standard_id: str,
    level: Level,
    t: datetime,
    awards: list[rules.Award] | None = None,
) -> rules.Progress:
    """rules.progress with the learner's awards (read unless given) and lower-level
    certificate at ``t`` (looked up only for a level that requires one)."""
    return rules.progress(
        level_terms(level, standard_id),
        learner_awards(conn, learner, standard_id) if awards is None else awards,
        t,
        has_lower_certificate=level.requires_lower_level_certificate
        and has_active_certificate(conn, learner, standard_id, level.level + 1),
    )


def newest_standard(ctx: BatchContext, standard_id: str) -> Standard | None:
    """The newest published version of a standard, read once per batch (a publication
    in the batch forgets it: see DocumentPublishedHandler)."""
    key = ("std", standard_id)
    if key not in ctx.cache:
        ctx.cache[key] = standard_version(ctx.conn, standard_id, None)
    standard: Standard | None = ctx.cache[key]
    return standard


def _eligibility_change(
    ctx: BatchContext, learner: str, standard_id: str, level_no: int, source: int
) -> list[Derivation]:
    """Recompute eligibility for one level at ``now``; a change is a decision to log."""
    standard = newest_standard(ctx, standard_id)
    level = None if standard is None else standard.level(level_no)
    if level is None:
        return []
    now_state = level_progress(
        ctx.conn, learner, standard_id, level, ctx.now, cached_awards(ctx, learner)
    ).eligible
    key = ("elig", learner, standard_id, level_no)
    if key not in ctx.cache and ("elig-read", learner) in ctx.cache:
        ctx.cache[key] = False  # prepare read all of the learner's rows: there is none
    if key not in ctx.cache:
        rows = store.query(
            ctx.conn,
            "SELECT eligible FROM eligibility WHERE learner = ? AND standard_id = ? AND level = ?",
            (learner, standard_id, level_no),
        )
        ctx.cache[key] = bool(rows[0][0]) if rows else False
    was = bool(ctx.cache[key])
    if now_state == was:
        return []
    if not now_state and has_active_certificate(ctx.conn, learner, standard_id, level_no):
        return []  # rules.md: eligibility.lost is for learners not certified at that level
    kind = "eligibility.reached" if now_state else "eligibility.lost"
    return [
        Derivation(
            kind, {"learner": learner, "standard_id": standard_id, "level": level_no}, (source,)
        )
    ]


class CompletionRecordedHandler:
    def prepare(self, ctx: BatchContext, statements: list[SignedStatement]) -> None:
        """One query each for the awards, the account status and the eligibility rows of
        every learner the batch's completions name."""
        learners = sorted(
            {
                str(s.body.get("learner"))
                for s in statements
                if isinstance(s.body.get("learner"), str)
            }
            - {k[1] for k in ctx.cache if k[0] == "awards"}
        )
        for start in range(0, len(learners), 500):
            chunk = learners[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found: dict[str, list[rules.Award]] = {learner: [] for learner in chunk}
            for learner, *award in store.query(
                ctx.conn,
                "SELECT learner, idx, provider, course_id, standard_id, level, unit_code, "  # noqa: S608
                "credits_tenths, mode, expires_at, revoked_index FROM awards "
                f"WHERE learner IN ({marks})",
                chunk,
            ):
                idx, provider, course_id, standard_id, level, unit_code = award[:6]
                credits_tenths, mode, expires_at, revoked_index = award[6:]
                found[learner].append(
                    rules.Award(
                        idx,
                        provider,
                        course_id,
                        (standard_id, level, unit_code),
                        credits_tenths,
                        mode,
                        parse_time(expires_at, field="expires_at"),
                        revoked_index is not None,
                    )
                )
            for learner, awards in found.items():
                ctx.cache[("awards", learner)] = awards
            status = dict.fromkeys(chunk)
            for account, value in store.query(
                ctx.conn,
                f"SELECT account, status FROM learner_accounts WHERE account IN ({marks})",  # noqa: S608  (placeholders only)
                chunk,
            ):
                status[account] = str(value)
            for account, value in status.items():
                ctx.cache[("acct", account)] = value
            for learner, standard_id, level, eligible in store.query(
                ctx.conn,
                "SELECT learner, standard_id, level, eligible FROM eligibility "  # noqa: S608
                f"WHERE learner IN ({marks})",
                chunk,
            ):
                ctx.cache.setdefault(("elig", learner, standard_id, level), bool(eligible))
            for learner in chunk:
                ctx.cache[("elig-read", learner)] = True

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        body = parse_body(CompletionRecorded, signed)
        actor = ctx.actor(signed.actor)
        if actor is None or actor.role != "provider" or actor.status != "active":
            raise Forbidden("only accredited providers post completions", field="statement.actor")
        check_account_number(body.learner, field="statement.body.learner")
        status = account_status(ctx, body.learner)
        if status is None:
            raise NotFound(f"no learner account {body.learner}", field="statement.body.learner")
        if status != "open":
            raise RuleViolation(
                f"learner account {body.learner} is {status}", field="statement.body.learner"
            )
        completed_at = parse_time(body.completed_at, field="statement.body.completed_at")
        if completed_at > ctx.now + FUTURE_TOLERANCE:
            raise InvalidInput(
                "completed_at is more than 5 minutes in the future",
                field="statement.body.completed_at",
            )
        terms, _ = _course(ctx, signed.actor, body)
        if terms.min_score is None:
            if body.passed is None:
                raise InvalidInput(
                    "a pass/fail course needs `passed`", field="statement.body.passed"
                )
        else:
            if body.score is None:
                raise InvalidInput("a scored course needs a score", field="statement.body.score")
            if body.passed is not None and body.passed != (body.score >= terms.min_score):
                raise InvalidInput(
                    f"passed={body.passed} contradicts score {body.score} "
                    f"(minimum {terms.min_score})",
                    field="statement.body.passed",
                )

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(CompletionRecorded, signed)
        terms, _ = _course(ctx, signed.actor, body)
        completed_at = parse_time(body.completed_at, field="completed_at")
        is_passed = rules.passed(terms.min_score, body.score, body.passed)
        outcome = rules.decide(
            terms,
            completed_at=completed_at,
            is_passed=is_passed,
            now=ctx.now,
            awards=cached_awards(ctx, body.learner),
        )
        store.write(
            ctx.conn,
            "INSERT INTO completions (idx, provider, completion_id, learner, course_id, "
            "completed_at, score, passed, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                index,
                signed.actor,
                signed.idem_key,
                body.learner,
                body.course_id,
                format_time(completed_at),
                body.score,
                is_passed,
                "awarded" if outcome.awarded else outcome.reason,
            ),
        )
        record_learner_entry(ctx, body.learner, index, signed.kind)
        if not outcome.awarded:
            return []
        standard_id, level, unit_code = terms.unit
        return [
            Derivation(
                "credit.awarded",
                {
                    "learner": body.learner,
                    "standard_id": standard_id,
                    "level": level,
                    "unit_code": unit_code,
                    "credits": f"{outcome.credits_tenths // 10}.{outcome.credits_tenths % 10}",
                    "mode": terms.mode,
                    "provider": signed.actor,
                    "course_id": body.course_id,
                    "completion_index": index,
                    "completed_at": format_time(completed_at),
                    "expires_at": format_time(outcome.expires_at),
                },
                (index,),
            )
        ]


class CreditAwardedHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        parse_body(CreditAwarded, signed)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(CreditAwarded, signed)
        store.write(
            ctx.conn,
            "INSERT INTO awards (idx, learner, standard_id, level, unit_code, provider, "
            "course_id, credits_tenths, mode, completion_index, completed_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                index,
                body.learner,
                body.standard_id,
                body.level,
                body.unit_code,
                body.provider,
                body.course_id,
                parse_credits(body.credits),
                body.mode,
                body.completion_index,
                body.completed_at,
                body.expires_at,
            ),
        )
        store.write(
            ctx.conn,
            "UPDATE completions SET award_index = ? WHERE idx = ?",
            (index, body.completion_index),
        )
        record_learner_entry(ctx, body.learner, index, signed.kind)
        cached = ctx.cache.get(("awards", body.learner))
        if cached is not None:
            cached.append(
                rules.Award(
                    index,
                    body.provider,
                    body.course_id,
                    (body.standard_id, body.level, body.unit_code),
                    parse_credits(body.credits),
                    body.mode,  # type: ignore[arg-type]  # checked when it was derived
                    parse_time(body.expires_at, field="expires_at"),
                )
            )
        return _eligibility_change(ctx, body.learner, body.standard_id, body.level, index)


class CompletionRetractedHandler:
    def _completion(
        self, ctx: BatchContext, signed: SignedStatement
    ) -> tuple[CompletionRetracted, Any]:
        body = parse_body(CompletionRetracted, signed)
        c = tables.completions
        row = ctx.conn.execute(select(c).where(c.c.idx == body.completion_index)).first()
        if row is None:
            raise NotFound(
                f"no completion at index {body.completion_index}",
                field="statement.body.completion_index",
            )
        return body, row

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        _, row = self._completion(ctx, signed)
        if row.provider != signed.actor:
            raise Forbidden(
                "a provider retracts only its own completions",
                field="statement.body.completion_index",
            )
        if row.retracted_index is not None:
            raise Conflict(
                "that completion is already retracted", field="statement.body.completion_index"
            )

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body, row = self._completion(ctx, signed)
        c = tables.completions
        ctx.conn.execute(
            update(c).where(c.c.idx == body.completion_index).values(retracted_index=index)
        )
        record_learner_entry(ctx, row.learner, index, signed.kind)
        a = tables.awards
        award = ctx.conn.execute(
            select(a.c.idx, a.c.revoked_index).where(a.c.completion_index == body.completion_index)
        ).first()
        if award is None or award.revoked_index is not None:
            return []
        return [
            Derivation(
                "credit.revoked",
                {
                    "learner": row.learner,
                    "award_index": award.idx,
                    "completion_index": body.completion_index,
                    "reason": body.reason,
                },
                (index, award.idx),
            )
        ]


class CreditRevokedHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        parse_body(CreditRevoked, signed)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(CreditRevoked, signed)
        a = tables.awards
        ctx.conn.execute(update(a).where(a.c.idx == body.award_index).values(revoked_index=index))
        record_learner_entry(ctx, body.learner, index, signed.kind)
        award = ctx.conn.execute(
            select(a.c.standard_id, a.c.level).where(a.c.idx == body.award_index)
        ).one()
        cached = ctx.cache.get(("awards", body.learner))
        if cached is not None:
            cached[:] = [
                dataclasses.replace(x, revoked=True) if x.index == body.award_index else x
                for x in cached
            ]
        return _eligibility_change(ctx, body.learner, award.standard_id, award.level, index)


class EligibilityHandler:
    def __init__(self, eligible: bool) -> None:
        self.eligible = eligible

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        parse_body(EligibilityChanged, signed)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(EligibilityChanged, signed)
        store.write(
            ctx.conn,
            "INSERT INTO eligibility (learner, standard_id, level, eligible, changed_index) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (learner, standard_id, level) "
            "DO UPDATE SET eligible = excluded.eligible, changed_index = excluded.changed_index",
            (body.learner, body.standard_id, body.level, self.eligible, index),
        )
        ctx.cache[("elig", body.learner, body.standard_id, body.level)] = self.eligible
        record_learner_entry(ctx, body.learner, index, signed.kind)
        return []
