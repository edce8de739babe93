"""One credit bank instance: settings, database engine, keys and the ledger, built once
per process by :func:`open_bank` and handed to the API and the CLI."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine, insert
from sqlalchemy.engine import make_url

from creditbank.access.tokens import TokenCache
from creditbank.access.vault import MasterKey, load_master_key, write_master_key_file
from creditbank.core.entry import LOG_ACTOR, format_time, sign_statement
from creditbank.core.errors import Conflict, InvalidInput, Unavailable
from creditbank.core.keys import KeyPair, read_key_file, write_key_file
from creditbank.core.tlog import merkle
from creditbank.core.tlog.note import is_valid_name
from creditbank.credits.lrs_writer import StatementWriter
from creditbank.db import tables
from creditbank.db.engine import WRITE, make_engine
from creditbank.db.migrate import upgrade
from creditbank.db.read_threads import ReadThreads
from creditbank.federation.config import load_config
from creditbank.ledger import audit as audit_mod
from creditbank.ledger import store
from creditbank.ledger.actors import AUTHORITY
from creditbank.ledger.link import Op, SequencerHost, SequencerLink, settled
from creditbank.ledger.publish import TilePublisher
from creditbank.ledger.sequencer import Appended, Clock, Ledger, system_clock
from creditbank.registry import default_handlers
from creditbank.settings import Settings, write_config


@dataclass
class Bank:
    settings: Settings
    engine: Engine
    log_key: KeyPair
    ledger: Ledger
    publisher: TilePublisher | None = None
    link: SequencerLink | None = None  # to the server's sequencer (see forward_appends)

    @property
    def origin(self) -> str:
        return self.settings.origin

    @property
    def verifier_key(self) -> str:
        return self.log_key.verifier_key

    @cached_property
    def tokens(self) -> TokenCache:
        """Recently checked bearer tokens (see TokenCache)."""
        return TokenCache(self.settings.auth_cache_seconds)

    @cached_property
    def master_key(self) -> MasterKey:
        """The key that wraps learners' data keys (from the environment or its file)."""
        secret = self.settings.master_key
        return load_master_key(
            None if secret is None else secret.get_secret_value(), self.settings.master_key_path
        )

    @cached_property
    def lrs(self) -> StatementWriter:
        """The LRS's writer of stored xAPI statements (group commit, see lrs_writer)."""
        return StatementWriter(self.engine)

    @cached_property
    def reads(self) -> ReadThreads:
        """Reads for steps on the event loop (off it on a database server)."""
        return ReadThreads(self.engine)

    def authority_key(self) -> KeyPair:
        """The authority's signing key, present where the authority operates the CLI."""
        return read_key_file(self.settings.authority_key_path)

    def forward_appends(self, address: str, authkey: bytes) -> None:
        """Send this worker's appends and stored xAPI statements to the server's one
        sequencer process (``creditbank serve --workers N``; creditbank.ledger.link)."""
        self.link = SequencerLink(address, authkey)
        self.ledger.forward_to(self.link)
        self.lrs.forward_to(self.link)

    def host_sequencer(self, address: str, authkey: bytes) -> SequencerHost:
        """Take the appends and statement writes of the workers that connect to
        ``address`` (the supervising process of ``creditbank serve --workers N``)."""
        ops: dict[str, Op] = {
            "submit": self.ledger.queue_forwarded,
            "submit_many": self.ledger.queue_forwarded_many,
            "store": self.lrs.queue_forwarded,
            "running": lambda: settled(self.ledger.running),
        }
        host = SequencerHost(address, authkey, ops)
        host.start()
        return host

    def close(self) -> None:
        if self.link is not None:
            self.link.close()
        self.ledger.close()
        if "lrs" in self.__dict__:  # started on first use
            self.lrs.close()
        if "reads" in self.__dict__:
            self.reads.close()
        if self.publisher is not None:
            self.publisher.close()  # publishes what this process appended last
        self.engine.dispose()


def open_bank(
    settings: Settings, *, clock: Clock = system_clock, engine: Engine | None = None
) -> Bank:
    """Open an initialized bank; raises Unavailable, creating nothing, when `creditbank
    init` has not run on the data dir or its SQLite database is missing (a data dir whose
    ledger is on PostgreSQL, opened without its URL)."""
    if not settings.log_key_path.exists():
        raise Unavailable(
            f"no ledger in {settings.data_dir} (missing {settings.log_key_path}); "
            f"run `creditbank init --data-dir {settings.data_dir}` first"
        )
    sqlite_file = _sqlite_file(settings.resolved_database_url)
    if engine is None and sqlite_file is not None and not sqlite_file.exists():
        raise Unavailable(
            f"no database at {sqlite_file}: the ledger in {settings.data_dir} is elsewhere; "
            "pass its --database-url (or CREDITBANK_DATABASE_URL)",
            field="database_url",
        )
    log_key = read_key_file(settings.log_key_path)
    # The origin is fixed at init as the log key's name; later settings cannot change it,
    # or checkpoints would be signed under a name no verifier expects.
    settings = settings.model_copy(update={"origin": log_key.name})
    engine = engine or make_engine(settings.resolved_database_url)
    upgrade(engine)  # bring an existing database to the code's schema (idempotent)
    ledger = Ledger(
        engine,
        log_key,
        settings.origin,
        default_handlers(),
        clock=clock,
        max_entries=settings.batch_max_entries,
        max_wait_ms=settings.batch_max_wait_ms,
        parallel_verify=settings.parallel_verify,
    )
    publisher = None
    if settings.tiles_dir is not None:
        publisher = TilePublisher(
            engine,
            settings.tiles_dir,
            settings.origin,
            settings.tiles_publish_seconds,
            witnessed=bool(load_config(settings.keys_dir).cosigners),
        )
        publisher.start()
    return Bank(settings, engine, log_key, ledger, publisher)


def _sqlite_file(url: str) -> Path | None:
    """The file an SQLite URL names (None for another engine or an in-memory database)."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def init_bank(
    settings: Settings, *, clock: Clock = system_clock, engine: Engine | None = None
) -> Bank:
    """Create the data dir, database schema, log key and authority key, and log the trust
    root: the authority registering itself, then registering the log operator's key."""
    if not is_valid_name(settings.origin) or "+" in settings.origin:
        raise InvalidInput(
            f"{settings.origin!r} is not a valid origin (a note key name: no spaces or '+')",
            field="origin",
        )
    for path in (settings.log_key_path, settings.config_path):
        if path.exists():
            raise Conflict(
                f"{settings.data_dir} already holds a ledger ({path} exists)", field="data_dir"
            )
    settings.make_dirs()
    engine = engine or make_engine(settings.resolved_database_url)
    upgrade(engine)
    with engine.connect().execution_options(**WRITE) as conn, conn.begin():
        if store.read_state(conn) is not None:
            raise Conflict("the database already holds a ledger", field="database_url")
        conn.execute(
            insert(tables.log_state).values(
                id=1,
                size=0,
                root_hash=merkle.EMPTY_ROOT,
                integrated_at=format_time(datetime(1970, 1, 1, tzinfo=UTC)),
            )
        )
    log_key = KeyPair.generate(settings.origin)
    authority = KeyPair.generate(AUTHORITY)
    write_key_file(settings.log_key_path, log_key)
    write_key_file(settings.authority_key_path, authority)
    if settings.master_key is None and not settings.master_key_path.exists():
        write_master_key_file(settings.master_key_path)
    write_config(settings)
    bank = open_bank(settings, clock=clock, engine=engine)
    register = [
        (AUTHORITY, "authority", "Credit bank authority", authority),
        (LOG_ACTOR, "operator", "Credit bank log operator", log_key),
    ]
    results = bank.ledger.append_many(
        [
            sign_statement(
                {
                    "kind": "actor.registered",
                    "actor": AUTHORITY,
                    "id": f"register-{actor_id}",
                    "body": {
                        "actor_id": actor_id,
                        "role": role,
                        "name": name,
                        "public_key": base64.b64encode(key.public_key).decode(),
                    },
                },
                authority,
            )
            for actor_id, role, name, key in register
        ]
    )
    for result in results:
        if not isinstance(result, Appended):
            raise result
    return bank


def audit_bank(
    bank: Bank, progress: Callable[[int, int], None] | None = None
) -> audit_mod.AuditReport:
    """Audit an open bank's whole log with its own key, origin and rules; ``progress``
    gets (entries checked, entries in the log), for a bar with an end."""
    with bank.engine.connect() as conn:
        total = store.tree_size(conn)
    if progress is None:
        return audit_mod.audit(bank.engine, bank.verifier_key, bank.origin, default_handlers())
    progress(0, total)
    return audit_mod.audit(
        bank.engine,
        bank.verifier_key,
        bank.origin,
        default_handlers(),
        progress=lambda done: progress(done, total),
    )
