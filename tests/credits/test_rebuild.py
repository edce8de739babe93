"""A long random scenario: the projections built append by append equal the ones
`rebuild` recomputes from the ledger alone, and the audit re-derives every decision."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest

from creditbank.core.entry import sign_statement
from creditbank.core.errors import CreditBankError
from creditbank.ledger import audit, store
from creditbank.ledger.sequencer import Appended
from creditbank.registry import default_handlers
from tests.credits.conftest import COURSES, World
from tests.credits.test_engine import _projections


@pytest.mark.parametrize("seed", [7, 2026])
def test_rebuild_equals_incremental_after_a_random_scenario(world: World, seed: int) -> None:
    rng = random.Random(seed)
    learners = [world.learner() for _ in range(6)]
    posted: list[int] = []
    kinds: dict[str, int] = {}
    for step in range(160):
        roll = rng.random()
        try:
            if roll < 0.75 or not posted:
                course = rng.choice(list(COURSES))
                pass_fail = COURSES[course].get("min_score", 60) is None
                done = world.complete(
                    rng.choice(learners),
                    course,
                    score=None if pass_fail else rng.choice([30, 59, 60, 75, 100]),
                    passed=rng.choice([True, False]) if pass_fail else None,
                    completed_at=world.clock() - timedelta(days=rng.randrange(0, 2000)),
                    cid=f"s{seed}-{step}",
                )
                posted.append(done.index)
                kinds["completion"] = kinds.get("completion", 0) + 1
            elif roll < 0.9:
                world.retract(rng.choice(posted))
                kinds["retraction"] = kinds.get("retraction", 0) + 1
            else:
                world.clock.advance(days=rng.randrange(1, 400))
        except CreditBankError as exc:  # refused input (e.g. retracting twice) writes nothing
            kinds[type(exc).__name__] = kinds.get(type(exc).__name__, 0) + 1
    assert kinds["completion"] > 80
    assert kinds.get("retraction", 0) > 5
    incremental = _projections(world)
    assert incremental["awards"], "the scenario awarded nothing"
    assert any(row[-1] is not None for row in incremental["awards"]), "no award was revoked"
    assert incremental["eligibility"], "no eligibility transition happened"
    report = audit.audit(
        world.bank.engine, world.bank.verifier_key, world.bank.origin, default_handlers()
    )
    assert report.ok, report.problem
    audit.rebuild(world.bank.engine, default_handlers())
    assert _projections(world) == incremental


@pytest.mark.parametrize("seed", [11, 5])
def test_batched_appends_equal_the_audit_and_rebuild(world: World, seed: int) -> None:
    """Batches hold their projection writes until the next read (store.deferred_writes);
    completions and retractions mixed in one batch must leave what the audit's
    row-by-row replay derives, and what rebuild recomputes."""
    rng = random.Random(seed)
    learners = [world.learner() for _ in range(5)]
    posted: list[int] = []
    for batch_no in range(12):
        batch = []
        for i in range(rng.randrange(5, 30)):
            if posted and rng.random() < 0.2:
                target = rng.choice(posted)
                statement = {
                    "kind": "completion.retracted",
                    "actor": world.provider,
                    "id": f"b{seed}-{batch_no}-{i}-retract-{target}",
                    "body": {"completion_index": target, "reason": "duplicate upload"},
                }
            else:
                statement = world.completion(
                    rng.choice(learners),
                    rng.choice(["clean-online", "label-offline", "speech-workplace"]),
                    score=rng.choice([30, 75, 100]),
                    completed_at=world.clock() - timedelta(days=rng.randrange(0, 2000)),
                    cid=f"b{seed}-{batch_no}-{i}",
                )
            batch.append(sign_statement(statement, world.key))
        for signed, outcome in zip(batch, world.bank.ledger.append_many(batch), strict=True):
            if isinstance(outcome, Appended) and signed.kind == "completion.recorded":
                posted.append(outcome.index)
        world.clock.advance(days=rng.randrange(1, 200))
    incremental = _projections(world)
    assert any(row[-1] is not None for row in incremental["awards"]), "no award was revoked"
    assert incremental["eligibility"], "no eligibility transition happened"
    report = audit.audit(
        world.bank.engine, world.bank.verifier_key, world.bank.origin, default_handlers()
    )
    assert report.ok, report.problem
    audit.rebuild(world.bank.engine, default_handlers())
    assert _projections(world) == incremental


def test_a_big_batch_derives_unsigned_decisions_and_the_workers_hold_no_key(
    world: World,
) -> None:
    """From PARALLEL_VERIFY_MIN statements on, a worker process verifies signatures while
    the sequencer decides; the batch's derived decisions are the
    log's own, unsigned entries, which the audit re-derives one for one."""
    from creditbank.ledger.sequencer import PARALLEL_VERIFY_MIN

    learners = [world.learner() for _ in range(40)]
    batch = [
        sign_statement(
            world.completion(learners[i % len(learners)], "clean-online", cid=f"big-{i}"),
            world.key,
        )
        for i in range(PARALLEL_VERIFY_MIN + 20)
    ]
    results = world.bank.ledger.append_many(batch)
    assert world.bank.ledger.signatures is not None
    derived = [i for r in results if isinstance(r, Appended) for i in r.derived]
    assert len(derived) >= len(learners)  # an award each at least
    with world.bank.engine.connect() as conn:
        for index in derived:
            entry = json.loads(store.entry_data(conn, index))
            assert set(entry) == {"v", "kind", "statement", "integrated_at"}
            assert entry["statement"]["actor"] == "log"
            assert entry["statement"]["id"] == f"{entry['kind']}@{index}"
    report = audit.audit(
        world.bank.engine, world.bank.verifier_key, world.bank.origin, default_handlers()
    )
    assert report.ok, report.problem
