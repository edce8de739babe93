"""No personal data on the ledger: every entry the test suite wrote, scanned for every
name, ID number and contact the tests used (this module runs last)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import LEDGER_ENTRIES, PERSONAL_DATA


def find_personal_data(entries: list[bytes], personal: set[str]) -> list[tuple[int, str]]:
    """(entry position, datum) for every personal datum found in an entry, raw or as the
    JSON-escaped text the entry would hold."""
    found = []
    needles = {p: (p.encode(), json.dumps(p).strip('"').encode()) for p in personal}
    for pos, data in enumerate(entries):
        for datum, (raw, escaped) in needles.items():
            if raw in data or escaped in data:
                found.append((pos, datum))
    return found


def test_the_scan_finds_what_it_looks_for() -> None:
    entries = [b'{"body":{"name":"\\u738b\\u4f1f"}}', '{"x":"王伟"}'.encode(), b'{"ok":1}']
    assert find_personal_data(entries, {"王伟"}) == [(0, "王伟"), (1, "王伟")]
    assert find_personal_data(entries, {"110105199805120011"}) == []


@pytest.mark.privacy_scan
def test_no_personal_data_in_any_ledger_entry() -> None:
    if not LEDGER_ENTRIES or not PERSONAL_DATA:
        pytest.skip("run with the scenarios that write ledgers and use personal data")
    leaks = find_personal_data(LEDGER_ENTRIES, PERSONAL_DATA)
    assert leaks == [], f"personal data on the ledger: {leaks[:5]}"
