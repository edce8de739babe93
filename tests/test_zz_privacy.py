"""No personal data on the ledger: the scan itself (tests/conftest.py), and proof that it
reads the ledgers the tests build. Every bank from the ``bank`` fixture (and every bank a
test builds itself and hands to ``privacy_scan``) is scanned when its test ends, in the
process that built it, for every name, ID number and contact registered in that process;
so the scan holds under pytest-xdist and in any order."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from creditbank.access.service import open_account
from creditbank.bank import Bank, init_bank
from creditbank.ledger import store
from creditbank.settings import Settings
from tests.conftest import FakeClock, PrivacyScan, find_personal_data
from tests.factories import PERSONAL_DATA, make_person, post_notice, register


def test_the_scan_finds_what_it_looks_for() -> None:
    entries = [b'{"body":{"name":"\\u738b\\u4f1f"}}', '{"x":"王伟"}'.encode(), b'{"ok":1}']
    assert find_personal_data(entries, {"王伟"}) == [(0, "王伟"), (1, "王伟")]
    assert find_personal_data(entries, {"110105199805120011"}) == []
    assert find_personal_data(entries, {"伟", "ok"}) == [(0, "伟"), (1, "伟"), (2, "ok")]
    assert find_personal_data([b"ab", b"cd"], {"bc", "cd"}) == [(1, "cd")]  # not across two
    assert find_personal_data([], {"王伟"}) == []


def _size(bank: Bank) -> int:
    with bank.engine.connect() as conn:
        return store.tree_size(conn)


@dataclass
class Expected:
    entries: int = 0


@pytest.fixture
def expect_scan(privacy_scan: PrivacyScan, settings: Settings) -> Iterator[Expected]:
    """Set up before ``bank`` (after ``settings``, which may skip) and so torn down after
    it: checks that the bank's teardown scanned exactly the entries the test says its
    ledger holds."""
    before = (privacy_scan.ledgers, privacy_scan.entries)
    expected = Expected()
    yield expected
    assert (privacy_scan.ledgers, privacy_scan.entries) == (
        before[0] + 1,
        before[1] + expected.entries,
    )


def test_the_bank_fixture_scans_its_ledger_with_personal_data(
    expect_scan: Expected, bank: Bank, clock: FakeClock
) -> None:
    person = make_person()
    assert {person.name, person.id_number, person.phone, person.email} <= PERSONAL_DATA
    open_account(bank, person, "authority", clock())
    expect_scan.entries = _size(bank)
    assert expect_scan.entries > 2  # the trust root and the account's opening


def test_a_datum_on_the_ledger_fails_the_scan(
    settings: Settings, clock: FakeClock, privacy_scan: PrivacyScan
) -> None:
    person = make_person()
    before = privacy_scan.ledgers
    bank = init_bank(settings, clock=clock)
    try:
        key = register(bank, "prov-a")
        post_notice(bank, "prov-a", key, text=f"call {person.name} on {person.phone}")
        with pytest.raises(AssertionError, match="personal data on the ledger") as failed:
            privacy_scan.check(bank)
    finally:
        bank.close()
    assert privacy_scan.ledgers == before + 1
    assert person.name in str(failed.value)
    assert str(person.phone) in str(failed.value)
