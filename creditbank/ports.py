"""What the domain services need of a running bank, as protocols.

The composition root (``creditbank.bank.Bank``, with ``settings`` and ``registry``) wires
the engine, the ledger and the keys together and satisfies these; the services below it
name only these protocols, so nothing below the root imports it (``tests/test_layers.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine

from creditbank.access.tokens import TokenCache
from creditbank.access.vault import MasterKey
from creditbank.credits.lrs_writer import StatementWriter
from creditbank.db.read_threads import ReadThreads
from creditbank.ledger.sequencer import Ledger


class ServiceSettings(Protocol):
    """The settings services read (``creditbank.settings.Settings`` has them)."""

    @property
    def login_max_failures(self) -> int: ...

    @property
    def login_lock_minutes(self) -> int: ...

    @property
    def learner_token_minutes(self) -> int: ...

    @property
    def keys_dir(self) -> Path: ...


class BankServices(Protocol):
    """A running bank as the services see it."""

    @property
    def engine(self) -> Engine: ...

    @property
    def ledger(self) -> Ledger: ...

    @property
    def settings(self) -> ServiceSettings: ...

    @property
    def master_key(self) -> MasterKey: ...

    @property
    def tokens(self) -> TokenCache: ...

    @property
    def lrs(self) -> StatementWriter: ...

    @property
    def reads(self) -> ReadThreads: ...
