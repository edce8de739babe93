"""Rebuild, audit and the replay of a published log with author signatures checked on a
second core: the same answers, and the first bad entry still the one reported."""

from __future__ import annotations

import base64
import json

import pytest

from creditbank.core.canonical import canonical_bytes
from creditbank.core.verify import VerificationError
from creditbank.ledger import audit, store
from creditbank.ledger.audit import PARALLEL_REPLAY_MIN
from creditbank.registry import default_handlers
from tests.credits.conftest import World
from tests.factories import notice, register


def _entries(world: World) -> list[tuple[int, bytes]]:
    with world.bank.engine.connect() as conn:
        return [(i, data) for i, data, _ in store.iter_entries(conn)]


def _with_signature_of(entries: list[tuple[int, bytes]], index: int, other: int) -> None:
    """Entry ``index`` carrying entry ``other``'s signature: still canonical, no longer
    verifying."""
    entry = json.loads(entries[index][1])
    entry["sig"] = json.loads(entries[other][1])["sig"]
    entries[index] = (index, canonical_bytes(entry))


@pytest.fixture
def logged(world: World) -> World:
    learners = [world.learner() for _ in range(3)]
    for learner in learners:
        for course in ("clean-online", "label-offline", "speech-workplace"):
            world.complete(learner, course)
    key = register(world.bank, "prov-n")
    world.bank.ledger.append_many([notice("prov-n", key, sid=f"n-{i}") for i in range(40)])
    return world


def test_rebuild_and_audit_on_two_cores_match_one_core(logged: World) -> None:
    bank = logged.bank
    handlers = default_handlers()
    one = audit.rebuild(bank.engine, handlers)
    assert audit.rebuild(bank.engine, handlers, parallel_min=0) == one
    report = audit.audit(bank.engine, bank.verifier_key, bank.origin, handlers, parallel_min=0)
    assert report.ok, report.problem
    assert report.entries == one
    assert audit.replay_elsewhere(_entries(logged), handlers, size=PARALLEL_REPLAY_MIN) == one


def test_a_bad_signature_is_found_on_the_second_core(logged: World) -> None:
    entries = _entries(logged)
    signed = [i for i, data in entries if i > 2 and "sig" in json.loads(data)]
    bad = signed[len(signed) // 2]
    _with_signature_of(entries, bad, signed[-1])
    with pytest.raises(VerificationError, match=f"entry {bad}: author signature"):
        audit.replay_elsewhere(entries, default_handlers(), size=PARALLEL_REPLAY_MIN)


def test_the_first_finding_wins_over_a_later_one(logged: World) -> None:
    """A bad signature still being checked is reported before a later entry's finding."""
    entries = _entries(logged)
    signed = [i for i, data in entries if i > 2 and "sig" in json.loads(data)]
    bad, later = signed[3], signed[-2]
    _with_signature_of(entries, bad, signed[-1])
    broken = json.loads(entries[later][1])
    broken["sig"] = base64.b64encode(b"not a signature").decode()
    entries[later] = (later, canonical_bytes(broken))
    entries[later + 1] = (later + 1, b"not json")  # a structural finding after both
    with pytest.raises(VerificationError, match=f"entry {bad}: author signature"):
        audit.replay_elsewhere(entries, default_handlers(), size=PARALLEL_REPLAY_MIN)
    # on one core the same entry is reported
    with pytest.raises(VerificationError, match=f"entry {bad}: author signature"):
        audit.replay_elsewhere(entries, default_handlers())
