"""What the sequencer tells whoever watches it, after each batch: a hook for the shell's
metrics (``creditbank.api.metrics``), so that the ledger imports no monitoring library
and pays nothing when nobody watches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class BatchStats:
    """One committed batch: ``statements`` handed in, the ``kinds`` of the entries it
    logged (authored and derived, in index order), the batch transaction's time
    (``commit_seconds``: log lock to durable commit, checkpoint signed), the time from its
    oldest statement being queued to its receipts being ready (``checkpoint_seconds``),
    and the statements still ``waiting`` in the queue behind it."""

    statements: int
    kinds: Sequence[str]
    commit_seconds: float
    checkpoint_seconds: float
    waiting: int


class LedgerObserver(Protocol):
    def batch_committed(self, stats: BatchStats) -> None:
        """Called by the sequencer thread after each commit; must be quick and not raise."""


class NoObserver:
    """The default: watches nothing."""

    def batch_committed(self, stats: BatchStats) -> None:
        return None
