"""The money rules as pure functions (rules.md: Rewards, Enterprise subsidies): the
subsidy split, the capped reward, the admission of a new reward behind the year's queue,
the release of waiting rewards in arrival order, the program year in Asia/Shanghai time,
the claim window and the budget check; and the transitions the ledger handlers log: what
an issuance grants, what a revocation does to each reward and part, and the refusals of
payments, budgets, claims and the authority's decisions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.core.entry import Derivation
from creditbank.core.errors import Conflict, CreditBankError, Forbidden, NotFound, RuleViolation
from creditbank.core.rules.money import (
    Admission,
    Entitlement,
    PartStatus,
    Reward,
    RewardStatus,
    SubsidyPart,
    Waiting,
    admit,
    check_approval_budget,
    check_budget_floor,
    check_claim,
    check_reward_payment,
    claim_deadline,
    ending_moves_queue,
    fits_budget,
    issuance_reward,
    may_claim,
    may_generate_subsidy,
    parts_on_revoke,
    program_budget,
    program_month,
    program_year,
    release,
    released_rewards,
    require_part,
    require_program,
    reward_amount,
    reward_decided,
    rewards_on_revoke,
    split_subsidy,
    subsidy_entitled,
    within_subsidy_limit,
)
from creditbank.core.standards.program import Program

MICROSECOND = timedelta(microseconds=1)


# --- split_subsidy ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "credits", "expected"),
    [
        pytest.param(600000, {"prov-a": 100}, {"prov-a": 600000}, id="one-provider-takes-all"),
        pytest.param(7, {"prov-a": 1}, {"prov-a": 7}, id="one-provider-odd-total"),
        pytest.param(
            600000,
            {"prov-a": 20, "prov-b": 10},
            {"prov-a": 400000, "prov-b": 200000},
            id="two-providers-2-to-1",
        ),
        pytest.param(
            600000,
            {"prov-b": 10, "prov-a": 20},
            {"prov-a": 400000, "prov-b": 200000},
            id="two-providers-2-to-1-listed-backwards",
        ),
        pytest.param(1, {"prov-a": 1, "prov-b": 1}, {"prov-a": 1}, id="two-equal-one-fen"),
        pytest.param(
            5,
            {"prov-a": 1, "prov-b": 1},
            {"prov-a": 3, "prov-b": 2},
            id="two-equal-odd-total-smaller-id-first",
        ),
        pytest.param(
            600000,
            {"prov-a": 10, "prov-b": 10, "prov-c": 10},
            {"prov-a": 200000, "prov-b": 200000, "prov-c": 200000},
            id="three-equal",
        ),
        pytest.param(
            1,
            {"prov-c": 1, "prov-b": 1, "prov-a": 1},
            {"prov-a": 1},
            id="three-equal-one-fen-to-smallest-id",
        ),
        pytest.param(
            2,
            {"prov-c": 1, "prov-b": 1, "prov-a": 1},
            {"prov-a": 1, "prov-b": 1},
            id="three-equal-two-fen-to-two-smallest-ids",
        ),
        pytest.param(
            100,
            {"prov-c": 1, "prov-b": 1, "prov-a": 1},
            {"prov-a": 34, "prov-b": 33, "prov-c": 33},
            id="three-equal-100-fen-extra-to-smallest",
        ),
        pytest.param(
            7,
            {"prov-a": 3, "prov-b": 3, "prov-c": 1},
            {"prov-a": 3, "prov-b": 3, "prov-c": 1},
            id="7-over-3-3-1-exact",
        ),
        pytest.param(
            8,
            {"prov-a": 3, "prov-b": 3, "prov-c": 1},
            {"prov-a": 4, "prov-b": 3, "prov-c": 1},
            id="8-over-3-3-1-tied-remainders-smaller-id",
        ),
        pytest.param(
            10,
            {"prov-a": 3, "prov-b": 3, "prov-c": 1},
            {"prov-a": 4, "prov-b": 4, "prov-c": 2},
            id="10-over-3-3-1-largest-remainder-beats-smaller-id",
        ),
        pytest.param(
            600000,
            {"prov-a": 40, "prov-b": 30, "prov-c": 13},
            {"prov-a": 289157, "prov-b": 216867, "prov-c": 93976},
            id="600000-over-4.0-3.0-1.3-two-extra-fen-by-remainder",
        ),
        pytest.param(
            600000,
            {"prov-a": 10, "prov-b": 0},
            {"prov-a": 600000},
            id="provider-without-credits-gets-nothing",
        ),
        pytest.param(0, {"prov-a": 10, "prov-b": 5}, {}, id="zero-total-no-parts"),
    ],
)
def test_split_subsidy(total: int, credits: dict[str, int], expected: dict[str, int]) -> None:
    parts = split_subsidy(total, credits)
    assert parts == expected
    assert list(parts) == sorted(parts)  # parts come in provider order
    assert sum(parts.values()) == total


@pytest.mark.parametrize(
    ("total", "credits"),
    [
        pytest.param(600000, {}, id="no-providers"),
        pytest.param(600000, {"prov-a": 0}, id="no-credits"),
        pytest.param(-1, {"prov-a": 10}, id="negative-total"),
        pytest.param(600000, {"prov-a": 10, "prov-b": -1}, id="negative-credits"),
    ],
)
def test_split_subsidy_refuses_nonsense(total: int, credits: dict[str, int]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011  (the message is not the contract)
        split_subsidy(total, credits)


providers = st.dictionaries(
    st.text(alphabet="abcdefgh-", min_size=1, max_size=6),
    st.integers(min_value=1, max_value=500),
    min_size=1,
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(total=st.integers(min_value=0, max_value=10**9), credits=providers, data=st.data())
def test_split_subsidy_properties(total: int, credits: dict[str, int], data: st.DataObject) -> None:
    parts = split_subsidy(total, credits)
    whole = sum(credits.values())
    # the parts always sum to exactly the total
    assert sum(parts.values()) == total
    # each part within 1 fen of its exact share total * c / whole (compared in integers)
    for provider, c in credits.items():
        part = parts.get(provider, 0)
        assert abs(part * whole - total * c) < whole
        assert part >= 0
    assert set(parts) <= set(credits)
    # the order providers are listed in does not matter
    shuffled = data.draw(st.permutations(list(credits.items())))
    assert split_subsidy(total, dict(shuffled)) == parts
    # equal credits: parts differ by at most one fen, the extra fen to the smaller ids
    if len(set(credits.values())) == 1:
        amounts = [parts.get(p, 0) for p in sorted(credits)]
        assert amounts == sorted(amounts, reverse=True)
        assert amounts[0] - amounts[-1] <= 1


# --- reward_amount ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level_reward", "counted", "expected"),
    [
        pytest.param(50000, 0, 50000, id="level-5-first-of-the-year"),
        pytest.param(200000, 0, 200000, id="level-2-exactly-the-cap"),
        pytest.param(100000, 100000, 100000, id="reaches-the-cap-exactly"),
        pytest.param(150000, 150000, 50000, id="cap-binding"),
        pytest.param(200000, 199999, 1, id="cap-binding-one-fen-left"),
        pytest.param(50000, 200000, 0, id="cap-reached-grants-0"),
        pytest.param(50000, 250000, 0, id="over-the-cap-never-negative"),
        pytest.param(0, 0, 0, id="zero-level-reward"),
    ],
)
def test_reward_amount(level_reward: int, counted: int, expected: int) -> None:
    assert reward_amount(level_reward, 200000, counted) == expected


# --- release -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("remaining", "waiting", "granted"),
    [
        pytest.param(100000, [], [], id="nothing-waiting"),
        pytest.param(0, [(3, 50000)], [], id="nothing-left"),
        pytest.param(50000, [(3, 50000)], [3], id="exact-fit"),
        pytest.param(49999, [(3, 50000)], [], id="one-fen-short"),
        pytest.param(
            150000, [(3, 100000), (5, 50000), (9, 50000)], [3, 5], id="fifo-until-exhausted"
        ),
        pytest.param(
            60000, [(3, 100000), (5, 50000)], [], id="stops-at-first-misfit-though-later-fits"
        ),
        pytest.param(
            120000,
            [(3, 50000), (5, 100000), (9, 20000)],
            [3],
            id="stops-midway-though-a-later-one-fits",
        ),
        pytest.param(
            150000,
            [(9, 50000), (3, 100000), (5, 50000)],
            [3, 5],
            id="arrival-order-is-the-index-not-the-list-order",
        ),
        pytest.param(10**9, [(3, 50000), (5, 100000), (9, 20000)], [3, 5, 9], id="everything-fits"),
    ],
)
def test_release(remaining: int, waiting: list[tuple[int, int]], granted: list[int]) -> None:
    assert release(remaining, [Waiting(i, a) for i, a in waiting]) == granted


# --- admit: a new reward and the year's queue -------------------------------------------


@pytest.mark.parametrize(
    ("remaining", "amount", "queue_waiting", "expected"),
    [
        pytest.param(100000, 50000, False, ("granted", "covered"), id="covered-nobody-waiting"),
        pytest.param(50000, 50000, False, ("granted", "covered"), id="exact-fit"),
        pytest.param(49999, 50000, False, ("pending_budget", "budget_short"), id="one-fen-short"),
        pytest.param(0, 50000, False, ("pending_budget", "budget_short"), id="nothing-left"),
        pytest.param(
            -1, 50000, False, ("pending_budget", "budget_short"), id="budget-below-committed"
        ),
        # the issue: 500 yuan left, a 1,000-yuan reward waits; a later 500 does not overtake
        pytest.param(
            50000,
            50000,
            True,
            ("pending_budget", "queue_waiting"),
            id="smaller-reward-does-not-overtake-a-waiting-one",
        ),
        pytest.param(
            10**9,
            1,
            True,
            ("pending_budget", "queue_waiting"),
            id="however-much-is-left-the-queue-comes-first",
        ),
        pytest.param(
            0,
            50000,
            True,
            ("pending_budget", "queue_waiting"),
            id="short-and-behind-the-queue-names-the-queue",
        ),
    ],
)
def test_admit(remaining: int, amount: int, queue_waiting: bool, expected: tuple[str, str]) -> None:
    admission = admit(remaining, amount, queue_waiting=queue_waiting)
    assert (admission.status, admission.reason) == expected
    assert admission.granted is (expected[0] == "granted")


@dataclass
class Year:
    """A program year's reward budget as the ledger handlers see it, kept in values: they
    admit a new reward with ``admit`` and release the queue with ``release`` whenever the
    remainder grows (a raised budget, a cancelled reward)."""

    budget: int
    granted: dict[int, int] = field(default_factory=dict)
    waiting: dict[int, int] = field(default_factory=dict)  # in arrival order

    def remaining(self) -> int:
        return self.budget - sum(self.granted.values())

    def reward(self, number: int, amount: int) -> str:
        admission: Admission = admit(self.remaining(), amount, queue_waiting=bool(self.waiting))
        (self.granted if admission.granted else self.waiting)[number] = amount
        return admission.status

    def release(self) -> list[int]:
        released = release(self.remaining(), [Waiting(n, a) for n, a in self.waiting.items()])
        for number in released:
            self.granted[number] = self.waiting.pop(number)
        return released

    def set_budget(self, amount: int) -> list[int]:
        self.budget = amount
        return self.release()

    def cancel(self, number: int) -> list[int]:
        self.granted.pop(number, None)
        self.waiting.pop(number, None)
        return self.release()


YUAN = 100  # fen


@dataclass(frozen=True)
class New:
    """A certificate is issued: reward ``number`` (its arrival) of ``amount`` yuan."""

    number: int
    yuan: int
    status: str


@dataclass(frozen=True)
class Budget:
    """The authority sets the budget to ``yuan``: the waiting rewards then granted."""

    yuan: int
    released: tuple[int, ...] = ()


@dataclass(frozen=True)
class Cancel:
    """Reward ``number`` is cancelled: the waiting rewards then granted."""

    number: int
    released: tuple[int, ...] = ()


QUEUE_SCENARIOS: dict[str, tuple[int, list[New | Budget | Cancel]]] = {
    "issue-500-1000-500-500-released-in-order": (
        1000,
        [
            New(1, 500, "granted"),
            New(2, 1000, "pending_budget"),  # 500 left: does not fit
            New(3, 500, "pending_budget"),  # fits what is left, but 2 waits: no overtaking
            New(4, 500, "pending_budget"),
            Budget(1400),  # 900 left: the head (1,000) still does not fit; nobody moves
            Budget(2000, (2, 3)),  # 1,500 left: the 1,000, then a 500; the last 500 waits
            New(5, 500, "pending_budget"),  # 4 still waits
            Budget(3500, (4, 5)),  # 1,500 left: both, 500 left over
            # the queue is empty again: the next reward is granted directly
            New(6, 500, "granted"),
            New(7, 500, "pending_budget"),  # nothing left
        ],
    ),
    "cancelled-granted-reward-releases-in-order": (
        1000,
        [
            New(1, 1000, "granted"),
            New(2, 500, "pending_budget"),
            New(3, 1000, "pending_budget"),
            New(4, 500, "pending_budget"),
            Cancel(1, (2,)),  # 1,000 free: the 500, then the 1,000 after it does not fit
            Cancel(2, (3,)),
            New(5, 100, "pending_budget"),  # 4 waits: no overtaking
        ],
    ),
    "cancelled-waiting-head-lets-the-queue-move": (
        1000,
        [
            New(1, 400, "granted"),
            New(2, 1000, "pending_budget"),
            New(3, 500, "pending_budget"),
            Cancel(2, (3,)),  # 600 left: the new head fits
            New(4, 100, "granted"),
        ],
    ),
    "cancelled-waiting-behind-the-head-moves-nobody": (
        500,
        [
            New(1, 1000, "pending_budget"),
            New(2, 500, "pending_budget"),
            Cancel(2),
            New(3, 500, "pending_budget"),
        ],
    ),
    "a-lowered-budget-releases-nobody": (
        1000,
        [
            New(1, 500, "granted"),
            New(2, 1000, "pending_budget"),
            Budget(500),
            New(3, 1, "pending_budget"),
        ],
    ),
}


@pytest.mark.parametrize("scenario", list(QUEUE_SCENARIOS))
def test_the_reward_queue(scenario: str) -> None:
    budget, steps = QUEUE_SCENARIOS[scenario]
    year = Year(budget * YUAN)
    for step in steps:
        if isinstance(step, New):
            assert year.reward(step.number, step.yuan * YUAN) == step.status, (step, year)
        elif isinstance(step, Budget):
            assert year.set_budget(step.yuan * YUAN) == list(step.released), (step, year)
        else:
            assert year.cancel(step.number) == list(step.released), (step, year)
        # after every step: whoever waits first does not fit what is left
        if year.waiting:
            assert next(iter(year.waiting.values())) > year.remaining(), (step, year)


# --- program year and month (Asia/Shanghai) --------------------------------------------


@pytest.mark.parametrize(
    ("instant", "year", "month"),
    [
        pytest.param(
            datetime(2026, 12, 31, 15, 59, 59, 999999, tzinfo=UTC),
            2026,
            "2026-12",
            id="last-microsecond-of-2026-in-shanghai",
        ),
        pytest.param(
            datetime(2026, 12, 31, 16, 0, tzinfo=UTC),
            2027,
            "2027-01",
            id="midnight-shanghai-is-2027",
        ),
        pytest.param(
            datetime(2026, 12, 31, 23, 0, tzinfo=UTC),
            2027,
            "2027-01",
            id="still-31-december-in-utc-but-2027",
        ),
        pytest.param(
            datetime(2026, 1, 1, 0, 0, tzinfo=UTC), 2026, "2026-01", id="new-year-utc-is-8am"
        ),
        pytest.param(datetime(2025, 12, 31, 16, 0, tzinfo=UTC), 2026, "2026-01", id="2026-starts"),
        pytest.param(
            datetime(2026, 3, 31, 16, 0, tzinfo=UTC), 2026, "2026-04", id="month-boundary"
        ),
    ],
)
def test_program_year_and_month(instant: datetime, year: int, month: str) -> None:
    assert program_year(instant) == year
    assert program_month(instant) == month


# --- claim window ------------------------------------------------------------------------

ISSUED = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def test_claim_deadline_is_issuance_plus_the_window() -> None:
    assert claim_deadline(ISSUED, 180) == datetime(2027, 5, 21, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "allowed"),
    [
        pytest.param(ISSUED, True, id="at-issuance"),
        pytest.param(ISSUED + timedelta(days=180) - MICROSECOND, True, id="just-before"),
        pytest.param(ISSUED + timedelta(days=180), True, id="exactly-at-the-deadline"),
        pytest.param(ISSUED + timedelta(days=180) + MICROSECOND, False, id="one-microsecond-after"),
        pytest.param(ISSUED + timedelta(days=181), False, id="a-day-late"),
    ],
)
def test_may_claim(now: datetime, allowed: bool) -> None:
    assert may_claim(now, claim_deadline(ISSUED, 180)) is allowed


# --- budgets -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("budget", "committed", "amount", "fits"),
    [
        pytest.param(1000, 0, 1000, True, id="exactly-the-budget"),
        pytest.param(1000, 400, 600, True, id="exactly-what-is-left"),
        pytest.param(1000, 400, 601, False, id="one-fen-over"),
        pytest.param(0, 0, 0, True, id="nothing-for-nothing"),
        pytest.param(0, 0, 1, False, id="empty-budget"),
    ],
)
def test_fits_budget(budget: int, committed: int, amount: int, fits: bool) -> None:
    assert fits_budget(budget, committed, amount) is fits


# --- transitions: the program and its budgets ---------------------------------------------

PROGRAM: dict[str, Any] = {
    "id": "beijing-ai-2026",
    "version": "1.0.0",
    "title_zh": "北京市人工智能职业技能提升计划（2026年度）",
    "title_en": "Beijing AI Vocational Skills Programme 2026",
    "year": 2026,
    "timezone": "Asia/Shanghai",
    "currency": "CNY",
    "reward_by_level_fen": {5: 50000, 4: 100000, 3: 150000, 2: 200000, 1: 200000},
    "reward_cap_per_learner_per_year_fen": 200000,
    "reward_budget_fen": 15000000000,
    "subsidy_per_trainee_fen": 600000,
    "subsidies_per_trainee_per_year": 1,
    "subsidy_claim_window_days": 180,
    "subsidy_budget_fen": 72000000000,
    "certified_trainees_target": 120000,
    "advanced_certificates_target": 36000,
}


def program(**changes: Any) -> Program:
    return Program.model_validate({**PROGRAM, **changes})


@pytest.mark.parametrize(
    ("kind", "set_fen", "expected"),
    [
        pytest.param("reward", None, 15000000000, id="reward-as-the-version-states"),
        pytest.param("subsidy", None, 72000000000, id="subsidy-as-the-version-states"),
        pytest.param("reward", 150000, 150000, id="reward-as-budget-set"),
        pytest.param("subsidy", 0, 0, id="subsidy-set-to-zero-is-zero-not-the-default"),
    ],
)
def test_program_budget(kind: Any, set_fen: int | None, expected: int) -> None:
    assert program_budget(program(), kind, set_fen) == expected


def refusal(call: Any) -> tuple[type[CreditBankError], str, str | None]:
    """The refusal ``call`` raises: (error class, message, field)."""
    with pytest.raises(CreditBankError) as caught:
        call()
    return type(caught.value), caught.value.detail, caught.value.field


def test_require_program() -> None:
    found = program()
    assert require_program("beijing-ai-2026", found) is found
    assert refusal(lambda: require_program("nowhere-2026", None)) == (
        NotFound,
        "no published program nowhere-2026",
        "statement.body.program_id",
    )


@pytest.mark.parametrize(
    ("kind", "amount", "committed", "refused"),
    [
        pytest.param("reward", 150000, 150000, None, id="exactly-what-it-covers"),
        pytest.param("reward", 0, 0, None, id="zero-covering-nothing"),
        pytest.param("subsidy", 10**9, 5, None, id="raised"),
        pytest.param(
            "reward",
            149999,
            150000,
            "the reward budget cannot go below the 150000 fen it already covers",
            id="reward-one-fen-below",
        ),
        pytest.param(
            "subsidy",
            0,
            600000,
            "the subsidy budget cannot go below the 600000 fen it already covers",
            id="subsidy-to-zero-while-covering",
        ),
    ],
)
def test_check_budget_floor(kind: Any, amount: int, committed: int, refused: str | None) -> None:
    if refused is None:
        check_budget_floor(kind, amount, committed)
    else:
        assert refusal(lambda: check_budget_floor(kind, amount, committed)) == (
            RuleViolation,
            refused,
            "statement.body.amount_fen",
        )


# --- transitions: rewards -------------------------------------------------------------------

LEARNER = "CB00000000018"


def reward(
    index: int, status: RewardStatus = "pending_budget", amount: int = 50000, level: int = 5
) -> Reward:
    return Reward(
        index, LEARNER, f"C{level}-{index:06d}", "beijing-ai-2026", 2026, level, amount, status
    )


@pytest.mark.parametrize(
    ("level", "counted", "expected"),
    [
        pytest.param(5, 0, 50000, id="level-5"),
        pytest.param(3, 0, 150000, id="level-3"),
        pytest.param(2, 100000, 100000, id="capped-at-what-the-cap-leaves"),
        pytest.param(4, 200000, 0, id="cap-reached"),
    ],
)
def test_issuance_reward(level: int, counted: int, expected: int) -> None:
    assert issuance_reward(program(), level, counted) == expected


DECIDED_BODY = {
    "learner": LEARNER,
    "certificate_number": "C5-000001",
    "program_id": "beijing-ai-2026",
    "year": 2026,
    "level": 5,
    "amount_fen": 50000,
}


@pytest.mark.parametrize(
    ("admission", "kind", "body"),
    [
        pytest.param(
            Admission("granted", "covered"),
            "reward.granted",
            {**DECIDED_BODY, "queued_index": None},
            id="granted-names-no-queued-index",
        ),
        pytest.param(
            Admission("pending_budget", "budget_short"),
            "reward.queued",
            DECIDED_BODY,
            id="budget-short-has-no-queued-index-member",
        ),
        pytest.param(
            Admission("pending_budget", "queue_waiting"),
            "reward.queued",
            DECIDED_BODY,
            id="queue-waiting",
        ),
    ],
)
def test_reward_decided(admission: Admission, kind: str, body: dict[str, Any]) -> None:
    decided = reward_decided(
        program(),
        learner=LEARNER,
        certificate_number="C5-000001",
        level=5,
        amount_fen=50000,
        admission=admission,
        source=41,
    )
    assert decided == Derivation(kind, body, (41,))


@pytest.mark.parametrize(
    ("remaining", "waiting", "granted"),
    [
        pytest.param(0, [(3, 50000)], [], id="nothing-left"),
        pytest.param(50000, [(3, 50000)], [3], id="exact-fit"),
        pytest.param(150000, [(3, 100000), (5, 50000), (9, 50000)], [3, 5], id="fifo"),
        pytest.param(60000, [(3, 100000), (5, 50000)], [], id="head-does-not-fit"),
        pytest.param(
            150000, [(9, 50000), (3, 100000), (5, 50000)], [3, 5], id="in-index-order-as-given"
        ),
    ],
)
def test_released_rewards(
    remaining: int, waiting: list[tuple[int, int]], granted: list[int]
) -> None:
    rewards = {i: reward(i, amount=a) for i, a in waiting}
    assert released_rewards(remaining, list(rewards.values()), 77) == [
        Derivation(
            "reward.granted",
            {
                "learner": rewards[i].learner,
                "certificate_number": rewards[i].certificate_number,
                "program_id": "beijing-ai-2026",
                "year": 2026,
                "level": 5,
                "amount_fen": rewards[i].amount_fen,
                "queued_index": i,
            },
            (77, i),
        )
        for i in granted
    ]


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        pytest.param("granted", "reward.cancelled", id="granted-is-cancelled"),
        pytest.param("pending_budget", "reward.cancelled", id="waiting-is-cancelled"),
        pytest.param("paid", "reward.clawback_due", id="paid-is-clawed-back"),
        pytest.param("cancelled", None, id="cancelled-stays"),
        pytest.param("clawback_due", None, id="clawback-stays"),
    ],
)
def test_rewards_on_revoke(status: RewardStatus, kind: str | None) -> None:
    ended = rewards_on_revoke([reward(12, status, amount=100000, level=4)], 90)
    if kind is None:
        assert ended == []
        return
    assert ended == [
        Derivation(
            kind,
            {
                "reward_index": 12,
                "learner": LEARNER,
                "certificate_number": "C4-000012",
                "amount_fen": 100000,
            },
            (90, 12),
        )
    ]


@pytest.mark.parametrize(
    ("ended", "before", "moves"),
    [
        pytest.param("cancelled", "granted", True, id="cancelled-granted-frees-budget"),
        pytest.param("cancelled", "pending_budget", True, id="cancelled-head-may-unblock"),
        pytest.param("clawback_due", "paid", False, id="clawback-stays-counted"),
        pytest.param("cancelled", "paid", False, id="paid-is-never-cancelled"),
    ],
)
def test_ending_moves_queue(ended: Any, before: RewardStatus, moves: bool) -> None:
    assert ending_moves_queue(ended, before) is moves


@pytest.mark.parametrize(
    ("found", "refused"),
    [
        pytest.param(reward(7, "granted"), None, id="granted-is-paid"),
        pytest.param(None, (NotFound, "no reward 7"), id="no-such-reward"),
        pytest.param(
            reward(7, "pending_budget"),
            (Conflict, "reward 7 is pending_budget; only a granted reward is paid"),
            id="waiting",
        ),
        pytest.param(
            reward(7, "paid"),
            (Conflict, "reward 7 is paid; only a granted reward is paid"),
            id="paid",
        ),
        pytest.param(
            reward(7, "cancelled"),
            (Conflict, "reward 7 is cancelled; only a granted reward is paid"),
            id="cancelled",
        ),
    ],
)
def test_check_reward_payment(
    found: Reward | None, refused: tuple[type[CreditBankError], str] | None
) -> None:
    if refused is None:
        check_reward_payment(7, found)
    else:
        assert refusal(lambda: check_reward_payment(7, found)) == (
            *refused,
            "statement.body.reward_index",
        )


# --- transitions: subsidies -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "awards", "counted", "generates"),
    [
        pytest.param({}, [3, 4], 0, True, id="first-of-the-year"),
        pytest.param({}, [3, 4], 1, False, id="one-per-year-already-used"),
        pytest.param({"subsidies_per_trainee_per_year": 2}, [3], 1, True, id="second-of-two"),
        pytest.param({"subsidy_per_trainee_fen": 0}, [3], 0, False, id="program-pays-none"),
        pytest.param({}, [], 0, False, id="rests-on-no-awards"),
    ],
)
def test_may_generate_subsidy_and_the_yearly_limit(
    changes: dict[str, Any], awards: list[int], counted: int, generates: bool
) -> None:
    found = program(**changes)
    assert (may_generate_subsidy(found, awards) and within_subsidy_limit(found, counted)) is (
        generates
    )


def test_subsidy_entitled() -> None:
    issued = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    decided = subsidy_entitled(
        program(),
        learner=LEARNER,
        certificate_number="C5-000009",
        credits_by_provider={"prov-c": 13, "prov-a": 40, "prov-b": 30},
        now=issued,
        source=55,
    )
    assert decided == Derivation(
        "subsidy.entitled",
        {
            "learner": LEARNER,
            "certificate_number": "C5-000009",
            "program_id": "beijing-ai-2026",
            "year": 2026,
            "amount_fen": 600000,
            "claim_until": "2027-05-21T08:00:00.000000Z",
            "parts": [
                {"provider": "prov-a", "credits": "4.0", "amount_fen": 289157},
                {"provider": "prov-b", "credits": "3.0", "amount_fen": 216867},
                {"provider": "prov-c", "credits": "1.3", "amount_fen": 93976},
            ],
        },
        (55,),
    )
    assert sum(p["amount_fen"] for p in decided.body["parts"]) == 600000


def part(provider: str, status: PartStatus, entitlement: int = 30) -> SubsidyPart:
    return SubsidyPart(entitlement, provider, LEARNER, "beijing-ai-2026", 200000, status)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        pytest.param("open", "subsidy.cancelled", id="open-is-cancelled"),
        pytest.param("claimed", "subsidy.cancelled", id="claimed-is-cancelled"),
        pytest.param("approved", "subsidy.cancelled", id="approved-is-cancelled"),
        pytest.param("paid", "subsidy.clawback_due", id="paid-is-clawed-back"),
        pytest.param("rejected", None, id="rejected-stays-rejected"),
        pytest.param("cancelled", None, id="cancelled-stays"),
        pytest.param("clawback_due", None, id="clawback-stays"),
    ],
)
def test_parts_on_revoke(status: PartStatus, kind: str | None) -> None:
    ended = parts_on_revoke([part("prov-a", status)], 99)
    if kind is None:
        assert ended == []
        return
    assert ended == [
        Derivation(
            kind,
            {
                "entitlement_index": 30,
                "provider": "prov-a",
                "learner": LEARNER,
                "amount_fen": 200000,
            },
            (99, 30),
        )
    ]


def test_parts_on_revoke_in_entitlement_then_code_point_order() -> None:
    """Not the database's collation: 'prov-b' sorts before 'prova' by code point."""
    parts = [
        part("prova", "open", 31),
        part("prov-b", "paid", 31),
        part("prova", "claimed", 30),
        part("prov-c", "rejected", 30),
    ]
    ended = parts_on_revoke(parts, 99)
    assert [(d.body["entitlement_index"], d.body["provider"], d.kind) for d in ended] == [
        (30, "prova", "subsidy.cancelled"),
        (31, "prov-b", "subsidy.clawback_due"),
        (31, "prova", "subsidy.cancelled"),
    ]


CLAIM_UNTIL = datetime(2027, 5, 21, 8, 0, tzinfo=UTC)
ENTITLEMENT = Entitlement(30, LEARNER, CLAIM_UNTIL)
E_FIELD = "statement.body.entitlement_index"


@pytest.mark.parametrize(
    ("entitlement", "found", "now", "refused"),
    [
        pytest.param(ENTITLEMENT, part("prov-a", "open"), CLAIM_UNTIL, None, id="at-the-deadline"),
        pytest.param(
            None,
            None,
            CLAIM_UNTIL,
            (NotFound, "no subsidy entitlement 30"),
            id="no-such-entitlement",
        ),
        pytest.param(
            ENTITLEMENT,
            None,
            CLAIM_UNTIL,
            (Forbidden, "prov-a has no part in subsidy entitlement 30"),
            id="not-the-providers",
        ),
        pytest.param(
            ENTITLEMENT,
            part("prov-a", "claimed"),
            CLAIM_UNTIL,
            (Conflict, "prov-a's part of entitlement 30 is claimed"),
            id="claimed-twice",
        ),
        pytest.param(
            ENTITLEMENT,
            part("prov-a", "cancelled"),
            CLAIM_UNTIL + MICROSECOND,
            (Conflict, "prov-a's part of entitlement 30 is cancelled"),
            id="status-before-window",
        ),
        pytest.param(
            ENTITLEMENT,
            part("prov-a", "open"),
            CLAIM_UNTIL + MICROSECOND,
            (RuleViolation, "the claim window closed at 2027-05-21T08:00:00.000000Z"),
            id="one-microsecond-late",
        ),
    ],
)
def test_check_claim(
    entitlement: Entitlement | None,
    found: SubsidyPart | None,
    now: datetime,
    refused: tuple[type[CreditBankError], str] | None,
) -> None:
    if refused is None:
        check_claim("prov-a", 30, entitlement, found, now)
    else:
        assert refusal(lambda: check_claim("prov-a", 30, entitlement, found, now)) == (
            *refused,
            E_FIELD,
        )


@pytest.mark.parametrize(
    ("entitlement", "found", "status", "action", "refused"),
    [
        pytest.param(
            ENTITLEMENT, part("prov-a", "claimed"), "claimed", "approved", None, id="approve"
        ),
        pytest.param(
            ENTITLEMENT, part("prov-a", "claimed"), "claimed", "rejected", None, id="reject"
        ),
        pytest.param(ENTITLEMENT, part("prov-a", "approved"), "approved", "paid", None, id="pay"),
        pytest.param(
            None,
            None,
            "claimed",
            "approved",
            (NotFound, "no subsidy entitlement 30", E_FIELD),
            id="no-such-entitlement",
        ),
        pytest.param(
            ENTITLEMENT,
            None,
            "claimed",
            "approved",
            (NotFound, "prov-a has no part in subsidy entitlement 30", "statement.body.provider"),
            id="no-such-part",
        ),
        pytest.param(
            ENTITLEMENT,
            part("prov-a", "open"),
            "claimed",
            "approved",
            (
                Conflict,
                "prov-a's part of entitlement 30 is open; only a claimed part is approved",
                E_FIELD,
            ),
            id="approve-unclaimed",
        ),
        pytest.param(
            ENTITLEMENT,
            part("prov-a", "rejected"),
            "claimed",
            "rejected",
            (
                Conflict,
                "prov-a's part of entitlement 30 is rejected; only a claimed part is rejected",
                E_FIELD,
            ),
            id="reject-twice",
        ),
        pytest.param(
            ENTITLEMENT,
            part("prov-a", "claimed"),
            "approved",
            "paid",
            (
                Conflict,
                "prov-a's part of entitlement 30 is claimed; only a approved part is paid",
                E_FIELD,
            ),
            id="pay-unapproved",
        ),
    ],
)
def test_require_part(
    entitlement: Entitlement | None,
    found: SubsidyPart | None,
    status: PartStatus,
    action: str,
    refused: tuple[type[CreditBankError], str, str] | None,
) -> None:
    def call() -> SubsidyPart:
        return require_part(30, "prov-a", entitlement, found, status=status, action=action)

    if refused is None:
        assert call() is found
    else:
        assert refusal(call) == refused


@pytest.mark.parametrize(
    ("budget", "committed", "amount", "refused"),
    [
        pytest.param(600000, 0, 600000, None, id="exactly-the-budget"),
        pytest.param(1000, 400, 600, None, id="exactly-what-is-left"),
        pytest.param(
            1000,
            400,
            601,
            "the beijing-ai-2026 subsidy budget has 600 fen left; this part needs 601 fen",
            id="one-fen-over",
        ),
        pytest.param(
            0,
            0,
            1,
            "the beijing-ai-2026 subsidy budget has 0 fen left; this part needs 1 fen",
            id="empty-budget",
        ),
    ],
)
def test_check_approval_budget(
    budget: int, committed: int, amount: int, refused: str | None
) -> None:
    def call() -> None:
        check_approval_budget("beijing-ai-2026", budget, committed, amount)

    if refused is None:
        call()
    else:
        assert refusal(call) == (RuleViolation, refused, E_FIELD)
