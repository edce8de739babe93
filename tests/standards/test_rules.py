"""Each validation rule of a standard file is caught, with the field path at fault.

Every case writes a bad YAML file into a throwaway catalogue and expects exactly one
problem, so a rule that fires too broadly (or not at all) fails here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from creditbank.standards import Problem, validate_catalogue
from tests.standards.factories import standard_data, write_standard

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: object) -> Mutation:
    """A mutation that sets a dotted path (list indexes as numbers) to ``value``."""

    def apply(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value

    return apply


def _delete(path: str) -> Mutation:
    def apply(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        del node[last]

    return apply


def _all(*mutations: Mutation) -> Mutation:
    def apply(data: dict[str, Any]) -> None:
        for m in mutations:
            m(data)

    return apply


def _append(path: str, value: object) -> Mutation:
    def apply(data: dict[str, Any]) -> None:
        node: Any = data
        for part in path.split("."):
            node = node[int(part)] if part.isdigit() else node[part]
        node.append(value)

    return apply


UNIT_C = {"code": "SMP-3-09", "title_zh": "戊", "title_en": "E", "max_credits": "2.0"}

CASES: list[tuple[str, Mutation, str, str]] = [
    # -- the rules of the brief -------------------------------------------------------------
    (
        "unit-code-duplicate-in-level",
        _set("levels.0.units.1.code", "SMP-4-01"),
        "levels[0].units[1].code",
        "unit code SMP-4-01 is already used at levels[0].units[0].code",
    ),
    (
        "unit-code-duplicate-across-levels",
        _set("levels.1.units.1.code", "SMP-4-02"),
        "levels[1].units[1].code",
        "already used at levels[0].units[1].code",
    ),
    (
        "required-unit-not-in-level",
        _set("levels.1.required_units.0.code", "SMP-4-01"),
        "levels[1].required_units[0].code",
        "unit SMP-4-01 is not a unit of level 3",
    ),
    (
        "required-unit-listed-twice",
        _append("levels.0.required_units", {"code": "SMP-4-01"}),
        "levels[0].required_units[1].code",
        "already required at required_units[0]",
    ),
    (
        "units-cannot-reach-credits-required",
        _set("levels.0.credits_required", "12.5"),
        "levels[0].credits_required",
        "12.5 credits required but the units of level 4 hold at most 12.0",
    ),
    (
        "required-min-above-unit-max",
        _set("levels.0.required_units.0.min_credits", "6.5"),
        "levels[0].required_units[0].min_credits",
        "minimum 6.5 exceeds the max credits 6.0 of unit SMP-4-01",
    ),
    (
        "level-defined-twice",
        _all(_set("levels.1.level", 4), _set("levels.1.requires_lower_level_certificate", False)),
        "levels[1].level",
        "level 4 is already defined at levels[0]",
    ),
    (
        "prerequisite-level-missing",
        _set("levels.0.requires_lower_level_certificate", True),
        "levels[0].requires_lower_level_certificate",
        "level 4 requires the level-5 certificate, but this standard does not define level 5",
    ),
    (
        "level-5-has-no-lower-level",
        _all(
            _set("levels.0.level", 5),
            _set("levels.1.level", 4),
            _set("levels.0.requires_lower_level_certificate", True),
        ),
        "levels[0].requires_lower_level_certificate",
        "level 5 is the entry level",
    ),
    ("at-least-one-level", _set("levels", []), "levels", "at least one level"),
    (
        "at-least-one-unit",
        _all(_set("levels.0.units", []), _set("levels.0.required_units", [])),
        "levels[0].units",
        "level 4 needs at least one unit",
    ),
    # -- identity and occupation ------------------------------------------------------------
    (
        "null-code-needs-note",
        _set("occupation_code", None),
        "occupation_code_note",
        "required when occupation_code is null",
    ),
    (
        "occupation-code-shape",
        _set("occupation_code", "4-4-5-5"),
        "occupation_code",
        "N-NN-NN-NN",
    ),
    (
        "occupation-code-key-required",
        _delete("occupation_code"),
        "occupation_code",
        "Field required",
    ),
    ("id-shape", _set("id", "Sample_Standard"), "id", "lowercase letters and digits"),
    ("version-semver", _set("version", "1.0"), "version", "semantic version"),
    ("version-not-a-float", _set("version", 1.0), "version", "valid string"),
    ("title-required", _delete("title_en"), "title_en", "Field required"),
    ("title-not-blank", _set("title_zh", "   "), "title_zh", "must not be blank"),
    (
        "job-type-pair",
        _set("job_type_zh", "数据标注员"),
        "job_type_en",
        "job_type_zh and job_type_en go together",
    ),
    ("area-closed-enum", _set("areas", ["astrology"]), "areas[0]", "Input should be"),
    ("area-listed-twice", _set("areas", ["nlp", "nlp"]), "areas[1]", "listed twice"),
    ("at-least-one-area", _set("areas", []), "areas", "at least one area"),
    ("unknown-field", _set("owner", "someone"), "owner", "Extra inputs are not permitted"),
    # -- level fields -----------------------------------------------------------------------
    ("level-range", _set("levels.0.level", 6), "levels[0].level", "less than or equal to 5"),
    ("level-not-a-string", _set("levels.0.level", "4"), "levels[0].level", "valid integer"),
    (
        "online-share-range",
        _set("levels.0.max_online_share_percent", 101),
        "levels[0].max_online_share_percent",
        "less than or equal to 100",
    ),
    (
        "validity-at-least-one-year",
        _set("levels.0.credit_validity_years", 0),
        "levels[0].credit_validity_years",
        "greater than or equal to 1",
    ),
    (
        "prerequisite-is-a-bool",
        _set("levels.1.requires_lower_level_certificate", "yes"),
        "levels[1].requires_lower_level_certificate",
        "valid boolean",
    ),
    (
        "credits-not-a-float",
        _set("levels.0.units.0.max_credits", 6.0),
        "levels[0].units[0].max_credits",
        "not a float",
    ),
    (
        "credits-one-fractional-digit",
        _set("levels.0.credits_required", "10.05"),
        "levels[0].credits_required",
        "at most one fractional digit",
    ),
    (
        "credits-not-negative",
        _set("levels.1.required_units.0.min_credits", "-1.0"),
        "levels[1].required_units[0].min_credits",
        "cannot be negative",
    ),
    (
        "unit-code-shape",
        _set("levels.0.units.0.code", "smp 1"),
        "levels[0].units[0].code",
        "uppercase letters and digits",
    ),
    (
        "unknown-level-field",
        _set("levels.1.colour", "red"),
        "levels[1].colour",
        "Extra inputs are not permitted",
    ),
    (
        "unknown-unit-field",
        _set("levels.1.units.0.hours", 16),
        "levels[1].units[0].hours",
        "Extra inputs are not permitted",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rule_is_caught_with_its_path(
    catalogue_root: Path, mutate: Mutation, path: str, reason: str
) -> None:
    data = standard_data()
    mutate(data)
    write_standard(catalogue_root, data, name="sample-standard")
    [problem] = validate_catalogue(catalogue_root)
    assert (problem.file, problem.path) == ("standards/sample-standard.yaml", path)
    assert reason in problem.reason
    assert problem.line is not None


def test_the_sample_is_valid(catalogue_root: Path) -> None:
    write_standard(catalogue_root, standard_data())
    assert validate_catalogue(catalogue_root) == []


def test_null_code_with_note_is_valid(catalogue_root: Path) -> None:
    write_standard(
        catalogue_root,
        standard_data(
            occupation_code=None,
            occupation_code_note="no national occupation code published; nearest 4-04-05-05",
        ),
    )
    assert validate_catalogue(catalogue_root) == []


def test_several_rules_in_one_file_are_all_reported(catalogue_root: Path) -> None:
    data = standard_data(occupation_code=None, areas=["nlp", "nlp"])
    data["levels"][0]["required_units"][0]["code"] = "SMP-4-99"
    data["levels"][1]["credits_required"] = "99.0"
    data["levels"][1]["units"].append(UNIT_C)
    write_standard(catalogue_root, data)
    paths = {p.path for p in validate_catalogue(catalogue_root)}
    # level rules fire per level; standard-wide rules wait until every level is valid
    assert paths == {"levels[0].required_units[0].code", "levels[1].credits_required"}
    data["levels"][0]["required_units"][0]["code"] = "SMP-4-01"
    data["levels"][1]["credits_required"] = "12.0"
    write_standard(catalogue_root, data)
    paths = {p.path for p in validate_catalogue(catalogue_root)}
    assert paths == {"occupation_code_note", "areas[1]"}


def test_problems_carry_yaml_line_numbers(catalogue_root: Path) -> None:
    data = standard_data()
    data["levels"][1]["required_units"][0]["code"] = "SMP-3-77"
    path = write_standard(catalogue_root, data)
    lines = path.read_text(encoding="utf-8").splitlines()
    expected = next(i for i, line in enumerate(lines, start=1) if "SMP-3-77" in line)
    [problem] = validate_catalogue(catalogue_root)
    assert problem == Problem(
        "standards/sample-standard.yaml",
        "levels[1].required_units[0].code",
        "unit SMP-3-77 is not a unit of level 3",
        expected,
    )
    assert str(problem).startswith(f"standards/sample-standard.yaml:{expected}: levels[1]")
