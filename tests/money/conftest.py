"""A world for money scenarios: three providers, courses for several standards and levels,
an accredited certifying body, and helpers to certify a learner, revoke, set budgets, pay
rewards and move subsidy parts through claim, approval, rejection and payment.

Built on the credits world (tests/credits/conftest.py): data-annotator level 5 courses of
prov-a, on SQLite and PostgreSQL; the catalogue publishes beijing-ai-2026 and -2027.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from creditbank.core.entry import sign_statement
from creditbank.core.keys import KeyPair
from creditbank.credits.store import learner_awards
from creditbank.db import tables
from creditbank.ledger import store
from creditbank.ledger.sequencer import Appended
from tests.credits.conftest import World, world  # noqa: F401  (the fixture, re-exported)
from tests.credits.test_certificates import apply, assess, certifier
from tests.factories import register

P2026 = "beijing-ai-2026"
P2027 = "beijing-ai-2027"
# Midnight 1 January 2027 in Asia/Shanghai (UTC+8).
NEW_YEAR_2027 = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
REWARD_BY_LEVEL = {5: 50000, 4: 100000, 3: 150000, 2: 200000, 1: 200000}
CAP = 200000
SUBSIDY = 600000
CLAIM_WINDOW = timedelta(days=180)

# Extra courses (all offline, credits set at recognition): course -> provider, standard,
# level, unit, credits. prov-a's data-annotator level 5 courses come from the credits world:
# clean-online (DAN-5-01, online, 3.0), label-offline (DAN-5-02, 4.0),
# speech-workplace (DAN-5-03, 3.0), clean-more (DAN-5-01, 2.0).
EXTRA_COURSES: dict[str, tuple[str, str, int, str, str]] = {
    "b-dan5-clean": ("prov-b", "data-annotator", 5, "DAN-5-01", "3.0"),
    "b-dan5-speech": ("prov-b", "data-annotator", 5, "DAN-5-03", "3.0"),
    "c-dan5-label": ("prov-c", "data-annotator", 5, "DAN-5-02", "3.0"),
    "c-dan5-speech": ("prov-c", "data-annotator", 5, "DAN-5-03", "1.3"),
    # data-annotator level 4: 12.0 required, DAN-4-01/02/04 required; no prerequisite
    "a-dan4-01": ("prov-a", "data-annotator", 4, "DAN-4-01", "5.0"),
    "a-dan4-02": ("prov-a", "data-annotator", 4, "DAN-4-02", "5.0"),
    "a-dan4-04": ("prov-a", "data-annotator", 4, "DAN-4-04", "2.0"),
    # ai-ethics-reviewer level 3: 20.0 required, AER-3-01/02/04 at least 2.0; no prerequisite
    "a-aer3-01": ("prov-a", "ai-ethics-reviewer", 3, "AER-3-01", "8.0"),
    "a-aer3-02": ("prov-a", "ai-ethics-reviewer", 3, "AER-3-02", "8.0"),
    "a-aer3-04": ("prov-a", "ai-ethics-reviewer", 3, "AER-3-04", "4.0"),
    # large-model-trainer level 4: 14.0 required, LMT-4-01/02 required; no prerequisite
    "a-lmt4-01": ("prov-a", "large-model-trainer", 4, "LMT-4-01", "7.0"),
    "a-lmt4-02": ("prov-a", "large-model-trainer", 4, "LMT-4-02", "7.0"),
}

# What a learner completes to become eligible, by plan: (standard, level, courses).
PLANS: dict[str, tuple[str, int, tuple[str, ...]]] = {
    # one provider: prov-a 10.0 credits
    "dan5": ("data-annotator", 5, ("clean-online", "label-offline", "speech-workplace")),
    # two providers, credits 2:1 (prov-a 6.0, prov-b 3.0)
    "dan5-ab": ("data-annotator", 5, ("label-offline", "clean-more", "b-dan5-speech")),
    # three providers, 1:1:1 (3.0 each)
    "dan5-abc": ("data-annotator", 5, ("speech-workplace", "b-dan5-clean", "c-dan5-label")),
    # three providers, 4.0 / 3.0 / 1.3: remainders decide the last fen
    "dan5-abc-uneven": ("data-annotator", 5, ("label-offline", "b-dan5-clean", "c-dan5-speech")),
    "dan4": ("data-annotator", 4, ("a-dan4-01", "a-dan4-02", "a-dan4-04")),
    "aer3": ("ai-ethics-reviewer", 3, ("a-aer3-01", "a-aer3-02", "a-aer3-04")),
    "lmt4": ("large-model-trainer", 4, ("a-lmt4-01", "a-lmt4-02")),
}

COURSE_PROVIDER = {
    "clean-online": "prov-a",
    "label-offline": "prov-a",
    "speech-workplace": "prov-a",
    "clean-more": "prov-a",
    **{course: spec[0] for course, spec in EXTRA_COURSES.items()},
}

CERTIFIER = "cert-a"


@dataclass
class Certified:
    number: str
    learner: str
    appended: Appended

    @property
    def index(self) -> int:
        return self.appended.index


@dataclass
class Money:
    world: World
    keys: dict[str, KeyPair]
    certifier_key: KeyPair
    seq: Any = field(default_factory=lambda: itertools.count(1))

    # --- basics --------------------------------------------------------------------------

    @property
    def bank(self) -> Any:
        return self.world.bank

    @property
    def clock(self) -> Any:
        return self.world.clock

    def authority(self) -> KeyPair:
        return self.bank.authority_key()

    def key(self, actor: str) -> KeyPair:
        if actor == "authority":
            return self.authority()
        if actor == CERTIFIER:
            return self.certifier_key
        return self.keys[actor]

    def post(self, actor: str, kind: str, body: dict[str, Any], sid: str | None = None) -> Appended:
        statement = {"kind": kind, "actor": actor, "id": sid or f"{kind}-{next(self.seq)}"}
        statement["body"] = body
        return self.bank.ledger.append(sign_statement(statement, self.key(actor)))

    def size(self) -> int:
        with self.bank.engine.connect() as conn:
            return store.tree_size(conn)

    def entry(self, index: int) -> dict[str, Any]:
        with self.bank.engine.connect() as conn:
            value: dict[str, Any] = json.loads(store.entry_data(conn, index))
        return value

    def kinds(self, indexes: tuple[int, ...] | list[int]) -> list[str]:
        return [self.entry(i)["kind"] for i in indexes]

    def body(self, index: int) -> dict[str, Any]:
        value: dict[str, Any] = self.entry(index)["statement"]["body"]
        return value

    def derived_of(self, appended: Appended, kind: str) -> list[int]:
        return [i for i in appended.derived if self.entry(i)["kind"] == kind]

    # --- learners and certificates -------------------------------------------------------

    def learner(self) -> str:
        return self.world.learner()

    def qualify(self, learner: str, plan: str) -> list[int]:
        """Complete the plan's courses (each by its provider); the award indexes."""
        awards = []
        for course in PLANS[plan][2]:
            provider = COURSE_PROVIDER[course]
            body = self.world.completion(learner, course)["body"]
            done = self.post(provider, "completion.recorded", body, sid=f"done-{next(self.seq)}")
            assert len(done.derived) >= 1, f"{course} earned nothing"
            awards.append(done.derived[0])
        return sorted(awards)

    def resting_awards(self, learner: str, standard_id: str, level: int, at: datetime) -> list[int]:
        with self.bank.engine.connect() as conn:
            return sorted(
                a.index
                for a in learner_awards(conn, learner, standard_id)
                if a.unit[1] == level and a.valid_at(at)
            )

    def certify(
        self,
        learner: str,
        plan: str,
        *,
        at: datetime | None = None,
        qualify: bool = True,
        number: str | None = None,
    ) -> Certified:
        """Qualify the learner for the plan (unless told not to), let them apply, have the
        certifying body assess and issue; ``at``: the clock is set to it for issuance."""
        standard_id, level, _ = PLANS[plan]
        if qualify:
            self.qualify(learner, plan)
        application = apply(self.world, learner, standard_id, level)
        assess(self.world, self.certifier_key, CERTIFIER, application)
        if at is not None:
            assert at >= self.clock(), "the clock never runs backwards"
            self.clock.now = at
        number = number or f"C{level}-{next(self.seq):06d}"
        appended = self.post(
            CERTIFIER,
            "certificate.issued",
            {
                "certificate_number": number,
                "learner": learner,
                "standard_id": standard_id,
                "level": level,
                "application_index": application,
                "awards": self.resting_awards(learner, standard_id, level, self.clock()),
                "assessment": {"result": "passed", "score": 86},
            },
        )
        return Certified(number, learner, appended)

    def revoke(self, number: str, actor: str = CERTIFIER) -> Appended:
        return self.post(
            actor,
            "certificate.revoked",
            {"certificate_number": number, "reason": "assessment irregularity"},
        )

    # --- rewards and budgets -------------------------------------------------------------

    def set_budget(
        self, program_id: str, kind: str, amount_fen: int, actor: str = "authority"
    ) -> Appended:
        return self.post(
            actor, "budget.set", {"program_id": program_id, "kind": kind, "amount_fen": amount_fen}
        )

    def pay_reward(
        self, reward: int, actor: str = "authority", ref: str | None = "PAY-1"
    ) -> Appended:
        body: dict[str, Any] = {"reward_index": reward}
        if ref is not None:
            body["payment_reference"] = ref
        return self.post(actor, "reward.paid", body)

    def reward_of(self, certified: Certified) -> int:
        """The reward id (index of its first entry) a certificate earned."""
        found = [
            i
            for i in certified.appended.derived
            if self.entry(i)["kind"] in ("reward.granted", "reward.queued")
        ]
        assert len(found) == 1, found
        return found[0]

    def reward(self, index: int) -> Any:
        r = tables.rewards
        with self.bank.engine.connect() as conn:
            return conn.execute(select(r).where(r.c.idx == index)).one()

    def rewards(self, learner: str) -> list[Any]:
        r = tables.rewards
        with self.bank.engine.connect() as conn:
            return list(conn.execute(select(r).where(r.c.learner == learner).order_by(r.c.idx)))

    def budget_row(self, program_id: str, kind: str) -> Any:
        b = tables.budgets
        with self.bank.engine.connect() as conn:
            return conn.execute(
                select(b).where(b.c.program_id == program_id, b.c.kind == kind)
            ).first()

    # --- subsidies -----------------------------------------------------------------------

    def entitlement_of(self, certified: Certified) -> int:
        found = self.derived_of(certified.appended, "subsidy.entitled")
        assert len(found) == 1, found
        return found[0]

    def claim(self, entitlement: int, provider: str) -> Appended:
        return self.post(provider, "subsidy.claimed", {"entitlement_index": entitlement})

    def approve(self, entitlement: int, provider: str, actor: str = "authority") -> Appended:
        return self.post(
            actor, "subsidy.approved", {"entitlement_index": entitlement, "provider": provider}
        )

    def reject(
        self,
        entitlement: int,
        provider: str,
        reason: str | None = "no training records",
        actor: str = "authority",
    ) -> Appended:
        body: dict[str, Any] = {"entitlement_index": entitlement, "provider": provider}
        if reason is not None:
            body["reason"] = reason
        return self.post(actor, "subsidy.rejected", body)

    def pay_part(
        self, entitlement: int, provider: str, actor: str = "authority", ref: str = "BANK-1"
    ) -> Appended:
        return self.post(
            actor,
            "subsidy.paid",
            {"entitlement_index": entitlement, "provider": provider, "payment_reference": ref},
        )

    def drive(self, entitlement: int, provider: str, state: str) -> None:
        """Move an open part to ``state`` (open, claimed, approved, rejected, paid)."""
        if state == "open":
            return
        self.claim(entitlement, provider)
        if state == "rejected":
            self.reject(entitlement, provider)
        elif state in ("approved", "paid"):
            self.approve(entitlement, provider)
            if state == "paid":
                self.pay_part(entitlement, provider)

    def parts(self, entitlement: int) -> dict[str, Any]:
        p = tables.subsidy_parts
        with self.bank.engine.connect() as conn:
            rows = conn.execute(select(p).where(p.c.entitlement_index == entitlement))
            return {r.provider: r for r in rows}

    def subsidies(self, learner: str) -> list[Any]:
        s = tables.subsidies
        with self.bank.engine.connect() as conn:
            return list(conn.execute(select(s).where(s.c.learner == learner).order_by(s.c.idx)))


def _register_courses(base: World, keys: dict[str, KeyPair]) -> None:
    from creditbank.core.statements import catalogue as statements

    start = base.clock() - timedelta(days=7 * 365)
    until = base.clock() + timedelta(days=10 * 365)
    for course_id, (provider, standard_id, level, unit, credits) in EXTRA_COURSES.items():
        hours = f"{Decimal(credits) * 16:.1f}"  # the default formula's hours (credits set anyway)
        base.bank.ledger.append(
            sign_statement(
                statements.course_registration(
                    provider,
                    course_id,
                    title=course_id,
                    standard_id=standard_id,
                    level=level,
                    unit_code=unit,
                    mode="offline",
                    hours=hours,
                ),
                keys[provider],
            )
        )
        base.bank.ledger.append(
            sign_statement(
                statements.course_recognition(
                    provider, course_id, valid_from=start, valid_until=until, credits=credits
                ),
                base.bank.authority_key(),
            )
        )


@pytest.fixture
def money(world: World) -> Money:  # noqa: F811  (the re-exported fixture)
    keys = {
        "prov-a": world.key,
        "prov-b": register(world.bank, "prov-b"),
        "prov-c": register(world.bank, "prov-c"),
    }
    _register_courses(world, keys)
    key = certifier(
        world, CERTIFIER, ["data-annotator", "ai-ethics-reviewer", "large-model-trainer"]
    )
    return Money(world, keys, key)
