"""A sequencer starts each batch from the last committed batch's caches of courses,
standards, actors and keys, and only when nobody else has written since: what the rules
read is still what the tables hold, whoever changed them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from creditbank.bank import Bank, open_bank
from creditbank.catalogue import store as catalogue_store
from creditbank.core.entry import sign_statement
from creditbank.core.errors import Conflict, NotFound, RuleViolation
from creditbank.core.statements import catalogue as statements
from creditbank.settings import Settings
from tests.conftest import FakeClock
from tests.credits.conftest import World


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The course facts read from the tables (not from a cache)."""
    made: list[tuple[str, str]] = []
    read = catalogue_store._read_course_facts

    def counted(conn: object, provider: str, course_id: str) -> object:
        made.append((provider, course_id))
        return read(conn, provider, course_id)  # type: ignore[arg-type]

    monkeypatch.setattr(catalogue_store, "_read_course_facts", counted)
    return made


@pytest.fixture
def other(settings: Settings, clock: FakeClock, world: World) -> Iterator[Bank]:
    """A second sequencer on the same database (another server process, say)."""
    bank = open_bank(settings, clock=clock)
    try:
        yield bank
    finally:
        bank.close()


def _unrecognized_course(world: World, course_id: str) -> None:
    """A course of prov-a registered (by this sequencer) but not yet recognized."""
    statement = statements.course_registration(
        "prov-a",
        course_id,
        title=course_id,
        standard_id="data-annotator",
        level=5,
        unit_code="DAN-5-01",
        mode="online",
        hours="16.0",
    )
    world.bank.ledger.append(sign_statement(statement, world.key))


def _recognize(bank: Bank, world: World, course_id: str) -> None:
    statement = statements.course_recognition(
        "prov-a",
        course_id,
        valid_from=world.clock() - timedelta(days=365),
        valid_until=world.clock() + timedelta(days=365),
    )
    bank.ledger.append(sign_statement(statement, bank.authority_key()))


def test_a_course_is_read_once_while_only_this_sequencer_writes(
    world: World, reads: list[tuple[str, str]]
) -> None:
    learner = world.learner()
    for _ in range(3):
        world.complete(learner, "clean-online")
    assert reads.count(("prov-a", "clean-online")) == 1


def test_a_course_changed_by_another_sequencer_is_read_again(
    world: World, other: Bank, reads: list[tuple[str, str]]
) -> None:
    learner = world.learner()
    _unrecognized_course(world, "fresh")
    with pytest.raises(RuleViolation):  # and its facts (no recognition yet) are cached
        world.complete(learner, "fresh")
    _recognize(other, world, "fresh")
    world.complete(learner, "fresh")  # a stale cache would refuse it again
    assert reads.count(("prov-a", "fresh")) == 2


def test_a_course_changed_by_this_sequencer_is_current_in_later_batches(
    world: World, reads: list[tuple[str, str]]
) -> None:
    learner = world.learner()
    _unrecognized_course(world, "fresh")
    with pytest.raises(RuleViolation):
        world.complete(learner, "fresh")
    _recognize(world.bank, world, "fresh")
    world.complete(learner, "fresh")


def test_a_batch_rolled_back_leaves_nothing_in_the_caches(world: World) -> None:
    """A course registered in a batch that was then rolled back (an atomic batch with a
    refused statement) is not known to the next batch."""
    learner = world.learner()
    registration = statements.course_registration(
        "prov-a",
        "never-was",
        title="never was",
        standard_id="data-annotator",
        level=5,
        unit_code="DAN-5-01",
        mode="online",
        hours="8.0",
    )
    recognition = statements.course_recognition(
        "prov-a",
        "never-was",
        valid_from=world.clock() - timedelta(days=30),
        valid_until=world.clock() + timedelta(days=30),
    )
    results = world.bank.ledger.append_many(
        [
            sign_statement(registration, world.key),
            sign_statement(recognition, world.bank.authority_key()),
            sign_statement(world.completion(learner, "never-was"), world.key),
            sign_statement(world.completion(learner, "no-such-course"), world.key),
        ],
        atomic=True,
    )
    assert isinstance(results[3], NotFound)
    assert all(isinstance(r, Conflict) for r in results[:3])  # not logged: not alone
    with pytest.raises(NotFound):
        world.complete(learner, "never-was")
