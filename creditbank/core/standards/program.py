"""The Program model: one programme year's money and targets, as read from its YAML file.

Every number rules.md marks "(policy)" lives here, not in code: reward per level, the
learner's yearly reward cap, the subsidy per certified trainee and how often a trainee can
generate one, the claim window, and the year's budgets. Money is integer fen (1 yuan =
100 fen). A program applies to one calendar year in Asia/Shanghai time.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, model_validator

from creditbank.core.standards.model import (
    LEVEL_NAMES,
    SemVer,
    Slug,
    Title,
    Violation,
    raise_violations,
    violations_from_error,
)

Fen = Annotated[StrictInt, Field(ge=0, description="An amount in fen (1 yuan = 100 fen).")]
Count = Annotated[StrictInt, Field(ge=0)]


class Program(BaseModel):
    """A programme year: rewards, enterprise subsidies, budgets and the year's targets."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Slug
    version: SemVer
    title_zh: Title
    title_en: Title
    year: Annotated[
        StrictInt,
        Field(ge=2000, le=2100, description="Calendar year (Asia/Shanghai) the program covers."),
    ]
    timezone: Literal["Asia/Shanghai"]
    currency: Literal["CNY"]
    reward_by_level_fen: Annotated[
        dict[int, Fen],
        Field(description="Reward granted on certification, by level 5 ... 1."),
    ]
    reward_cap_per_learner_per_year_fen: Fen
    reward_budget_fen: Fen
    subsidy_per_trainee_fen: Fen
    subsidies_per_trainee_per_year: Annotated[StrictInt, Field(ge=1)]
    subsidy_claim_window_days: Annotated[StrictInt, Field(ge=1, le=3660)]
    subsidy_budget_fen: Fen
    certified_trainees_target: Count
    advanced_certificates_target: Count
    max_recognised_share_percent: Annotated[
        StrictInt,
        Field(
            ge=0,
            le=100,
            description="At most this share of the credits a level requires may be credits "
            "recognised from a peer bank (docs/federation.md).",
        ),
    ] = 50

    def reward_for_level_fen(self, level: int) -> int:
        """The uncapped reward for a certificate at ``level``."""
        return self.reward_by_level_fen[level]

    @model_validator(mode="after")
    def _rules(self) -> Program:
        raise_violations(program_violations(self))
        return self


def program_violations(program: Program) -> list[Violation]:
    """Rules across a program's fields."""
    found: list[Violation] = []
    levels = set(program.reward_by_level_fen)
    missing = sorted(set(LEVEL_NAMES) - levels)
    extra = sorted(levels - set(LEVEL_NAMES))
    if missing:
        found.append(Violation("reward_by_level_fen", f"no reward given for level(s) {missing}"))
    for level in extra:
        found.append(
            Violation(f"reward_by_level_fen[{level}]", "not a vocational skill level (1 ... 5)")
        )
    cap = program.reward_cap_per_learner_per_year_fen
    for level, amount in sorted(program.reward_by_level_fen.items()):
        if amount > cap:
            found.append(
                Violation(
                    f"reward_by_level_fen[{level}]",
                    f"reward {amount} fen exceeds the yearly cap per learner of {cap} fen",
                )
            )
    if program.advanced_certificates_target > program.certified_trainees_target:
        found.append(
            Violation(
                "advanced_certificates_target",
                f"{program.advanced_certificates_target} advanced certificates exceed the "
                f"target of {program.certified_trainees_target} certified trainees",
            )
        )
    return found


def check_program(data: object) -> tuple[Program | None, list[Violation]]:
    """Validate parsed YAML/JSON: the program and no violations, or None and all of them."""
    try:
        return Program.model_validate(data), []
    except ValidationError as exc:
        return None, violations_from_error(exc)
