"""Program files: the rules.md policy defaults live in data, and bad values are refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from creditbank.standards import Program, check_program, load_catalogue, validate_catalogue
from tests.standards.factories import REPO_ROOT, program_data, write_program


def test_the_2026_program_holds_the_rules_defaults() -> None:
    program = load_catalogue(REPO_ROOT).program("beijing-ai-2026")
    assert program is not None
    assert program.year == 2026
    assert (program.currency, program.timezone) == ("CNY", "Asia/Shanghai")
    assert program.reward_by_level_fen == {5: 50000, 4: 100000, 3: 150000, 2: 200000, 1: 200000}
    assert program.reward_cap_per_learner_per_year_fen == 200000
    assert program.subsidy_per_trainee_fen == 600000
    assert program.subsidies_per_trainee_per_year == 1
    assert program.subsidy_claim_window_days == 180
    assert program.certified_trainees_target == 120000
    assert program.advanced_certificates_target == 36000
    # the subsidy budget covers the target; the reward budget is a positive figure
    assert program.subsidy_budget_fen == 120000 * 600000
    assert 0 < program.reward_budget_fen <= 120000 * 200000
    assert program.reward_for_level_fen(3) == 150000


def test_every_committed_program_validates() -> None:
    files = sorted((REPO_ROOT / "standards" / "programs").glob("*.yaml"))
    assert files
    assert validate_catalogue(REPO_ROOT) == []
    assert len(load_catalogue(REPO_ROOT).programs) == len(files)


def _drop_level(data: dict[str, Any]) -> None:
    del data["reward_by_level_fen"][2]


CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("extra-level", {"reward_by_level_fen": {6: 1, 5: 1, 4: 1, 3: 1, 2: 1, 1: 1}},
     "reward_by_level_fen[6]", "not a vocational skill level"),
    ("reward-above-cap", {"reward_by_level_fen": {5: 1, 4: 1, 3: 1, 2: 250000, 1: 1}},
     "reward_by_level_fen[2]", "exceeds the yearly cap"),
    ("advanced-above-total", {"advanced_certificates_target": 120001},
     "advanced_certificates_target", "exceed the target of 120000"),
    ("currency", {"currency": "USD"}, "currency", "Input should be 'CNY'"),
    ("timezone", {"timezone": "UTC"}, "timezone", "Input should be 'Asia/Shanghai'"),
    ("float-money", {"reward_budget_fen": 1.5e10}, "reward_budget_fen", "valid integer"),
    ("string-money", {"subsidy_per_trainee_fen": "600000"}, "subsidy_per_trainee_fen",
     "valid integer"),
    ("negative-money", {"subsidy_budget_fen": -1}, "subsidy_budget_fen",
     "greater than or equal to 0"),
    ("at-least-one-subsidy", {"subsidies_per_trainee_per_year": 0},
     "subsidies_per_trainee_per_year", "greater than or equal to 1"),
    ("claim-window", {"subsidy_claim_window_days": 0}, "subsidy_claim_window_days",
     "greater than or equal to 1"),
    ("year", {"year": 1999}, "year", "greater than or equal to 2000"),
    ("unknown-field", {"bonus_fen": 1}, "bonus_fen", "Extra inputs are not permitted"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "path", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_program_rules(
    catalogue_root: Path, overrides: dict[str, Any], path: str, reason: str
) -> None:
    write_program(catalogue_root, program_data(**overrides), name="sample-2026")
    [problem] = validate_catalogue(catalogue_root)
    assert (problem.file, problem.path) == ("standards/programs/sample-2026.yaml", path)
    assert reason in problem.reason


def test_missing_level_reward() -> None:
    data = program_data()
    _drop_level(data)
    program, violations = check_program(data)
    assert program is None
    assert [(v.path, v.reason) for v in violations] == [
        ("reward_by_level_fen", "no reward given for level(s) [2]")
    ]


def test_program_round_trips_through_json() -> None:
    program, _ = check_program(program_data())
    assert program is not None
    assert Program.model_validate_json(program.model_dump_json()) == program
