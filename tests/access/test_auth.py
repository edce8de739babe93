"""Authentication: bearer tokens (expiry, revocation, unknown), the same-actor rule for
signed writes, learner login (OAuth2 password flow, Argon2) with lockout, activation
codes, and auth events recorded without secrets.

The bank here trusts a checked token for 60 s (``auth_cache_seconds``), so every
revocation below is shown to take effect through eviction, not through the cache
happening to expire; one test runs with the cache off.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from creditbank.access import secrets as password_secrets
from creditbank.access import service
from creditbank.access.tokens import create_actor_token, create_token, revoke_token
from creditbank.bank import Bank
from creditbank.core.entry import sign_statement
from creditbank.core.errors import (
    CreditBankError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from creditbank.core.keys import KeyPair
from creditbank.db import tables
from creditbank.ledger import audit
from creditbank.registry import default_handlers
from creditbank.settings import Settings
from tests.access.conftest import (
    PASSWORD,
    Learner,
    Orgs,
    activate_learner,
    auth_event_rows,
    learner_token,
    open_learner,
    problem,
    snapshot,
    tree_size,
)
from tests.api.conftest import ASGIClient
from tests.api.test_ledger_api import payload
from tests.conftest import FakeClock
from tests.factories import make_person, notice, token_for

WRONG = "wrong horse 42"


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The shared settings, with the token cache window this module wants (default 60 s;
    ``parametrize("settings", [0.0], indirect=True)`` for none)."""
    seconds = getattr(request, "param", 60.0)
    return settings.model_copy(update={"auth_cache_seconds": seconds})


def activate(
    client: ASGIClient, learner: Learner, password: str = PASSWORD, id_number: str | None = None
) -> httpx.Response:
    """Activate as the learner does: the code, their ID number (unless another is given)."""
    return client.post(
        "/v1/auth/activate",
        json={
            "account": learner.account,
            "activation_code": learner.activation_code,
            "id_number": learner.person.id_number if id_number is None else id_number,
            "password": password,
        },
    )


def login(client: ASGIClient, account: str, password: str = PASSWORD) -> httpx.Response:
    return client.post("/v1/auth/token", data={"username": account, "password": password})


def token_row(bank: Bank, token_id: str) -> Any:
    t = tables.api_tokens
    with bank.engine.connect() as conn:
        return conn.execute(select(t).where(t.c.token_id == token_id)).one()


def credentials(bank: Bank, account: str) -> Any:
    c = tables.learner_credentials
    with bank.engine.connect() as conn:
        return conn.execute(select(c).where(c.c.account == account)).one()


# --- learner login -------------------------------------------------------------------------


def test_login_with_the_oauth2_password_form(bank: Bank, client: ASGIClient) -> None:
    learner = open_learner(bank)
    assert activate(client, learner).status_code == 204
    r = login(client, learner.account)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == bank.settings.learner_token_minutes * 60
    token = body["access_token"]
    assert token.startswith("cbt_")
    me = client.get("/v1/me", token=token).json()
    assert me["role"] == "learner"
    assert me["account"] == learner.account
    assert me["actor"] is None
    # stored as its SHA-256 only: the token itself is in no column of any token row
    row = token_row(bank, me["token_id"])
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(tuple(row))
    assert row.role == "learner"
    assert row.account == learner.account


# (case, status, field): every refusal of the login form, each with nothing written but
# the failure count of a wrong password
REFUSED_LOGINS: list[tuple[str, int, str | None]] = [
    ("wrong-password", 401, None),
    ("unknown-account", 401, None),
    ("not-activated", 401, None),
    ("bad-check-digit", 422, "username"),
    ("not-an-account-number", 422, "username"),
    ("no-password", 422, "password"),
    ("no-username", 422, "username"),
]


def test_refused_logins(bank: Bank, client: ASGIClient, subtests: Any) -> None:
    learner, idle = open_learner(bank), open_learner(bank)
    activate_learner(bank, learner)
    flipped = learner.account[:-1] + str((int(learner.account[-1]) + 1) % 10)
    unknown = "CB00000000000"
    assert unknown not in (learner.account, idle.account)
    forms = {
        "wrong-password": {"username": learner.account, "password": WRONG},
        "unknown-account": {"username": unknown, "password": PASSWORD},
        "not-activated": {"username": idle.account, "password": PASSWORD},
        "bad-check-digit": {"username": flipped, "password": PASSWORD},
        "not-an-account-number": {"username": "admin", "password": PASSWORD},
        "no-password": {"username": learner.account},
        "no-username": {"password": PASSWORD},
    }
    for case, status, field in REFUSED_LOGINS:
        with subtests.test(case=case):
            before = snapshot(bank)
            r = client.post("/v1/auth/token", data=forms[case])
            body = problem(r, status, field)
            if status == 401:
                # one answer for every reason: no hint whether the account exists
                assert body["detail"] == "wrong account number or password"
                assert r.headers["www-authenticate"] == "Bearer"
            after = snapshot(bank)
            if case == "wrong-password":  # the failure is counted, nothing else changes
                assert credentials(bank, learner.account).failed_attempts == 1
                after.pop("learner_credentials"), before.pop("learner_credentials")
            assert after == before


def test_a_trailing_newline_in_the_username_is_422(bank: Bank, client: ASGIClient) -> None:
    learner = open_learner(bank)
    r = client.post("/v1/auth/token", data={"username": learner.account + "\n", "password": WRONG})
    problem(r, 422, "username")


def test_repeated_failures_lock_the_account_for_15_minutes(
    bank: Bank, client: ASGIClient, clock: FakeClock
) -> None:
    learner = open_learner(bank)
    activate_learner(bank, learner)
    assert bank.settings.login_max_failures == 5
    assert bank.settings.login_lock_minutes == 15
    problem(login(client, learner.account, WRONG), 401)
    assert login(client, learner.account).status_code == 200  # a success resets the count
    for _ in range(4):  # so four more do not lock (five in all, but not in a row)
        problem(login(client, learner.account, WRONG), 401)
    assert credentials(bank, learner.account).locked_until is None
    problem(login(client, learner.account, WRONG), 401)  # the fifth in a row locks
    locked_until = credentials(bank, learner.account).locked_until
    assert locked_until == "2026-11-22T08:15:00.000000Z"

    body = problem(login(client, learner.account), 403, "username")  # even the right one
    assert "locked" in body["detail"]
    assert body["locked_until"] == locked_until
    clock.advance(minutes=14, seconds=59)
    problem(login(client, learner.account), 403, "username")
    problem(login(client, learner.account, WRONG), 403, "username")
    assert credentials(bank, learner.account).locked_until == locked_until  # not extended
    clock.advance(seconds=1)
    r = login(client, learner.account)
    assert r.status_code == 200, r.text
    assert credentials(bank, learner.account).failed_attempts == 0
    events = [(r[2], r[4]) for r in auth_event_rows(bank)]  # (event, detail)
    assert events == [
        *[("login_failed", "wrong password")] * 5,
        ("login_locked", "wrong password"),
        ("login_locked", "attempt while locked"),
        ("login_locked", "attempt while locked"),
        ("login_locked", "attempt while locked"),
    ]


def test_parallel_guesses_still_lock_the_account(bank: Bank, clock: FakeClock) -> None:
    learner = open_learner(bank)
    activate_learner(bank, learner)
    start = threading.Barrier(10)
    outcomes: list[str] = []

    def guess() -> None:
        start.wait()
        try:
            service.login(bank, learner.account, WRONG, clock())
        except CreditBankError as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=guess) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 10  # none got in
    with pytest.raises(Forbidden, match="locked"):
        service.login(bank, learner.account, PASSWORD, clock())


class CountingHasher:
    """The Argon2 hasher of ``creditbank.access.secrets``, counting its verifies."""

    def __init__(self, real: Any) -> None:
        self.real, self.verifies = real, 0

    def verify(self, hash: str, password: str) -> bool:
        self.verifies += 1
        return bool(self.real.verify(hash, password))

    def hash(self, password: str) -> str:
        return str(self.real.hash(password))


def test_every_login_costs_one_argon2_verify(
    bank: Bank, clock: FakeClock, orgs: Orgs, monkeypatch: pytest.MonkeyPatch, subtests: Any
) -> None:
    """No account enumeration by timing: an unknown, unactivated, locked or closed account
    costs the same Argon2 work as a wrong password (counted, not timed)."""
    hasher = CountingHasher(password_secrets._hasher)
    monkeypatch.setattr(password_secrets, "_hasher", hasher)
    active, idle, locked, closed = (open_learner(bank) for _ in range(4))
    for learner in (active, locked, closed):
        activate_learner(bank, learner)
    for _ in range(bank.settings.login_max_failures):
        with pytest.raises(CreditBankError):
            service.login(bank, locked.account, WRONG, clock())
    service.close_account(bank, closed.account, "authority", "duplicate account", clock())
    cases: list[tuple[str, str, str, type[CreditBankError] | None]] = [
        ("right-password", active.account, PASSWORD, None),
        ("wrong-password", active.account, WRONG, Unauthenticated),
        ("unknown-account", "CB00000000000", PASSWORD, Unauthenticated),
        ("not-activated", idle.account, PASSWORD, Unauthenticated),
        ("locked", locked.account, PASSWORD, Forbidden),
        ("closed", closed.account, PASSWORD, Unauthenticated),
    ]
    for case, account, password, refusal in cases:
        with subtests.test(case=case):
            hasher.verifies = 0
            if refusal is None:
                service.login(bank, account, password, clock())
            else:
                with pytest.raises(refusal):
                    service.login(bank, account, password, clock())
            assert hasher.verifies == 1


# --- activation codes ----------------------------------------------------------------------


def test_an_activation_code_works_once(bank: Bank, client: ASGIClient) -> None:
    learner = open_learner(bank)
    wrong = replace(learner, activation_code=learner.activation_code + "x")
    body = problem(activate(client, wrong), 401)
    assert "activation code" in body["detail"]
    assert credentials(bank, learner.account).password_hash is None
    assert activate(client, learner).status_code == 204
    row = credentials(bank, learner.account)
    assert row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash
    assert row.activation_hash is None
    before = snapshot(bank)
    problem(activate(client, learner, "another horse 43"), 401)  # used
    assert snapshot(bank) == before


def test_an_activation_code_expires_after_30_days(
    bank: Bank, client: ASGIClient, clock: FakeClock
) -> None:
    learner = open_learner(bank)
    clock.advance(days=30)
    before = snapshot(bank)
    problem(activate(client, learner), 401)
    assert snapshot(bank) == before
    assert credentials(bank, learner.account).password_hash is None


WEAK_PASSWORDS = [
    ("short", "short1!"),  # under 10 characters
    ("digits-only", "1234567890123"),
    ("letters-only", "onlyletterslong"),
    ("empty", ""),  # refused by the schema
    ("too-long", "x1" * 101),  # over 200 characters
]


def test_weak_passwords_are_refused(bank: Bank, client: ASGIClient, subtests: Any) -> None:
    learner = open_learner(bank)
    for case, password in WEAK_PASSWORDS:
        with subtests.test(case=case):
            before = snapshot(bank)
            problem(activate(client, learner, password), 422, "password")
            assert snapshot(bank) == before  # the code is still good
    assert credentials(bank, learner.account).activation_hash is not None


def test_activation_for_a_bad_account_number(bank: Bank, client: ASGIClient) -> None:
    learner = open_learner(bank)
    flipped = learner.account[:-1] + str((int(learner.account[-1]) + 1) % 10)
    bad = replace(learner, account=flipped)
    problem(activate(client, bad), 422, "account")
    other = replace(learner, account="CB00000000000")
    problem(activate(client, other), 401)  # a real code, for another account


def test_the_code_alone_does_not_activate_an_account(
    bank: Bank, client: ASGIClient, orgs: Orgs, subtests: Any
) -> None:
    """A provider that opened the account holds the code; activation also needs the
    learner's ID number, checked against the vault's HMAC."""
    learner = open_learner(bank, opened_by="prov-a")
    number = learner.person.id_number
    someone_else = make_person().id_number  # a well-formed resident ID, not the learner's
    off_by_one = number[:10] + str((int(number[10]) + 1) % 10) + number[11:]
    refused: list[tuple[str, dict[str, Any], int, str | None]] = [
        ("no-id-number", {}, 422, "id_number"),
        ("another-persons-id", {"id_number": someone_else}, 401, None),
        ("one-digit-off", {"id_number": off_by_one}, 401, None),
        ("right-id-wrong-code", {"activation_code": "x" + learner.activation_code}, 401, None),
    ]
    for case, change, status, field in refused:
        with subtests.test(case=case):
            body = {
                "account": learner.account,
                "activation_code": learner.activation_code,
                "id_number": number,
                "password": PASSWORD,
                **change,
            }
            if case == "no-id-number":
                del body["id_number"]
            before = credentials(bank, learner.account)
            r = client.post("/v1/auth/activate", json=body)
            detail = problem(r, status, field)["detail"]
            if status == 401:  # one answer: no hint which of code and ID was wrong
                assert detail == service.ACTIVATION_REFUSED
            after = credentials(bank, learner.account)
            assert after.password_hash is None
            assert after.activation_hash == before.activation_hash  # the code still works
    spaced = f" {number[:6]} {number[6:14]} {number[14:].lower()} "  # any spelling of it
    assert activate(client, learner, id_number=spaced).status_code == 204
    assert login(client, learner.account).status_code == 200
    events = [(r[2], r[4]) for r in auth_event_rows(bank)]
    assert events == [
        ("activation_failed", "wrong ID number"),
        ("activation_failed", "wrong ID number"),
        ("activation_failed", "bad or expired activation code"),
    ]


def test_activation_takes_the_id_number_of_any_id_type(bank: Bank, client: ASGIClient) -> None:
    learner = open_learner(bank, id_type="passport", id_number="e 1234 5678")
    problem(activate(client, learner, id_number="E12345679"), 401)
    assert activate(client, learner, id_number="E12345678").status_code == 204


def test_wrong_id_numbers_lock_activation_for_15_minutes(
    bank: Bank, client: ASGIClient, clock: FakeClock
) -> None:
    """With the right code, guessing the ID number is throttled as password guessing is."""
    learner = open_learner(bank, opened_by="authority")
    wrong = make_person().id_number
    for _ in range(bank.settings.login_max_failures - 1):
        problem(activate(client, learner, id_number=wrong), 401)
    assert credentials(bank, learner.account).locked_until is None
    problem(activate(client, learner, id_number=wrong), 401)  # the fifth in a row locks
    locked_until = credentials(bank, learner.account).locked_until
    assert locked_until == "2026-11-22T08:15:00.000000Z"
    body = problem(activate(client, learner), 403, "id_number")  # even the right one
    assert body["locked_until"] == locked_until
    wrong_code = replace(learner, activation_code=learner.activation_code[::-1])
    problem(activate(client, wrong_code), 401)  # a wrong code learns nothing of the lock
    clock.advance(minutes=14, seconds=59)
    problem(activate(client, learner), 403, "id_number")
    assert credentials(bank, learner.account).password_hash is None
    clock.advance(seconds=1)
    assert activate(client, learner).status_code == 204
    row = credentials(bank, learner.account)
    assert (row.failed_attempts, row.locked_until) == (0, None)
    assert login(client, learner.account).status_code == 200
    events = [(r[2], r[4]) for r in auth_event_rows(bank)]
    assert events == [
        *[("activation_failed", "wrong ID number")] * 4,
        ("activation_locked", "wrong ID number"),
        ("activation_locked", "attempt while locked"),
        ("activation_failed", "bad or expired activation code"),
        ("activation_locked", "attempt while locked"),
    ]


# --- bearer tokens -------------------------------------------------------------------------


MISSING_OR_UNKNOWN = [
    ("none", None, "needs a bearer token"),
    ("unknown", "Bearer cbt_000000000000_not-a-real-token", "unknown"),
    ("empty", "Bearer ", "needs a bearer token"),
    ("basic", "Basic YXV0aG9yaXR5OnNlY3JldA==", "needs a bearer token"),
    ("lower-case-scheme", "bearer cbt_000000000000_not-a-real-token", "unknown"),
]


def test_missing_or_unknown_tokens_get_401(bank: Bank, client: ASGIClient, subtests: Any) -> None:
    for case, header, detail in MISSING_OR_UNKNOWN:
        with subtests.test(case=case):
            headers = {} if header is None else {"Authorization": header}
            r = client.get("/v1/me", headers=headers)
            assert detail in problem(r, 401)["detail"]
            assert r.headers["www-authenticate"] == "Bearer"


def test_tokens_expire(bank: Bank, client: ASGIClient, clock: FakeClock, orgs: Orgs) -> None:
    org = token_for(bank, "prov-a", days=1)
    learner = learner_token(bank, open_learner(bank).account)
    for token in (org, learner):
        assert client.get("/v1/me", token=token).status_code == 200  # now cached
    clock.advance(minutes=bank.settings.learner_token_minutes)
    assert "expired" in problem(client.get("/v1/me", token=learner), 401)["detail"]
    assert client.get("/v1/me", token=org).status_code == 200
    clock.advance(days=1)
    r = client.get("/v1/me", token=org)
    assert "expired" in problem(r, 401)["detail"]
    assert r.headers["www-authenticate"] == "Bearer"


def test_logout_revokes_the_token_at_once(bank: Bank, client: ASGIClient, orgs: Orgs) -> None:
    tokens = {"provider": token_for(bank, "prov-a")}
    tokens["learner"] = learner_token(bank, open_learner(bank).account)
    for token in tokens.values():
        token_id = client.get("/v1/me", token=token).json()["token_id"]  # cached for 60 s
        assert client.post("/v1/auth/logout", token=token).status_code == 204
        assert token_row(bank, token_id).revoked_at is not None
        assert "revoked" in problem(client.get("/v1/me", token=token), 401)["detail"]
        problem(client.post("/v1/auth/logout", token=token), 401)


def test_revocation_through_the_service_evicts_the_cached_token(
    bank: Bank, client: ASGIClient, orgs: Orgs
) -> None:
    token = token_for(bank, "prov-a")
    token_id = client.get("/v1/me", token=token).json()["token_id"]
    revoke_token(bank.engine, token_id, bank.ledger.clock())
    # the cache window: revoked in the database, still trusted by this server ...
    assert client.get("/v1/me", token=token).status_code == 200
    bank.tokens.evict(token_id)  # ... until evicted, as revocations in this process do
    assert "revoked" in problem(client.get("/v1/me", token=token), 401)["detail"]
    with pytest.raises(NotFound):
        revoke_token(bank.engine, token_id, bank.ledger.clock())  # only once


@pytest.mark.parametrize("settings", [0.0], indirect=True, ids=["no-token-cache"])
def test_revocation_elsewhere_with_no_cache_is_immediate(
    bank: Bank, client: ASGIClient, orgs: Orgs
) -> None:
    """As `creditbank token revoke` does from another process: no eviction here."""
    assert bank.settings.auth_cache_seconds == 0
    token = token_for(bank, "prov-a")
    token_id = client.get("/v1/me", token=token).json()["token_id"]
    revoke_token(bank.engine, token_id, bank.ledger.clock())
    assert "revoked" in problem(client.get("/v1/me", token=token), 401)["detail"]


def test_a_token_is_only_issued_for_a_registered_actor_of_that_role(bank: Bank, orgs: Orgs) -> None:
    now = bank.ledger.clock()
    with pytest.raises(NotFound):
        create_token(
            bank.engine,
            role="provider",
            actor_id="nobody",
            label="t",
            now=now,
            ttl=timedelta(days=1),
        )
    with pytest.raises(InvalidInput) as err:
        create_token(
            bank.engine,
            role="authority",
            actor_id="prov-a",
            label="t",
            now=now,
            ttl=timedelta(days=1),
        )
    assert err.value.field == "role"
    with pytest.raises(InvalidInput):
        create_token(bank.engine, role="learner", label="t", now=now, ttl=timedelta(days=1))


@pytest.mark.parametrize("days", [0, -1, 3651, 99_999_999], ids=str)
def test_an_organisation_token_lives_1_to_3650_days(bank: Bank, orgs: Orgs, days: int) -> None:
    before = snapshot(bank)
    with pytest.raises(InvalidInput, match="1 to 3650 days") as err:
        create_actor_token(bank.engine, "prov-a", label="t", days=days, now=bank.ledger.clock())
    assert err.value.field == "days"
    assert snapshot(bank) == before


def test_the_longest_organisation_token(bank: Bank, orgs: Orgs) -> None:
    now = bank.ledger.clock()
    token, token_id, role, expires = create_actor_token(
        bank.engine, "prov-a", label="t", days=3650, now=now
    )
    assert token.startswith(f"cbt_{token_id}_")
    assert (role, expires) == ("provider", now + timedelta(days=3650))
    assert token_row(bank, token_id).expires_at == "2036-11-19T08:00:00.000000Z"
    with pytest.raises(NotFound):
        create_actor_token(bank.engine, "nobody", label="t", days=1, now=now)


def test_erasure_revokes_the_learners_tokens_at_once(bank: Bank, client: ASGIClient) -> None:
    learner = open_learner(bank)
    token = learner_token(bank, learner.account)
    other = learner_token(bank, learner.account)  # a second session of the same learner
    for t in (token, other):
        assert client.get("/v1/me", token=t).status_code == 200  # cached for 60 s
    r = client.post(f"/v1/learners/{learner.account}/erasure", token=token)
    assert r.status_code == 200, r.text
    for t in (token, other):
        assert "revoked" in problem(client.get("/v1/me", token=t), 401)["detail"]


def test_closure_revokes_the_learners_tokens_and_refuses_login(
    bank: Bank, client: ASGIClient, orgs: Orgs
) -> None:
    learner, idle, bystander = open_learner(bank), open_learner(bank), open_learner(bank)
    assert activate(client, learner).status_code == 204
    token = login(client, learner.account).json()["access_token"]
    other = learner_token(bank, learner.account)  # a second session of the same learner
    unrelated = learner_token(bank, bystander.account)
    authority = token_for(bank, "authority")
    for t in (token, other, unrelated):
        assert client.get("/v1/me", token=t).status_code == 200  # cached for 60 s
    for account in (learner.account, idle.account):
        r = client.post(
            f"/v1/learners/{account}/closure", json={"reason": "duplicate"}, token=authority
        )
        assert r.status_code == 200, r.text
    for t in (token, other):
        assert "revoked" in problem(client.get("/v1/me", token=t), 401)["detail"]
    assert client.get("/v1/me", token=unrelated).status_code == 200
    assert client.get("/v1/me", token=authority).status_code == 200

    t = tables.api_tokens
    with bank.engine.connect() as conn:
        rows = conn.execute(select(t).where(t.c.account == learner.account)).all()
    assert len(rows) == 2
    assert all(row.revoked_at == "2026-11-22T08:00:00.000000Z" for row in rows)
    before = snapshot(bank)
    r = login(client, learner.account)  # the right password
    assert problem(r, 401)["detail"] == "wrong account number or password"
    assert r.headers["www-authenticate"] == "Bearer"
    problem(activate(client, idle), 401)  # a closed account is not activated either
    assert snapshot(bank) == before  # no token issued, no password set
    assert ("login_failed", "account closed") in [(r[2], r[4]) for r in auth_event_rows(bank)]

    # tokens are not projections: rebuilding from the log leaves them revoked, and the
    # rebuilt account status still refuses login
    assert audit.audit(bank.engine, bank.verifier_key, bank.settings.origin, default_handlers()).ok
    audit.rebuild(bank.engine, default_handlers())
    assert snapshot(bank) == before
    problem(login(client, learner.account), 401)


# --- signed writes: the token's actor is the statement's author -----------------------------


def _forged(statement: dict[str, Any], claimed: KeyPair, signer: KeyPair) -> dict[str, Any]:
    """Claims ``claimed``'s key id, but the signature is by ``signer``."""
    real = sign_statement(statement, signer)
    return {**payload(real), "key_id": claimed.key_id}


def _cases(orgs: Orgs) -> dict[str, tuple[dict[str, Any], int, str]]:
    a, p, b = orgs.authority, orgs.provider, orgs.other_provider
    return {
        "statement-by-another-provider": (payload(notice("prov-b", b)), 403, "statement.actor"),
        "statement-by-the-authority": (payload(notice("authority", a)), 403, "statement.actor"),
        "signed-with-another-actors-key": (payload(notice("prov-a", b)), 422, "key_id"),
        "another-actors-signature-under-own-key-id": (
            _forged(notice("prov-a", p).statement, p, b),
            422,
            "signature",
        ),
        "no-actor": (
            payload(
                sign_statement({"kind": "notice.published", "id": "x", "body": {"text": "t"}}, p)
            ),
            403,
            "statement.actor",
        ),
    }


def test_nobody_writes_as_someone_else(
    bank: Bank, client: ASGIClient, orgs: Orgs, subtests: Any
) -> None:
    token = token_for(bank, "prov-a")
    for case, (body, status, field) in _cases(orgs).items():
        with subtests.test(case=case):
            before = snapshot(bank)
            # the same-actor rule runs first on every signed-write route; a bad signature
            # is found where the statement is verified (the generic route here)
            urls = ["/v1/ledger/entries"]
            if status == 403:
                urls += ["/v1/courses", "/v1/completions", "/v1/completions/retractions"]
            for url in urls:
                problem(client.post(url, json=body, token=token), status, field)
            assert snapshot(bank) == before
            # the same statement is fine with its own author's token (if well signed)
            if status == 403 and case != "no-actor":
                actor = body["statement"]["actor"]
                ok = client.post("/v1/ledger/entries", json=body, token=token_for(bank, actor))
                assert ok.status_code == 201, ok.text
                assert tree_size(bank) == before["log_size"][0] + 1


# --- auth events ---------------------------------------------------------------------------


def test_auth_events_and_logs_hold_no_secrets(
    bank: Bank, client: ASGIClient, clock: FakeClock, orgs: Orgs, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    learner = open_learner(bank)
    code = learner.activation_code
    wrong_id = make_person().id_number
    secrets: list[str] = [PASSWORD, WRONG, code, learner.person.id_number, wrong_id]
    problem(activate(client, replace(learner, activation_code=code[::-1])), 401)
    problem(activate(client, learner, id_number=wrong_id), 401)
    assert activate(client, learner).status_code == 204
    problem(login(client, learner.account, WRONG), 401)
    problem(login(client, "CB00000000000"), 401)
    token = login(client, learner.account).json()["access_token"]
    org = token_for(bank, "prov-a")
    secrets += [token, org, "cbt_000000000000_guessed"]
    problem(client.get("/v1/me", token="cbt_000000000000_guessed"), 401)
    assert client.post("/v1/auth/logout", token=token).status_code == 204
    problem(client.get("/v1/me", token=token), 401)
    client.get("/v1/me", token=org)
    clock.advance(days=31)
    problem(client.get("/v1/me", token=org), 401)  # expired

    rows = auth_event_rows(bank)
    assert {r[2] for r in rows} == {
        "activation_failed",
        "login_failed",
        "token_rejected",
    }
    stored = repr(rows)
    logged = caplog.text
    assert "auth login_failed" in logged  # the events are logged ...
    for secret in secrets:  # ... without any secret, nor its hash
        for text in (secret, hashlib.sha256(secret.encode()).hexdigest()):
            assert text not in stored
            assert text not in logged
    details = {r[4] for r in rows}
    assert {"unknown token", "revoked token", "expired token"} <= details
