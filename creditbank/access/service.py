"""Access services: tokens and principals, learner login with lockout, and learner
accounts with their personal data (open, look up, export, erase).

Personal data only ever touches the vault table, sealed; the ledger receives account
numbers. Every write that pairs a ledger entry with off-ledger rows commits them in the
same transaction (a SideEffect of the operator statement).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, EmailStr, Field
from sqlalchemy import Connection, Engine, insert, select, update
from sqlmodel import Session, col
from sqlmodel import select as select_models

from creditbank.access.secrets import hash_password, new_code, token_hash, verify_password
from creditbank.access.tokens import create_token, record_event
from creditbank.access.vault import (
    MasterKey,
    Sealed,
    check_resident_id,
    normalize_id_number,
    seal,
    unseal,
)
from creditbank.core.accounts import check_account_number, new_account_number
from creditbank.core.entry import format_time, parse_time
from creditbank.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from creditbank.credits import lrs_codes, lrs_store
from creditbank.db import tables
from creditbank.db.engine import WRITE
from creditbank.db.tables import (
    ApiToken,
    LearnerAccount,
    LearnerCredential,
    LearnerEntry,
    LearnerVault,
)
from creditbank.ledger import store
from creditbank.ledger.sequencer import Appended
from creditbank.ports import BankServices, ServiceSettings

log = logging.getLogger("creditbank.auth")

IdType = Literal[
    "resident_id", "passport", "hk_macao_permit", "taiwan_permit", "foreign_permanent_resident"
]


# --- learner credentials -----------------------------------------------------------------


def _count_failure(
    conn: Connection, settings: ServiceSettings, account: str, failed_attempts: int, now: datetime
) -> bool:
    """Count a wrong secret (password, or ID number at activation) against the account;
    the ``login_max_failures``-th in a row locks it for ``login_lock_minutes`` and starts
    the count again. True if this one locked it."""
    failures = failed_attempts + 1
    locked = None
    if failures >= settings.login_max_failures:
        locked = format_time(now + timedelta(minutes=settings.login_lock_minutes))
        failures = 0
    c = tables.learner_credentials
    conn.execute(
        update(c)
        .where(c.c.account == account)
        .values(failed_attempts=failures, locked_until=locked)
    )
    return locked is not None


def login(bank: BankServices, account: str, password: str, now: datetime) -> tuple[str, datetime]:
    """Password login for learners (OAuth2 password flow). After ``login_max_failures``
    consecutive failures the account is locked for ``login_lock_minutes``. A closed or
    erased account gets the same refusal as an unknown one. Every attempt costs one
    Argon2 verify, whatever the outcome, so timing tells nothing about the account."""
    settings = bank.settings
    c, a = tables.learner_credentials, tables.learner_accounts
    refusal: Unauthenticated | Forbidden | None = None
    # The failure is recorded (counter, lockout, event) and committed before refusing.
    # FOR UPDATE: parallel guesses queue on the row, so none of them is lost (SQLite's
    # BEGIN IMMEDIATE already serializes them).
    with bank.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        row = conn.execute(
            select(c, a.c.status)
            .select_from(c.outerjoin(a, a.c.account == c.c.account))
            .where(c.c.account == account)
            .with_for_update(of=c)
        ).first()
        if row is None or row.password_hash is None or row.status != "open":
            verify_password(None, password)  # the work of a wrong password, for no account
            closed = row is not None and row.status == "closed"
            why = "account closed" if closed else "no active credentials"
            record_event(conn, now, "login_failed", account[:13], why)
            refusal = Unauthenticated("wrong account number or password")
        elif (
            row.locked_until is not None
            and parse_time(row.locked_until, field="locked_until") > now
        ):
            verify_password(None, password)  # a locked account costs the same as any other
            record_event(conn, now, "login_locked", account, "attempt while locked")
            refusal = Forbidden(
                "too many failed logins: the account is locked, try again later",
                field="username",
                locked_until=row.locked_until,
            )
        elif not verify_password(row.password_hash, password):
            locked = _count_failure(conn, settings, account, row.failed_attempts, now)
            record_event(
                conn, now, "login_locked" if locked else "login_failed", account, "wrong password"
            )
            refusal = Unauthenticated("wrong account number or password")
        else:
            conn.execute(
                update(c).where(c.c.account == account).values(failed_attempts=0, locked_until=None)
            )
    if refusal is not None:
        raise refusal
    token, _, expires = create_token(
        bank.engine,
        role="learner",
        account=account,
        label="learner login",
        now=now,
        ttl=timedelta(minutes=settings.learner_token_minutes),
    )
    return token, expires


def _check_password_strength(password: str) -> None:
    if len(password) < 10 or password.isdigit() or password.isalpha():
        raise InvalidInput(
            "a password has at least 10 characters, mixing letters with digits or symbols",
            field="password",
        )


ACTIVATION_REFUSED = "the activation code or ID number is wrong, or the code is used or expired"


def _id_matches(conn: Connection, master: MasterKey, account: str, id_number: str) -> bool:
    """Whether ``id_number`` is the learner's national ID, by the vault's HMAC (whatever
    the ID's type: the learner need not say which)."""
    v = tables.learner_vault
    stored = conn.execute(select(v.c.id_lookup).where(v.c.account == account)).scalar()
    if stored is None:  # no vault row, or erased
        return False
    candidates = [master.lookup_hash(id_type, id_number) for id_type in get_args(IdType)]
    return any(hmac.compare_digest(stored, candidate) for candidate in candidates)


def activate(
    bank: BankServices, account: str, code: str, id_number: str, password: str, now: datetime
) -> None:
    """Set a learner's password with the one-time activation code given at opening and
    the learner's national ID number, so that the code alone (which the opener, maybe a
    provider, received) is not enough. With a right code, ``login_max_failures`` wrong ID
    numbers in a row lock activation for ``login_lock_minutes``; nothing else changes."""
    check_account_number(account)
    _check_password_strength(password)
    c, a = tables.learner_credentials, tables.learner_accounts
    refusal: Unauthenticated | Forbidden | None = None
    with bank.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        row = conn.execute(
            select(c, a.c.status)
            .select_from(c.outerjoin(a, a.c.account == c.c.account))
            .where(c.c.account == account)
            .with_for_update(of=c)
        ).first()
        code_ok = (
            row is not None
            and row.status == "open"
            and row.activation_hash is not None
            and hmac.compare_digest(row.activation_hash, token_hash(code))
            and row.activation_expires is not None
            and parse_time(row.activation_expires, field="activation_expires") > now
        )
        if row is None or not code_ok:
            record_event(conn, now, "activation_failed", account, "bad or expired activation code")
            refusal = Unauthenticated(ACTIVATION_REFUSED)
        elif (
            row.locked_until is not None
            and parse_time(row.locked_until, field="locked_until") > now
        ):
            record_event(conn, now, "activation_locked", account, "attempt while locked")
            refusal = Forbidden(
                "too many failed activations: try again later",
                field="id_number",
                locked_until=row.locked_until,
            )
        elif not _id_matches(conn, bank.master_key, account, id_number):
            locked = _count_failure(conn, bank.settings, account, row.failed_attempts, now)
            event = "activation_locked" if locked else "activation_failed"
            record_event(conn, now, event, account, "wrong ID number")
            refusal = Unauthenticated(ACTIVATION_REFUSED)
        else:
            conn.execute(
                update(c)
                .where(c.c.account == account)
                .values(
                    password_hash=hash_password(password),
                    activation_hash=None,
                    activation_expires=None,
                    failed_attempts=0,
                    locked_until=None,
                )
            )
    if refusal is not None:
        raise refusal


def reissue_activation(bank: BankServices, account: str, now: datetime) -> str:
    """A new one-time activation code for an open account (a lost code, or a password to
    reset): the old code and the password stop working; activation still asks for the
    learner's ID number. Valid for 30 days, like the first one."""
    check_account_number(account)
    c, a = tables.learner_credentials, tables.learner_accounts
    code, code_hash = new_code()
    with bank.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        status = conn.execute(select(a.c.status).where(a.c.account == account)).scalar()
        if status != "open":
            raise NotFound(f"no open account {account}", field="account")
        conn.execute(
            update(c)
            .where(c.c.account == account)
            .values(
                password_hash=None,
                activation_hash=code_hash,
                activation_expires=format_time(now + timedelta(days=30)),
                failed_attempts=0,
                locked_until=None,
            )
        )
        record_event(conn, now, "activation_reissued", account, "new activation code")
    return code


# --- learner accounts --------------------------------------------------------------------


class PersonIn(BaseModel):
    """Personal data of a learner: stored sealed, off the ledger."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)
    id_type: IdType
    id_number: str = Field(min_length=5, max_length=32)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 -]{6,20}$")
    email: EmailStr | None = None

    def checked(self) -> PersonIn:
        if self.id_type == "resident_id":
            return self.model_copy(update={"id_number": check_resident_id(self.id_number)})
        return self.model_copy(update={"id_number": normalize_id_number(self.id_number)})


@dataclass(frozen=True)
class OpenedAccount:
    account: str
    activation_code: str
    appended: Appended


class _SealPersonalData:
    """Writes the vault and credential rows in the same transaction as account.opened."""

    def __init__(
        self, account: str, lookup: str, sealed: Sealed, code_hash: str, now: datetime
    ) -> None:
        self.account, self.lookup, self.sealed = account, lookup, sealed
        self.code_hash, self.now = code_hash, now

    def check(self, conn: Connection) -> None:
        v = tables.learner_vault
        existing = conn.execute(select(v.c.account).where(v.c.id_lookup == self.lookup)).first()
        if existing is not None:
            raise Conflict(
                "a learner with this ID already has an account",
                field="id_number",
                account=existing.account,
            )

    def apply(self, conn: Connection, index: int) -> None:
        conn.execute(
            insert(tables.learner_vault).values(
                account=self.account,
                id_lookup=self.lookup,
                wrapped_key=self.sealed.wrapped_key,
                ciphertext=self.sealed.ciphertext,
                created_at=format_time(self.now),
            )
        )
        conn.execute(
            insert(tables.learner_credentials).values(
                account=self.account,
                activation_hash=self.code_hash,
                activation_expires=format_time(self.now + timedelta(days=30)),
                failed_attempts=0,
            )
        )


def _unused_account(engine: Engine) -> str:
    with Session(engine) as session:
        for _ in range(20):
            account = new_account_number()
            if session.get(LearnerAccount, account) is None:
                return account
    raise Conflict("could not find a free account number")  # 10**10 numbers: not in practice


def _submit_opening(
    bank: BankServices, person: PersonIn, opened_by: str, now: datetime, taken: set[str]
) -> tuple[str, str, Future[Appended]]:
    person = person.checked()
    master = bank.master_key
    account = _unused_account(bank.engine)
    while account in taken:  # numbers handed out but not yet committed in this run
        account = _unused_account(bank.engine)
    taken.add(account)
    code, code_hash = new_code()
    effect = _SealPersonalData(
        account,
        master.lookup_hash(person.id_type, person.id_number),
        seal(person.model_dump(mode="json"), account, master),
        code_hash,
        now,
    )
    future = bank.ledger.submit_operator(
        "account.opened", f"open:{account}", {"account": account, "opened_by": opened_by}, effect
    )
    return account, code, future


def open_account(
    bank: BankServices, person: PersonIn, opened_by: str, now: datetime
) -> OpenedAccount:
    """Open an account: seal the personal data, log ``account.opened`` (number only)."""
    account, code, future = _submit_opening(bank, person, opened_by, now, set())
    return OpenedAccount(account, code, future.result(timeout=60))


def open_accounts(
    bank: BankServices,
    people: Iterable[PersonIn],
    opened_by: str,
    now: datetime,
    window: int = 2000,
) -> list[OpenedAccount]:
    """Open many accounts, up to ``window`` in flight at once, so group commit batches them
    (bulk enrolment and benchmarks). Each is exactly what ``open_account`` does."""
    opened: list[OpenedAccount] = []
    pending: list[tuple[str, str, Future[Appended]]] = []
    taken: set[str] = set()

    def settle() -> None:
        for account, code, future in pending:
            opened.append(OpenedAccount(account, code, future.result(timeout=300)))
        pending.clear()

    for person in people:
        pending.append(_submit_opening(bank, person, opened_by, now, taken))
        if len(pending) >= window:
            settle()
    settle()
    return opened


def lookup_account(bank: BankServices, id_type: IdType, id_number: str) -> str:
    """The account of the learner with this national ID, found by its HMAC."""
    digest = bank.master_key.lookup_hash(id_type, id_number)
    with Session(bank.engine) as session:
        row = session.exec(
            select_models(LearnerVault).where(col(LearnerVault.id_lookup) == digest)
        ).first()
    if row is None:
        raise NotFound("no learner with that ID", field="id_number")
    return str(row.account)


def account_view(engine: Engine, account: str) -> dict[str, Any]:
    check_account_number(account)
    with Session(engine) as session:
        row = session.get(LearnerAccount, account)
    if row is None:
        raise NotFound(f"no account {account}", field="account")
    return {
        "account": row.account,
        "status": row.status,
        "opened_by": row.opened_by,
        "opened_index": row.opened_index,
    }


def export_account(bank: BankServices, account: str) -> dict[str, Any]:
    """Everything held about a learner: personal data (unless erased), credentials
    metadata, tokens, every ledger entry that concerns them, the LMS accounts linked to
    them and those accounts' stored xAPI statements."""
    view = account_view(bank.engine, account)
    with Session(bank.engine) as session:
        vault = session.get(LearnerVault, account)
        cred = session.get(LearnerCredential, account)
        tokens = session.exec(select_models(ApiToken).where(col(ApiToken.account) == account)).all()
        idxs = [
            e.idx
            for e in session.exec(
                select_models(LearnerEntry)
                .where(col(LearnerEntry.account) == account)
                .order_by(col(LearnerEntry.idx))
            ).all()
        ]
        conn = session.connection()
        entries = [json.loads(store.entry_data(conn, i)) for i in idxs]
        statements = [json.loads(d) for d in lrs_store.learner_statements(conn, account)]
    links = lrs_codes.learner_links(bank.engine, account)
    personal: dict[str, Any] | None = None
    if vault is not None and vault.wrapped_key is not None and vault.ciphertext is not None:
        personal = unseal(Sealed(vault.wrapped_key, vault.ciphertext), account, bank.master_key)
    return {
        "account": view,
        "personal_data": personal,
        "personal_data_erased_at": None if vault is None else vault.erased_at,
        "credentials": None
        if cred is None
        else {
            "password_set": cred.password_hash is not None,
            "failed_attempts": cred.failed_attempts,
            "locked_until": cred.locked_until,
        },
        "tokens": [
            {
                "token_id": t.token_id,
                "created_at": t.created_at,
                "expires_at": t.expires_at,
                "revoked_at": t.revoked_at,
            }
            for t in tokens
        ],
        "ledger_entries": [{"index": i, "entry": e} for i, e in zip(idxs, entries, strict=True)],
        "lms_links": [
            {"provider": link["provider"], "agent": link["agent"], "linked_at": link["linked_at"]}
            for link in links
        ],
        "xapi_statements": statements,
    }


class _ShredPersonalData:
    """Destroys the data key (and the ciphertext, lookup hash and credentials) in the same
    transaction as account.erased."""

    def __init__(self, account: str, now: datetime) -> None:
        self.account, self.now = account, now

    def check(self, conn: Connection) -> None:
        return None

    def apply(self, conn: Connection, index: int) -> None:
        v, c, k = tables.learner_vault, tables.learner_credentials, tables.api_tokens
        when = format_time(self.now)
        conn.execute(
            update(v)
            .where(v.c.account == self.account)
            .values(wrapped_key=None, ciphertext=None, id_lookup=None, erased_at=when)
        )
        conn.execute(
            update(c)
            .where(c.c.account == self.account)
            .values(password_hash=None, activation_hash=None, activation_expires=None)
        )
        conn.execute(
            update(k)
            .where(k.c.account == self.account, k.c.revoked_at.is_(None))
            .values(revoked_at=when)
        )
        lrs_store.forget_learner(conn, self.account)


def erase_account(
    bank: BankServices, account: str, requested_by: Literal["learner", "authority"], now: datetime
) -> Appended:
    """Crypto-shred a learner's personal data and log ``account.erased``."""
    check_account_number(account)
    return bank.ledger.submit_operator(
        "account.erased",
        f"erase:{account}",
        {"account": account, "requested_by": requested_by},
        _ShredPersonalData(account, now),
    ).result(timeout=60)


class _EndSessions:
    """Revokes every bearer token of a learner in the same transaction as account.closed.
    Tokens are not projections: a rebuild from the log leaves them as they are, and login
    refuses a closed account by its (rebuilt) status, not by its tokens."""

    def __init__(self, account: str, now: datetime) -> None:
        self.account, self.now = account, now

    def check(self, conn: Connection) -> None:
        return None

    def apply(self, conn: Connection, index: int) -> None:
        k = tables.api_tokens
        conn.execute(
            update(k)
            .where(k.c.account == self.account, k.c.revoked_at.is_(None))
            .values(revoked_at=format_time(self.now))
        )


def close_account(
    bank: BankServices, account: str, closed_by: str, reason: str, now: datetime
) -> Appended:
    """Log ``account.closed``: completions for the account are refused from then on, its
    learner's tokens are revoked and login is refused (the password is kept: closure is
    not erasure)."""
    check_account_number(account)
    return bank.ledger.submit_operator(
        "account.closed",
        f"close:{account}",
        {"account": account, "closed_by": closed_by, "reason": reason},
        _EndSessions(account, now),
    ).result(timeout=60)
