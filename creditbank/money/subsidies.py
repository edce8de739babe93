"""Enterprise subsidies (rules.md: Enterprise subsidies), as ledger entries.

- On ``certificate.issued`` the log derives ``subsidy.entitled``: the program's amount per
  certified trainee split among the providers whose awards the certificate rests on, by
  credits (``rules.split_subsidy``), at most the program's number per trainee per year (a
  subsidy whose parts were all cancelled no longer counts). Each provider's part is an
  entitlement, claimable until ``claim_until`` (issuance plus the claim window).
- ``subsidy.claimed`` (the provider, its own part, within the window), then
  ``subsidy.approved`` (authority; only if the year's subsidy budget still covers it) or
  ``subsidy.rejected`` (authority, with a reason), then ``subsidy.paid`` (authority, with a
  payment reference).
- On ``certificate.revoked``: open, claimed and approved parts are cancelled
  (``subsidy.cancelled``); paid ones become ``subsidy.clawback_due`` (still counted
  against the budget). Rejected parts stay rejected.

An entitlement is named by the index of its ``subsidy.entitled`` entry and the provider.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, StrictInt, StrictStr

from creditbank.access.store import record_learner_entry
from creditbank.core.bodies import Body, parse_body
from creditbank.core.entry import Derivation, SignedStatement, format_time, parse_time
from creditbank.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from creditbank.core.rules import money as rules
from creditbank.core.standards.model import parse_credits
from creditbank.core.standards.program import Program
from creditbank.ledger import store
from creditbank.ledger.kinds import BatchContext, require_authority
from creditbank.money import programs
from creditbank.money.rewards import PaymentReference


class Part(Body):
    provider: str
    credits: StrictStr
    amount_fen: StrictInt


class SubsidyEntitled(Body):
    learner: str
    certificate_number: str
    program_id: str
    year: StrictInt
    amount_fen: StrictInt
    claim_until: str
    parts: list[Part]
    derived_from: list[StrictInt]


class PartEnded(Body):
    """``subsidy.cancelled`` / ``subsidy.clawback_due``: one provider's part."""

    entitlement_index: StrictInt
    provider: str
    learner: str
    amount_fen: StrictInt
    derived_from: list[StrictInt]


class PartRef(Body):
    entitlement_index: StrictInt = Field(ge=0)


class PartDecision(Body):
    entitlement_index: StrictInt = Field(ge=0)
    provider: str = Field(min_length=1, max_length=64)


class PartRejected(PartDecision):
    reason: str = Field(min_length=1, max_length=500)


class PartPaid(PartDecision):
    payment_reference: StrictStr = PaymentReference


def _tenths(value: int) -> str:
    return f"{value // 10}.{value % 10}"


def subsidy_on_issue(
    ctx: BatchContext, index: int, learner: str, number: str, awards: list[int], found: Program
) -> list[Derivation]:
    """The subsidy a new certificate generates, split among its awards' providers."""
    if found.subsidy_per_trainee_fen == 0 or not awards:
        return []
    counted = store.query(
        ctx.conn,
        "SELECT COUNT(*) FROM subsidies s WHERE s.learner = ? AND s.year = ? AND EXISTS "
        "(SELECT 1 FROM subsidy_parts p WHERE p.entitlement_index = s.idx "
        "AND p.status <> 'cancelled')",
        (learner, found.year),
    )[0][0]
    if int(counted) >= found.subsidies_per_trainee_per_year:
        return []
    marks = ",".join("?" * len(awards))
    credits = {
        str(provider): int(tenths)
        for provider, tenths in store.query(
            ctx.conn,
            f"SELECT provider, SUM(credits_tenths) FROM awards WHERE idx IN ({marks}) "  # noqa: S608  (placeholders only)
            "GROUP BY provider",
            awards,
        )
    }
    split = rules.split_subsidy(found.subsidy_per_trainee_fen, credits)
    deadline = rules.claim_deadline(ctx.now, found.subsidy_claim_window_days)
    return [
        Derivation(
            "subsidy.entitled",
            {
                "learner": learner,
                "certificate_number": number,
                "program_id": found.id,
                "year": found.year,
                "amount_fen": found.subsidy_per_trainee_fen,
                "claim_until": format_time(deadline),
                "parts": [
                    {"provider": p, "credits": _tenths(credits[p]), "amount_fen": amount}
                    for p, amount in split.items()
                ],
            },
            (index,),
        )
    ]


def subsidy_on_revoke(ctx: BatchContext, index: int, number: str) -> list[Derivation]:
    """Cancel the certificate's unpaid parts; paid parts become clawbacks due."""
    # Sorted here, by code point: an SQL ORDER BY on text follows the database's
    # collation (a linguistic PostgreSQL locale ignores '-'), and the audit's SQLite replay
    # must derive these entries in the same order.
    rows = sorted(
        store.query(
            ctx.conn,
            "SELECT p.entitlement_index, p.provider, p.status, p.amount_fen, s.learner "
            "FROM subsidy_parts p JOIN subsidies s ON s.idx = p.entitlement_index "
            "WHERE s.certificate_number = ?",
            (number,),
        ),
        key=lambda r: (int(r[0]), str(r[1])),
    )
    out: list[Derivation] = []
    for entitlement, provider, status, amount, learner in rows:
        if status in ("open", "claimed", "approved"):
            kind = "subsidy.cancelled"
        elif status == "paid":
            kind = "subsidy.clawback_due"
        else:
            continue
        body = {
            "entitlement_index": int(entitlement),
            "provider": str(provider),
            "learner": str(learner),
            "amount_fen": int(amount),
        }
        out.append(Derivation(kind, body, (index, int(entitlement))))
    return out


def _part(ctx: BatchContext, entitlement: int, provider: str) -> tuple[str, int, str] | None:
    rows = store.query(
        ctx.conn,
        "SELECT status, amount_fen, program_id FROM subsidy_parts "
        "WHERE entitlement_index = ? AND provider = ?",
        (entitlement, provider),
    )
    if not rows:
        return None
    return str(rows[0][0]), int(rows[0][1]), str(rows[0][2])


def _entitlement(ctx: BatchContext, entitlement: int) -> tuple[str, datetime]:
    rows = store.query(
        ctx.conn, "SELECT learner, claim_until FROM subsidies WHERE idx = ?", (entitlement,)
    )
    if not rows:
        raise NotFound(
            f"no subsidy entitlement {entitlement}", field="statement.body.entitlement_index"
        )
    return str(rows[0][0]), parse_time(str(rows[0][1]), field="claim_until")


def _require_part(
    ctx: BatchContext, entitlement: int, provider: str, status: str, action: str
) -> tuple[str, int, str]:
    _entitlement(ctx, entitlement)
    part = _part(ctx, entitlement, provider)
    if part is None:
        raise NotFound(
            f"{provider} has no part in subsidy entitlement {entitlement}",
            field="statement.body.provider",
        )
    if part[0] != status:
        raise Conflict(
            f"{provider}'s part of entitlement {entitlement} is {part[0]}; "
            f"only a {status} part is {action}",
            field="statement.body.entitlement_index",
        )
    return part


def _set(ctx: BatchContext, entitlement: int, provider: str, sql_set: str, *values: object) -> None:
    """Update one part. Claims, decisions and payments are the provider's and the
    authority's business: they are not entries of the learner's history."""
    store.write(
        ctx.conn,
        f"UPDATE subsidy_parts SET {sql_set} WHERE entitlement_index = ? AND provider = ?",  # noqa: S608  (constants only)
        (*values, entitlement, provider),
    )


class SubsidyEntitledHandler:
    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        parse_body(SubsidyEntitled, signed)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(SubsidyEntitled, signed)
        store.write(
            ctx.conn,
            "INSERT INTO subsidies (idx, learner, certificate_number, program_id, year, "
            "amount_fen, issued_at, claim_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                index,
                body.learner,
                body.certificate_number,
                body.program_id,
                body.year,
                body.amount_fen,
                ctx.integrated_at,
                body.claim_until,
            ),
        )
        for part in body.parts:
            store.write(
                ctx.conn,
                "INSERT INTO subsidy_parts (entitlement_index, provider, program_id, "
                "credits_tenths, amount_fen, status) VALUES (?, ?, ?, ?, ?, 'open')",
                (
                    index,
                    part.provider,
                    body.program_id,
                    parse_credits(part.credits),
                    part.amount_fen,
                ),
            )
        record_learner_entry(ctx, body.learner, index, signed.kind)
        return []


class PartEndedHandler:
    """``subsidy.cancelled`` and ``subsidy.clawback_due`` (derived)."""

    def __init__(self, status: str) -> None:
        self.status = status

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        parse_body(PartEnded, signed)

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(PartEnded, signed)
        _set(
            ctx,
            body.entitlement_index,
            body.provider,
            "status = ?, cancelled_index = ?",
            self.status,
            index,
        )
        record_learner_entry(ctx, body.learner, index, signed.kind)
        return []


class SubsidyClaimedHandler:
    """``subsidy.claimed``: a provider claims its own part, within the claim window."""

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        body = parse_body(PartRef, signed)
        actor = ctx.actor(signed.actor)
        if actor is None or actor.role != "provider":
            raise Forbidden("only providers claim subsidies", field="statement.actor")
        _, deadline = _entitlement(ctx, body.entitlement_index)
        part = _part(ctx, body.entitlement_index, signed.actor)
        if part is None:
            raise Forbidden(
                f"{signed.actor} has no part in subsidy entitlement {body.entitlement_index}",
                field="statement.body.entitlement_index",
            )
        if part[0] != "open":
            raise Conflict(
                f"{signed.actor}'s part of entitlement {body.entitlement_index} is {part[0]}",
                field="statement.body.entitlement_index",
            )
        if not rules.may_claim(ctx.now, deadline):
            raise RuleViolation(
                f"the claim window closed at {format_time(deadline)}",
                field="statement.body.entitlement_index",
            )

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(PartRef, signed)
        _set(
            ctx,
            body.entitlement_index,
            signed.actor,
            "status = 'claimed', claimed_index = ?",
            index,
        )
        return []


class SubsidyApprovedHandler:
    """``subsidy.approved`` (authority): only while the year's budget still covers it."""

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        require_authority(ctx, signed)
        body = parse_body(PartDecision, signed)
        _, amount, program_id = _require_part(
            ctx, body.entitlement_index, body.provider, "claimed", "approved"
        )
        found = programs.program(ctx.conn, program_id)
        assert found is not None  # the entitlement was derived under it
        budget = programs.budget(ctx.conn, found, "subsidy")
        covered = programs.committed(ctx.conn, program_id, "subsidy")
        if not rules.fits_budget(budget, covered, amount):
            raise RuleViolation(
                f"the {found.id} subsidy budget has {budget - covered} fen left; "
                f"this part needs {amount} fen",
                field="statement.body.entitlement_index",
            )

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(PartDecision, signed)
        _set(
            ctx,
            body.entitlement_index,
            body.provider,
            "status = 'approved', decided_index = ?",
            index,
        )
        return []


class SubsidyRejectedHandler:
    """``subsidy.rejected`` (authority), with a reason."""

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        require_authority(ctx, signed)
        body = parse_body(PartRejected, signed)
        _require_part(ctx, body.entitlement_index, body.provider, "claimed", "rejected")

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(PartRejected, signed)
        _set(
            ctx,
            body.entitlement_index,
            body.provider,
            "status = 'rejected', decided_index = ?, reason = ?",
            index,
            body.reason,
        )
        return []


class SubsidyPaidHandler:
    """``subsidy.paid`` (authority): an approved part was paid."""

    def check(self, ctx: BatchContext, signed: SignedStatement) -> None:
        require_authority(ctx, signed)
        body = parse_body(PartPaid, signed)
        _require_part(ctx, body.entitlement_index, body.provider, "approved", "paid")

    def apply(self, ctx: BatchContext, index: int, signed: SignedStatement) -> list[Derivation]:
        body = parse_body(PartPaid, signed)
        _set(
            ctx,
            body.entitlement_index,
            body.provider,
            "status = 'paid', paid_index = ?, payment_reference = ?",
            index,
            body.payment_reference,
        )
        return []
