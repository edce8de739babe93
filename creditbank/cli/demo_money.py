"""The demo's second half: from eligibility to money paid.

Eligible learners apply, the certifying body assesses and certifies them, the authority
pays rewards, providers claim their subsidy parts and the authority approves (one is
rejected) and pays them; finally one paid certificate is revoked, so its reward and
subsidy parts become clawbacks due. Everything goes through the ledger's own rules.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.table import Table

from creditbank.bank import Bank
from creditbank.certificates.handlers import resting_awards
from creditbank.cli.common import console
from creditbank.core.entry import sign_statement
from creditbank.core.errors import CreditBankError
from creditbank.core.keys import KeyPair
from creditbank.db import tables
from creditbank.ledger import reads, store
from creditbank.ledger.actors import AUTHORITY
from creditbank.ledger.sequencer import Appended

CERTIFIER = "bj-skills-cert"
STANDARD, LEVEL = "data-annotator", 5


@dataclass(frozen=True)
class Certified:
    number: str
    learner: str
    issued_index: int


def append_all(bank: Bank, statements: Sequence[tuple[dict[str, Any], KeyPair]]) -> list[Appended]:
    """Log signed statements in batches; any refusal is a bug in the demo's story."""
    done: list[Appended] = []
    for start in range(0, len(statements), 500):
        chunk = statements[start : start + 500]
        results = bank.ledger.append_many([sign_statement(s, k) for s, k in chunk])
        for result in results:
            if isinstance(result, CreditBankError):
                raise result
            done.append(result)
    return done


def _eligible(bank: Bank) -> list[str]:
    e = tables.eligibility
    with bank.engine.connect() as conn:
        rows = conn.execute(
            e.select()
            .where(e.c.standard_id == STANDARD, e.c.level == LEVEL, e.c.eligible.is_(True))
            .order_by(e.c.learner)
        ).all()
    return [r.learner for r in rows]


def certify(
    bank: Bank, keys: dict[str, KeyPair], advance: Callable[[int], None], rng: random.Random
) -> list[Certified]:
    """Applications, assessments (a few fail) and certificates for the eligible."""
    learners = _eligible(bank)
    futures = [
        bank.ledger.submit_operator(
            "certificate.applied",
            f"application/{learner}/{STANDARD}/{LEVEL}",
            {"learner": learner, "standard_id": STANDARD, "level": LEVEL},
        )
        for learner in learners
    ]
    applications = {
        learner: f.result(timeout=120).index for learner, f in zip(learners, futures, strict=True)
    }
    advance(7)
    assessed: list[tuple[str, int, int]] = []
    statements: list[tuple[dict[str, Any], KeyPair]] = []
    for learner, application in applications.items():
        passed = rng.random() >= 0.06
        score = rng.randrange(72, 99) if passed else rng.randrange(35, 60)
        statements.append(
            (
                {
                    "kind": "assessment.recorded",
                    "actor": CERTIFIER,
                    "id": f"assessment/{application}",
                    "body": {
                        "application_index": application,
                        "result": "passed" if passed else "failed",
                        "score": score,
                    },
                },
                keys[CERTIFIER],
            )
        )
        if passed:
            assessed.append((learner, application, score))
    append_all(bank, statements)
    advance(3)
    statements = []
    numbers: list[tuple[str, str]] = []
    now = bank.ledger.clock()
    with bank.engine.connect() as conn:
        resting = {who: resting_awards(conn, who, STANDARD, LEVEL, now) for who, _, _ in assessed}
    for n, (learner, application, score) in enumerate(assessed, start=1):
        number = f"BJ-DAN5-2026-{n:06d}"
        numbers.append((number, learner))
        statements.append(
            (
                {
                    "kind": "certificate.issued",
                    "actor": CERTIFIER,
                    "id": f"certificate/{number}",
                    "body": {
                        "certificate_number": number,
                        "learner": learner,
                        "standard_id": STANDARD,
                        "level": LEVEL,
                        "application_index": application,
                        "awards": resting[learner],
                        "assessment": {"result": "passed", "score": score},
                    },
                },
                keys[CERTIFIER],
            )
        )
    issued = append_all(bank, statements)
    console.print(
        f"{len(applications)} eligible learners applied; {len(assessed)} passed the "
        f"assessment and were certified, {len(applications) - len(assessed)} failed it"
    )
    return [
        Certified(number, learner, a.index)
        for (number, learner), a in zip(numbers, issued, strict=True)
    ]


def _rows(bank: Bank, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
    with bank.engine.connect() as conn:
        return store.query(conn, sql, params)


def pay_and_subsidize(bank: Bank, keys: dict[str, KeyPair], advance: Callable[[int], None]) -> None:
    """Rewards paid; subsidy parts claimed, approved (one rejected) and mostly paid."""
    authority = keys[AUTHORITY]
    rewards = _rows(bank, "SELECT idx FROM rewards WHERE status = 'granted' ORDER BY idx")
    advance(7)
    append_all(
        bank,
        [
            (
                {
                    "kind": "reward.paid",
                    "actor": AUTHORITY,
                    "id": f"reward-payment/{idx}",
                    "body": {"reward_index": idx, "payment_reference": f"BJHRSS-R-2026-{n:06d}"},
                },
                authority,
            )
            for n, (idx,) in enumerate(rewards, start=1)
        ],
    )
    advance(3)
    parts = _rows(
        bank,
        "SELECT entitlement_index, provider FROM subsidy_parts WHERE status = 'open' "
        "ORDER BY entitlement_index, provider",
    )
    append_all(
        bank,
        [
            (
                {
                    "kind": "subsidy.claimed",
                    "actor": provider,
                    "id": f"subsidy-claim/{entitlement}",
                    "body": {"entitlement_index": entitlement},
                },
                keys[provider],
            )
            for entitlement, provider in parts
        ],
    )
    advance(6)
    decisions: list[tuple[dict[str, Any], KeyPair]] = []
    for n, (entitlement, provider) in enumerate(parts):
        ref = {"entitlement_index": entitlement, "provider": provider}
        if n == 0:
            decisions.append(
                (
                    {
                        "kind": "subsidy.rejected",
                        "actor": AUTHORITY,
                        "id": f"subsidy-decision/{entitlement}/{provider}",
                        "body": {
                            **ref,
                            "reason": "attendance records for the trainee are incomplete",
                        },
                    },
                    authority,
                )
            )
        else:
            decisions.append(
                (
                    {
                        "kind": "subsidy.approved",
                        "actor": AUTHORITY,
                        "id": f"subsidy-decision/{entitlement}/{provider}",
                        "body": ref,
                    },
                    authority,
                )
            )
    append_all(bank, decisions)
    advance(5)
    approved = _rows(
        bank,
        "SELECT entitlement_index, provider FROM subsidy_parts WHERE status = 'approved' "
        "ORDER BY entitlement_index, provider",
    )
    paid = approved[: len(approved) * 9 // 10]  # the last tenth waits for the next payment run
    append_all(
        bank,
        [
            (
                {
                    "kind": "subsidy.paid",
                    "actor": AUTHORITY,
                    "id": f"subsidy-payment/{entitlement}/{provider}",
                    "body": {
                        "entitlement_index": entitlement,
                        "provider": provider,
                        "payment_reference": f"BJHRSS-S-2026-{n:06d}",
                    },
                },
                authority,
            )
            for n, (entitlement, provider) in enumerate(paid, start=1)
        ],
    )
    console.print(
        f"rewards paid: {len(rewards)}; subsidy parts claimed: {len(parts)}, rejected: 1, "
        f"approved: {len(approved)}, paid: {len(paid)}"
    )


def revoke_one(bank: Bank, keys: dict[str, KeyPair], certified: list[Certified]) -> Certified:
    """Revoke a certificate whose reward and subsidy were paid: both become clawbacks."""
    paid = {
        str(r[0])
        for r in _rows(
            bank,
            "SELECT r.certificate_number FROM rewards r JOIN subsidies s "
            "ON s.certificate_number = r.certificate_number WHERE r.status = 'paid' "
            "AND NOT EXISTS (SELECT 1 FROM subsidy_parts p WHERE p.entitlement_index = s.idx "
            "AND p.status <> 'paid') "
            "AND (SELECT COUNT(*) FROM subsidy_parts p WHERE p.entitlement_index = s.idx) > 1",
        )
    }
    target = next(c for c in certified if c.number in paid)
    done = append_all(
        bank,
        [
            (
                {
                    "kind": "certificate.revoked",
                    "actor": CERTIFIER,
                    "id": f"revocation/{target.number}",
                    "body": {
                        "certificate_number": target.number,
                        "reason": "the practical assessment was taken by another person",
                    },
                },
                keys[CERTIFIER],
            )
        ],
    )
    kinds = Counter(reads.entry_view(bank.engine, i)["entry"]["kind"] for i in done[0].derived)
    table = Table(title=f"certificate {target.number} revoked: what the log derived")
    table.add_column("entry kind")
    table.add_column("count", justify="right")
    for kind, count in sorted(kinds.items()):
        table.add_row(kind, str(count))
    console.print(table)
    return target
