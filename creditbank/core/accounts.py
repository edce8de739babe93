"""Learner account numbers: ``CB`` + 10 digits + 1 Damm check digit.

The Damm algorithm detects every single-digit error and every transposition of adjacent
digits (Luhn misses 09 <-> 90), with one check digit and no letters.
"""

from __future__ import annotations

import re
import secrets

from creditbank.core.errors import InvalidInput

PREFIX = "CB"
ACCOUNT_RE = re.compile(r"^CB[0-9]{11}$")

# The totally anti-symmetric quasigroup of order 10 from Damm (2004).
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def damm_digit(digits: str) -> int:
    """The check digit that makes ``digits`` + it reduce to 0."""
    interim = 0
    for ch in digits:
        interim = _DAMM[interim][int(ch)]
    return interim


def make_account_number(body: str) -> str:
    """``CB`` + the 10-digit ``body`` + its check digit."""
    if not re.fullmatch(r"[0-9]{10}", body):
        raise ValueError("an account number body is 10 digits")
    return f"{PREFIX}{body}{damm_digit(body)}"


def new_account_number() -> str:
    """A fresh random account number (the caller checks it is not taken)."""
    return make_account_number(f"{secrets.randbelow(10**10):010d}")


def is_valid_account_number(value: str) -> bool:
    return bool(ACCOUNT_RE.fullmatch(value)) and damm_digit(value[2:]) == 0


def check_account_number(value: object, *, field: str = "account") -> str:
    """``value`` if it is a well-formed account number; InvalidInput naming ``field``."""
    # fullmatch: `$` alone would also accept a trailing newline
    if not isinstance(value, str) or not ACCOUNT_RE.fullmatch(value):
        raise InvalidInput(
            "an account number is CB followed by 11 digits, e.g. CB12345678903", field=field
        )
    if damm_digit(value[2:]) != 0:
        raise InvalidInput(
            f"{value} has a wrong check digit (mistyped or transposed digits?)", field=field
        )
    return value
