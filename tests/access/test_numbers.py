"""Account numbers: CB + 10 digits + a Damm check digit that catches every single-digit
error and every adjacent transposition (checked exhaustively), and clear errors naming
the field at fault."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditbank.core.accounts import (
    ACCOUNT_RE,
    check_account_number,
    damm_digit,
    is_valid_account_number,
    make_account_number,
    new_account_number,
)
from creditbank.core.errors import InvalidInput

BODIES = [
    "0000000000",
    "1234567890",
    "9876543210",
    "0909090909",  # 09 <-> 90: the transposition Luhn misses
    "5555555555",
    "1000000001",
    "3141592653",
]

ten_digits = st.text(alphabet="0123456789", min_size=10, max_size=10)


def single_digit_errors(number: str) -> list[str]:
    """Every number that differs from ``number`` in exactly one digit (check digit too)."""
    out = []
    for pos in range(2, len(number)):
        for d in "0123456789":
            if d != number[pos]:
                out.append(number[:pos] + d + number[pos + 1 :])
    return out


def adjacent_transpositions(number: str) -> list[str]:
    """Every number made by swapping two different adjacent digits (check digit too)."""
    out = []
    for pos in range(2, len(number) - 1):
        a, b = number[pos], number[pos + 1]
        if a != b:
            out.append(number[:pos] + b + a + number[pos + 2 :])
    return out


@pytest.mark.parametrize("body", BODIES, ids=BODIES)
def test_every_single_digit_error_is_caught(body: str) -> None:
    number = make_account_number(body)
    assert is_valid_account_number(number)
    errors = single_digit_errors(number)
    assert len(errors) == 11 * 9
    for wrong in errors:
        assert not is_valid_account_number(wrong), wrong
        with pytest.raises(InvalidInput, match="wrong check digit") as err:
            check_account_number(wrong)
        assert err.value.field == "account"


@pytest.mark.parametrize("body", BODIES, ids=BODIES)
def test_every_adjacent_transposition_is_caught(body: str) -> None:
    number = make_account_number(body)
    swapped = adjacent_transpositions(number)
    if len(set(body)) > 1:
        assert swapped  # the cases are not vacuous
    for wrong in swapped:
        assert not is_valid_account_number(wrong), wrong
        with pytest.raises(InvalidInput, match="wrong check digit"):
            check_account_number(wrong)


def test_the_damm_table_detects_all_transpositions_at_every_position() -> None:
    """Independent of any sample: for every interim state and every pair of different
    digits a, b, the state after ``ab`` differs from the state after ``ba``."""
    for interim in range(10):
        prefix = next(p for p in (str(x) for x in range(100)) if damm_digit(p) == interim)
        for a in range(10):
            for b in range(10):
                if a != b:
                    assert damm_digit(f"{prefix}{a}{b}") != damm_digit(f"{prefix}{b}{a}")


@given(ten_digits)
def test_generated_numbers_validate(body: str) -> None:
    number = make_account_number(body)
    assert ACCOUNT_RE.match(number)
    assert number == f"CB{body}{damm_digit(body)}"
    assert is_valid_account_number(number)
    assert check_account_number(number) == number
    assert damm_digit(number[2:]) == 0


@given(ten_digits, st.integers(2, 12), st.integers(1, 9))
def test_any_generated_number_with_one_digit_changed_is_refused(
    body: str, pos: int, shift: int
) -> None:
    number = make_account_number(body)
    wrong = number[:pos] + str((int(number[pos]) + shift) % 10) + number[pos + 1 :]
    assert not is_valid_account_number(wrong)


def test_new_account_numbers_validate_and_differ() -> None:
    numbers = {new_account_number() for _ in range(200)}
    assert len(numbers) == 200
    assert all(is_valid_account_number(n) for n in numbers)


@pytest.mark.parametrize(
    "body", ["123456789", "12345678901", "12345abcde", "", "１２３４５６７８９０"]
)
def test_make_account_number_needs_ten_ascii_digits(body: str) -> None:
    with pytest.raises(ValueError, match="10 digits"):
        make_account_number(body)


GOOD = make_account_number("1234567890")

MALFORMED = [
    pytest.param(None, "account", id="none"),
    pytest.param(12345678903, "account", id="an-int"),
    pytest.param("", "account", id="empty"),
    pytest.param("CB1234", "account", id="too-short"),
    pytest.param(GOOD + "0", "account", id="too-long"),
    pytest.param(GOOD.lower(), "account", id="lower-case-prefix"),
    pytest.param("XY" + GOOD[2:], "account", id="other-prefix"),
    pytest.param(" " + GOOD, "account", id="leading-space"),
    pytest.param(
        GOOD + "\n",
        "account",
        id="trailing-newline",
    ),
    pytest.param(GOOD[:5] + "a" + GOOD[6:], "account", id="a-letter"),
    pytest.param("CB" + "１２３４５６７８９０" + GOOD[-1], "account", id="full-width-digits"),
    pytest.param(GOOD[:3], "username", id="field-username"),
    pytest.param(GOOD[:3], "statement.body.account", id="field-statement"),
]


@pytest.mark.parametrize(("value", "field"), MALFORMED)
def test_malformed_numbers_name_the_field(value: object, field: str) -> None:
    with pytest.raises(InvalidInput, match="CB followed by 11 digits") as err:
        check_account_number(value, field=field)
    assert err.value.field == field
    assert err.value.status == 422


@pytest.mark.parametrize("field", ["account", "username", "statement.body.account"])
def test_a_wrong_check_digit_names_the_field_and_the_number(field: str) -> None:
    wrong = GOOD[:-1] + str((int(GOOD[-1]) + 1) % 10)
    with pytest.raises(InvalidInput) as err:
        check_account_number(wrong, field=field)
    assert err.value.field == field
    assert wrong in err.value.detail
    assert "check digit" in err.value.detail
