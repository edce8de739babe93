"""Recognition of peer banks' records: the ledger handlers around the pure rules
(:mod:`creditbank.core.rules.recognition`).

- ``recognition.agreed`` / ``recognition.ended`` (the authority): an agreement with a
  peer bank, and its end.
- ``recognition.requested`` (the operator, for a signed-in learner): checked offline
  against the agreement's keys and quorum; the rules derive ``certificate.recognized`` or
  one ``credit.recognized`` per award, each followed by the eligibility it changes.
- ``recognition.rechecked`` (the operator, the re-check command or its periodic task): a
  fresh peer bundle; a peer revocation derives ``recognition.revoked``, which undoes the
  recognition's effects (the prerequisite, the credits, the eligibility they gave).

A recognised certificate is not a ``certificate.issued``: no reward or subsidy follows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from creditbank.access.store import account_status, record_learner_entry
from creditbank.catalogue.store import newest_standard
from creditbank.core.bodies import parse_body
from creditbank.core.entry import LOG_ACTOR, Derivation, SignedStatement, format_time
from creditbank.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from creditbank.core.rules import recognition as rules
from creditbank.core.rules.credits import format_credits
from creditbank.core.standards.model import parse_credits
from creditbank.core.statements.federation import (
    CertificateRecognized,
    CreditRecognized,
    RecognitionAgreed,
    RecognitionEnded,
    RecognitionRechecked,
    RecognitionRequested,
    RecognitionRevoked,
)
from creditbank.credits.handlers import eligibility_change
from creditbank.federation import store
from creditbank.ledger.kinds import BatchContext, require_authority

_FIELD = "statement.body"


def _require_operator(signed: SignedStatement) -> None:
    if signed.actor != LOG_ACTOR:
        raise Forbidden(
            f"{signed.kind} comes through the API, which logs it as the operator",
            field="statement.actor",
        )


class RecognitionAgreedHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        require_authority(ctx, signed)
        body = parse_body(RecognitionAgreed, signed)
        rules.check_agreement(body)
        if store.agreement(ctx.conn, body.agreement_id) is not None:
            raise Conflict(
                f"agreement {body.agreement_id} exists already", field=f"{_FIELD}.agreement_id"
            )

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        found = rules.check_agreement(parse_body(RecognitionAgreed, signed))
        store.insert_agreement(ctx, found, index)
        return []


class RecognitionEndedHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        require_authority(ctx, signed)
        body = parse_body(RecognitionEnded, signed)
        found = store.agreement(ctx.conn, body.agreement_id)
        if found is None:
            raise NotFound(f"no agreement {body.agreement_id}", field=f"{_FIELD}.agreement_id")
        if found.ended:
            raise Conflict(
                f"agreement {body.agreement_id} has ended already", field=f"{_FIELD}.agreement_id"
            )

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        store.end_agreement(ctx, parse_body(RecognitionEnded, signed).agreement_id, index)
        return []


@dataclass(frozen=True)
class _Decision:
    """What a request is recognised as: the derivations' bodies (without request_index)."""

    kind: str
    bodies: tuple[dict[str, object], ...]


def _decide(ctx: BatchContext, signed: SignedStatement) -> _Decision:
    """Check a ``recognition.requested`` at ``ctx.now`` and decide what it recognises
    (kept on the statement: ``check`` and ``apply`` ask the same)."""
    cached: _Decision | None = signed.__dict__.get("_recognition")
    if cached is not None:
        return cached
    body = parse_body(RecognitionRequested, signed)
    status = account_status(ctx, body.learner)
    if status != "open":
        raise RuleViolation(
            f"learner account {body.learner} is not open", field=f"{_FIELD}.learner"
        )
    agreement = store.agreement(ctx.conn, body.agreement_id)
    if agreement is None:
        raise NotFound(f"no agreement {body.agreement_id}", field=f"{_FIELD}.agreement_id")
    if not agreement.in_force(ctx.now):
        raise RuleViolation(
            f"agreement {body.agreement_id} is not in force", field=f"{_FIELD}.agreement_id"
        )
    link = rules.check_link_code(
        body.link_code,
        agreement,
        home_origin=body.home_origin,
        home_account=body.learner,
        now=ctx.now,
    )
    if body.record == "certificate":
        decision = _certificate(ctx, body, agreement, link)
    else:
        decision = _credits(ctx, body, agreement, link)
    signed.__dict__["_recognition"] = decision
    return decision


def _mapped(
    ctx: BatchContext, agreement: rules.Agreement, standard_id: str, level: int
) -> tuple[str, int]:
    mapped = agreement.maps(standard_id, level)
    if mapped is None:
        raise RuleViolation(
            f"agreement {agreement.agreement_id} does not recognise {standard_id} level {level}",
            field=f"{_FIELD}.bundle",
        )
    standard = newest_standard(ctx, mapped[0])
    if standard is None or standard.level(mapped[1]) is None:
        raise RuleViolation(
            f"{mapped[0]} level {mapped[1]} is not a published standard level here",
            field=f"{_FIELD}.bundle",
        )
    return mapped


def _certificate(
    ctx: BatchContext,
    body: RecognitionRequested,
    agreement: rules.Agreement,
    link: rules.LinkCode,
) -> _Decision:
    field = f"{_FIELD}.certificate_number"
    if body.certificate_number is None:
        raise RuleViolation("a certificate recognition names the certificate", field=field)
    cert = rules.peer_certificate(body.bundle, body.certificate_number, agreement)
    if cert.revoked:
        raise RuleViolation(
            f"the peer revoked certificate {cert.number}: it cannot be recognised", field=field
        )
    if cert.learner != link.peer_account:
        raise RuleViolation(
            "the certificate is not the link code's peer account's", field=f"{_FIELD}.link_code"
        )
    if store.peer_ref_taken(ctx.conn, agreement.origin, cert.number):
        raise Conflict(f"certificate {cert.number} is recognised already", field=field)
    standard_id, level = _mapped(ctx, agreement, cert.standard_id, cert.level)
    return _Decision(
        "certificate.recognized",
        (
            {
                "learner": body.learner,
                "agreement_id": agreement.agreement_id,
                "peer_origin": agreement.origin,
                "peer_learner": cert.learner,
                "peer_certificate_number": cert.number,
                "peer_standard_id": cert.standard_id,
                "peer_level": cert.level,
                "standard_id": standard_id,
                "level": level,
            },
        ),
    )


def _credits(
    ctx: BatchContext,
    body: RecognitionRequested,
    agreement: rules.Agreement,
    link: rules.LinkCode,
) -> _Decision:
    field = f"{_FIELD}.award_indexes"
    if not body.award_indexes or len(set(body.award_indexes)) != len(body.award_indexes):
        raise RuleViolation("a credit recognition names distinct peer award indexes", field=field)
    found = []
    for award in rules.peer_awards(body.bundle, body.award_indexes, agreement):
        if award.learner != link.peer_account:
            raise RuleViolation(
                f"peer award {award.index} is not the link code's peer account's", field=field
            )
        if award.revoked or not ctx.now < award.expires_at:
            raise RuleViolation(f"peer award {award.index} is revoked or expired", field=field)
        if store.peer_ref_taken(ctx.conn, agreement.origin, f"award-{award.index}"):
            raise Conflict(f"peer award {award.index} is recognised already", field=field)
        standard_id, level = _mapped(ctx, agreement, award.standard_id, award.level)
        found.append(
            {
                "learner": body.learner,
                "agreement_id": agreement.agreement_id,
                "peer_origin": agreement.origin,
                "peer_learner": award.learner,
                "peer_award_index": award.index,
                "standard_id": standard_id,
                "level": level,
                "unit_code": award.unit_code,
                "credits": format_credits(award.credits_tenths),
                "mode": award.mode,
                "expires_at": format_time(award.expires_at),
            }
        )
    return _Decision("credit.recognized", tuple(found))


class RecognitionRequestedHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        _require_operator(signed)
        _decide(ctx, signed)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        decision = _decide(ctx, signed)
        record_learner_entry(ctx, str(signed.body["learner"]), index, signed.kind)
        return [
            Derivation(decision.kind, {**b, "request_index": index}, (index,))
            for b in decision.bodies
        ]


def _higher(level: int) -> int | None:
    """The next level up (level 1 is the highest)."""
    return level - 1 if level > 1 else None


class CertificateRecognizedHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        parse_body(CertificateRecognized, signed)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(CertificateRecognized, signed)
        store.insert_recognition(
            ctx,
            index,
            learner=body.learner,
            record="certificate",
            agreement_id=body.agreement_id,
            peer_origin=body.peer_origin,
            peer_ref=body.peer_certificate_number,
            standard_id=body.standard_id,
            level=body.level,
            request_index=body.request_index,
        )
        record_learner_entry(ctx, body.learner, index, signed.kind)
        # the prerequisite of the next level up is met now
        up = _higher(body.level)
        return (
            [] if up is None else eligibility_change(ctx, body.learner, body.standard_id, up, index)
        )


class CreditRecognizedHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        parse_body(CreditRecognized, signed)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(CreditRecognized, signed)
        store.insert_recognition(
            ctx,
            index,
            learner=body.learner,
            record="credits",
            agreement_id=body.agreement_id,
            peer_origin=body.peer_origin,
            peer_ref=f"award-{body.peer_award_index}",
            standard_id=body.standard_id,
            level=body.level,
            request_index=body.request_index,
            unit_code=body.unit_code,
            credits_tenths=parse_credits(body.credits),
            expires_at=body.expires_at,
        )
        record_learner_entry(ctx, body.learner, index, signed.kind)
        return eligibility_change(ctx, body.learner, body.standard_id, body.level, index)


def _recheck(ctx: BatchContext, signed: SignedStatement) -> tuple[store.RecognitionRow, str | None]:
    """The recognition re-checked, and why the peer's fresh bundle revokes it (None: it
    still stands)."""
    body = parse_body(RecognitionRechecked, signed)
    field = f"{_FIELD}.recognition_index"
    row = store.recognition(ctx.conn, body.recognition_index)
    if row is None:
        raise NotFound(f"no recognition at {body.recognition_index}", field=field)
    if row.revoked_index is not None:
        raise Conflict(f"recognition {row.idx} is revoked already", field=field)
    agreement = store.agreement(ctx.conn, row.agreement_id)
    if agreement is None:  # an agreement is never removed
        raise NotFound(f"no agreement {row.agreement_id}", field=field)
    if row.record == "certificate":
        cert = rules.peer_certificate(body.bundle, row.peer_ref, agreement)
        return row, ("the peer revoked the certificate" if cert.revoked else None)
    award_index = int(row.peer_ref.removeprefix("award-"))
    [award] = rules.peer_awards(body.bundle, [award_index], agreement)
    return row, ("the peer revoked the award" if award.revoked else None)


class RecognitionRecheckedHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        _require_operator(signed)
        _recheck(ctx, signed)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        row, revoked = _recheck(ctx, signed)
        record_learner_entry(ctx, row.learner, index, signed.kind)
        if revoked is None:
            return []
        return [
            Derivation(
                "recognition.revoked",
                {"learner": row.learner, "recognition_index": row.idx, "reason": revoked},
                (index, row.idx),
            )
        ]


class RecognitionRevokedHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        parse_body(RecognitionRevoked, signed)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(RecognitionRevoked, signed)
        row = store.recognition(ctx.conn, body.recognition_index)
        if row is None:
            raise RuleViolation(f"no recognition at {body.recognition_index}", field=_FIELD)
        store.revoke_recognition(ctx, row.idx, index)
        record_learner_entry(ctx, row.learner, index, signed.kind)
        # what it gave is undone: the prerequisite (certificate) or the credits
        level = _higher(row.level) if row.record == "certificate" else row.level
        if level is None:
            return []
        return eligibility_change(ctx, row.learner, row.standard_id, level, index)
