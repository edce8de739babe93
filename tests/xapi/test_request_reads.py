"""A POST's reads in one round trip (``lrs_store.request_reads``) find what the separate
reads find: statements stored before, with their whole row, and the provider's links;
and no more (another provider's rows, keys not asked for)."""

from __future__ import annotations

from typing import Any

import pytest

from creditbank.bank import Bank
from creditbank.credits import lrs_store
from creditbank.ledger import store as ledger_store

AGENT = "account:https://lms.example.cn|u1"
COURSE = "https://lms.example.cn/courses/course-v1:X+Y+Z"


def _row(provider: str, sid: str, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "provider": provider,
        "statement_id": sid,
        "stored": "2026-11-30T00:00:00Z",
        "verb_id": "http://adlnet.gov/expapi/verbs/experienced",
        "activity_id": COURSE,
        "agent": AGENT,
        "registration": None,
        "voids": None,
        "voided": False,
        "digest": f"digest-{sid}",
        "document": "{}",
        "outcome": "none",
        "reason": None,
        "ledger_index": None,
        "receipt": None,
    }
    row.update(kw)
    return row


@pytest.fixture
def stored(bank: Bank) -> Bank:
    with bank.engine.begin() as conn:
        lrs_store.insert_statements(
            conn,
            [
                _row("prov-a", "00000000-0000-4000-8000-000000000001"),
                _row("prov-a", "00000000-0000-4000-8000-000000000002", voided=True),
                _row("prov-b", "00000000-0000-4000-8000-000000000003"),
            ],
        )
        lrs_store.link(conn, "lrs_learners", "prov-a", AGENT, "CB1", "2026-11-30T00:00:00Z")
        lrs_store.link(conn, "lrs_courses", "prov-a", COURSE, "c1", "2026-11-30T00:00:00Z")
        lrs_store.link(conn, "lrs_learners", "prov-b", AGENT, "CB2", "2026-11-30T00:00:00Z")
    return bank


@pytest.mark.parametrize("many", [False, True], ids=["one query", "more keys than one query"])
def test_one_round_trip_reads_what_the_separate_reads_do(stored: Bank, many: bool) -> None:
    ids = [f"00000000-0000-4000-8000-00000000000{i}" for i in (1, 2, 3, 4)]
    if many:  # past one query's keys: the separate reads, chunked
        ids += [f"10000000-0000-4000-8000-{i:012d}" for i in range(ledger_store.KEYS_PER_QUERY)]
    agents = [AGENT, "mbox:mailto:nobody@example.cn"]
    activities = [COURSE + "/", "https://elsewhere.example.cn/x"]
    with stored.engine.connect() as conn:
        found, links = lrs_store.request_reads(conn, "prov-a", ids, agents, activities)
        assert found == lrs_store.by_ids(conn, "prov-a", ids)
        assert links == lrs_store.mappings(conn, "prov-a", agents, activities)
    assert sorted(found) == ids[:2]  # prov-b's statement is not prov-a's
    assert found[ids[1]].voided is True
    assert found[ids[0]].digest == f"digest-{ids[0]}"
    assert links.learners == {AGENT: "CB1"}
    assert links.courses == {COURSE: "c1"}  # the IRI asked for with a trailing slash


def test_nothing_asked_reads_nothing(stored: Bank) -> None:
    with stored.engine.connect() as conn:
        found, links = lrs_store.request_reads(conn, "prov-a", [], [], [])
    assert found == {}
    assert (links.learners, links.courses) == ({}, {})
