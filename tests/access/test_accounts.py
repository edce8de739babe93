"""Learner accounts over HTTP: opening (authority or provider), the account number's check
digit, look-up by national ID, export, erasure by crypto-shredding (the log still audits
and rebuilds), and closure. Personal data stays off the ledger throughout."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import inspect, select

from creditbank.api.policy import ROUTE_ROLES
from creditbank.bank import Bank
from creditbank.core.accounts import is_valid_account_number, make_account_number
from creditbank.core.verify import verify_receipt
from creditbank.db import tables
from creditbank.db.tables import projection_tables
from creditbank.ledger import audit
from creditbank.registry import default_handlers
from tests.access.conftest import (
    PASSWORD,
    Orgs,
    learner_token,
    open_learner,
    problem,
    snapshot,
)
from tests.api.conftest import ASGIClient
from tests.factories import make_person, resident_id, token_for


@pytest.fixture
def authority(bank: Bank, orgs: Orgs) -> str:
    return token_for(bank, "authority")


def person_json(**overrides: Any) -> dict[str, Any]:
    return dict(make_person(**overrides).model_dump(mode="json"))


def ids_ending_in_x() -> Iterator[str]:
    """Valid resident ID numbers whose check character is X."""
    return (n for n in (resident_id(s) for s in range(1000)) if n.endswith("X"))


def entry_at(client: ASGIClient, index: int) -> tuple[dict[str, Any], bytes]:
    view = client.get(f"/v1/ledger/entries/{index}").json()
    return view["entry"], base64.b64decode(view["canonical"])


def assert_no_personal_data(data: bytes | str, person: dict[str, Any]) -> None:
    text = data.decode() if isinstance(data, bytes) else data
    for key, value in person.items():
        if key != "id_type" and value:
            assert str(value) not in text, key
            assert json.dumps(value).strip('"') not in text, key


def every_row(bank: Bank) -> str:
    """Every row of every table in the database, as text (the plaintext must be nowhere)."""
    with bank.engine.connect() as conn:
        names = inspect(conn).get_table_names()
        meta = tables.learner_vault.metadata
        return "\n".join(
            repr(row)
            for name in names
            if name in meta.tables
            for row in conn.execute(select(meta.tables[name])).all()
        )


def run_audit(bank: Bank) -> audit.AuditReport:
    return audit.audit(bank.engine, bank.verifier_key, bank.settings.origin, default_handlers())


def projections(bank: Bank) -> dict[str, list[str]]:
    with bank.engine.connect() as conn:
        return {
            t.name: sorted(repr(tuple(r)) for r in conn.execute(select(t)).all())
            for t in projection_tables()
        }


# --- opening -------------------------------------------------------------------------------


def test_an_account_is_opened_with_personal_data_off_the_ledger(
    bank: Bank, client: ASGIClient, orgs: Orgs, subtests: Any
) -> None:
    for opener in ("authority", "prov-a"):
        with subtests.test(opener=opener):
            person = person_json()
            r = client.post("/v1/learners", json=person, token=token_for(bank, opener))
            assert r.status_code == 201, r.text
            opened = r.json()
            account = opened["account"]
            assert is_valid_account_number(account)
            assert len(opened["activation_code"]) >= 16
            verified = verify_receipt(opened["receipt"], bank.verifier_key)
            assert verified.index == opened["index"]
            entry, data = entry_at(client, opened["index"])
            assert data == verified.entry_bytes
            assert entry["statement"]["kind"] == "account.opened"
            assert entry["statement"]["actor"] == "log"  # logged by the operator for the opener
            assert entry["statement"]["body"] == {"account": account, "opened_by": opener}
            assert_no_personal_data(data, person)
            assert_no_personal_data(every_row(bank), person)  # sealed, in the vault too
            view = client.get(f"/v1/learners/{account}", token=token_for(bank, "authority")).json()
            assert view == {
                "account": account,
                "status": "open",
                "opened_by": opener,
                "opened_index": opened["index"],
            }
            assert opened["activation_code"] not in every_row(bank)  # only its hash is kept


def test_one_account_per_national_id(
    bank: Bank, client: ASGIClient, orgs: Orgs, authority: str, subtests: Any
) -> None:
    numbers = ids_ending_in_x()
    for variant in ("same", "spaced", "lower-case-x", "by-another-opener"):
        with subtests.test(variant=variant):
            number = next(numbers)
            first = client.post("/v1/learners", json=person_json(id_number=number), token=authority)
            assert first.status_code == 201, first.text
            again = {
                "same": number,
                "spaced": f"{number[:6]} {number[6:14]} {number[14:]}",
                "lower-case-x": number.lower(),
                "by-another-opener": number,
            }[variant]
            token = token_for(bank, "prov-a") if variant == "by-another-opener" else authority
            before = snapshot(bank)
            r = client.post("/v1/learners", json=person_json(id_number=again), token=token)
            body = problem(r, 409, "id_number")
            assert body["account"] == first.json()["account"]
            assert number not in r.text
            assert snapshot(bank) == before


def test_only_the_authority_or_a_provider_opens_accounts(
    bank: Bank, client: ASGIClient, orgs: Orgs, subtests: Any
) -> None:
    for caller, status in (("certifier", 403), ("learner", 403), ("no-token", 401)):
        with subtests.test(caller=caller):
            token = {
                "certifier": lambda: token_for(bank, "cert-a"),
                "learner": lambda: learner_token(bank, open_learner(bank).account),
                "no-token": lambda: None,
            }[caller]()
            before = snapshot(bank)
            problem(client.post("/v1/learners", json=person_json(), token=token), status)
            assert snapshot(bank) == before


BAD_PERSONS: list[tuple[str, dict[str, Any], str]] = [
    ("resident-id-check-character", {"id_number": "110105199805120054"}, "id_number"),
    ("resident-id-too-short", {"id_number": "11010519980512"}, "id_number"),
    ("unknown-id-type", {"id_type": "library_card"}, "id_type"),
    ("empty-name", {"name": ""}, "name"),
    ("bad-phone", {"phone": "call me maybe"}, "phone"),
    ("bad-email", {"email": "not-an-email"}, "email"),
    ("unknown-field", {"blood_type": "O"}, "blood_type"),
]


def test_bad_personal_data_is_refused(
    bank: Bank, client: ASGIClient, authority: str, subtests: Any
) -> None:
    for case, change, field in BAD_PERSONS:
        with subtests.test(case=case):
            before = snapshot(bank)
            r = client.post("/v1/learners", json={**person_json(), **change}, token=authority)
            problem(r, 422, field)
            assert snapshot(bank) == before


def test_other_id_types_are_normalized_not_checked(
    bank: Bank, client: ASGIClient, authority: str
) -> None:
    person = person_json(id_type="passport", id_number="e 1234 5678")
    r = client.post("/v1/learners", json=person, token=authority)
    assert r.status_code == 201, r.text
    found = client.post(
        "/v1/learners/lookup",
        json={"id_type": "passport", "id_number": "E12345678"},
        token=authority,
    )
    assert found.json() == {"account": r.json()["account"]}


# --- look-up and export --------------------------------------------------------------------


def test_lookup_by_national_id(bank: Bank, client: ASGIClient, authority: str) -> None:
    number = next(ids_ending_in_x())
    opened = client.post("/v1/learners", json=person_json(id_number=number), token=authority)
    account = opened.json()["account"]
    for spelling in (
        number,
        number.lower(),
        f" {number[:6]} {number[6:]} ",
        f"{number[:9]}\t{number[9:]}",
    ):
        r = client.post(
            "/v1/learners/lookup",
            json={"id_type": "resident_id", "id_number": spelling},
            token=authority,
        )
        assert r.json() == {"account": account}, spelling
    for id_type, id_number in (("passport", number), ("resident_id", resident_id(999))):
        r = client.post(
            "/v1/learners/lookup",
            json={"id_type": id_type, "id_number": id_number},
            token=authority,
        )
        problem(r, 404, "id_number")
    # the vault holds an HMAC of the number, never the number
    assert number not in every_row(bank)


def test_export_holds_everything_about_the_learner(
    bank: Bank, client: ASGIClient, orgs: Orgs, subtests: Any
) -> None:
    for reader in ("learner", "authority"):
        with subtests.test(reader=reader):
            learner = open_learner(bank, opened_by="prov-a")
            own = learner_token(bank, learner.account)
            token = own if reader == "learner" else token_for(bank, "authority")
            r = client.get(f"/v1/learners/{learner.account}/export", token=token)
            assert r.status_code == 200, r.text
            export = r.json()
            assert export["account"]["account"] == learner.account
            assert export["account"]["opened_by"] == "prov-a"
            assert export["personal_data"] == learner.person.checked().model_dump(mode="json")
            assert export["personal_data_erased_at"] is None
            assert export["credentials"] == {
                "password_set": False,
                "failed_attempts": 0,
                "locked_until": None,
            }
            [opened] = [e for e in export["ledger_entries"] if e["index"] == learner.index]
            assert opened["entry"]["statement"]["kind"] == "account.opened"
            assert opened["entry"]["statement"]["body"]["account"] == learner.account
            assert set(export["tokens"][0]) == {
                "token_id",
                "created_at",
                "expires_at",
                "revoked_at",
            }
            assert own not in r.text  # token ids and dates, never tokens or their hashes
            assert "token_hash" not in r.text
            assert "activation" not in r.text
            assert r.headers["content-type"] == "application/json"


# --- erasure -------------------------------------------------------------------------------


def test_erasure_shreds_the_personal_data_and_keeps_the_log_verifiable(
    bank: Bank, client: ASGIClient, orgs: Orgs, authority: str, subtests: Any
) -> None:
    for requested_by in ("learner", "authority"):
        with subtests.test(requested_by=requested_by):
            person = person_json()
            provider = token_for(bank, "prov-a")
            opened = client.post("/v1/learners", json=person, token=provider).json()
            account = opened["account"]
            activated = client.post(
                "/v1/auth/activate",
                json={
                    "account": account,
                    "activation_code": opened["activation_code"],
                    "id_number": person["id_number"],
                    "password": PASSWORD,
                },
            )
            assert activated.status_code == 204
            form = {"username": account, "password": PASSWORD}
            session = client.post("/v1/auth/token", data=form).json()["access_token"]
            mine = client.get(f"/v1/learners/{account}/export", token=session).json()
            assert mine["personal_data"]["name"] == person["name"]

            token = session if requested_by == "learner" else authority
            r = client.post(f"/v1/learners/{account}/erasure", token=token)
            assert r.status_code == 200, r.text
            erased = r.json()
            assert verify_receipt(erased["receipt"], bank.verifier_key).index == erased["index"]
            entry, data = entry_at(client, erased["index"])
            assert entry["statement"]["kind"] == "account.erased"
            assert entry["statement"]["body"] == {"account": account, "requested_by": requested_by}
            assert_no_personal_data(data, person)

            export = client.get(f"/v1/learners/{account}/export", token=authority).json()
            assert export["personal_data"] is None
            assert export["personal_data_erased_at"] == "2026-11-22T08:00:00.000000Z"
            assert export["account"]["status"] == "erased"
            assert export["credentials"]["password_set"] is False
            assert all(t["revoked_at"] is not None for t in export["tokens"])
            assert [e["entry"]["statement"]["kind"] for e in export["ledger_entries"]] == [
                "account.opened",
                "account.erased",
            ]
            # the data key is gone: nothing in the database can decrypt, or is, the personal data
            v = tables.learner_vault
            with bank.engine.connect() as conn:
                row = conn.execute(select(v).where(v.c.account == account)).one()
            assert (row.wrapped_key, row.ciphertext, row.id_lookup) == (None, None, None)
            assert_no_personal_data(every_row(bank), person)

            problem(client.get("/v1/me", token=session), 401)  # its sessions are revoked
            problem(client.post("/v1/auth/token", data=form), 401)
            problem(
                client.post(
                    "/v1/learners/lookup",
                    json={"id_type": "resident_id", "id_number": person["id_number"]},
                    token=authority,
                ),
                404,
                "id_number",
            )
            # erasing again writes nothing: the same request replays the original receipt (the
            # operator statement's id is erase:<account>), another requester's is a conflict
            before = snapshot(bank)
            again = client.post(f"/v1/learners/{account}/erasure", token=authority)
            if requested_by == "authority":
                assert again.status_code == 200
                assert again.json() == erased
            else:
                problem(again, 409, "statement.id")
            assert snapshot(bank) == before

            report = run_audit(bank)
            assert report.ok, report.problem
            before = projections(bank)
            assert audit.rebuild(bank.engine, default_handlers()) > 0
            assert projections(bank) == before


# --- closure -------------------------------------------------------------------------------


def test_closure_by_the_authority(
    bank: Bank, client: ASGIClient, orgs: Orgs, authority: str
) -> None:
    learner = open_learner(bank)
    url = f"/v1/learners/{learner.account}/closure"
    problem(client.post(url, json={"reason": ""}, token=authority), 422, "reason")
    r = client.post(url, json={"reason": "duplicate account"}, token=authority)
    assert r.status_code == 200, r.text
    entry, _ = entry_at(client, r.json()["index"])
    assert entry["statement"]["kind"] == "account.closed"
    assert entry["statement"]["body"] == {
        "account": learner.account,
        "closed_by": "authority",
        "reason": "duplicate account",
    }
    view = client.get(f"/v1/learners/{learner.account}", token=authority).json()
    assert view["status"] == "closed"
    before = snapshot(bank)
    problem(client.post(url, json={"reason": "again"}, token=authority), 409)
    missing = make_account_number("0000000001")
    problem(
        client.post(f"/v1/learners/{missing}/closure", json={"reason": "x"}, token=authority), 404
    )
    assert snapshot(bank) == before
    assert run_audit(bank).ok


# --- account numbers in paths ---------------------------------------------------------------

ACCOUNT_ROUTES = sorted(k for k in ROUTE_ROLES if "{account}" in k[1])


def _url(path: str, account: str) -> str:
    return path.replace("{account}", account).replace("{index}", "0")


def test_a_bad_check_digit_in_the_path_is_422(
    bank: Bank, client: ASGIClient, authority: str, subtests: Any
) -> None:
    for method, path in ACCOUNT_ROUTES:
        with subtests.test(route=f"{method} {path}"):
            account = open_learner(bank).account
            # the authority mistypes the number: 422; on a route only the learner calls, the
            # learner's token names another account: 403 (no hint whether it exists)
            by_authority = "authority" in ROUTE_ROLES[(method, path)]
            token = authority if by_authority else learner_token(bank, account)
            before = snapshot(bank)
            for wrong in (
                account[:-1] + str((int(account[-1]) + 1) % 10),  # a mistyped digit
                account[:4] + account[5] + account[4] + account[6:],  # two digits swapped
                "cb" + account[2:],
            ):
                if wrong == account:
                    continue
                body = {"reason": "typo"} if path.endswith("closure") else None
                r = client.request(method, _url(path, wrong), token=token, json=body)
                problem(r, 422 if by_authority else 403, "account")
            assert snapshot(bank) == before


def test_a_trailing_newline_in_the_path_is_422(
    bank: Bank, client: ASGIClient, authority: str
) -> None:
    account = open_learner(bank).account
    r = client.get(f"/v1/learners/{account}%0A", token=authority)
    problem(r, 422, "account")


def test_a_full_width_resident_id_is_the_same_person(
    bank: Bank, client: ASGIClient, authority: str
) -> None:
    number = make_person().id_number
    first = client.post("/v1/learners", json=person_json(id_number=number), token=authority)
    assert first.status_code == 201
    wide = "".join(chr(ord(c) + 0xFEE0) for c in number[:17]) + number[17]
    r = client.post("/v1/learners", json=person_json(id_number=wide), token=authority)
    assert r.status_code in (409, 422), r.text


def test_bulk_opening_is_the_same_as_one_by_one(bank: Bank) -> None:
    from creditbank.access.service import lookup_account, open_accounts
    from creditbank.ledger import store

    people = [make_person() for _ in range(7)]
    with bank.engine.connect() as conn:
        before = store.tree_size(conn)
    opened = open_accounts(bank, people, "authority", bank.ledger.clock(), window=3)
    assert len({o.account for o in opened}) == 7
    with bank.engine.connect() as conn:
        assert store.tree_size(conn) == before + 7
    for person, o in zip(people, opened, strict=True):
        assert lookup_account(bank, person.id_type, person.id_number) == o.account
        assert o.appended.index >= before
