"""Ed25519 on a second core, for bulk appends.

Verification is the largest single cost of a signed append and does not release the GIL,
so a big batch is split: a worker process verifies one part while the sequencing process
verifies the other. The result only says "this signature is valid for this public key";
whether the key is the author's and active is still decided under the log's lock.

The worker can also sign the log's derived decisions of a big batch while the sequencer
goes on deciding (it is handed the log key when it starts: a child process of the
ledger's own, holding nothing the ledger does not).
This module imports nothing but ``cryptography`` so worker processes start fast.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

log = logging.getLogger(__name__)

Job = tuple[bytes, bytes, bytes]
"""(message, signature, public key)"""
WORKERS = 2
A = TypeVar("A")
R = TypeVar("R")


_signer: Ed25519PrivateKey | None = None


def _start_worker(signing_key: bytes | None) -> None:
    global _signer  # the worker process's one key
    _signer = None if signing_key is None else Ed25519PrivateKey.from_private_bytes(signing_key)


def sign_all(messages: Sequence[bytes]) -> list[bytes]:
    """Sign each message with the key the worker was started with."""
    if _signer is None:
        raise RuntimeError("this signature worker has no signing key")
    return [_signer.sign(m) for m in messages]


def verify_all(jobs: Sequence[Job]) -> list[bool]:
    out = []
    for message, signature, public_key in jobs:
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
            out.append(True)
        except (InvalidSignature, ValueError):
            out.append(False)
    return out


class SignaturePool:
    """A process pool, started on first use. Two workers: while one verifies the next
    batch of a stream, the other signs this batch's decisions as they come (the
    sequencer waits for those before it can grow the tree)."""

    def __init__(self, signing_key: Ed25519PrivateKey | None = None) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._broken = False
        self._signing_key = (
            None
            if signing_key is None
            else signing_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        )

    @property
    def can_sign(self) -> bool:
        return self._signing_key is not None and not self._broken

    def start(self) -> None:
        """Start the worker now (it takes a moment to spawn) rather than on first use."""
        self.verify([])

    def verify(self, jobs: Sequence[Job]) -> list[bool] | None:
        """Verify ``jobs``: the first half in the worker, the rest here, concurrently.

        None when no worker can run (for example a script without a ``__main__`` guard):
        the caller then verifies as usual, one signature at a time.
        """
        half = len(jobs) // 2
        remote = self.submit(jobs[:half])
        if remote is None:
            return None
        local = verify_all(jobs[half:])
        verdicts = self.result(remote)
        return None if verdicts is None else verdicts + local

    def submit(self, jobs: Sequence[Job]) -> Future[list[bool]] | None:
        """Start verifying all of ``jobs`` in the worker (for a pipeline that sequences
        one batch while the next one's signatures are checked); None as for ``verify``."""
        return self._submit(verify_all, list(jobs))

    def submit_signing(self, messages: Sequence[bytes]) -> Future[list[bytes]] | None:
        """Start signing ``messages`` with the log key in the worker; None as for
        ``verify`` (the caller then signs them itself)."""
        if self._signing_key is None:
            return None
        return self._submit(sign_all, list(messages))

    def _submit(self, fn: Callable[[list[A]], list[R]], work: list[A]) -> Future[list[R]] | None:
        if self._broken:
            return None
        try:
            if self._pool is None:
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(
                    WORKERS,
                    mp_context=context,
                    initializer=_start_worker,
                    initargs=(self._signing_key,),
                )
            return self._pool.submit(fn, work)
        except (BrokenProcessPool, RuntimeError, OSError):
            self._give_up()
            return None

    def result(self, future: Future[list[R]]) -> list[R] | None:
        """The outcome of a submitted job; None if the worker died meanwhile."""
        try:
            return future.result()
        except (BrokenProcessPool, RuntimeError, OSError):
            self._give_up()
            return None

    def _give_up(self) -> None:
        log.warning("signature worker unavailable; verifying in-process", exc_info=True)
        self._broken = True
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=not self._broken, cancel_futures=True)
            self._pool = None
