"""A long money scenario (rewards granted, queued, released, paid, cancelled and clawed back;
subsidies split, claimed, approved, rejected, paid, cancelled and clawed back; budgets set;
a new program version; the new year in Asia/Shanghai; refusals): `creditbank audit`
passes, and the projections `rebuild` recomputes from the ledger alone equal the ones built
append by append."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from creditbank.catalogue.service import publish_statement
from creditbank.cli.main import app
from creditbank.core.entry import sign_statement
from creditbank.core.errors import CreditBankError
from creditbank.core.statements import catalogue as statements
from creditbank.db import tables
from creditbank.ledger import audit, store
from creditbank.registry import default_handlers
from creditbank.settings import Settings
from tests.catalogue.conftest import CATALOGUE
from tests.factories import register
from tests.money.conftest import NEW_YEAR_2027, P2026, P2027, Certified, Money

MONEY_TABLES = (
    "rewards",
    "budgets",
    "subsidies",
    "subsidy_parts",
    "certificate_applications",
    "certificates",
)
MONEY_KINDS = (
    "certificate.applied",
    "assessment.recorded",
    "certificate.issued",
    "certificate.revoked",
    "program.published",
    "budget.set",
    "reward.granted",
    "reward.queued",
    "reward.paid",
    "reward.cancelled",
    "reward.clawback_due",
    "subsidy.entitled",
    "subsidy.claimed",
    "subsidy.approved",
    "subsidy.rejected",
    "subsidy.paid",
    "subsidy.cancelled",
    "subsidy.clawback_due",
)
FIRST_PLANS = ("dan5", "dan5-ab", "dan5-abc", "dan5-abc-uneven")
MORE_PLANS = ("dan4", "aer3", "lmt4")


def projections(money: Money) -> dict[str, list[tuple[Any, ...]]]:
    with money.bank.engine.connect() as conn:
        return {
            t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
            for t in tables.projection_tables()
        }


def rows(money: Money, table: str, **where: Any) -> list[Any]:
    t = {x.name: x for x in tables.projection_tables()}[table]
    query = select(t)
    for name, value in where.items():
        query = query.where(t.c[name] == value)
    with money.bank.engine.connect() as conn:
        return list(conn.execute(query.order_by(*t.primary_key.columns)))


def scripted(money: Money) -> list[Certified]:
    """Every transition at least once, in a fixed order."""
    done: list[Certified] = []
    money.set_budget(P2026, "reward", 150000)
    money.set_budget(P2026, "subsidy", 1500000)
    a, b, c = money.learner(), money.learner(), money.learner()
    done.append(money.certify(a, "dan5-abc"))  # granted 50000; parts 200000 x 3
    done.append(money.certify(a, "dan4"))  # granted 100000 (budget now exhausted)
    done.append(money.certify(b, "aer3"))  # queued 150000
    done.append(money.certify(c, "dan5-ab"))  # queued 50000 (behind b)
    done.append(money.certify(a, "aer3"))  # capped to 50000, queued
    assert [money.reward(money.reward_of(x)).status for x in done] == [
        "granted",
        "granted",
        "pending_budget",
        "pending_budget",
        "pending_budget",
    ]
    # 100000 left: b's 150000 does not fit, so nobody moves
    assert money.set_budget(P2026, "reward", 250000).derived == ()
    money.pay_reward(money.reward_of(done[0]), ref="PAY-A-1")
    # a's granted dan4 cancelled: 200000 left, b and c released in arrival order
    revoked = money.revoke(done[1].number)
    assert money.kinds(revoked.derived) == ["reward.cancelled", "reward.granted", "reward.granted"]
    assert [money.body(i)["queued_index"] for i in revoked.derived[1:]] == [
        money.reward_of(done[2]),
        money.reward_of(done[3]),
    ]
    # a's capped aer3 released
    assert money.kinds(money.set_budget(P2026, "reward", 400000).derived) == ["reward.granted"]
    revoked = money.revoke(done[0].number)  # paid reward: clawback due; open parts cancelled
    assert money.kinds(revoked.derived) == ["reward.clawback_due"] + ["subsidy.cancelled"] * 3

    e = money.entitlement_of(done[3])  # c: prov-a 400000, prov-b 200000
    money.claim(e, "prov-a")
    money.claim(e, "prov-b")
    money.approve(e, "prov-a")
    money.reject(e, "prov-b", reason="attendance records missing")
    money.pay_part(e, "prov-a", ref="SUB-C-1")
    e_b = money.entitlement_of(done[2])  # b: prov-a 600000
    money.claim(e_b, "prov-a")
    money.approve(e_b, "prov-a")
    money.pay_part(e_b, "prov-a", ref="SUB-B-1")
    money.revoke(done[2].number)  # b's subsidy part clawed back; b's reward (granted) cancelled

    # a refused approval over the budget: 1000000 paid/clawback of 1500000 committed
    d = money.learner()
    done.append(money.certify(d, "dan5"))
    e_d = money.entitlement_of(done[-1])
    money.claim(e_d, "prov-a")
    with pytest.raises(CreditBankError):
        money.approve(e_d, "prov-a")
    with pytest.raises(CreditBankError):
        money.set_budget(P2026, "subsidy", 999999)

    # a new program version resets the reward budget to its own figure
    program = next(p for p in CATALOGUE.programs if p.id == P2026)
    money.set_budget(P2026, "reward", money_committed(money, P2026))
    done.append(money.certify(money.learner(), "dan5"))  # queued
    money.bank.ledger.append(
        sign_statement(
            publish_statement(program.model_copy(update={"version": "1.0.1"})), money.authority()
        )
    )
    # across midnight in Asia/Shanghai: a 2027 certificate
    done.append(money.certify(a, "lmt4", at=NEW_YEAR_2027))
    money.set_budget(P2027, "subsidy", 10**8)
    return done


def money_committed(money: Money, program_id: str) -> int:
    return sum(
        r.amount_fen
        for r in rows(money, "rewards", program_id=program_id)
        if r.status in ("granted", "paid", "clawback_due")
    )


def random_steps(money: Money, rng: random.Random, steps: int) -> Counter[str]:
    seen: Counter[str] = Counter()
    learners = [money.learner() for _ in range(5)]
    plans = {
        learner: (FIRST_PLANS[n % len(FIRST_PLANS)], *MORE_PLANS)
        for n, learner in enumerate(learners)
    }
    qualified: set[tuple[str, str]] = set()
    for _ in range(steps):
        roll = rng.random()
        try:
            if roll < 0.25:
                learner = rng.choice(learners)
                plan = rng.choice(plans[learner])
                again = (learner, plan) in qualified  # certified before: the awards remain
                qualified.add((learner, plan))
                money.certify(learner, plan, qualify=not again)
                seen["certified"] += 1
            elif roll < 0.35:
                active = [c for c in rows(money, "certificates") if c.revoked_index is None]
                if active:
                    money.revoke(rng.choice(active).number)
                    seen["revoked"] += 1
            elif roll < 0.45:
                granted = [r for r in rows(money, "rewards") if r.status == "granted"]
                if granted:
                    money.pay_reward(rng.choice(granted).idx, ref=f"PAY-{rng.randrange(10**6)}")
                    seen["reward paid"] += 1
            elif roll < 0.6:
                parts = [
                    p
                    for p in rows(money, "subsidy_parts")
                    if p.status in ("open", "claimed", "approved")
                ]
                part = rng.choice(parts) if parts else None
                if part is not None:
                    e, p = part.entitlement_index, part.provider
                    if part.status == "open":
                        money.claim(e, p)
                    elif part.status == "approved":
                        money.pay_part(e, p, ref=f"SUB-{e}-{p}")
                    elif rng.random() < 0.7:
                        money.approve(e, p)
                    else:
                        money.reject(e, p, reason="no evidence")
                    seen[f"part {part.status}->"] += 1
            elif roll < 0.7:
                program_id = rng.choice([P2026, P2027])
                amount = money_committed(money, program_id) + rng.choice([0, 50000, 150000, 10**6])
                money.set_budget(program_id, "reward", amount)
                seen["budget set"] += 1
            elif roll < 0.8:
                money.clock.advance(days=rng.randrange(1, 60))
            else:  # paying an entry picked at random: usually refused, writing nothing
                money.pay_reward(rng.randrange(0, 10**4), ref="X")
                seen["paid at random"] += 1
        except CreditBankError as exc:
            seen[type(exc).__name__] += 1
    return seen


@pytest.mark.parametrize("seed", [11, 2027])
def test_audit_and_rebuild_after_a_long_money_scenario(
    money: Money, settings: Settings, seed: int
) -> None:
    scripted(money)
    seen = random_steps(money, random.Random(seed), 80)
    assert seen["certified"] > 5, seen
    assert seen["part claimed->"] > 1, seen

    incremental = projections(money)
    with money.bank.engine.connect() as conn:
        logged = Counter(json.loads(data)["kind"] for _, data, _ in store.iter_entries(conn))
    missing = [kind for kind in MONEY_KINDS if not logged[kind]]
    assert not missing, missing
    assert {r.year for r in rows(money, "rewards")} == {2026, 2027}
    for name in MONEY_TABLES:
        assert incremental[name], f"{name} is empty"

    result = CliRunner().invoke(
        app,
        ["audit", "--data-dir", str(settings.data_dir), "--database-url", settings.database_url],
        env={"COLUMNS": "220"},
    )
    assert result.exit_code == 0, result.output
    assert "audit OK" in result.output
    report = audit.audit(
        money.bank.engine, money.bank.verifier_key, money.bank.origin, default_handlers()
    )
    assert report.ok, report.problem

    audit.rebuild(money.bank.engine, default_handlers())
    rebuilt = projections(money)
    for name in MONEY_TABLES:
        assert rebuilt[name] == incremental[name], name
    assert rebuilt == incremental
    # the bank carries on from the rebuilt projections
    money.clock.advance(days=1)
    assert money.certify(money.learner(), "dan5").appended.derived


def test_revocation_derives_the_same_entries_whatever_the_database_collation(
    money: Money,
) -> None:
    """Parts end in provider order by code point (as SQLite and Python sort), not by the
    database's collation: a PostgreSQL cluster initialized with a linguistic locale (e.g.
    en_US.UTF-8, which ignores '-') must derive what the audit's SQLite replay derives."""
    engine = money.bank.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite compares text by code point: nothing to simulate")
    with engine.connect() as conn:
        if not conn.execute(
            text("SELECT count(*) FROM pg_collation WHERE collprovider = 'i'")
        ).scalar():
            pytest.skip("this PostgreSQL has no ICU collations")
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE COLLATION punctuation_ignored "
                "(provider = icu, locale = 'en-US-u-ka-shifted')"
            )
        )
        conn.execute(
            text(
                "ALTER TABLE subsidy_parts ALTER COLUMN provider "
                "TYPE varchar(64) COLLATE punctuation_ignored"
            )
        )
        # under that collation "prova" sorts before "prov-b"; by code point it is after
        assert conn.execute(text("SELECT 'prova' < 'prov-b' COLLATE punctuation_ignored")).scalar()
    key = register(money.bank, "prova")
    money.keys["prova"] = key
    clock = money.clock
    money.bank.ledger.append(
        sign_statement(
            statements.course_registration(
                "prova",
                "prova-speech",
                title="speech",
                standard_id="data-annotator",
                level=5,
                unit_code="DAN-5-03",
                mode="offline",
                hours="48.0",
            ),
            key,
        )
    )
    money.bank.ledger.append(
        sign_statement(
            statements.course_recognition(
                "prova",
                "prova-speech",
                valid_from=clock() - timedelta(days=30),
                valid_until=clock() + timedelta(days=3650),
            ),
            money.authority(),
        )
    )
    learner = money.learner()
    for course, provider in (
        ("label-offline", "prov-a"),
        ("b-dan5-clean", "prov-b"),
        ("prova-speech", "prova"),
    ):
        money.post(provider, "completion.recorded", money.world.completion(learner, course)["body"])
    certified = money.certify(learner, "dan5", qualify=False)
    assert set(money.parts(money.entitlement_of(certified))) == {"prov-a", "prov-b", "prova"}
    revoked = money.revoke(certified.number)
    assert [money.body(i).get("provider") for i in revoked.derived] == [
        None,  # reward.cancelled
        "prov-a",
        "prov-b",
        "prova",
    ]
    # The audit replays into SQLite and compares decisions and projections (ordered in
    # Python, not by either database's collation): they must be the same.
    report = audit.audit(
        money.bank.engine, money.bank.verifier_key, money.bank.origin, default_handlers()
    )
    assert report.ok, report.problem
