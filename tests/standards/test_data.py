"""The committed catalogue: 150 valid, distinct standards that cover the programme."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from creditbank.standards import (
    AREAS,
    Catalogue,
    Standard,
    content_hash,
    load_catalogue,
    parse_standard_yaml,
    validate_catalogue,
)
from tests.standards.factories import REPO_ROOT

# Codes confirmed against national sources (rules.md, the national standards' own text).
# A new code must be added here on purpose, with its source, never guessed.
CONFIRMED_CODES = {
    "4-04-05-05",  # 人工智能训练师 (national skill standard 2021)
    "2-02-10-09",  # 人工智能工程技术人员 (national standard 2021)
    "4-04-05-13",  # 生成式人工智能系统应用员 (2024 batch; rules.md)
    "2-02-07-13",  # 智能制造工程技术人员
    "6-30-99-00",  # 工业机器人系统操作员
    "6-31-01-10",  # 工业机器人系统运维员
    "4-04-05-07",  # 服务机器人应用技术员 (national skill standard 2022)
    "2-02-10-10",  # 物联网工程技术人员 (2019 batch, with 09/11/12)
    "2-02-10-11",  # 大数据工程技术人员
    "2-02-10-12",  # 云计算工程技术人员
}
PROGRAMME_AREAS = {
    "ai_algorithms",
    "machine_learning",
    "nlp",
    "computer_vision",
    "intelligent_robotics",
    "ai_tool_applications",
}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(REPO_ROOT)


def test_the_committed_catalogue_has_no_problems() -> None:
    assert validate_catalogue(REPO_ROOT) == []


def test_exactly_150_distinct_standards(catalogue: Catalogue) -> None:
    files = sorted(p.stem for p in (REPO_ROOT / "standards").glob("*.yaml"))
    assert len(files) == 150
    assert [s.id for s in catalogue.standards] == files
    assert len({s.title_zh for s in catalogue.standards}) == 150
    assert len({s.title_en for s in catalogue.standards}) == 150
    assert len({content_hash(s) for s in catalogue.standards}) == 150


def test_occupation_codes_are_real_or_explained(catalogue: Catalogue) -> None:
    for s in catalogue.standards:
        if s.occupation_code is None:
            assert s.occupation_code_note, s.id
            assert "code" in s.occupation_code_note, s.id
        else:
            assert re.fullmatch(r"\d-\d{2}-\d{2}-\d{2}", s.occupation_code), s.id
            assert s.occupation_code in CONFIRMED_CODES, (s.id, s.occupation_code)


def test_every_programme_area_and_every_enum_value_is_covered(catalogue: Catalogue) -> None:
    per_area = Counter(a for s in catalogue.standards for a in s.areas)
    for area in PROGRAMME_AREAS:
        assert per_area[area] >= 8, area
    assert set(per_area) == set(AREAS)  # the closed list holds no unused area


def test_city_plan_professions_exist(catalogue: Catalogue) -> None:
    trainer = catalogue.standard("large-model-trainer")
    ethics = catalogue.standard("ai-ethics-reviewer")
    assert trainer is not None
    assert "large_models" in trainer.areas
    assert ethics is not None
    assert ethics.areas == ("ai_ethics",)


def test_job_types_of_the_ai_trainer(catalogue: Catalogue) -> None:
    for standard_id, job in [
        ("data-annotator", "数据标注员"),
        ("ai-algorithm-tester", "人工智能算法测试员"),
    ]:
        s = catalogue.standard(standard_id)
        assert s is not None
        assert (s.occupation_code, s.job_type_zh) == ("4-04-05-05", job)
    genai = catalogue.standard("genai-system-application-specialist")
    assert genai is not None
    assert genai.occupation_code == "4-04-05-13"


def _by_level(s: Standard) -> dict[int, tuple[int, int, bool, int]]:
    return {
        lv.level: (
            lv.credits_required_tenths,
            lv.max_online_share_percent,
            lv.requires_lower_level_certificate,
            lv.credit_validity_years,
        )
        for lv in s.levels
    }


def test_values_differ_where_professions_differ(catalogue: Catalogue) -> None:
    annotator = catalogue.standard("data-annotator")
    ethics = catalogue.standard("ai-ethics-reviewer")
    assert annotator is not None
    assert ethics is not None
    assert set(annotator.level_numbers) == {5, 4, 3}
    assert set(ethics.level_numbers) == {3, 2, 1}
    a, e = _by_level(annotator), _by_level(ethics)
    assert max(v[0] for v in a.values()) <= min(v[0] for v in e.values())
    assert min(v[1] for v in a.values()) >= 70
    assert max(v[1] for v in e.values()) <= 40
    assert e[2][2]  # senior reviewers need the lower certificate
    assert e[1][2]
    assert {v[3] for v in e.values()} == {3}  # fast-moving field: 3-year credit validity
    assert {v[3] for v in a.values()} == {5}
    profiles = {tuple(sorted(_by_level(s).items())) for s in catalogue.standards}
    assert len(profiles) >= 20


def test_levels_are_well_formed(catalogue: Catalogue) -> None:
    codes: Counter[str] = Counter()
    for s in catalogue.standards:
        assert list(s.level_numbers) == sorted(s.level_numbers, reverse=True), s.id
        assert re.search(r"[\u4e00-\u9fff]", s.title_zh), s.id
        for lv in s.levels:
            assert 3 <= len(lv.units) <= 6, (s.id, lv.level)
            assert lv.required_units, (s.id, lv.level)
            lower = s.level(lv.level + 1)
            if lower is not None:
                assert lower.credits_required_tenths < lv.credits_required_tenths, s.id
            for unit in lv.units:
                codes[unit.code] += 1
                assert re.search(r"[\u4e00-\u9fff]", unit.title_zh), unit.code
                assert not re.search(r"[\u4e00-\u9fff]", unit.title_en), unit.code
                assert not re.fullmatch(r"(?i)unit \d+", unit.title_en), unit.code
    assert max(codes.values()) == 1


def test_the_documented_example_is_a_committed_file() -> None:
    doc = (REPO_ROOT / "docs" / "standards.md").read_text(encoding="utf-8")
    block = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    example, problems = parse_standard_yaml(block, file="docs/standards.md")
    assert problems == []
    assert example is not None
    committed = (REPO_ROOT / "standards" / f"{example.id}.yaml").read_text(encoding="utf-8")
    assert block == committed
