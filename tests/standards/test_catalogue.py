"""Loading the catalogue: every problem in every file, cross-file checks, and filters."""

from __future__ import annotations

from pathlib import Path

import pytest

from creditbank.core.errors import InvalidInput
from creditbank.standards import (
    Catalogue,
    Problem,
    load_catalogue,
    parse_standard_yaml,
    validate_catalogue,
)
from tests.standards.factories import (
    REPO_ROOT,
    program_data,
    standard_data,
    write_program,
    write_standard,
)


def _other_standard() -> dict[str, object]:
    data = standard_data(id="other-standard")
    for level in data["levels"]:
        for unit in level["units"]:
            unit["code"] = unit["code"].replace("SMP", "OTH")
        for req in level["required_units"]:
            req["code"] = req["code"].replace("SMP", "OTH")
    return data


@pytest.mark.parametrize(
    ("text", "reason", "line"),
    [
        ("id: [unclosed\nversion: x\n", "invalid YAML", 2),
        ("id: a\n  bad indent: 1\n", "invalid YAML", 2),
        ("id: a\nid: b\n", "duplicate or unhashable key 'id'", 2),
        ("", "the file is empty", None),
        ("# only a comment\n", "the file is empty", None),
        ("--- {id: a}\n--- {id: b}\n", "invalid YAML", 2),
        ("- just\n- a list\n", "valid dictionary", 1),
        ("id: !!python/object:os.system x\n", "invalid YAML", 1),
    ],
    ids=["unclosed", "indent", "duplicate-key", "empty", "comment-only", "two-docs", "list", "tag"],
)
def test_yaml_problems_are_reported_with_lines(text: str, reason: str, line: int | None) -> None:
    standard, problems = parse_standard_yaml(text, file="standards/x.yaml")
    assert standard is None
    [problem] = problems
    assert (problem.file, problem.path) == ("standards/x.yaml", "")
    assert reason in problem.reason
    assert problem.line == line


def test_every_problem_in_every_file_is_collected(catalogue_root: Path) -> None:
    bad_one = standard_data(id="bad-one", areas=["nlp", "nlp"])
    bad_two = standard_data(id="bad-two", version="one")
    bad_two["levels"][0]["units"][0]["max_credits"] = 6.0
    write_standard(catalogue_root, bad_one)
    write_standard(catalogue_root, bad_two)
    (catalogue_root / "standards" / "broken.yaml").write_text("id: [\n", encoding="utf-8")
    (catalogue_root / "standards" / "latin1.yaml").write_bytes("title_zh: é\n".encode("latin-1"))
    write_program(catalogue_root, program_data(id="bad-program", currency="USD"))
    found = {(p.file, p.path) for p in validate_catalogue(catalogue_root)}
    assert found == {
        ("standards/bad-one.yaml", "areas[1]"),
        ("standards/bad-two.yaml", "version"),
        ("standards/bad-two.yaml", "levels[0].units[0].max_credits"),
        ("standards/broken.yaml", ""),
        ("standards/latin1.yaml", ""),
        ("standards/programs/bad-program.yaml", "currency"),
    }


def test_file_stem_must_equal_id(catalogue_root: Path) -> None:
    write_standard(catalogue_root, standard_data(), name="renamed")
    assert validate_catalogue(catalogue_root) == [
        Problem(
            "standards/renamed.yaml",
            "id",
            "id 'sample-standard' must equal the file name stem 'renamed'",
        )
    ]


def test_duplicate_ids_across_files(catalogue_root: Path) -> None:
    write_standard(catalogue_root, standard_data())
    write_standard(catalogue_root, _other_standard() | {"id": "sample-standard"}, name="zz-copy")
    reasons = {(p.file, p.reason) for p in validate_catalogue(catalogue_root)}
    assert (
        "standards/zz-copy.yaml",
        "id 'sample-standard' is also used by standards/sample-standard.yaml",
    ) in reasons


def test_duplicate_unit_codes_across_standards(catalogue_root: Path) -> None:
    write_standard(catalogue_root, standard_data())
    other = _other_standard()
    other["levels"][1]["units"][1]["code"] = "SMP-3-02"
    write_standard(catalogue_root, other)
    assert validate_catalogue(catalogue_root) == [
        Problem(
            "standards/sample-standard.yaml",
            "levels[1].units[1].code",
            "unit code SMP-3-02 is also used by standards/other-standard.yaml (other-standard)",
        )
    ]


def test_programs_cannot_share_a_year(catalogue_root: Path) -> None:
    write_program(catalogue_root, program_data(id="a-2026"))
    write_program(catalogue_root, program_data(id="b-2026"))
    assert validate_catalogue(catalogue_root) == [
        Problem(
            "standards/programs/b-2026.yaml",
            "year",
            "year 2026 is already covered by standards/programs/a-2026.yaml",
        )
    ]


def test_stray_yml_files_are_reported(catalogue_root: Path) -> None:
    (catalogue_root / "standards" / "typo.yml").write_text("id: typo\n", encoding="utf-8")
    [problem] = validate_catalogue(catalogue_root)
    assert problem.file == "standards/typo.yml"
    assert ".yaml extension" in problem.reason


def test_missing_directory(tmp_path: Path) -> None:
    [problem] = validate_catalogue(tmp_path)
    assert problem.file == "standards"


def test_load_refuses_a_catalogue_with_problems(catalogue_root: Path) -> None:
    write_standard(catalogue_root, standard_data(areas=[]))
    with pytest.raises(InvalidInput) as info:
        load_catalogue(catalogue_root)
    assert "1 problem(s)" in info.value.detail
    assert info.value.extra["problems"] == [
        {
            "file": "standards/sample-standard.yaml",
            "path": "areas",
            "reason": "a standard is filed under at least one area",
            "line": 6,
        }
    ]


def test_load_returns_sorted_values(catalogue_root: Path) -> None:
    write_standard(catalogue_root, _other_standard())
    write_standard(catalogue_root, standard_data())
    write_program(catalogue_root, program_data(id="sample-2027", year=2027))
    write_program(catalogue_root, program_data())
    catalogue = load_catalogue(catalogue_root)
    assert [s.id for s in catalogue.standards] == ["other-standard", "sample-standard"]
    assert [p.year for p in catalogue.programs] == [2026, 2027]
    assert catalogue.program_for_year(2027) == catalogue.program("sample-2027")
    assert catalogue.program_for_year(2025) is None
    sample = catalogue.standard("sample-standard")
    assert sample is not None
    assert sample.unit(3, "SMP-3-01") is not None
    assert sample.unit(4, "SMP-3-01") is None  # a unit is identified by level and code
    assert catalogue.standard("nope") is None


@pytest.fixture(scope="module")
def real() -> Catalogue:
    return load_catalogue(REPO_ROOT)


def _ids(found: tuple[object, ...]) -> set[str]:
    return {s.id for s in found}  # type: ignore[attr-defined]


def test_find_by_occupation_code(real: Catalogue) -> None:
    assert _ids(real.find(occupation="4-04-05-05")) >= {
        "ai-trainer",
        "data-annotator",
        "ai-algorithm-tester",
    }
    group = _ids(real.find(occupation="4-04-05"))
    assert {"ai-trainer", "genai-system-application-specialist"} <= group
    assert "ai-engineer" not in group
    assert real.find(occupation="4-04-0") == ()  # only whole code segments match
    assert all(s.occupation_code is not None for s in real.find(occupation="2"))


def test_find_by_level_and_area(real: Catalogue) -> None:
    level_one = _ids(real.find(level=1))
    assert "ai-ethics-reviewer" in level_one
    assert "data-annotator" not in level_one
    assert "nlp-engineer" in _ids(real.find(area="nlp"))
    both = real.find(area="large_models", level=4)
    assert both
    assert all("large_models" in s.areas and 4 in s.level_numbers for s in both)
    assert len(real.find()) == 150
