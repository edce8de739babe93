"""Credits are exact: decimal strings with one fractional digit, held as integer tenths."""

from __future__ import annotations

from decimal import Decimal

import pytest

from creditbank.core.errors import InvalidInput
from creditbank.standards import check_standard, format_credits, parse_credits
from tests.standards.factories import standard_data


@pytest.mark.parametrize(
    ("text", "tenths"),
    [("0.0", 0), ("0.1", 1), ("0.5", 5), ("4.0", 40), ("12.3", 123), ("999999.9", 9_999_999)],
    ids=lambda v: repr(v),
)
def test_parse_valid(text: str, tenths: int) -> None:
    assert parse_credits(text) == tenths
    assert format_credits(tenths) == text


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (4.0, "not a float"),
        (0.1, "not a float"),
        (4, "not a bare number"),
        (True, "not a boolean"),
        (None, "decimal string"),
        (Decimal("4.0"), "decimal string"),
        ("4", "exactly one fractional digit"),
        ("4.", "not a decimal with one fractional digit"),
        (".5", "not a decimal with one fractional digit"),
        ("4.05", "at most one fractional digit"),
        ("4.00", "at most one fractional digit"),
        ("-1.0", "cannot be negative"),
        ("-0.0", "cannot be negative"),
        ("+1.0", "no sign"),
        (" 4.0", "spaces"),
        ("4.0\n", "spaces"),
        ("04.0", "no leading zeros"),
        ("1e1", "not a decimal with one fractional digit"),
        ("4,0", "not a decimal with one fractional digit"),
        ("٤.٠", "not a decimal with one fractional digit"),  # Arabic-Indic digits
        ("４.０", "not a decimal with one fractional digit"),  # full-width digits
        ("", "not a decimal with one fractional digit"),
        ("NaN", "not a decimal with one fractional digit"),
        ("1234567.0", "not plausible"),
    ],
    ids=lambda v: repr(v),
)
def test_parse_rejects(value: object, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        parse_credits(value)


def test_format_round_trips() -> None:
    for tenths in range(0, 5000, 7):
        assert parse_credits(format_credits(tenths)) == tenths


@pytest.mark.parametrize("bad", [-1, True, 1.5], ids=repr)
def test_format_rejects(bad: object) -> None:
    with pytest.raises(InvalidInput):
        format_credits(bad)  # type: ignore[arg-type]


def test_zero_is_not_a_credit_amount_in_a_standard() -> None:
    data = standard_data()
    data["levels"][0]["units"][1]["max_credits"] = "0.0"
    standard, violations = check_standard(data)
    assert standard is None
    assert [(v.path, v.reason) for v in violations] == [
        ("levels[0].units[1].max_credits", "credits must be greater than 0.0")
    ]


def test_tenths_helpers() -> None:
    standard, _ = check_standard(standard_data())
    assert standard is not None
    level = standard.levels[0]
    assert level.credits_required_tenths == 100
    assert level.units[0].max_credits_tenths == 60
    assert level.required_units[0].min_credits_tenths == 20
    assert standard.levels[1].required_units[0].min_credits == "1.0"  # the default
    # cap = credits_required_tenths * share // 100, as rules.md states
    assert level.online_cap_tenths == 60
