"""The demo's second half: from eligibility to money paid.

Eligible learners apply, the certifying body assesses and certifies them, the authority
pays rewards, providers claim their subsidy parts and the authority approves (one is
rejected) and pays them; finally one paid certificate is revoked, so its reward and
subsidy parts become clawbacks due. Everything goes through the ledger's own rules, and
every read through the domains' services.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from creditbank.bank import Bank
from creditbank.certificates import service as certificates
from creditbank.core.keys import KeyPair
from creditbank.core.statements.money import (
    reward_payment,
    subsidy_claim,
    subsidy_decision,
    subsidy_payment,
)
from creditbank.credits import service as credits
from creditbank.ledger import reads
from creditbank.ledger.actors import AUTHORITY
from creditbank.money import service as money
from creditbank.tooling.factories import append_all

CERTIFIER = "bj-skills-cert"
STANDARD, LEVEL = "data-annotator", 5


@dataclass(frozen=True)
class Certified:
    number: str
    learner: str
    issued_index: int


def certify(
    bank: Bank,
    keys: dict[str, KeyPair],
    advance: Callable[[int], None],
    rng: random.Random,
    console: Console,
) -> list[Certified]:
    """Applications, assessments (a few fail) and certificates for the eligible."""
    learners = credits.eligible_learners(bank.engine, STANDARD, LEVEL)
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
    resting = {
        who: certificates.certificate_awards(bank.engine, who, STANDARD, LEVEL, now)
        for who, _, _ in assessed
    }
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


def _parts(bank: Bank, status: money.PartStatus) -> list[tuple[int, str]]:
    """(entitlement index, provider) of the subsidy parts in ``status``, oldest first."""
    return [
        (p["entitlement_index"], p["provider"])
        for p in money.list_subsidies(bank.engine, status=status)
    ]


def pay_and_subsidize(
    bank: Bank, keys: dict[str, KeyPair], advance: Callable[[int], None], console: Console
) -> None:
    """Rewards paid; subsidy parts claimed, approved (one rejected) and mostly paid."""
    authority = keys[AUTHORITY]
    rewards = [r["index"] for r in money.list_rewards(bank.engine, status="granted")]
    advance(7)
    append_all(
        bank,
        [
            (reward_payment(AUTHORITY, idx, f"BJHRSS-R-2026-{n:06d}"), authority)
            for n, idx in enumerate(rewards, start=1)
        ],
    )
    advance(3)
    parts = _parts(bank, "open")
    append_all(
        bank,
        [
            (subsidy_claim(provider, entitlement), keys[provider])
            for entitlement, provider in parts
        ],
    )
    advance(6)
    decisions: list[tuple[dict[str, Any], KeyPair]] = []
    for n, (entitlement, provider) in enumerate(parts):
        reason = "attendance records for the trainee are incomplete" if n == 0 else None
        decisions.append(
            (subsidy_decision(AUTHORITY, entitlement, provider, reject_because=reason), authority)
        )
    append_all(bank, decisions)
    advance(5)
    approved = _parts(bank, "approved")
    paid = approved[: len(approved) * 9 // 10]  # the last tenth waits for the next payment run
    append_all(
        bank,
        [
            (
                subsidy_payment(AUTHORITY, entitlement, provider, f"BJHRSS-S-2026-{n:06d}"),
                authority,
            )
            for n, (entitlement, provider) in enumerate(paid, start=1)
        ],
    )
    console.print(
        f"rewards paid: {len(rewards)}; subsidy parts claimed: {len(parts)}, rejected: 1, "
        f"approved: {len(approved)}, paid: {len(paid)}"
    )


def _fully_paid(bank: Bank) -> set[str]:
    """Certificates whose reward is paid and whose subsidy, split between more than one
    provider, is paid in every part."""
    rewarded = {r["certificate_number"] for r in money.list_rewards(bank.engine, status="paid")}
    parts: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for part in money.list_subsidies(bank.engine):
        parts[part["entitlement_index"]].append(part)
    return {
        split[0]["certificate_number"]
        for split in parts.values()
        if len(split) > 1
        and all(p["status"] == "paid" for p in split)
        and split[0]["certificate_number"] in rewarded
    }


def revoke_one(
    bank: Bank, keys: dict[str, KeyPair], certified: list[Certified], console: Console
) -> Certified:
    """Revoke a certificate whose reward and subsidy were paid: both become clawbacks."""
    paid = _fully_paid(bank)
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
    table.add_column("entry kind", overflow="fold")
    table.add_column("count", justify="right", overflow="fold")
    for kind, count in sorted(kinds.items()):
        table.add_row(kind, str(count))
    console.print(table)
    return target
