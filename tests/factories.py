"""Factories for tests: the shared builders of creditbank.tooling.factories (actors, keys,
signed statements, courses, people, tokens), and what only the tests need: personal data
registered for the privacy scan, bearer headers."""

from __future__ import annotations

import itertools
from typing import Any

from creditbank.access.service import PersonIn
from creditbank.tooling.factories import (
    append_all,
    b64,
    completion,
    notice,
    person_fields,
    post_notice,
    register,
    register_course,
    resident_id,
    token_for,
)

__all__ = [
    "PERSONAL_DATA",
    "append_all",
    "b64",
    "bearer",
    "completion",
    "make_person",
    "notice",
    "post_notice",
    "register",
    "register_course",
    "register_personal_data",
    "resident_id",
    "token_for",
]

PERSONAL_DATA: set[str] = set()
"""Every name, ID number and contact this test process handed to a bank. The privacy
scan (tests/conftest.py) looks for each of them in every ledger the process builds; all
the data a test uses is registered before its bank is scanned, in the same process."""

_person_ids = itertools.count(1)


def register_personal_data(*values: str | None) -> None:
    """Have the privacy scan look for these values (None and empty ones are skipped)."""
    PERSONAL_DATA.update(v for v in values if v)


def make_person(**overrides: Any) -> PersonIn:
    """A learner's personal data, each value registered for the privacy scan."""
    fields = {**person_fields(next(_person_ids)), **overrides}
    register_personal_data(*(str(v) for k, v in fields.items() if k != "id_type" and v))
    return PersonIn(**fields)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
