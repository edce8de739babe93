"""Completions in, credits out: the ledger handlers around the pure rules.

- ``completion.recorded`` (provider): checked (course and its recognition at
  completed_at, learner account, time, score) and decided at its integration time; an
  award follows as ``credit.awarded`` (derived, by the log).
- ``completion.retracted`` (provider, its own completions): the award, if any, is revoked
  by ``credit.revoked`` (derived).
- After every award or revocation the learner's eligibility for that standard's level is
  recomputed; a change is logged as ``eligibility.reached`` or ``eligibility.lost``.

Each handler reads its facts through the domain stores (``credits.store``,
``catalogue.store``, ``access.store``), decides with ``creditbank.core.rules.credits``,
and writes what was decided through ``credits.store``.
"""

from __future__ import annotations

from creditbank.access.store import account_status, prefetch_statuses, record_learner_entry
from creditbank.catalogue.store import course_facts, newest_standard
from creditbank.certificates.store import has_active_certificate
from creditbank.core.accounts import check_account_number
from creditbank.core.bodies import parse_body
from creditbank.core.entry import Derivation, SignedStatement, format_time, parse_time
from creditbank.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from creditbank.core.rules import credits as rules
from creditbank.core.standards.model import parse_credits
from creditbank.core.statements.credits import (
    CompletionRecorded,
    CompletionRetracted,
    CreditAwarded,
    CreditRevoked,
    EligibilityChanged,
)
from creditbank.credits import store
from creditbank.ledger.kinds import BatchContext


def _course(ctx: BatchContext, provider: str, body: CompletionRecorded) -> rules.CourseTerms:
    """The course's terms at completed_at, or the refusal naming the field."""
    facts = course_facts(ctx, provider, body.course_id)
    if facts is None:
        raise NotFound(
            f"{provider} has no course {body.course_id}", field="statement.body.course_id"
        )
    terms = rules.course_terms_at(
        provider,
        facts.course_id,
        (facts.standard_id, facts.level, facts.unit_code),
        facts.mode,  # type: ignore[arg-type]  # a registered course's mode is one of Mode
        facts.min_score,
        facts.recognitions,
        facts.unit_max_tenths,
        facts.validity_years,
        parse_time(body.completed_at, field="statement.body.completed_at"),
    )
    if terms is None:
        raise RuleViolation(
            f"course {body.course_id} was not recognized at {body.completed_at}",
            field="statement.body.completed_at",
        )
    return terms


def _eligibility_change(
    ctx: BatchContext, learner: str, standard_id: str, level_no: int, source: int
) -> list[Derivation]:
    """Recompute eligibility for one level at ``now``; a change is a decision to log."""
    standard = newest_standard(ctx, standard_id)
    level = None if standard is None else standard.level(level_no)
    if level is None:
        return []
    eligible_now = store.batch_progress(ctx, learner, standard_id, level).eligible
    was = store.was_eligible(ctx, (learner, standard_id, level_no))
    kind = rules.eligibility_change(
        eligible_now=eligible_now,
        was_eligible=was,
        certified_at_level=was
        and not eligible_now
        and has_active_certificate(ctx.conn, learner, standard_id, level_no),
    )
    if kind is None:
        return []
    return [
        Derivation(
            kind, {"learner": learner, "standard_id": standard_id, "level": level_no}, (source,)
        )
    ]


def eligibility_change(
    ctx: BatchContext, learner: str, standard_id: str, level_no: int, source: int
) -> list[Derivation]:
    """The eligibility decision for one level at ``now``, if it changed: what a record
    recognised from a peer bank (or its revocation) triggers too."""
    store.forget_peer_credits(ctx, learner)  # its recognitions have just changed
    return _eligibility_change(ctx, learner, standard_id, level_no, source)


class CompletionRecordedHandler:
    def prepare(self, ctx: BatchContext, statements: list[SignedStatement]) -> None:
        """One query each for the awards, the account status, the eligibility rows and the
        peer-recognised credits of every learner the batch's completions name."""
        learners = {
            str(s.body["learner"]) for s in statements if isinstance(s.body.get("learner"), str)
        }
        store.prefetch(ctx, learners)
        prefetch_statuses(ctx, learners)

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        body = parse_body(CompletionRecorded, signed)
        actor = ctx.actor(signed.actor)
        if actor is None or actor.role != "provider" or actor.status != "active":
            raise Forbidden("only accredited providers post completions", field="statement.actor")
        check_account_number(body.learner, field="statement.body.learner")
        rules.check_learner_and_time(
            learner=body.learner,
            account_status=account_status(ctx, body.learner),
            completed_at=parse_time(body.completed_at, field="statement.body.completed_at"),
            now=ctx.now,
        )
        course = _course(ctx, signed.actor, body)
        rules.check_result(course, score=body.score, passed_flag=body.passed)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(CompletionRecorded, signed)
        course = _course(ctx, signed.actor, body)
        completed_at = parse_time(body.completed_at, field="completed_at")
        is_passed = rules.passed(course.min_score, body.score, body.passed)
        outcome = rules.decide(
            course,
            completed_at=completed_at,
            is_passed=is_passed,
            now=ctx.now,
            awards=store.awards_of(ctx, body.learner),
        )
        completed = format_time(completed_at)
        store.insert_completion(
            ctx,
            index,
            signed.actor,
            signed.idem_key,
            body.learner,
            body.course_id,
            completed,
            body.score,
            is_passed,
            "awarded" if outcome.awarded else str(outcome.reason),
        )
        record_learner_entry(ctx, body.learner, index, signed.kind)
        if not outcome.awarded:
            return []
        award = rules.award_body(body.learner, course, outcome, index, completed)
        return [Derivation("credit.awarded", award, (index,))]


class CreditAwardedHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        parse_body(CreditAwarded, signed)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(CreditAwarded, signed)
        award = rules.Award(
            index,
            body.provider,
            body.course_id,
            (body.standard_id, body.level, body.unit_code),
            parse_credits(body.credits),
            body.mode,  # type: ignore[arg-type]  # checked when it was derived
            parse_time(body.expires_at, field="expires_at"),
        )
        store.insert_award(
            ctx,
            index,
            body.learner,
            award,
            {
                "completion_index": body.completion_index,
                "completed_at": body.completed_at,
                "expires_at": body.expires_at,
            },
        )
        record_learner_entry(ctx, body.learner, index, signed.kind)
        return _eligibility_change(ctx, body.learner, body.standard_id, body.level, index)


class CompletionRetractedHandler:
    def _completion(
        self, ctx: BatchContext, signed: SignedStatement
    ) -> tuple[CompletionRetracted, store.CompletionRow]:
        body = parse_body(CompletionRetracted, signed)
        row = store.completion(ctx, body.completion_index)
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
        learner = row.learner
        store.mark_retracted(ctx, body.completion_index, index)
        record_learner_entry(ctx, learner, index, signed.kind)
        award = store.award_of_completion(ctx, body.completion_index)
        if award is None or award[1]:
            return []
        award_index = award[0]
        return [
            Derivation(
                "credit.revoked",
                {
                    "learner": learner,
                    "award_index": award_index,
                    "completion_index": body.completion_index,
                    "reason": body.reason,
                },
                (index, award_index),
            )
        ]


class CreditRevokedHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        parse_body(CreditRevoked, signed)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(CreditRevoked, signed)
        standard_id, level = store.revoke_award(ctx, body.learner, body.award_index, index)
        record_learner_entry(ctx, body.learner, index, signed.kind)
        return _eligibility_change(ctx, body.learner, standard_id, level, index)


class EligibilityHandler:
    def __init__(self, eligible: bool) -> None:
        self.eligible = eligible

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        parse_body(EligibilityChanged, signed)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(EligibilityChanged, signed)
        store.set_eligibility(
            ctx, (body.learner, body.standard_id, body.level), self.eligible, index
        )
        record_learner_entry(ctx, body.learner, index, signed.kind)
        return []
