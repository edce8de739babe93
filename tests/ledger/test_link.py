"""One sequencer for a server's processes (creditbank.ledger.link, ADR 0023): a worker's
appends and stored xAPI statements are sequenced and written by the host, with their
outcomes, errors and side effects as if they were local; a worker whose host is gone
answers Unavailable at once and is not ready."""

from __future__ import annotations

import asyncio
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from typing import Any

import pytest
import uvloop

from creditbank.access.service import open_account
from creditbank.bank import Bank, open_bank
from creditbank.core import errors
from creditbank.core.errors import BadSignature, Conflict, Unavailable
from creditbank.core.verify import verify_receipt
from creditbank.credits import lrs
from creditbank.credits.gateway import enable_xapi
from creditbank.ledger import audit, store
from creditbank.ledger.link import SequencerHost, SequencerLink
from creditbank.ledger.observer import BatchStats
from creditbank.registry import default_handlers
from tests.credits.conftest import World, world  # noqa: F401  (the fixture)
from tests.factories import make_person, notice, register
from tests.xapi.conftest import completed


class Batches:
    def __init__(self) -> None:
        self.statements = 0

    def batch_committed(self, stats: BatchStats) -> None:
        self.statements += stats.statements


@contextmanager
def socket_dir() -> Iterator[str]:
    """A short directory for the socket (a Unix socket's path is at most 107 bytes)."""
    path = tempfile.mkdtemp(prefix="cb-link-")
    try:
        yield os.path.join(path, "sequencer.sock")
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def worker_of(bank: Bank) -> Iterator[tuple[Bank, SequencerHost]]:
    """A second bank on the same database forwarding to ``bank``, which hosts (the
    host's side is closed at the end, if the test has not closed it)."""
    key = os.urandom(32)
    with socket_dir() as address:
        host = bank.host_sequencer(address, key)
        worker = open_bank(bank.settings, clock=bank.ledger.clock)
        try:
            worker.forward_appends(address, key)
            yield worker, host
        finally:
            worker.close()
            host.close()


def test_a_workers_appends_are_sequenced_by_the_host(bank: Bank) -> None:
    key = register(bank, "prov-a")
    hosted, local = Batches(), Batches()
    bank.ledger.observer = hosted
    with worker_of(bank) as (worker, _):
        worker.ledger.observer = local
        first = worker.ledger.append(notice("prov-a", key))
        futures = [worker.ledger.submit(notice("prov-a", key)) for _ in range(30)]
        rest = [f.result(timeout=60) for f in futures]
    assert hosted.statements == 31
    assert local.statements == 0  # the worker sequenced nothing itself
    indexes = sorted(a.index for a in [first, *rest])
    assert indexes == list(range(indexes[0], indexes[0] + 31))
    for appended in [first, *rest]:
        assert verify_receipt(appended.receipt, bank.verifier_key).index == appended.index
    with bank.engine.connect() as conn:
        assert store.tree_size(conn) == indexes[-1] + 1
    report = audit.audit(bank.engine, bank.verifier_key, bank.origin, default_handlers())
    assert report.ok, report.problem


@pytest.mark.parametrize("forwarded", [False, True], ids=["in-process", "forwarded"])
def test_a_requests_statements_go_together_and_each_is_settled_on_its_own(
    bank: Bank, forwarded: bool
) -> None:
    key = register(bank, "prov-a")
    statements = [notice("prov-a", key) for _ in range(5)]
    statements[2] = replace(statements[2], signature=bytes(64))  # forged: refused alone
    with ExitStack() as stack:
        ledger, calls = bank.ledger, []
        if forwarded:
            worker, _ = stack.enter_context(worker_of(bank))
            assert worker.link is not None
            call = worker.link.call

            def counted(name: str, *args: Any, into: Future[Any] | None = None) -> Future[Any]:
                calls.append(name)
                return call(name, *args, into=into)

            worker.link.call = counted  # type: ignore[method-assign]
            ledger = worker.ledger
        futures = ledger.submit_many([(s, None) for s in statements])
        with pytest.raises(BadSignature):
            futures[2].result(timeout=60)
        logged = [f.result(timeout=60) for i, f in enumerate(futures) if i != 2]
    assert calls == (["submit_many"] if forwarded else [])  # one message for all five
    indexes = [a.index for a in logged]
    assert indexes == sorted(set(indexes))  # each its own entry, in the order sent
    for appended in logged:
        assert verify_receipt(appended.receipt, bank.verifier_key).index == appended.index
    assert bank.ledger.submit_many([]) == []


def test_a_request_sent_together_when_the_hosts_sequencer_has_stopped_is_refused(
    bank: Bank,
) -> None:
    key = register(bank, "prov-a")
    with worker_of(bank) as (worker, host):
        bank.ledger.close()  # the host still answers; its sequencer takes nothing
        futures = worker.ledger.submit_many([(notice("prov-a", key), None) for _ in range(3)])
        for future in futures:
            with pytest.raises(Unavailable):
                future.result(timeout=60)
        host.close()
        deadline = time.monotonic() + 30  # the worker learns of it as its socket closes
        while worker.ledger.running and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(Unavailable):
            worker.ledger.submit_many([(notice("prov-a", key), None)])


def test_refusals_come_back_with_their_class_field_and_details(bank: Bank) -> None:
    key = register(bank, "prov-a")
    person = make_person()
    with worker_of(bank) as (worker, _):
        forged = replace(notice("prov-a", key), signature=bytes(64))
        with pytest.raises(BadSignature) as bad:
            worker.ledger.append(forged)
        assert bad.value.field == "signature"
        # the operator's statement and its side effect (the sealed personal data) are
        # written by the host, in the batch's transaction
        opened = open_account(worker, person, "prov-a", worker.ledger.clock())
        with pytest.raises(Conflict) as twice:
            open_account(worker, person, "prov-a", worker.ledger.clock())
    assert twice.value.field == "id_number"
    assert twice.value.extra == {"account": opened.account}
    assert twice.value.problem()["account"] == opened.account


def test_an_lms_statements_go_through_the_host(world: World) -> None:  # noqa: F811
    bank = world.bank
    enable_xapi(bank, world.key)
    learner = world.learner()
    played = {**completed(learner), "verb": {"id": "https://w3id.org/xapi/video/verbs/played"}}
    with worker_of(bank) as (worker, _):
        ids = lrs.store_statements(worker, "prov-a", [completed(learner), played], "1.0.3")
        outcomes = lrs.outcomes(worker, "prov-a", ids)
    assert [o["outcome"] for o in outcomes] == ["credited", "none"]
    index, receipt = outcomes[0]["index"], outcomes[0]["receipt"]
    assert verify_receipt(receipt, bank.verifier_key).index == index
    # both stored, readable by any process
    for sid in ids:
        found = lrs.get_statements(bank, "prov-a", {"statementId": sid}, "1.0.3")
        assert found["statement"]["id"] == sid


def test_a_worker_whose_host_is_gone_is_unavailable_and_not_ready(bank: Bank) -> None:
    key = register(bank, "prov-a")
    with worker_of(bank) as (worker, host):
        assert worker.ledger.running
        worker.ledger.append(notice("prov-a", key))
        host.close()
        deadline = time.monotonic() + 30  # the worker learns of it as its socket closes
        while worker.ledger.running and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not worker.ledger.running
        with pytest.raises(Unavailable):
            worker.ledger.append(notice("prov-a", key))


def test_a_worker_is_not_ready_when_the_hosts_sequencer_has_stopped(bank: Bank) -> None:
    key = register(bank, "prov-a")
    with worker_of(bank) as (worker, _):
        assert worker.ledger.running
        bank.ledger.close()  # the host still answers; its sequencer takes nothing
        assert not worker.ledger.running
        with pytest.raises(Unavailable):
            worker.ledger.append(notice("prov-a", key))


def test_calls_pending_when_the_host_goes_are_answered_unavailable() -> None:
    never: Future[Any] = Future()
    key = os.urandom(32)
    with socket_dir() as address:
        host = SequencerHost(address, key, {"wait": lambda: never, "echo": _settled})
        host.start()
        link = SequencerLink(address, key)
        try:
            assert link.call("echo", 7).result(timeout=10) == 7
            pending = link.call("wait")
            host.close()
            with pytest.raises(Unavailable):
                pending.result(timeout=10)
            assert not link.running
        finally:
            link.close()


def test_a_process_without_the_key_is_refused_and_the_host_serves_on(bank: Bank) -> None:
    key = os.urandom(32)
    with socket_dir() as address:
        host = SequencerHost(address, key, {"echo": _settled})
        host.start()
        try:
            with pytest.raises(Unavailable):
                SequencerLink(address, os.urandom(32))
            link = SequencerLink(address, key)
            assert link.call("echo", "still here").result(timeout=10) == "still here"
            link.close()
        finally:
            host.close()


def _settled(value: Any) -> Future[Any]:
    future: Future[Any] = Future()
    future.set_result(value)
    return future


@pytest.mark.parametrize(
    "error",
    [
        cls("what went wrong", field="a.field", account="CB1")
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.CreditBankError)
    ],
    ids=lambda e: type(e).__name__,
)
def test_every_domain_error_crosses_processes_whole(error: errors.CreditBankError) -> None:
    again = pickle.loads(pickle.dumps(error))  # noqa: S301  (our own bytes)
    assert type(again) is type(error)
    assert again.problem() == error.problem()


@contextmanager
def _echo_link() -> Iterator[SequencerLink]:
    """A host whose one op answers its argument, and a worker's link to it."""
    key = os.urandom(32)
    with socket_dir() as address:
        host = SequencerHost(address, key, {"echo": _settled})
        host.start()
        link = SequencerLink(address, key)
        try:
            yield link
        finally:
            link.close()
            host.close()


def test_answers_read_on_the_servers_event_loop_under_load() -> None:
    """A worker reads the answers on its uvloop loop (``read_on``); libuv makes a watched
    descriptor non-blocking, which must not turn a full socket buffer into a lost host.
    Large answers from many threads at once fill it."""
    big = "x" * 200_000
    with _echo_link() as link:

        async def main() -> list[int]:
            link.read_on(asyncio.get_running_loop())

            def calls(n: int) -> int:
                return sum(len(link.call("echo", big).result(timeout=30)) for _ in range(n))

            loop = asyncio.get_running_loop()
            return await asyncio.gather(*(loop.run_in_executor(None, calls, 20) for _ in range(16)))

        assert uvloop.run(main()) == [20 * len(big)] * 16
        assert link.running


def test_answers_queued_while_the_loop_was_busy_all_arrive() -> None:
    """Answers that queued up while the worker's loop was busy, one message each, are
    all read once it gets to them."""
    with _echo_link() as link:

        async def main() -> list[int]:
            link.read_on(asyncio.get_running_loop())
            futures = []
            for i in range(6):
                futures.append(link.call("echo", i))
                time.sleep(0.05)  # the loop is busy: each answer waits, in a message of its own
            return list(
                await asyncio.wait_for(
                    asyncio.gather(*(asyncio.wrap_future(f) for f in futures)), timeout=10
                )
            )

        assert uvloop.run(main()) == [0, 1, 2, 3, 4, 5]
