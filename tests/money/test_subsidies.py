"""Enterprise subsidies on the ledger (rules.md: Enterprise subsidies): the entitlement
split among the providers a certificate rests on, one per trainee and program year, the
claim window, approval within the budget, rejection, payment, and what revocation does to
each part. Every refusal writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from creditbank.core.entry import format_time, parse_time
from creditbank.core.errors import (
    Conflict,
    CreditBankError,
    Forbidden,
    InvalidInput,
    NotFound,
    RuleViolation,
)
from tests.money.conftest import CLAIM_WINDOW, NEW_YEAR_2027, P2026, P2027, SUBSIDY, Money

# --- the entitlement on issuance ---------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        pytest.param("dan5", {"prov-a": ("10.0", 600000)}, id="one-provider"),
        pytest.param(
            "dan5-ab",
            {"prov-a": ("6.0", 400000), "prov-b": ("3.0", 200000)},
            id="two-providers-2-to-1",
        ),
        pytest.param(
            "dan5-abc",
            {"prov-a": ("3.0", 200000), "prov-b": ("3.0", 200000), "prov-c": ("3.0", 200000)},
            id="three-providers-equal",
        ),
        pytest.param(
            "dan5-abc-uneven",
            {"prov-a": ("4.0", 289157), "prov-b": ("3.0", 216867), "prov-c": ("1.3", 93976)},
            id="three-providers-remainders",
        ),
    ],
)
def test_the_entitlement_is_split_by_credits(
    money: Money, plan: str, expected: dict[str, tuple[str, int]]
) -> None:
    learner = money.learner()
    issued = money.certify(learner, plan)
    entitlement = money.entitlement_of(issued)
    entry = money.entry(entitlement)
    assert entry["statement"]["actor"] == "log"
    issued_at = parse_time(money.entry(issued.index)["integrated_at"], field="t")
    assert entry["statement"]["body"] == {
        "learner": learner,
        "certificate_number": issued.number,
        "program_id": P2026,
        "year": 2026,
        "amount_fen": SUBSIDY,
        "claim_until": format_time(issued_at + CLAIM_WINDOW),
        "parts": [{"provider": p, "credits": c, "amount_fen": a} for p, (c, a) in expected.items()],
        "derived_from": [issued.index],
    }
    parts = money.parts(entitlement)
    assert {p: (r.status, r.amount_fen, r.program_id) for p, r in parts.items()} == {
        p: ("open", a, P2026) for p, (_, a) in expected.items()
    }
    assert sum(r.amount_fen for r in parts.values()) == SUBSIDY
    [subsidy] = money.subsidies(learner)
    assert (subsidy.idx, subsidy.issued_at, subsidy.claim_until) == (
        entitlement,
        format_time(issued_at),
        format_time(issued_at + CLAIM_WINDOW),
    )


# --- one per trainee and program year ----------------------------------------------------


@pytest.mark.parametrize(
    ("first", "then", "generates"),
    [
        pytest.param("kept", None, False, id="second-certificate-same-year"),
        pytest.param("revoked", None, True, id="all-parts-cancelled-no-longer-counts"),
        pytest.param(
            "claimed-and-approved-then-revoked",
            None,
            True,
            id="claimed-and-approved-parts-cancelled-no-longer-counts",
        ),
        pytest.param("one-part-paid-then-revoked", None, False, id="a-clawback-still-counts"),
        # a rejected part is not a cancelled one: the subsidy still counts
        pytest.param("one-part-rejected-then-revoked", None, False, id="a-rejection-still-counts"),
        pytest.param("kept", NEW_YEAR_2027, True, id="a-new-program-year"),
    ],
)
def test_one_subsidy_per_trainee_per_program_year(
    money: Money, first: str, then: Any, generates: bool
) -> None:
    learner = money.learner()
    certified = money.certify(learner, "dan5-ab")
    entitlement = money.entitlement_of(certified)
    if first == "one-part-paid-then-revoked":
        money.drive(entitlement, "prov-b", "paid")
    elif first == "one-part-rejected-then-revoked":
        money.drive(entitlement, "prov-b", "rejected")
    elif first == "claimed-and-approved-then-revoked":
        money.drive(entitlement, "prov-a", "claimed")
        money.drive(entitlement, "prov-b", "approved")
    if first != "kept":
        money.revoke(certified.number)
    second = money.certify(learner, "dan4", at=then)
    entitled = money.derived_of(second.appended, "subsidy.entitled")
    assert len(entitled) == (1 if generates else 0)
    if entitled:
        year, program_id = (2027, P2027) if then else (2026, P2026)
        body = money.body(entitled[0])
        assert (body["year"], body["program_id"]) == (year, program_id)
        assert body["parts"] == [{"provider": "prov-a", "credits": "12.0", "amount_fen": SUBSIDY}]
    # the reward is independent of the subsidy
    assert money.kinds(second.appended.derived)[0] == "reward.granted"
    assert len(money.subsidies(learner)) == (2 if generates else 1)


# --- claims ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("late", "error"),
    [
        pytest.param(timedelta(0), None, id="exactly-180-days-after-issuance"),
        pytest.param(timedelta(microseconds=1), RuleViolation, id="one-microsecond-late"),
    ],
)
def test_the_claim_window(money: Money, late: timedelta, error: type[Exception] | None) -> None:
    certified = money.certify(money.learner(), "dan5-ab")
    entitlement = money.entitlement_of(certified)
    issued_at = parse_time(money.entry(certified.index)["integrated_at"], field="t")
    money.clock.now = issued_at + CLAIM_WINDOW + late
    before = money.size()
    if error is None:
        claimed = money.claim(entitlement, "prov-b")
        assert claimed.derived == ()
        part = money.parts(entitlement)["prov-b"]
        assert (part.status, part.claimed_index) == ("claimed", claimed.index)
        assert money.parts(entitlement)["prov-a"].status == "open"  # the other part is its own
        return
    with pytest.raises(error) as err:
        money.claim(entitlement, "prov-b")
    assert err.value.field == "statement.body.entitlement_index"  # type: ignore[attr-defined]
    assert money.size() == before
    assert money.parts(entitlement)["prov-b"].status == "open"


CLAIM_REFUSALS: dict[str, tuple[type[CreditBankError], str]] = {
    "twice": (Conflict, "statement.body.entitlement_index"),
    "another-providers-entitlement": (Forbidden, "statement.body.entitlement_index"),
    "by-the-authority": (Forbidden, "statement.actor"),
    "by-the-certifying-body": (Forbidden, "statement.actor"),
    "no-such-entitlement": (NotFound, "statement.body.entitlement_index"),
    "a-certificate-is-not-an-entitlement": (NotFound, "statement.body.entitlement_index"),
    "cancelled-by-revocation": (Conflict, "statement.body.entitlement_index"),
    "after-the-window": (RuleViolation, "statement.body.entitlement_index"),
}


@pytest.mark.parametrize("case", list(CLAIM_REFUSALS))
def test_refused_claims_write_nothing(money: Money, case: str) -> None:
    error, field = CLAIM_REFUSALS[case]
    certified = money.certify(money.learner(), "dan5-ab")  # parts of prov-a and prov-b
    entitlement = money.entitlement_of(certified)
    if case == "twice":
        money.claim(entitlement, "prov-a")
    elif case == "cancelled-by-revocation":
        money.revoke(certified.number)
    elif case == "after-the-window":
        money.clock.advance(days=181)
    attempts: dict[str, Callable[[], Any]] = {
        "twice": lambda: money.claim(entitlement, "prov-a"),
        "another-providers-entitlement": lambda: money.claim(entitlement, "prov-c"),
        "by-the-authority": lambda: money.claim(entitlement, "authority"),
        "by-the-certifying-body": lambda: money.claim(entitlement, "cert-a"),
        "no-such-entitlement": lambda: money.claim(10**6, "prov-a"),
        "a-certificate-is-not-an-entitlement": lambda: money.claim(certified.index, "prov-a"),
        "cancelled-by-revocation": lambda: money.claim(entitlement, "prov-a"),
        "after-the-window": lambda: money.claim(entitlement, "prov-a"),
    }
    statuses = {p: r.status for p, r in money.parts(entitlement).items()}
    before = money.size()
    with pytest.raises(error) as err:
        attempts[case]()
    assert err.value.field == field
    assert money.size() == before
    assert {p: r.status for p, r in money.parts(entitlement).items()} == statuses


# --- approval, rejection, payment ---------------------------------------------------------


def test_approval_rejection_and_payment_within_the_budget(money: Money) -> None:
    money.set_budget(P2026, "subsidy", 500000)
    certified = money.certify(money.learner(), "dan5-ab")  # 400000 + 200000
    entitlement = money.entitlement_of(certified)
    money.claim(entitlement, "prov-a")
    money.claim(entitlement, "prov-b")

    approved = money.approve(entitlement, "prov-a")
    part = money.parts(entitlement)["prov-a"]
    assert (part.status, part.decided_index) == ("approved", approved.index)

    # 100000 left: prov-b's 200000 does not fit; a clear refusal, nothing written
    before = money.size()
    with pytest.raises(RuleViolation, match="100000 fen left"):
        money.approve(entitlement, "prov-b")
    assert money.size() == before
    # nor may the budget go below what is approved
    with pytest.raises(RuleViolation):
        money.set_budget(P2026, "subsidy", 399999)
    assert money.size() == before

    rejected = money.reject(entitlement, "prov-b", reason="budget exhausted for 2026")
    part = money.parts(entitlement)["prov-b"]
    assert (part.status, part.decided_index, part.reason) == (
        "rejected",
        rejected.index,
        "budget exhausted for 2026",
    )

    paid = money.pay_part(entitlement, "prov-a", ref="BOC-2026-000042")
    part = money.parts(entitlement)["prov-a"]
    assert (part.status, part.paid_index, part.payment_reference) == (
        "paid",
        paid.index,
        "BOC-2026-000042",
    )
    # claims, decisions and payments derive nothing
    assert approved.derived == rejected.derived == paid.derived == ()


# case -> (state of prov-a's part first, the attempt, error, field)
Attempt = Callable[[Money, int], Any]
DECISION_REFUSALS: dict[str, tuple[str, Attempt, type[CreditBankError], str]] = {
    "approve-by-a-provider": (
        "claimed",
        lambda m, e: m.approve(e, "prov-a", actor="prov-a"),
        Forbidden,
        "statement.actor",
    ),
    "approve-by-the-certifying-body": (
        "claimed",
        lambda m, e: m.approve(e, "prov-a", actor="cert-a"),
        Forbidden,
        "statement.actor",
    ),
    "reject-by-a-provider": (
        "claimed",
        lambda m, e: m.reject(e, "prov-a", actor="prov-b"),
        Forbidden,
        "statement.actor",
    ),
    "pay-by-a-provider": (
        "approved",
        lambda m, e: m.pay_part(e, "prov-a", actor="prov-a"),
        Forbidden,
        "statement.actor",
    ),
    "approve-unclaimed": (
        "open",
        lambda m, e: m.approve(e, "prov-a"),
        Conflict,
        "statement.body.entitlement_index",
    ),
    "approve-twice": (
        "approved",
        lambda m, e: m.approve(e, "prov-a"),
        Conflict,
        "statement.body.entitlement_index",
    ),
    "approve-rejected": (
        "rejected",
        lambda m, e: m.approve(e, "prov-a"),
        Conflict,
        "statement.body.entitlement_index",
    ),
    "reject-approved": (
        "approved",
        lambda m, e: m.reject(e, "prov-a"),
        Conflict,
        "statement.body.entitlement_index",
    ),
    "reject-without-reason": (
        "claimed",
        lambda m, e: m.reject(e, "prov-a", reason=None),
        InvalidInput,
        "statement.body.reason",
    ),
    "pay-unapproved-claim": (
        "claimed",
        lambda m, e: m.pay_part(e, "prov-a"),
        Conflict,
        "statement.body.entitlement_index",
    ),
    "pay-open": (
        "open",
        lambda m, e: m.pay_part(e, "prov-a"),
        Conflict,
        "statement.body.entitlement_index",
    ),
    "pay-rejected": (
        "rejected",
        lambda m, e: m.pay_part(e, "prov-a"),
        Conflict,
        "statement.body.entitlement_index",
    ),
    "pay-twice": (
        "paid",
        lambda m, e: m.pay_part(e, "prov-a", ref="BANK-2"),
        Conflict,
        "statement.body.entitlement_index",
    ),
    "pay-without-reference": (
        "approved",
        lambda m, e: m.pay_part(e, "prov-a", ref=""),
        InvalidInput,
        "statement.body.payment_reference",
    ),
    "approve-a-provider-without-a-part": (
        "claimed",
        lambda m, e: m.approve(e, "prov-c"),
        NotFound,
        "statement.body.provider",
    ),
    "approve-no-such-entitlement": (
        "claimed",
        lambda m, e: m.approve(10**6, "prov-a"),
        NotFound,
        "statement.body.entitlement_index",
    ),
    "approve-over-budget": (
        "claimed",
        lambda m, e: (m.set_budget(P2026, "subsidy", 399999), m.approve(e, "prov-a")),
        RuleViolation,
        "statement.body.entitlement_index",
    ),
}


@pytest.mark.parametrize("case", list(DECISION_REFUSALS))
def test_refused_decisions_and_payments_write_nothing(money: Money, case: str) -> None:
    state, attempt, error, field = DECISION_REFUSALS[case]
    certified = money.certify(money.learner(), "dan5-ab")  # prov-a's part: 400000
    entitlement = money.entitlement_of(certified)
    money.drive(entitlement, "prov-a", state)
    # over budget: the budget.set that precedes the approval is accepted
    before = money.size() + (1 if case == "approve-over-budget" else 0)
    with pytest.raises(error) as err:
        attempt(money, entitlement)
    assert err.value.field == field
    if error is Forbidden:
        assert err.value.status == 403
    assert money.size() == before
    assert money.parts(entitlement)["prov-a"].status == state


# --- revocation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "kind", "after"),
    [
        pytest.param("open", "subsidy.cancelled", "cancelled", id="open-cancelled"),
        pytest.param("claimed", "subsidy.cancelled", "cancelled", id="claimed-cancelled"),
        pytest.param("approved", "subsidy.cancelled", "cancelled", id="approved-unpaid-cancelled"),
        pytest.param("rejected", None, "rejected", id="rejected-stays-rejected"),
        pytest.param("paid", "subsidy.clawback_due", "clawback_due", id="paid-clawback-due"),
    ],
)
def test_revocation_of_each_part_state(
    money: Money, state: str, kind: str | None, after: str
) -> None:
    certified = money.certify(money.learner(), "dan5")
    entitlement = money.entitlement_of(certified)
    money.drive(entitlement, "prov-a", state)
    revoked = money.revoke(certified.number)
    ended = [i for i in revoked.derived if money.entry(i)["kind"].startswith("subsidy.")]
    assert money.kinds(ended) == ([] if kind is None else [kind])
    if ended:
        assert money.body(ended[0]) == {
            "entitlement_index": entitlement,
            "provider": "prov-a",
            "learner": certified.learner,
            "amount_fen": SUBSIDY,
            "derived_from": [revoked.index, entitlement],
        }
    part = money.parts(entitlement)["prov-a"]
    assert part.status == after
    assert part.cancelled_index == (ended[0] if ended else None)


def test_revocation_ends_every_part_at_once(money: Money) -> None:
    certified = money.certify(money.learner(), "dan5-abc")
    entitlement = money.entitlement_of(certified)
    money.drive(entitlement, "prov-a", "paid")
    money.drive(entitlement, "prov-b", "claimed")
    money.drive(entitlement, "prov-c", "approved")
    revoked = money.revoke(certified.number, actor="authority")
    assert money.kinds(revoked.derived) == [
        "reward.cancelled",
        "subsidy.clawback_due",
        "subsidy.cancelled",
        "subsidy.cancelled",
    ]
    assert [money.body(i).get("provider") for i in revoked.derived[1:]] == [
        "prov-a",
        "prov-b",
        "prov-c",
    ]
    assert {p: r.status for p, r in money.parts(entitlement).items()} == {
        "prov-a": "clawback_due",
        "prov-b": "cancelled",
        "prov-c": "cancelled",
    }


@pytest.mark.parametrize(
    ("first", "second_fits"),
    [
        pytest.param("approved", True, id="approved-unpaid-cancelled-frees-the-budget"),
        pytest.param("paid", False, id="paid-clawback-still-counted-against-the-budget"),
    ],
)
def test_a_clawback_stays_counted_against_the_subsidy_budget(
    money: Money, first: str, second_fits: bool
) -> None:
    money.set_budget(P2026, "subsidy", SUBSIDY)  # room for exactly one trainee
    one = money.certify(money.learner(), "dan5")
    money.drive(money.entitlement_of(one), "prov-a", first)
    money.revoke(one.number)
    two = money.certify(money.learner(), "dan5")
    entitlement = money.entitlement_of(two)
    money.claim(entitlement, "prov-a")
    before = money.size()
    if second_fits:
        money.approve(entitlement, "prov-a")
        assert money.parts(entitlement)["prov-a"].status == "approved"
        return
    with pytest.raises(RuleViolation):
        money.approve(entitlement, "prov-a")
    assert money.size() == before
    assert money.parts(entitlement)["prov-a"].status == "claimed"
