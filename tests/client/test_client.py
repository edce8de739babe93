"""The client SDK end to end against a real uvicorn server: signed writes with receipts
verified offline, problem details as ApiError, the catalogue, and a learner's account."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from creditbank.bank import Bank
from creditbank.catalogue.service import publish_catalogue
from creditbank.client import ApiError, Appended, CreditBankClient
from creditbank.core.keys import KeyPair
from creditbank.core.statements import catalogue as statements
from creditbank.core.verify import VerificationError
from tests.catalogue.conftest import small_catalogue
from tests.client.conftest import Connect
from tests.conftest import FakeClock
from tests.factories import make_person, register, token_for

PASSWORD = "correct-horse-7"


def notice(sid: str, text: str = "hello", actor: str = "prov-a") -> dict[str, Any]:
    return {"kind": "notice.published", "actor": actor, "id": sid, "body": {"text": text}}


def statement_of(appended: Appended) -> dict[str, Any]:
    entry: dict[str, Any] = json.loads(appended.entry)
    return dict(entry["statement"])


@pytest.fixture
def provider(bank: Bank, connect: Connect) -> CreditBankClient:
    key = register(bank, "prov-a")
    return connect(token=token_for(bank, "prov-a"), key=key, actor="prov-a")


@pytest.fixture
def authority(bank: Bank, connect: Connect) -> CreditBankClient:
    return connect(token=token_for(bank, "authority"), key=bank.authority_key(), actor="authority")


# --- the log ---------------------------------------------------------------------------


def test_append_verifies_offline_and_reposts_are_idempotent(
    bank: Bank, provider: CreditBankClient
) -> None:
    appended = provider.append(notice("n1"))
    assert not appended.duplicate
    verified = provider.verify(appended)
    assert verified.index == appended.index
    assert verified.entry["statement"] == notice("n1")
    assert provider.verifier_key() == bank.verifier_key
    # the statement id is the idempotency key: the same statement again is the same entry
    again = provider.append(notice("n1"))
    assert again.duplicate
    assert (again.index, again.entry, again.receipt) == (
        appended.index,
        appended.entry,
        appended.receipt,
    )
    # reads: the checkpoint, the entry, and a fresh receipt, all verified by the client
    assert provider.checkpoint().size == appended.index + 1
    view = provider.entry(appended.index)
    assert view["entry"]["statement"] == notice("n1")
    assert provider.verify(provider.receipt(appended.index)).entry_bytes == appended.entry


def test_verification_uses_the_pinned_key_and_checks_the_entry(
    bank: Bank, provider: CreditBankClient, connect: Connect
) -> None:
    appended = provider.append(notice("n1"))
    pinned = connect(verifier_key=bank.verifier_key)
    assert pinned.verify(appended).index == appended.index
    impostor = connect(verifier_key=KeyPair.generate(bank.origin).verifier_key)
    with pytest.raises(VerificationError):
        impostor.verify(appended)
    with pytest.raises(VerificationError):
        impostor.checkpoint()
    other = provider.append(notice("n2"))
    swapped = Appended(appended.index, False, appended.entry, other.receipt)
    with pytest.raises(VerificationError, match=f"expected the entry appended at {appended.index}"):
        provider.verify(swapped)


def test_refusals_are_api_errors_with_the_problem(
    bank: Bank, provider: CreditBankClient, connect: Connect
) -> None:
    token = token_for(bank, "prov-a")
    # a signature by a key prov-a never registered
    stranger = connect(token=token, key=KeyPair.generate("prov-a"), actor="prov-a")
    with pytest.raises(ApiError) as bad:
        stranger.append(notice("n1"))
    assert bad.value.status == 422
    assert bad.value.field == "key_id"
    assert bad.value.type.endswith("/bad-signature")
    assert bad.value.title
    assert bad.value.detail
    # a statement claiming another author than the token's
    with pytest.raises(ApiError) as forged:
        provider.append(notice("n1", actor="prov-b"))
    assert (forged.value.status, forged.value.field) == (403, "statement.actor")
    # the idempotency key reused for different content
    provider.append(notice("taken", text="one"))
    with pytest.raises(ApiError) as reused:
        provider.append(notice("taken", text="two"))
    assert (reused.value.status, reused.value.field) == (409, "statement.id")
    # no token at all
    with pytest.raises(ApiError) as anonymous:
        connect(key=provider.key, actor="prov-a").append(notice("n2"))
    assert anonymous.value.status == 401
    assert "401" in str(anonymous.value)
    # the statement's shape is checked before anything is logged
    with pytest.raises(ApiError) as invalid:
        provider.append({"kind": "notice.published", "actor": "prov-a", "id": "", "body": {}})
    assert invalid.value.status == 422
    assert invalid.value.field == "statement.id"


def test_a_response_that_is_not_a_problem_still_raises_api_error() -> None:
    def gateway(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>bad gateway</html>")

    transport = httpx.MockTransport(gateway)
    with (
        CreditBankClient("http://bank.test", transport=transport) as client,
        pytest.raises(ApiError) as err,
    ):
        client.checkpoint()
    assert err.value.status == 502
    assert err.value.title == "Bad Gateway"
    assert err.value.type == "about:blank"
    assert err.value.field is None
    assert "bad gateway" in err.value.detail


def test_a_success_that_is_not_json_raises_api_error() -> None:
    def portal(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>please sign in to the wifi</html>")

    transport = httpx.MockTransport(portal)
    with (
        CreditBankClient("http://bank.test", transport=transport) as client,
        pytest.raises(ApiError, match="not JSON") as err,
    ):
        list(client.standards())
    assert (err.value.status, err.value.title) == (200, "Unexpected response")


def test_signing_needs_a_key_and_an_actor(connect: Connect) -> None:
    with pytest.raises(ValueError, match="key= and actor="):
        connect().append(notice("n1"))


# --- the catalogue ---------------------------------------------------------------------

COURSE: dict[str, Any] = {
    "title": "Responsible AI review practice",
    "standard_id": "data-annotator",
    "level": 5,
    "unit_code": "DAN-5-01",
    "mode": "workplace",
    "hours": "48.0",
}


def test_courses_are_registered_and_recognized_through_the_client(
    bank: Bank,
    clock: FakeClock,
    provider: CreditBankClient,
    authority: CreditBankClient,
) -> None:
    publish_catalogue(bank.ledger, small_catalogue(), bank.authority_key())
    assert {s["id"] for s in provider.standards()} == {
        "data-annotator",
        "ai-ethics-reviewer",
        "large-model-trainer",
    }
    assert [s["id"] for s in provider.standards(occupation="4-04-05-05")] == ["data-annotator"]
    assert all(5 in s["levels"] for s in provider.standards(level=5))
    assert "ai-ethics-reviewer" in {s["id"] for s in provider.standards(area="ai_ethics")}
    assert provider.standard("data-annotator")["standard"]["title_zh"] == "数据标注员"
    assert next(provider.programs())["program"]["subsidy_per_trainee_fen"] == 600000
    with pytest.raises(ApiError) as missing:
        provider.standard("nope")
    assert missing.value.status == 404

    registered = provider.register_course("c1", **COURSE)
    assert provider.verify(registered).index == registered.index
    # the client writes exactly the statement the catalogue service defines
    assert statement_of(registered) == statements.course_registration("prov-a", "c1", **COURSE)
    assert next(provider.courses("prov-a"))["status"] == "registered"

    start, end = clock.now - timedelta(days=1), clock.now + timedelta(days=30)
    recognized = authority.recognize_course("prov-a", "c1", start, end)
    assert statement_of(recognized) == statements.course_recognition(
        "prov-a", "c1", valid_from=start, valid_until=end
    )
    courses = list(provider.courses("prov-a"))
    assert courses[0]["status"] == "recognized"
    assert courses[0]["credits"] == "3.0"  # 480 tenths of hours // 16

    later = authority.recognize_course(
        "prov-a", "c1", end, end + timedelta(days=30), credits="2.5", ref="2"
    )
    assert statement_of(later) == statements.course_recognition(
        "prov-a", "c1", valid_from=end, valid_until=end + timedelta(days=30), credits="2.5", ref="2"
    )
    # a provider may not recognize its own course
    with pytest.raises(ApiError) as refused:
        provider.recognize_course("prov-a", "c1", start, end)
    assert refused.value.status == 403


def test_recognition_refuses_naive_times(authority: CreditBankClient) -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        authority.recognize_course("prov-a", "c1", datetime(2026, 1, 1), datetime(2027, 1, 1))


# --- learners --------------------------------------------------------------------------


def test_a_learner_account_from_opening_to_erasure(
    bank: Bank, authority: CreditBankClient, connect: Connect
) -> None:
    person = make_person()
    opened = authority.open_account(person.model_dump(mode="json"))
    account = opened["account"]
    entry = authority.verify(opened["receipt"]).entry
    assert entry["kind"] == "account.opened"
    assert entry["statement"]["body"]["account"] == account
    other = authority.open_account(make_person().model_dump(mode="json"))["account"]
    assert authority.lookup(person.id_type, person.id_number) == account

    learner = connect()
    with pytest.raises(ApiError) as empty:
        learner.activate(account, opened["activation_code"], person.id_number, "")
    assert (empty.value.status, empty.value.field) == (422, "password")
    assert empty.value.extra["errors"][0]["field"] == "password"  # every field at fault
    with pytest.raises(ApiError) as wrong_code:
        learner.activate(account, "not-the-code", person.id_number, PASSWORD)
    assert wrong_code.value.status == 401
    with pytest.raises(ApiError) as wrong_id:  # the code alone is not enough
        learner.activate(account, opened["activation_code"], make_person().id_number, PASSWORD)
    assert wrong_id.value.status == 401
    learner.activate(account, opened["activation_code"], person.id_number, PASSWORD)
    with pytest.raises(ApiError) as wrong_password:
        learner.login(account, "wrong-password-1")
    assert wrong_password.value.status == 401
    assert learner.token is None

    token = learner.login(account, PASSWORD)
    assert learner.token == token
    me = learner.me()
    assert (me["role"], me["account"]) == ("learner", account)
    assert learner.account(account)["status"] == "open"
    export = learner.export(account)
    assert export["personal_data"]["name"] == person.name
    assert export["credentials"]["password_set"] is True
    with pytest.raises(ApiError) as forbidden:
        learner.export(other)
    assert (forbidden.value.status, forbidden.value.field) == (403, "account")

    # logout revokes the token at once
    learner.logout()
    assert learner.token is None
    with pytest.raises(ApiError) as signed_out:
        connect(token=token).me()
    assert signed_out.value.status == 401

    # erasure by the learner: the data key is destroyed, the ledger logs account.erased
    learner.login(account, PASSWORD)
    erased = learner.erase(account)
    assert authority.verify(erased["receipt"]).entry["kind"] == "account.erased"
    after = authority.export(account)
    assert after["personal_data"] is None
    assert after["personal_data_erased_at"] is not None
    assert after["credentials"]["password_set"] is False
    assert all(t["revoked_at"] is not None for t in after["tokens"])
    with pytest.raises(ApiError) as gone:
        connect().login(account, PASSWORD)
    assert gone.value.status == 401
    with pytest.raises(ApiError) as unknown:
        authority.lookup(person.id_type, person.id_number)
    assert unknown.value.status == 404

    # closure is the authority's
    closed = authority.close_account(other, "moved abroad")
    assert authority.verify(closed["receipt"]).entry["kind"] == "account.closed"
    assert authority.account(other)["status"] == "closed"


def test_erasure_ends_the_learners_session_at_once(
    bank: Bank, authority: CreditBankClient, connect: Connect
) -> None:
    bank.tokens.seconds = 60  # a cache entry that outlives the test: no timing luck either way
    person = make_person()
    opened = authority.open_account(person.model_dump(mode="json"))
    learner = connect()
    learner.activate(opened["account"], opened["activation_code"], person.id_number, PASSWORD)
    learner.login(opened["account"], PASSWORD)
    learner.erase(opened["account"])
    with pytest.raises(ApiError) as revoked:
        learner.me()
    assert revoked.value.status == 401


# --- isolation -------------------------------------------------------------------------

SERVER_MODULES = (
    "sqlalchemy",
    "sqlmodel",
    "fastapi",
    "starlette",
    "alembic",
    "uvicorn",
    "psycopg",
    "creditbank.api",
    "creditbank.db",
    "creditbank.bank",
    "creditbank.access",
    "creditbank.catalogue.service",
    "creditbank.catalogue.handlers",
    "creditbank.ledger.sequencer",
)


def test_the_client_imports_no_server_code() -> None:
    code = (
        "import sys, json, creditbank.client; "
        "print(json.dumps(sorted(m for m in sys.modules "
        "if any(m == s or m.startswith(s + '.') for s in sys.argv[1:]))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *SERVER_MODULES],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert json.loads(result.stdout) == []
