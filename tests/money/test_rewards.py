"""Learners' rewards on the ledger (rules.md: Rewards): granted on issuance by level,
capped per learner and program year (Asia/Shanghai), queued when the budget cannot cover
them or an earlier reward of the year waits (nobody overtakes) and released strictly in
arrival order, cancelled or clawed back on revocation, paid by the authority. Every
refusal writes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from creditbank.catalogue.service import publish_statement
from creditbank.cli.main import app
from creditbank.core.entry import format_time, sign_statement
from creditbank.core.errors import (
    Conflict,
    CreditBankError,
    Forbidden,
    InvalidInput,
    NotFound,
    RuleViolation,
)
from creditbank.ledger import audit, store
from creditbank.registry import default_handlers
from creditbank.settings import Settings
from tests.catalogue.conftest import CATALOGUE
from tests.money.conftest import CAP, NEW_YEAR_2027, P2026, P2027, Certified, Money
from tests.money.test_money_replay import projections

REWARD_KINDS = ("reward.granted", "reward.queued", "reward.cancelled", "reward.clawback_due")


def reward_entries(money: Money, certified: Certified) -> list[tuple[str, int]]:
    """The reward entries a certificate's issuance derived: (kind, amount)."""
    return [
        (money.entry(i)["kind"], money.body(i)["amount_fen"])
        for i in certified.appended.derived
        if money.entry(i)["kind"] in REWARD_KINDS
    ]


def counted(money: Money, learner: str, year: int) -> int:
    return sum(
        r.amount_fen for r in money.rewards(learner) if r.year == year and r.status != "cancelled"
    )


# --- granted on issuance ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "level", "amount"),
    [
        pytest.param("dan5", 5, 50000, id="level-5-500-yuan"),
        pytest.param("dan4", 4, 100000, id="level-4-1000-yuan"),
        pytest.param("aer3", 3, 150000, id="level-3-1500-yuan"),
    ],
)
def test_issuance_grants_the_level_reward(money: Money, plan: str, level: int, amount: int) -> None:
    learner = money.learner()
    issued = money.certify(learner, plan)
    first = money.entry(issued.appended.derived[0])
    assert first["kind"] == "reward.granted"
    assert first["statement"]["actor"] == "log"
    assert first["statement"]["body"] == {
        "learner": learner,
        "certificate_number": issued.number,
        "program_id": P2026,
        "year": 2026,
        "level": level,
        "amount_fen": amount,
        "queued_index": None,
        "derived_from": [issued.index],
    }
    row = money.reward(issued.appended.derived[0])
    assert (row.status, row.amount_fen, row.granted_index) == ("granted", amount, row.idx)
    assert row.paid_index is None
    assert row.cancelled_index is None


# --- the yearly cap ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plans", "amounts"),
    [
        pytest.param(["dan5", "dan4"], [50000, 100000], id="5-then-4-under-the-cap"),
        pytest.param(["aer3", "dan4"], [150000, 50000], id="3-then-4-capped"),
        pytest.param(
            ["dan5", "dan4", "aer3"], [50000, 100000, 50000], id="5-4-then-3-capped-to-the-rest"
        ),
        pytest.param(
            ["dan5", "dan4", "aer3", "lmt4"],
            [50000, 100000, 50000, None],
            id="cap-reached-then-nothing",
        ),
    ],
)
def test_the_yearly_cap(money: Money, plans: list[str], amounts: list[int | None]) -> None:
    learner = money.learner()
    for plan, amount in zip(plans, amounts, strict=True):
        before = money.size()
        issued = money.certify(learner, plan)
        if amount is None:  # 0 grants nothing: no reward entry at all
            assert reward_entries(money, issued) == []
        else:
            assert reward_entries(money, issued) == [("reward.granted", amount)]
        assert money.size() > before
        assert counted(money, learner, 2026) <= CAP
    assert counted(money, learner, 2026) == sum(a or 0 for a in amounts)


@pytest.mark.parametrize(
    ("offset", "program_id", "year", "amount"),
    [
        pytest.param(
            -timedelta(microseconds=1), P2026, 2026, None, id="just-before-midnight-shanghai"
        ),
        pytest.param(timedelta(0), P2027, 2027, 100000, id="at-midnight-shanghai-cap-restarts"),
    ],
)
def test_the_cap_restarts_at_new_year_in_shanghai(
    money: Money, offset: timedelta, program_id: str, year: int, amount: int | None
) -> None:
    learner = money.learner()
    for plan in ("dan5", "dan4", "aer3"):
        money.certify(learner, plan)
    assert counted(money, learner, 2026) == CAP
    issued = money.certify(learner, "lmt4", at=NEW_YEAR_2027 + offset)
    assert money.entry(issued.index)["integrated_at"] == format_time(NEW_YEAR_2027 + offset)
    if amount is None:
        assert reward_entries(money, issued) == []
        assert counted(money, learner, 2026) == CAP
        # the trainee's subsidy of 2026 is spent too: nothing at all is derived
        assert issued.appended.derived == ()
    else:
        reward = issued.appended.derived[0]
        body = money.body(reward)
        assert money.entry(reward)["kind"] == "reward.granted"
        assert (body["program_id"], body["year"], body["amount_fen"]) == (program_id, year, amount)
        assert counted(money, learner, 2027) == amount
        assert counted(money, learner, 2026) == CAP
        # and a new subsidy year: the 2027 program entitles the providers again
        entitled = money.body(money.entitlement_of(issued))
        assert (entitled["program_id"], entitled["year"]) == (program_id, year)


@pytest.mark.parametrize(
    ("paid", "then", "amount"),
    [
        pytest.param(False, "lmt4", 100000, id="cancelled-reward-frees-the-cap"),
        pytest.param(False, "reissue", 100000, id="cancelled-reward-then-reissued"),
        # A clawback due is not a cancelled reward: it still counts toward the yearly cap
        # (rules.md: "non-cancelled rewards in that program year").
        pytest.param(True, "lmt4", None, id="clawback-still-counts-toward-the-cap"),
        pytest.param(True, "reissue", None, id="clawback-then-reissued-earns-nothing"),
    ],
)
def test_revoked_rewards_and_the_cap(
    money: Money, paid: bool, then: str, amount: int | None
) -> None:
    learner = money.learner()
    money.certify(learner, "dan5")
    dan4 = money.certify(learner, "dan4")
    money.certify(learner, "aer3")
    assert counted(money, learner, 2026) == CAP
    if paid:
        money.pay_reward(money.reward_of(dan4))
    revoked = money.revoke(dan4.number)
    kind = "reward.clawback_due" if paid else "reward.cancelled"
    assert money.kinds(revoked.derived)[0] == kind
    assert counted(money, learner, 2026) == (CAP if paid else CAP - 100000)
    if then == "lmt4":
        issued = money.certify(learner, "lmt4")
    else:  # the same level again: the awards are still valid
        issued = money.certify(learner, "dan4", qualify=False)
    expected = [] if amount is None else [("reward.granted", amount)]
    assert reward_entries(money, issued) == expected
    assert counted(money, learner, 2026) == CAP


# --- budgets: queue and release ----------------------------------------------------------


def test_an_exhausted_budget_queues_and_releases_in_arrival_order(money: Money) -> None:
    money.set_budget(P2026, "reward", 50000)
    first = money.certify(money.learner(), "dan5")
    assert reward_entries(money, first) == [("reward.granted", 50000)]

    waiting = [money.certify(money.learner(), plan) for plan in ("dan4", "dan5", "dan5")]
    assert [reward_entries(money, c) for c in waiting] == [
        [("reward.queued", 100000)],
        [("reward.queued", 50000)],
        [("reward.queued", 50000)],
    ]
    ids = [money.reward_of(c) for c in waiting]
    for rid in ids:
        row = money.reward(rid)
        assert (row.status, row.granted_index) == ("pending_budget", None)

    # 60000 left: the first in line (100000) does not fit, so nobody after it moves either
    raised = money.set_budget(P2026, "reward", 110000)
    assert raised.derived == ()
    assert [money.reward(i).status for i in ids] == ["pending_budget"] * 3
    assert money.budget_row(P2026, "reward").amount_fen == 110000

    # 150000 left: the first two in arrival order; the third waits (nothing left)
    raised = money.set_budget(P2026, "reward", 200000)
    assert money.kinds(raised.derived) == ["reward.granted", "reward.granted"]
    assert [money.body(i)["queued_index"] for i in raised.derived] == ids[:2]
    assert [money.body(i)["derived_from"] for i in raised.derived] == [
        [raised.index, ids[0]],
        [raised.index, ids[1]],
    ]
    assert [money.reward(i).status for i in ids] == ["granted", "granted", "pending_budget"]
    assert [money.reward(i).granted_index for i in ids[:2]] == list(raised.derived)

    # cancelling a granted reward (revocation before payment) releases the next in line
    revoked = money.revoke(first.number)
    assert money.kinds(revoked.derived) == [
        "reward.cancelled",
        "reward.granted",
        "subsidy.cancelled",
    ]
    assert money.body(revoked.derived[1])["queued_index"] == ids[2]
    assert money.reward(money.reward_of(first)).status == "cancelled"
    assert money.reward(ids[2]).status == "granted"


def reward_decisions(money: Money) -> list[tuple[str, str]]:
    """Every ``reward.granted`` / ``reward.queued`` in log order: (kind, certificate)."""
    with money.bank.engine.connect() as conn:
        entries = [json.loads(data) for _, data, _ in store.iter_entries(conn)]
    return [
        (e["kind"], e["statement"]["body"]["certificate_number"])
        for e in entries
        if e["kind"] in ("reward.granted", "reward.queued")
    ]


def assert_audit_and_rebuild(money: Money, settings: Settings) -> None:
    """``creditbank audit`` re-derives every decision, and ``rebuild`` recomputes from the
    ledger alone the projections built append by append."""
    result = CliRunner().invoke(
        app,
        ["audit", "--data-dir", str(settings.data_dir), "--database-url", settings.database_url],
        env={"COLUMNS": "220"},
    )
    assert result.exit_code == 0, result.output
    assert "audit OK" in result.output
    incremental = projections(money)
    audit.rebuild(money.bank.engine, default_handlers())
    assert projections(money) == incremental


def test_nobody_overtakes_a_waiting_reward(money: Money, settings: Settings) -> None:
    """rules.md: a new reward waits while an earlier one of its year waits, even if what is
    left would cover it; a grown budget releases the queue in arrival order, stopping at
    the first that does not fit; an empty queue grants the next reward directly."""
    money.set_budget(P2026, "reward", 100000)  # 1,000 yuan
    plans = ("dan5", "dan4", "dan5", "dan5")  # 500, 1,000, 500, 500 yuan
    c = [money.certify(money.learner(), plan) for plan in plans]
    assert [reward_entries(money, x) for x in c] == [
        [("reward.granted", 50000)],
        [("reward.queued", 100000)],  # 500 left: does not fit
        [("reward.queued", 50000)],  # would fit the 500 left, but the 1,000 waits
        [("reward.queued", 50000)],
    ]
    ids = [money.reward_of(x) for x in c]
    assert [money.reward(i).status for i in ids] == ["granted"] + ["pending_budget"] * 3

    # 900 left: the head (1,000) still does not fit, and nobody behind it moves
    assert money.set_budget(P2026, "reward", 140000).derived == ()
    # 1,500 left: the 1,000, then a 500; the last 500 waits (nothing left)
    raised = money.set_budget(P2026, "reward", 200000)
    assert money.kinds(raised.derived) == ["reward.granted", "reward.granted"]
    assert [money.body(i)["queued_index"] for i in raised.derived] == ids[1:3]
    assert [money.reward(i).status for i in ids] == ["granted"] * 3 + ["pending_budget"]

    c.append(money.certify(money.learner(), "dan5"))  # behind the last 500: waits
    assert reward_entries(money, c[4]) == [("reward.queued", 50000)]
    ids.append(money.reward_of(c[4]))
    raised = money.set_budget(P2026, "reward", 350000)  # 1,500 left: both, 500 to spare
    assert [money.body(i)["queued_index"] for i in raised.derived] == ids[3:5]

    # the queue is empty again: the next reward is granted directly, the one after waits
    c.append(money.certify(money.learner(), "dan5"))
    c.append(money.certify(money.learner(), "dan5"))
    assert [reward_entries(money, x) for x in c[5:]] == [
        [("reward.granted", 50000)],
        [("reward.queued", 50000)],
    ]

    number = [x.number for x in c]
    assert reward_decisions(money) == [
        ("reward.granted", number[0]),
        ("reward.queued", number[1]),
        ("reward.queued", number[2]),
        ("reward.queued", number[3]),
        ("reward.granted", number[1]),
        ("reward.granted", number[2]),
        ("reward.queued", number[4]),
        ("reward.granted", number[3]),
        ("reward.granted", number[4]),
        ("reward.granted", number[5]),
        ("reward.queued", number[6]),
    ]
    assert_audit_and_rebuild(money, settings)


def test_cancelling_the_waiting_head_moves_the_queue(money: Money, settings: Settings) -> None:
    """A waiting reward cancelled at the head of the queue no longer holds back the one
    behind it, which what is left now covers (rules.md is silent: see docs/money.md)."""
    money.set_budget(P2026, "reward", 100000)
    money.certify(money.learner(), "dan5")  # granted: 500 yuan left
    head = money.certify(money.learner(), "aer3")  # 1,500: waits
    behind = money.certify(money.learner(), "dan5")  # would fit: waits behind it
    assert reward_entries(money, behind) == [("reward.queued", 50000)]
    revoked = money.revoke(head.number)
    assert money.kinds(revoked.derived) == [
        "reward.cancelled",
        "reward.granted",
        "subsidy.cancelled",
    ]
    assert money.body(revoked.derived[1])["queued_index"] == money.reward_of(behind)
    assert money.reward(money.reward_of(behind)).status == "granted"
    assert_audit_and_rebuild(money, settings)


def test_a_waiting_reward_counts_toward_the_cap(money: Money) -> None:
    money.set_budget(P2026, "reward", 0)
    learner = money.learner()
    dan4 = money.certify(learner, "dan4")
    aer3 = money.certify(learner, "aer3")
    assert reward_entries(money, dan4) == [("reward.queued", 100000)]
    assert reward_entries(money, aer3) == [("reward.queued", 100000)]  # capped by the waiting
    dan5 = money.certify(learner, "dan5")
    assert reward_entries(money, dan5) == []  # the cap is reached by waiting rewards

    raised = money.set_budget(P2026, "reward", 10**7)
    assert [money.body(i)["queued_index"] for i in raised.derived] == [
        money.reward_of(dan4),
        money.reward_of(aer3),
    ]
    assert counted(money, learner, 2026) == CAP


def test_a_new_program_version_resets_the_budget_and_releases_waiting(money: Money) -> None:
    money.set_budget(P2026, "reward", 0)
    waiting = money.certify(money.learner(), "dan5")
    assert reward_entries(money, waiting) == [("reward.queued", 50000)]
    program = next(p for p in CATALOGUE.programs if p.id == P2026)
    newer = program.model_copy(update={"version": "1.0.1"})
    published = money.bank.ledger.append(
        sign_statement(publish_statement(newer), money.authority())
    )
    assert money.kinds(published.derived) == ["reward.granted"]
    assert money.body(published.derived[0])["queued_index"] == money.reward_of(waiting)
    assert money.budget_row(P2026, "reward") is None  # back to the version's figure


@pytest.mark.parametrize(
    ("state", "revoked_kind", "status", "next_in_line"),
    [
        pytest.param("granted", "reward.cancelled", "cancelled", "reward.granted", id="unpaid"),
        pytest.param(
            "paid",
            "reward.clawback_due",
            "clawback_due",
            "reward.queued",
            id="paid-becomes-clawback-still-counted-against-the-budget",
        ),
        pytest.param(
            "pending", "reward.cancelled", "cancelled", "reward.queued", id="waiting-cancelled"
        ),
    ],
)
def test_revocation_of_a_rewarded_certificate(
    money: Money, state: str, revoked_kind: str, status: str, next_in_line: str
) -> None:
    money.set_budget(P2026, "reward", 0 if state == "pending" else 50000)
    certified = money.certify(money.learner(), "dan5")
    reward = money.reward_of(certified)
    if state == "paid":
        money.pay_reward(reward, ref="PAY-2026-0001")
    revoked = money.revoke(certified.number)
    ended = [i for i in revoked.derived if money.entry(i)["kind"].startswith("reward.")]
    assert money.kinds(ended) == [revoked_kind]
    assert money.body(ended[0]) == {
        "reward_index": reward,
        "learner": certified.learner,
        "certificate_number": certified.number,
        "amount_fen": 50000,
        "derived_from": [revoked.index, reward],
    }
    row = money.reward(reward)
    assert (row.status, row.cancelled_index) == (status, ended[0])
    if state == "paid":
        assert row.payment_reference == "PAY-2026-0001"  # the payment stays on record
    # the next learner: granted only if the revocation gave the budget back
    after = money.certify(money.learner(), "dan5")
    assert reward_entries(money, after) == [(next_in_line, 50000)]


# --- payment -----------------------------------------------------------------------------


def test_the_authority_records_a_payment(money: Money) -> None:
    certified = money.certify(money.learner(), "dan5")
    reward = money.reward_of(certified)
    paid = money.pay_reward(reward, ref="ICBC-20261122-0001")
    assert paid.derived == ()
    row = money.reward(reward)
    assert (row.status, row.paid_index, row.payment_reference) == (
        "paid",
        paid.index,
        "ICBC-20261122-0001",
    )


PAYMENT_REFUSALS: dict[str, tuple[type[CreditBankError], str]] = {
    "by-a-provider": (Forbidden, "statement.actor"),
    "by-the-certifying-body": (Forbidden, "statement.actor"),
    "pending-budget": (Conflict, "statement.body.reward_index"),
    "already-paid": (Conflict, "statement.body.reward_index"),
    "cancelled": (Conflict, "statement.body.reward_index"),
    "clawback-due": (Conflict, "statement.body.reward_index"),
    "no-such-reward": (NotFound, "statement.body.reward_index"),
    "a-certificate-is-not-a-reward": (NotFound, "statement.body.reward_index"),
    "no-payment-reference": (InvalidInput, "statement.body.payment_reference"),
    "empty-payment-reference": (InvalidInput, "statement.body.payment_reference"),
}


@pytest.mark.parametrize("case", list(PAYMENT_REFUSALS))
def test_refused_payments_write_nothing(money: Money, case: str) -> None:
    error, field = PAYMENT_REFUSALS[case]
    if case == "pending-budget":
        money.set_budget(P2026, "reward", 0)
    certified = money.certify(money.learner(), "dan5")
    reward = money.reward_of(certified)
    if case in ("already-paid", "clawback-due"):
        money.pay_reward(reward)
    if case in ("cancelled", "clawback-due"):
        money.revoke(certified.number)
    attempts: dict[str, Callable[[], Any]] = {
        "by-a-provider": lambda: money.pay_reward(reward, actor="prov-a"),
        "by-the-certifying-body": lambda: money.pay_reward(reward, actor="cert-a"),
        "pending-budget": lambda: money.pay_reward(reward),
        "already-paid": lambda: money.pay_reward(reward, ref="PAY-AGAIN"),
        "cancelled": lambda: money.pay_reward(reward),
        "clawback-due": lambda: money.pay_reward(reward, ref="PAY-AGAIN"),
        "no-such-reward": lambda: money.pay_reward(10**6),
        "a-certificate-is-not-a-reward": lambda: money.pay_reward(certified.index),
        "no-payment-reference": lambda: money.pay_reward(reward, ref=None),
        "empty-payment-reference": lambda: money.pay_reward(reward, ref=""),
    }
    status_before = money.reward(reward).status
    before = money.size()
    with pytest.raises(error) as err:
        attempts[case]()
    assert err.value.field == field
    if error is Forbidden:
        assert err.value.status == 403
    assert money.size() == before
    assert money.reward(reward).status == status_before


# --- budget.set --------------------------------------------------------------------------


def test_budget_set_may_go_down_to_what_is_committed(money: Money) -> None:
    money.certify(money.learner(), "dan5")
    paid = money.certify(money.learner(), "dan5")
    money.pay_reward(money.reward_of(paid))
    money.revoke(paid.number)  # clawback due: still committed
    done = money.set_budget(P2026, "reward", 100000)
    row = money.budget_row(P2026, "reward")
    assert (row.amount_fen, row.set_index) == (100000, done.index)
    # the other program and the other kind are untouched
    assert money.budget_row(P2027, "reward") is None
    assert money.budget_row(P2026, "subsidy") is None


BUDGET_REFUSALS: dict[str, tuple[type[CreditBankError], str, dict[str, Any]]] = {
    "below-granted": (RuleViolation, "statement.body.amount_fen", {"amount_fen": 49999}),
    "below-granted-and-clawback-due": (
        RuleViolation,
        "statement.body.amount_fen",
        {"amount_fen": 99999},
    ),
    "unknown-program": (NotFound, "statement.body.program_id", {"program_id": "beijing-ai-2031"}),
    "by-a-provider": (Forbidden, "statement.actor", {"actor": "prov-a"}),
    "by-the-certifying-body": (Forbidden, "statement.actor", {"actor": "cert-a"}),
    "negative": (InvalidInput, "statement.body.amount_fen", {"amount_fen": -1}),
    "unknown-kind": (InvalidInput, "statement.body.kind", {"kind": "bonus"}),
}


@pytest.mark.parametrize("case", list(BUDGET_REFUSALS))
def test_refused_budget_changes_write_nothing(money: Money, case: str) -> None:
    error, field, over = BUDGET_REFUSALS[case]
    money.certify(money.learner(), "dan5")  # 50000 granted
    if case == "below-granted-and-clawback-due":
        paid = money.certify(money.learner(), "dan5")
        money.pay_reward(money.reward_of(paid))
        money.revoke(paid.number)
    args: dict[str, Any] = {"program_id": P2026, "kind": "reward", "amount_fen": 10, **over}
    before = money.size()
    with pytest.raises(error) as err:
        money.set_budget(**args)
    assert err.value.field == field
    assert money.size() == before
    assert money.budget_row(P2026, "reward") is None


def test_over_http_a_provider_cannot_record_a_payment(money: Money, client: Any) -> None:
    from tests.api.test_ledger_api import payload
    from tests.factories import token_for

    certified = money.certify(money.learner(), "dan5")
    reward = money.reward_of(certified)
    statement = {
        "kind": "reward.paid",
        "actor": "prov-a",
        "id": "pay-myself",
        "body": {"reward_index": reward, "payment_reference": "SELF-1"},
    }
    before = money.size()
    r = client.post(
        "/v1/ledger/entries",
        json=payload(sign_statement(statement, money.key("prov-a"))),
        token=token_for(money.bank, "prov-a"),
    )
    assert r.status_code == 403
    assert r.json()["field"] == "statement.actor"
    assert money.size() == before
    assert money.reward(reward).status == "granted"
