"""The catalogue's pure rules, table-driven: versions, course registration, recognition."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from creditbank.core.errors import Conflict, CreditBankError, InvalidInput, NotFound, RuleViolation
from creditbank.core.rules import catalogue as rules

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2027, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("published", "version", "digest", "error", "field"),
    [
        ([], "1.0.0", "a", None, None),
        ([("1.0.0", "a")], "1.1.0", "b", None, None),
        ([("1.0.0", "a")], "1.0.0", "a", Conflict, "statement.body"),
        ([("1.0.0", "a")], "1.0.0", "b", Conflict, "statement.body.standard.version"),
        ([("1.10.0", "a")], "1.9.0", "b", RuleViolation, "statement.body.standard.version"),
        ([("1.9.0", "a")], "1.10.0", "b", None, None),
    ],
    ids=["first", "newer", "repeat", "changed-same-version", "older", "numeric-order"],
)
def test_check_new_version(
    published: list[tuple[str, str]],
    version: str,
    digest: str,
    error: type[CreditBankError] | None,
    field: str | None,
) -> None:
    if error is None:
        rules.check_new_version(published, "dan", version, digest, "standard")
        return
    with pytest.raises(error) as err:
        rules.check_new_version(published, "dan", version, digest, "standard")
    assert err.value.field == field


@pytest.mark.parametrize(
    ("hours", "credits", "expected", "error"),
    [
        (160, None, 10, None),
        (15, None, 0, None),
        (320, "3.5", 35, None),
        (None, None, None, NotFound),
        (160, "x", None, InvalidInput),
    ],
    ids=["default-16h-per-credit", "under-16h", "explicit", "no-course", "bad-credits"],
)
def test_recognition_credits(
    hours: int | None, credits: str | None, expected: int | None, error: Any
) -> None:
    if error is not None:
        with pytest.raises(error):
            rules.recognition_credits("prov-a", "c1", hours, credits)
        return
    assert rules.recognition_credits("prov-a", "c1", hours, credits) == expected


@pytest.mark.parametrize(
    ("tenths", "start", "end", "field"),
    [
        (10, T0, T1, None),
        (0, T0, T1, "statement.body.credits"),
        (10, T1, T0, "statement.body.valid_until"),
        (10, T0, T0, "statement.body.valid_until"),
    ],
    ids=["ok", "zero-credits", "backwards", "empty-window"],
)
def test_check_recognition(tenths: int, start: datetime, end: datetime, field: str | None) -> None:
    if field is None:
        rules.check_recognition(tenths, start, end)
        return
    with pytest.raises(CreditBankError) as err:
        rules.check_recognition(tenths, start, end)
    assert err.value.field == field
