"""The Standard model: one AI vocational competency standard, as read from its YAML file.

A standard defines some of China's five vocational skill levels (5 五级/初级工 ... 1
一级/高级技师); each level lists competency units with a credit ceiling, the credits a
learner needs, the units that must hold a minimum, the online share that may count, whether
the next-lower level's certificate (level L+1) is a prerequisite, and how long credits stay
valid.

Credits are exact: files write them as decimal strings with one fractional digit ("4.0"),
and code works in integer tenths (:func:`parse_credits`). Floats never enter.

Rules that span fields (required units exist, the credits can be reached, ...) are checked
by the models themselves, so an invalid ``Standard`` cannot be built. Each broken rule is a
:class:`Violation` naming the field path (``levels[2].required_units[0].code``);
:func:`check_standard` returns them all instead of stopping at the first.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Final, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from creditbank.core.canonical import canonical_bytes
from creditbank.core.errors import InvalidInput

Area = Literal[
    "ai_algorithms",
    "machine_learning",
    "nlp",
    "speech",
    "computer_vision",
    "knowledge_engineering",
    "large_models",
    "ai_tool_applications",
    "intelligent_robotics",
    "ai_ethics",
    "ai_security",
    "data",
    "big_data",
    "cloud_computing",
    "edge_computing",
    "iot",
    "blockchain",
    "industrial_internet",
    "intelligent_manufacturing",
    "digital_twin",
    "intelligent_connected_vehicles",
    "uav",
    "extended_reality",
    "ai_hardware",
    "smart_city",
    "smart_healthcare",
    "smart_education",
    "smart_finance",
    "smart_agriculture",
    "smart_logistics",
    "digital_content",
]
"""The closed list of subject areas a standard can be filed under."""

AREAS: Final[tuple[Area, ...]] = get_args(Area)

LEVEL_NAMES: Final[dict[int, tuple[str, str]]] = {
    5: ("五级/初级工", "Level 5 / junior worker"),
    4: ("四级/中级工", "Level 4 / intermediate worker"),
    3: ("三级/高级工", "Level 3 / senior worker"),
    2: ("二级/技师", "Level 2 / technician"),
    1: ("一级/高级技师", "Level 1 / senior technician"),
}
"""China's five vocational skill levels; 5 is the entry level, 1 the highest."""

ADVANCED_LEVELS: Final[frozenset[int]] = frozenset({3, 2, 1})
"""Levels that count as "advanced" for the programme's 36,000 target."""

_CREDITS_SHAPE = re.compile(r"(0|[1-9][0-9]{0,5})\.([0-9])")
POSITIVE_CREDITS_PATTERN: Final = r"^(0\.[1-9]|[1-9][0-9]{0,5}\.[0-9])$"
_EXAMPLE = '"4.0"'


# -- credits -------------------------------------------------------------------------------


def _credits_problem(value: object) -> str | None:
    """Why ``value`` is not a credit amount, or None if it is one (zero allowed)."""
    if isinstance(value, bool):
        return f"credits must be a quoted decimal string such as {_EXAMPLE}, not a boolean"
    if isinstance(value, float):
        return (
            f"credits must be a quoted decimal string such as {_EXAMPLE}, not a float "
            "(floats are inexact); put the number in quotes"
        )
    if isinstance(value, int):
        return (
            f"credits must be a quoted decimal string with one fractional digit such as "
            f"{_EXAMPLE}, not a bare number"
        )
    if not isinstance(value, str):
        return f"credits must be a decimal string such as {_EXAMPLE}"
    if _CREDITS_SHAPE.fullmatch(value):
        return None
    if value.strip() != value:
        return f"credits must not contain spaces: {value!r}"
    if value.startswith("-"):
        return f"credits cannot be negative: {value!r}"
    if value.startswith("+"):
        return f"credits take no sign: {value!r}"
    if re.fullmatch(r"[0-9]+\.[0-9]{2,}", value, flags=re.ASCII):
        return f"credits have at most one fractional digit (0.1 credit): {value!r}"
    if re.fullmatch(r"[0-9]+", value, flags=re.ASCII):
        return f"credits need exactly one fractional digit, e.g. {value}.0: {value!r}"
    if re.fullmatch(r"0[0-9]+\.[0-9]", value, flags=re.ASCII):
        return f"credits have no leading zeros: {value!r}"
    if re.fullmatch(r"[0-9]{7,}\.[0-9]", value, flags=re.ASCII):
        return f"credits above 999999.9 are not plausible: {value!r}"
    return f"not a decimal with one fractional digit such as {_EXAMPLE}: {value!r}"


def parse_credits(value: object) -> int:
    """Integer tenths of a credit string ("4.5" -> 45); InvalidInput for anything else.

    Only the canonical spelling is accepted (digits, a point, exactly one digit), so equal
    amounts are always equal strings and hash identically.
    """
    problem = _credits_problem(value)
    if problem is not None or not isinstance(value, str):
        raise InvalidInput(problem or f"not a credit amount: {value!r}")
    whole, tenth = value.split(".")
    return int(whole) * 10 + int(tenth)


def format_credits(tenths: int) -> str:
    """The canonical string for integer tenths (45 -> "4.5"); the inverse of parse_credits."""
    if isinstance(tenths, bool) or not isinstance(tenths, int) or tenths < 0:
        raise InvalidInput(f"credit tenths must be a non-negative integer, got {tenths!r}")
    return f"{tenths // 10}.{tenths % 10}"


def _positive_credits(value: object) -> object:
    problem = _credits_problem(value)
    if problem is None and parse_credits(value) == 0:
        problem = "credits must be greater than 0.0"
    if problem is not None:
        raise PydanticCustomError("credits", problem)
    return value


# -- other field types ---------------------------------------------------------------------

SLUG_PATTERN: Final = r"^[a-z0-9]+(-[a-z0-9]+)*$"
SEMVER_PATTERN: Final = (
    r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$"
)
OCCUPATION_CODE_PATTERN: Final = r"^[0-9]-[0-9]{2}-[0-9]{2}-[0-9]{2}$"
UNIT_CODE_PATTERN: Final = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$"


def _matching(pattern: str, expected: str) -> AfterValidator:
    """A pattern check whose error says what was expected (pydantic's shows the regex)."""
    # Python's "$" also matches before a final newline, so anchored patterns use fullmatch.
    anchored = pattern.startswith("^") and pattern.endswith("$")
    compiled = re.compile(pattern[1:-1] if anchored else pattern)
    matches = compiled.fullmatch if anchored else compiled.search

    def check(value: str) -> str:
        if not matches(value):
            raise PydanticCustomError(
                "pattern",
                "{expected}, got {got}",
                {"expected": expected, "got": repr(value)},
            )
        return value

    return AfterValidator(check)


def _schema_pattern(pattern: str) -> dict[str, JsonValue]:
    return {"pattern": pattern}


Slug = Annotated[
    StrictStr,
    Field(
        max_length=64,
        description="Stable id: lowercase letters, digits and single hyphens.",
        json_schema_extra=_schema_pattern(SLUG_PATTERN),
    ),
    _matching(SLUG_PATTERN, "must be lowercase letters and digits joined by single hyphens"),
]
SemVer = Annotated[
    StrictStr,
    Field(
        description="Semantic version, e.g. 1.0.0.",
        json_schema_extra=_schema_pattern(SEMVER_PATTERN),
    ),
    _matching(SEMVER_PATTERN, "must be a semantic version such as 1.0.0"),
]
Title = Annotated[
    StrictStr,
    Field(min_length=1, max_length=120, json_schema_extra=_schema_pattern(r"\S")),
    _matching(r"\S", "must not be blank"),
]
Text = Annotated[
    StrictStr,
    Field(min_length=1, max_length=600, json_schema_extra=_schema_pattern(r"\S")),
    _matching(r"\S", "must not be blank"),
]
OccupationCode = Annotated[
    StrictStr,
    Field(
        description="National occupation code (职业分类大典), format N-NN-NN-NN.",
        json_schema_extra=_schema_pattern(OCCUPATION_CODE_PATTERN),
    ),
    _matching(OCCUPATION_CODE_PATTERN, "must be a code shaped N-NN-NN-NN such as 4-04-05-05"),
]
UnitCode = Annotated[
    StrictStr,
    Field(
        max_length=32,
        description="Unit code, unique across the catalogue, e.g. AIT-3-02.",
        json_schema_extra=_schema_pattern(UNIT_CODE_PATTERN),
    ),
    _matching(
        UNIT_CODE_PATTERN, "must be uppercase letters and digits in hyphenated parts like AIT-3-02"
    ),
]
Credits = Annotated[
    str,
    BeforeValidator(_positive_credits),
    Field(
        json_schema_extra=_schema_pattern(POSITIVE_CREDITS_PATTERN),
        description="Credits as a decimal string with exactly one fractional digit, > 0.",
        examples=["4.0"],
    ),
]
LevelNumber = Annotated[StrictInt, Field(ge=1, le=5, description="5 = 五级 ... 1 = 一级.")]

_FROZEN = ConfigDict(frozen=True, extra="forbid")
# Emptiness is a rule, not a length constraint: pydantic would also report "too short" when
# only an item failed, which misleads.
_AT_LEAST_ONE: dict[str, JsonValue] = {"minItems": 1}


# -- violations ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: the field path at fault (``levels[0].units[1].code``) and why."""

    path: str
    reason: str


def join_path(prefix: str, path: str) -> str:
    """``levels[2]`` + ``required_units[0].code`` -> ``levels[2].required_units[0].code``."""
    if not prefix:
        return path
    if not path:
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


def format_loc(loc: Iterable[int | str]) -> str:
    """A pydantic error location as a field path; list indexes and dict keys in brackets."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = join_path(path, part)
    return path


def raise_violations(violations: Sequence[Violation]) -> None:
    """Fail model validation with every violation kept (as error context) for reporting."""
    if violations:
        summary = "; ".join(f"{v.path or '(document)'}: {v.reason}" for v in violations)
        raise PydanticCustomError(
            "rules",
            "{summary}",
            {"summary": summary, "violations": tuple((v.path, v.reason) for v in violations)},
        )


def violations_from_error(exc: ValidationError) -> list[Violation]:
    """Flatten a pydantic error into violations, expanding the rule errors raised above."""
    found: list[Violation] = []
    for error in exc.errors():
        prefix = format_loc(error["loc"])
        ctx = error.get("ctx") or {}
        if error["type"] == "rules" and "violations" in ctx:
            found.extend(Violation(join_path(prefix, p), r) for p, r in ctx["violations"])
        else:
            found.append(Violation(prefix, error["msg"]))
    return found


# -- the models ----------------------------------------------------------------------------


class Unit(BaseModel):
    """A competency unit: credits earned in it count toward its level, up to max_credits."""

    model_config = _FROZEN

    code: UnitCode
    title_zh: Title
    title_en: Title
    max_credits: Credits

    @property
    def max_credits_tenths(self) -> int:
        return parse_credits(self.max_credits)


class RequiredUnit(BaseModel):
    """A unit that must hold at least min_credits (both modes, uncapped) for eligibility."""

    model_config = _FROZEN

    code: UnitCode
    min_credits: Credits = "1.0"

    @property
    def min_credits_tenths(self) -> int:
        return parse_credits(self.min_credits)


class Level(BaseModel):
    """One vocational skill level of a standard and what a learner needs to reach it."""

    model_config = _FROZEN

    level: LevelNumber
    credits_required: Credits
    max_online_share_percent: Annotated[StrictInt, Field(ge=0, le=100)] = 60
    requires_lower_level_certificate: StrictBool = Field(
        default=False,
        description="Whether a certificate at the next-lower level (level + 1) is required.",
    )
    credit_validity_years: Annotated[StrictInt, Field(ge=1, le=50)] = 5
    units: Annotated[tuple[Unit, ...], Field(json_schema_extra=_AT_LEAST_ONE)]
    required_units: tuple[RequiredUnit, ...] = ()

    @property
    def credits_required_tenths(self) -> int:
        return parse_credits(self.credits_required)

    @property
    def online_cap_tenths(self) -> int:
        """Most online credit that counts: credits_required * share // 100 (rules.md)."""
        return self.credits_required_tenths * self.max_online_share_percent // 100

    def unit(self, code: str) -> Unit | None:
        """The unit with this code at this level, if any."""
        return next((u for u in self.units if u.code == code), None)

    @model_validator(mode="after")
    def _rules(self) -> Level:
        raise_violations(level_violations(self))
        return self


class Standard(BaseModel):
    """An AI vocational competency standard: identity, occupation, areas and its levels."""

    model_config = _FROZEN

    id: Slug
    version: SemVer
    title_zh: Title
    title_en: Title
    occupation_code: OccupationCode | None = Field(
        description="National occupation code, or null when none is published or confirmed."
    )
    occupation_code_note: Text | None = Field(
        default=None,
        description="Required when occupation_code is null: why, and the nearest occupation.",
    )
    job_type_zh: Title | None = Field(
        default=None, description="Set when the standard is a job type (工种) of the occupation."
    )
    job_type_en: Title | None = None
    areas: Annotated[tuple[Area, ...], Field(json_schema_extra=_AT_LEAST_ONE)]
    description_zh: Text
    description_en: Text
    levels: Annotated[tuple[Level, ...], Field(json_schema_extra=_AT_LEAST_ONE)]

    def level(self, number: int) -> Level | None:
        """The level with this number (5 ... 1), if the standard defines it."""
        return next((lv for lv in self.levels if lv.level == number), None)

    @property
    def level_numbers(self) -> tuple[int, ...]:
        return tuple(lv.level for lv in self.levels)

    def unit(self, level: int, code: str) -> Unit | None:
        """A unit is identified by standard, level and code."""
        found = self.level(level)
        return None if found is None else found.unit(code)

    @model_validator(mode="after")
    def _rules(self) -> Standard:
        raise_violations(standard_violations(self))
        return self


# -- rules ---------------------------------------------------------------------------------


def level_violations(level: Level) -> list[Violation]:
    """Rules inside one level; paths are relative to the level."""
    found: list[Violation] = []
    if not level.units:
        return [Violation("units", f"level {level.level} needs at least one unit")]
    max_by_code = {u.code: u.max_credits_tenths for u in level.units}
    seen: dict[str, int] = {}
    for i, req in enumerate(level.required_units):
        if req.code in seen:
            found.append(
                Violation(
                    f"required_units[{i}].code",
                    f"unit {req.code} is already required at required_units[{seen[req.code]}]",
                )
            )
            continue
        seen[req.code] = i
        if req.code not in max_by_code:
            found.append(
                Violation(
                    f"required_units[{i}].code",
                    f"unit {req.code} is not a unit of level {level.level}",
                )
            )
        elif req.min_credits_tenths > max_by_code[req.code]:
            found.append(
                Violation(
                    f"required_units[{i}].min_credits",
                    f"minimum {req.min_credits} exceeds the max credits "
                    f"{format_credits(max_by_code[req.code])} of unit {req.code}",
                )
            )
    reachable = sum(u.max_credits_tenths for u in level.units)
    if reachable < level.credits_required_tenths:
        found.append(
            Violation(
                "credits_required",
                f"{level.credits_required} credits required but the units of level "
                f"{level.level} hold at most {format_credits(reachable)}",
            )
        )
    return found


def standard_violations(standard: Standard) -> list[Violation]:
    """Rules across the whole standard (each level is already valid on its own)."""
    found: list[Violation] = []
    if not standard.levels:
        found.append(Violation("levels", "a standard defines at least one level"))
    if not standard.areas:
        found.append(Violation("areas", "a standard is filed under at least one area"))
    if standard.occupation_code is None and standard.occupation_code_note is None:
        found.append(
            Violation(
                "occupation_code_note",
                "required when occupation_code is null: say why there is no national code, "
                "e.g. 'no national occupation code published; nearest occupation 4-04-05-05'",
            )
        )
    if (standard.job_type_zh is None) != (standard.job_type_en is None):
        missing = "job_type_en" if standard.job_type_en is None else "job_type_zh"
        found.append(Violation(missing, "job_type_zh and job_type_en go together"))
    first_area: dict[str, int] = {}
    for i, area in enumerate(standard.areas):
        if area in first_area:
            found.append(Violation(f"areas[{i}]", f"area {area} is listed twice"))
        first_area.setdefault(area, i)
    first_level: dict[int, int] = {}
    first_unit: dict[str, str] = {}
    for i, level in enumerate(standard.levels):
        if level.level in first_level:
            found.append(
                Violation(
                    f"levels[{i}].level",
                    f"level {level.level} is already defined at levels[{first_level[level.level]}]",
                )
            )
        first_level.setdefault(level.level, i)
        for j, unit in enumerate(level.units):
            here = f"levels[{i}].units[{j}].code"
            if unit.code in first_unit:
                found.append(
                    Violation(
                        here, f"unit code {unit.code} is already used at {first_unit[unit.code]}"
                    )
                )
            first_unit.setdefault(unit.code, here)
    for i, level in enumerate(standard.levels):
        if not level.requires_lower_level_certificate:
            continue
        lower = level.level + 1
        if lower > 5:
            reason = "level 5 is the entry level; there is no lower-level certificate to require"
        elif lower not in first_level:
            reason = (
                f"level {level.level} requires the level-{lower} certificate, "
                f"but this standard does not define level {lower}"
            )
        else:
            continue
        found.append(Violation(f"levels[{i}].requires_lower_level_certificate", reason))
    return found


# -- entry points --------------------------------------------------------------------------


def check_standard(data: object) -> tuple[Standard | None, list[Violation]]:
    """Validate parsed YAML/JSON: the standard and no violations, or None and all of them."""
    try:
        return Standard.model_validate(data), []
    except ValidationError as exc:
        return None, violations_from_error(exc)


def content_hash(document: BaseModel) -> str:
    """Hex SHA-256 of the RFC 8785 canonical JSON of a standard's (or program's) dump.

    The dump includes defaults, so writing a default out or leaving it implicit gives the
    same hash; any change that matters to a learner changes it.
    """
    return hashlib.sha256(canonical_bytes(document.model_dump(mode="json"))).hexdigest()


def semver_key(version: str) -> tuple[int, ...]:
    """Order versions numerically (1.10.0 after 1.9.0)."""
    return tuple(int(part) for part in version.split("-")[0].split("."))
