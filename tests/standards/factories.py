"""Small factories for standards tests: a valid standard and program as plain data, and
writers that put them where the catalogue loader looks."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]

_STANDARD: dict[str, Any] = {
    "id": "sample-standard",
    "version": "1.0.0",
    "title_zh": "样例标准",
    "title_en": "Sample Standard",
    "occupation_code": "4-04-05-05",
    "areas": ["nlp", "data"],
    "description_zh": "用于测试的样例标准。",
    "description_en": "A sample standard for tests.",
    "levels": [
        {
            "level": 4,
            "credits_required": "10.0",
            "max_online_share_percent": 60,
            "requires_lower_level_certificate": False,
            "credit_validity_years": 5,
            "units": [
                {"code": "SMP-4-01", "title_zh": "甲", "title_en": "A", "max_credits": "6.0"},
                {"code": "SMP-4-02", "title_zh": "乙", "title_en": "B", "max_credits": "6.0"},
            ],
            "required_units": [{"code": "SMP-4-01", "min_credits": "2.0"}],
        },
        {
            "level": 3,
            "credits_required": "12.0",
            "requires_lower_level_certificate": True,
            "units": [
                {"code": "SMP-3-01", "title_zh": "丙", "title_en": "C", "max_credits": "8.0"},
                {"code": "SMP-3-02", "title_zh": "丁", "title_en": "D", "max_credits": "8.0"},
            ],
            "required_units": [{"code": "SMP-3-01"}],
        },
    ],
}

_PROGRAM: dict[str, Any] = {
    "id": "sample-2026",
    "version": "1.0.0",
    "title_zh": "样例计划",
    "title_en": "Sample Program",
    "year": 2026,
    "timezone": "Asia/Shanghai",
    "currency": "CNY",
    "reward_by_level_fen": {5: 50000, 4: 100000, 3: 150000, 2: 200000, 1: 200000},
    "reward_cap_per_learner_per_year_fen": 200000,
    "reward_budget_fen": 15_000_000_000,
    "subsidy_per_trainee_fen": 600000,
    "subsidies_per_trainee_per_year": 1,
    "subsidy_claim_window_days": 180,
    "subsidy_budget_fen": 72_000_000_000,
    "certified_trainees_target": 120000,
    "advanced_certificates_target": 36000,
}


def standard_data(**overrides: Any) -> dict[str, Any]:
    """A fresh, valid standard as parsed YAML; top-level keys can be overridden."""
    data = copy.deepcopy(_STANDARD)
    data.update(overrides)
    return data


def program_data(**overrides: Any) -> dict[str, Any]:
    """A fresh, valid program as parsed YAML; top-level keys can be overridden."""
    data = copy.deepcopy(_PROGRAM)
    data.update(overrides)
    return data


def write_yaml(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def write_standard(root: Path, data: dict[str, Any], name: str | None = None) -> Path:
    """Write ``data`` as ``standards/<name or id>.yaml`` under ``root``."""
    return write_yaml(root / "standards" / f"{name or data['id']}.yaml", data)


def write_program(root: Path, data: dict[str, Any], name: str | None = None) -> Path:
    return write_yaml(root / "standards" / "programs" / f"{name or data['id']}.yaml", data)
