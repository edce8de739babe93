"""The authority's report against a small scenario whose every figure is known, its CSV
(parsed back with the csv module), the year boundary in Asia/Shanghai time, and 404 for a
year no program governs."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest

from creditbank.bank import Bank
from creditbank.money import reports
from tests.access.conftest import problem
from tests.api.certflow import Flow, money_world
from tests.api.conftest import ASGIClient
from tests.conftest import FakeClock
from tests.factories import token_for

BUDGET_REWARD = 15_000_000_000
BUDGET_SUBSIDY = 72_000_000_000
A, B = 420_000, 180_000  # each subsidy: prov-a's 7.0 credits, prov-b's 3.0 of 10.0


def scenario(flow: Flow) -> None:
    """Five certified learners and one who is not:

    - L1: reward paid; prov-a's part paid, prov-b's rejected; then revoked (clawbacks)
    - L2: reward granted; prov-a's part approved, prov-b's open
    - L3: reward granted; both parts claimed
    - L4: revoked before any payment (reward and parts cancelled)
    - L5: reward granted; parts open
    - L6: eligible, not certified, and failed prov-a's online course once more
    """
    bank = flow.bank
    l1, l2, l3, l4, l5 = (flow.certify(f"DAN5-2026-00000{i}") for i in range(1, 6))
    flow.sign(flow.reward_payment(l1.reward(bank), "PAY-1"))
    e1, e2, e3 = (c.entitlement(bank) for c in (l1, l2, l3))
    for entitlement, provider in ((e1, "prov-a"), (e1, "prov-b"), (e2, "prov-a")):
        flow.sign(flow.claim(entitlement, provider))
    flow.sign(flow.decision("subsidy.approved", e1, "prov-a"))
    flow.sign(flow.decision("subsidy.paid", e1, "prov-a", payment_reference="SUB-1"))
    flow.sign(flow.decision("subsidy.rejected", e1, "prov-b", reason="no records"))
    flow.sign(flow.decision("subsidy.approved", e2, "prov-a"))
    flow.sign(flow.claim(e3, "prov-a"))
    flow.sign(flow.claim(e3, "prov-b"))
    flow.sign(flow.revocation(l1.number))
    flow.sign(flow.revocation(l4.number, actor="authority"))
    learner, _ = flow.eligible_learner()
    flow.complete(learner, "fl-online", score=40)
    del l5


def expected_figures() -> dict[str, Any]:
    def counts(issued: int, revoked: int) -> dict[str, int]:
        return {"issued": issued, "revoked": revoked, "active": issued - revoked}

    none = {"issued": 0, "revoked": 0, "active": 0}
    parts = {
        "open": (3, A + 2 * B),  # L2's prov-b part, both of L5's
        "claimed": (2, A + B),  # L3's
        "approved": (1, A),  # L2's prov-a part
        "rejected": (1, B),  # L1's prov-b part
        "paid": (0, 0),  # L1's prov-a part was paid, then clawed back
        "cancelled": (2, A + B),  # L4's
        "clawback_due": (1, A),  # L1's prov-a part
    }
    return {
        "targets": {
            "certified_trainees": {"actual": 3, "target": 120_000, "percent": "0.00"},
            "advanced_certificates": {"actual": 0, "target": 36_000, "percent": "0.00"},
        },
        "certificates": {
            "total": counts(5, 2),
            "by_standard": {"data-annotator": counts(5, 2)},
            "by_level": {"5": counts(5, 2), "4": none, "3": none, "2": none, "1": none},
            "by_month": {f"2026-{m:02d}": counts(5, 2) if m == 11 else none for m in range(1, 13)},
        },
        # six learners x (3.0 online + 4.0 offline + 3.0 workplace)
        "credits_by_mode": {
            "online": "18.0",
            "offline": "24.0",
            "workplace": "18.0",
            "total": "60.0",
        },
        "rewards": {
            "budget_fen": BUDGET_REWARD,
            "committed_fen": 200_000,  # granted (L2, L3, L5) and clawback due (L1)
            "by_status": {
                "pending_budget": {"count": 0, "amount_fen": 0},
                "granted": {"count": 3, "amount_fen": 150_000},
                "paid": {"count": 0, "amount_fen": 0},
                "cancelled": {"count": 1, "amount_fen": 50_000},
                "clawback_due": {"count": 1, "amount_fen": 50_000},
            },
        },
        "subsidies": {
            "budget_fen": BUDGET_SUBSIDY,
            "committed_fen": A + A,  # L2's approved part and L1's clawback due
            "by_status": {s: {"count": n, "amount_fen": fen} for s, (n, fen) in parts.items()},
        },
        "providers": {
            "prov-a": {
                "completions_posted": 13,  # 6 x 2 courses + the failed attempt
                "completions_awarded": 12,
                "credits_awarded": "42.0",
                "learners_certified": 3,  # L2, L3, L5
                "subsidy_fen": {
                    "open": A,
                    "claimed": A,
                    "approved": A,
                    "rejected": 0,
                    "paid": 0,
                    "cancelled": A,
                    "clawback_due": A,
                },
            },
            "prov-b": {
                "completions_posted": 6,
                "completions_awarded": 6,
                "credits_awarded": "18.0",
                "learners_certified": 3,
                "subsidy_fen": {
                    "open": 2 * B,
                    "claimed": B,
                    "approved": 0,
                    "rejected": B,
                    "paid": 0,
                    "cancelled": B,
                    "clawback_due": 0,
                },
            },
        },
    }


@pytest.fixture
def flow(bank: Bank) -> Flow:
    return money_world(bank)


def test_the_report_of_a_known_scenario(flow: Flow, bank: Bank, client: ASGIClient) -> None:
    scenario(flow)
    r = client.get("/v1/reports/2026", token=token_for(bank, "authority"))
    assert r.status_code == 200, r.text
    got = r.json()
    want = expected_figures()
    assert (got["year"], got["timezone"], got["program"]) == (
        2026,
        "Asia/Shanghai",
        {"id": "beijing-ai-2026", "version": "1.0.0"},
    )
    assert got["targets"] == want["targets"]
    assert got["certificates"] == want["certificates"]
    assert got["credits_by_mode"] == want["credits_by_mode"]
    for section in ("rewards", "subsidies"):
        assert got[section]["by_status"] == want[section]["by_status"], section
        assert got[section]["budget_fen"] == want[section]["budget_fen"]
    # the budget covers granted, paid and clawed-back rewards; approved, paid and
    # clawed-back subsidy parts
    assert got["rewards"]["committed_fen"] == want["rewards"]["committed_fen"]
    assert got["rewards"]["remaining_fen"] == BUDGET_REWARD - 200_000
    assert got["subsidies"]["committed_fen"] == want["subsidies"]["committed_fen"]
    assert got["subsidies"]["remaining_fen"] == BUDGET_SUBSIDY - 2 * A
    assert got["providers"] == want["providers"]
    # the per-provider credits add up to the credits by mode
    total = sum(float(p["credits_awarded"]) for p in got["providers"].values())
    assert f"{total:.1f}" == got["credits_by_mode"]["total"]
    # the same through the service
    assert reports.report(bank.engine, 2026) == got


def test_the_csv_parses_and_says_what_the_json_says(
    flow: Flow, bank: Bank, client: ASGIClient
) -> None:
    scenario(flow)
    token = token_for(bank, "authority")
    figures = client.get("/v1/reports/2026", token=token).json()
    r = client.get("/v1/reports/2026.csv", token=token)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert "creditbank-report-2026.csv" in r.headers["content-disposition"]
    assert client.get("/v1/reports/2026?format=csv", token=token).text == r.text
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert list(table[0]) == ["section", "key", "subkey", "value"]
    cells = {(row["section"], row["key"], row["subkey"]): row["value"] for row in table}
    assert len(cells) == len(table)  # every cell named once
    assert cells[("report", "year", "")] == "2026"
    assert cells[("report", "as_of", "")] == figures["as_of"]
    assert cells[("report", "program_id", "")] == "beijing-ai-2026"
    for name, target in figures["targets"].items():
        for subkey, value in target.items():
            assert cells[("targets", name, subkey)] == str(value)
    for subkey, n in figures["certificates"]["total"].items():
        assert cells[("certificates", "total", subkey)] == str(n)
    for section in ("by_standard", "by_level", "by_month"):
        for key, counts in figures["certificates"][section].items():
            for subkey, n in counts.items():
                assert cells[(f"certificates_{section}", key, subkey)] == str(n)
    for mode, credits in figures["credits_by_mode"].items():
        assert cells[("credits_by_mode", mode, "credits")] == credits
    for section in ("rewards", "subsidies"):
        for key in ("budget", "committed", "remaining"):
            assert cells[(section, key, "amount_fen")] == str(figures[section][f"{key}_fen"])
        for status, f in figures[section]["by_status"].items():
            assert cells[(section, status, "count")] == str(f["count"])
            assert cells[(section, status, "amount_fen")] == str(f["amount_fen"])
    for provider, p in figures["providers"].items():
        for key in ("completions_posted", "completions_awarded", "learners_certified"):
            assert cells[("providers", provider, key)] == str(p[key])
        assert cells[("providers", provider, "credits_awarded")] == p["credits_awarded"]
        for status, fen in p["subsidy_fen"].items():
            assert cells[("providers", provider, f"subsidy_{status}_fen")] == str(fen)
    # and nothing else: every row is accounted for above
    assert cells[("rewards", "clawback_due", "amount_fen")] == "50000"
    assert cells[("providers", "prov-b", "subsidy_rejected_fen")] == "180000"
    assert len(table) == len(list(reports.rows(figures)))


def test_a_year_without_a_program_is_404(flow: Flow, bank: Bank, client: ASGIClient) -> None:
    token = token_for(bank, "authority")
    for url in ("/v1/reports/2031", "/v1/reports/2031.csv", "/v1/reports/2031?format=csv"):
        assert "2031" in problem(client.get(url, token=token), 404, "year")["detail"]
    problem(client.get("/v1/reports/1999", token=token), 422, "year")
    problem(client.get("/v1/reports/2026?format=xml", token=token), 422, "format")
    # the 2027 program governs 2027: an empty report, not a refusal
    empty = client.get("/v1/reports/2027", token=token).json()
    assert empty["program"]["id"] == "beijing-ai-2027"
    assert empty["certificates"]["total"] == {"issued": 0, "revoked": 0, "active": 0}
    assert empty["providers"] == {}


def test_the_year_is_a_calendar_year_in_asia_shanghai(
    flow: Flow, bank: Bank, clock: FakeClock, client: ASGIClient
) -> None:
    """A certificate issued at 2026-12-31 16:30 UTC is issued on 1 January 2027 in
    Beijing: it counts in 2027 (under the 2027 program), its credits (earned a day
    before, on 31 December in Beijing) in 2026."""
    clock.now = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
    certified = flow.certify()
    token = token_for(bank, "authority")
    y2026 = client.get("/v1/reports/2026", token=token).json()
    y2027 = client.get("/v1/reports/2027", token=token).json()
    assert y2026["certificates"]["total"]["issued"] == 0
    assert y2026["credits_by_mode"]["total"] == "10.0"
    assert y2027["certificates"]["total"]["issued"] == 1
    assert y2027["certificates"]["by_month"]["2027-01"]["issued"] == 1
    assert y2027["targets"]["certified_trainees"]["actual"] == 1
    assert y2027["credits_by_mode"]["total"] == "0.0"
    assert y2027["rewards"]["by_status"]["granted"]["count"] == 1
    # resting on both providers' awards, though credited in the year before
    assert {p: v["learners_certified"] for p, v in y2027["providers"].items()} == {
        "prov-a": 1,
        "prov-b": 1,
    }
    assert certified.reward(bank) > 0


@pytest.mark.parametrize(
    ("actual", "target", "expected"),
    [
        (36_000, 120_000, "30.00"),
        (1, 3, "33.33"),
        (2, 3, "66.67"),
        (1, 800, "0.13"),  # 0.125: half up
        (1, 400, "0.25"),
        (1, 120_000, "0.00"),
        (150_000, 120_000, "125.00"),
        (0, 5, "0.00"),
        (1, 0, None),
    ],
)
def test_percentages_are_exact_decimal_strings(
    actual: int, target: int, expected: str | None
) -> None:
    assert reports.percent(actual, target) == expected
