"""The signature pool: a second core's verdicts match one core's, a Ctrl-C that
arrives while its worker starts interrupts the command rather than being lost, and a
closed pool starts no worker again."""

from __future__ import annotations

import multiprocessing
import signal
import threading
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from creditbank.ledger.sigpool import Job, SignaturePool, _interrupts_held, verify_all


def _jobs(n: int, bad: set[int]) -> list[Job]:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    jobs = []
    for i in range(n):
        message = f"entry {i}".encode()
        signature = key.sign(message if i not in bad else b"something else")
        jobs.append((message, signature, public))
    return jobs


@pytest.fixture
def pool() -> Iterator[SignaturePool]:
    p = SignaturePool()
    try:
        yield p
    finally:
        p.close()


def test_the_worker_and_this_process_give_the_verdicts_one_process_gives(
    pool: SignaturePool,
) -> None:
    jobs = _jobs(40, bad={3, 25, 39})  # bad ones in both halves
    verdicts = pool.verify(jobs)
    assert verdicts == verify_all(jobs)
    assert [i for i, ok in enumerate(verdicts or []) if not ok] == [3, 25, 39]


def test_a_closed_pool_starts_no_worker_and_leaves_the_verifying_to_the_caller() -> None:
    """A sequencing thread may still submit a batch after the pool was closed: a worker
    started then would outlive the command (and its queues' semaphores the resource
    tracker), so the caller verifies in-process instead."""
    before = {p.pid for p in multiprocessing.active_children()}
    pool = SignaturePool()
    jobs = _jobs(10, bad={4})
    assert pool.verify(jobs) == verify_all(jobs)  # started
    pool.close()
    assert {p.pid for p in multiprocessing.active_children()} - before == set()
    assert pool.verify(jobs) is None
    assert pool.submit(jobs) is None
    assert {p.pid for p in multiprocessing.active_children()} - before == set()


def test_a_ctrl_c_while_the_worker_starts_interrupts_once_it_has_started() -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    reached: list[str] = []

    def start_worker_while_ctrl_c_is_pressed() -> None:
        with _interrupts_held():
            # to this thread, which blocks it: sent to the process, the kernel may hand it
            # to another thread that does not (xdist's I/O thread), which interrupts at once
            signal.pthread_kill(threading.get_ident(), signal.SIGINT)  # held back
            reached.append("end of block")

    try:
        with pytest.raises(KeyboardInterrupt):
            start_worker_while_ctrl_c_is_pressed()
        assert reached == ["end of block"]
    finally:
        signal.signal(signal.SIGINT, previous)
