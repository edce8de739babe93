"""Group commit of stored xAPI statements: the requests of many LMS clients share one
transaction, as the ledger's appends do (the same ``GroupCommit``), so an LRS taking one
statement per request does not pay a transaction, and on SQLite a turn at the database's
write lock, per request.

What it buys: at 32 clients posting one statement each, one commit per batch instead of
32, on the lock the sequencer also needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from creditbank.core.errors import Conflict, CreditBankError, Unavailable
from creditbank.credits import lrs_store
from creditbank.ledger.group_commit import GroupCommit
from creditbank.ledger.link import SequencerLink


@dataclass
class _Write:
    provider: str
    rows: Sequence[dict[str, Any]]
    voided: Sequence[str]
    future: Future[None] = field(default_factory=Future)
    error: CreditBankError | None = None


class StatementWriter:
    """Stores the rows of a request's statements (and marks what they void) together
    with other requests' rows."""

    def __init__(self, engine: Engine, *, max_entries: int = 256, max_wait_ms: float = 2.0):
        self.engine = engine
        self._group: GroupCommit[_Write] = GroupCommit(
            self._commit,
            self._settle,
            self._refuse,
            max_entries=max_entries,
            max_wait=max_wait_ms / 1000,
        )
        self._link: SequencerLink | None = None

    def submit(
        self, provider: str, rows: Sequence[dict[str, Any]], voided: Sequence[str]
    ) -> Future[None]:
        """Store ``rows`` and mark ``voided`` (statement ids) of ``provider`` voided: the
        future settles once they are committed, with Conflict when one of the ids was
        stored meanwhile (see ``lrs.store_statements``)."""
        if not rows and not voided:
            done: Future[None] = Future()
            done.set_result(None)
            return done
        if self._link is not None:
            return self._link.call("store", provider, list(rows), list(voided))
        return self.queue_forwarded(provider, rows, voided)

    def queue_forwarded(
        self, provider: str, rows: Sequence[dict[str, Any]], voided: Sequence[str]
    ) -> Future[None]:
        """Queue a write in this process (also the host's side of ``forward_to``)."""
        write = _Write(provider, rows, voided)
        self._group.put(write)
        return write.future

    def forward_to(self, link: SequencerLink) -> None:
        """Hand writes to the server's one writer process (see ``Ledger.forward_to``)."""
        self._link = link

    def close(self) -> None:
        self._group.close()

    def _commit(self, batch: list[_Write]) -> None:
        try:
            self._write(batch)
        except IntegrityError:
            for write in batch:  # isolate the request whose id was stored meanwhile
                try:
                    self._write([write])
                except IntegrityError:
                    write.error = Conflict(
                        "a statement id of this request was stored meanwhile", field="id"
                    )
                except DBAPIError as exc:
                    write.error = Unavailable(f"the database refused the write: {exc.orig}")
        except DBAPIError as exc:
            for write in batch:
                write.error = Unavailable(f"the database refused the write: {exc.orig}")

    def _write(self, batch: list[_Write]) -> None:
        with self.engine.begin() as conn:
            lrs_store.insert_statements(conn, [row for w in batch for row in w.rows])
            for write in batch:
                lrs_store.mark_voided(conn, write.provider, write.voided)

    @staticmethod
    def _settle(write: _Write) -> None:
        if write.error is not None:
            write.future.set_exception(write.error)
        else:
            write.future.set_result(None)

    @staticmethod
    def _refuse(write: _Write, error: Unavailable) -> None:
        write.future.set_exception(error)
