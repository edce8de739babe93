"""Fixtures for the access tests: an HTTP client on the bank, accredited organisations
with their keys, and helpers that open learner accounts and snapshot what a refused
request must leave untouched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from creditbank.access import service
from creditbank.access.tokens import create_token
from creditbank.bank import Bank
from creditbank.core.keys import KeyPair
from creditbank.db import tables
from creditbank.ledger import store
from tests.factories import make_person, register

PASSWORD = "correct horse 42"

# What a refused request must leave as it was: the log, the personal-data vault, the
# learners' credentials and tokens, and the accounts the ledger projects.
GUARDED_TABLES = (
    tables.learner_vault,
    tables.learner_credentials,
    tables.api_tokens,
    tables.learner_accounts,
)


@dataclass(frozen=True)
class Orgs:
    """The organisations of a test: the authority, a provider and a certifying body."""

    authority: KeyPair
    provider: KeyPair
    certifier: KeyPair
    other_provider: KeyPair


@pytest.fixture
def orgs(bank: Bank) -> Orgs:
    return Orgs(
        authority=bank.authority_key(),
        provider=register(bank, "prov-a"),
        certifier=register(bank, "cert-a", role="certifier", standards=["data-annotator"]),
        other_provider=register(bank, "prov-b"),
    )


@dataclass(frozen=True)
class Learner:
    account: str
    activation_code: str
    person: Any  # PersonIn, from tests.factories.make_person
    index: int  # of its account.opened entry


def open_learner(bank: Bank, opened_by: str = "authority", **person: Any) -> Learner:
    """Open an account through the service, with personal data the privacy scan knows."""
    who = make_person(**person)
    opened = service.open_account(bank, who, opened_by, bank.ledger.clock())
    return Learner(opened.account, opened.activation_code, who, opened.appended.index)


def activate_learner(bank: Bank, learner: Learner, password: str = PASSWORD) -> None:
    """Set the learner's password as the learner does: the code and their ID number."""
    service.activate(
        bank,
        learner.account,
        learner.activation_code,
        learner.person.id_number,
        password,
        bank.ledger.clock(),
    )


def learner_token(bank: Bank, account: str) -> str:
    """A learner's bearer token, issued as login issues it (without the Argon2 cost)."""
    token, _, _ = create_token(
        bank.engine,
        role="learner",
        account=account,
        label="test login",
        now=bank.ledger.clock(),
        ttl=timedelta(minutes=bank.settings.learner_token_minutes),
    )
    return token


def tree_size(bank: Bank) -> int:
    with bank.engine.connect() as conn:
        return store.tree_size(conn)


def snapshot(bank: Bank) -> dict[str, Any]:
    """The log size and every row of the guarded tables, comparable with ``==``."""
    with bank.engine.connect() as conn:
        rows = {
            t.name: sorted(tuple(map(repr, r)) for r in conn.execute(select(t)).all())
            for t in GUARDED_TABLES
        }
        rows["log_size"] = [store.tree_size(conn)]
    return rows


def auth_event_rows(bank: Bank) -> list[tuple[Any, ...]]:
    with bank.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(tables.auth_events).order_by("id")).all()]


def problem(r: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    """Assert ``r`` is an RFC 9457 problem with ``status`` (and ``field``); return it."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    assert body["type"]
    assert body["title"]
    assert body["detail"]
    if field is not None:
        assert body.get("field") == field, body
    return body
