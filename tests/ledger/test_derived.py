"""Only the rules decide: derived kinds are never accepted from an author, and the audit
finds any derived-kind entry the rules did not produce, whoever signed it.

The forged entries below are written by a sequencer whose author checks are switched off
(a hostile operator who also controls the code): the tree, checkpoint and log state are
grown correctly, so only re-derivation can tell.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from creditbank.bank import Bank
from creditbank.core.authorship import DERIVED_KINDS, KINDS
from creditbank.core.entry import Derivation, sign_statement
from creditbank.core.errors import Forbidden
from creditbank.core.keys import KeyPair
from creditbank.core.verify import author_key_id
from creditbank.ledger import authors, store
from creditbank.ledger.audit import audit
from creditbank.ledger.sequencer import Appended
from creditbank.registry import default_handlers
from tests.access.conftest import problem
from tests.api.conftest import ASGIClient
from tests.factories import b64, notice, register, token_for
from tests.ledger.test_tamper import run_audit

FORGED_SUBSIDY = {
    "learner": "CB00000000018",
    "certificate_number": "BJ-FORGED-000001",
    "program_id": "bj-ai-2026",
    "year": 2026,
    "amount_fen": 99_999_999,
    "claim_until": "2027-06-01T00:00:00.000000Z",
    "parts": [{"provider": "prov-a", "credits": "1.0", "amount_fen": 99_999_999}],
    "derived_from": [1],
}


def tree_size(bank: Bank) -> int:
    with bank.engine.connect() as conn:
        return store.tree_size(conn)


def test_every_kind_has_a_handler_and_a_row() -> None:
    assert set(default_handlers()) == set(KINDS)
    assert {
        "credit.awarded",
        "credit.revoked",
        "eligibility.reached",
        "eligibility.lost",
        "reward.granted",
        "reward.queued",
        "reward.cancelled",
        "reward.clawback_due",
        "subsidy.entitled",
        "subsidy.cancelled",
        "subsidy.clawback_due",
        "certificate.recognized",
        "credit.recognized",
        "recognition.revoked",
    } == DERIVED_KINDS
    assert all(not row.roles for row in KINDS.values() if row.derived)
    assert all(row.roles for row in KINDS.values() if not row.derived)


# --- nobody may post a derived kind ----------------------------------------------------


@pytest.fixture
def signers(bank: Bank) -> dict[str, KeyPair]:
    return {
        "authority": bank.authority_key(),
        "prov-a": register(bank, "prov-a"),
        "cert-a": register(bank, "cert-a", role="certifier", standards=["data-annotator"]),
    }


@pytest.mark.parametrize("kind", sorted(DERIVED_KINDS))
def test_no_author_may_post_a_derived_kind(
    bank: Bank, client: ASGIClient, signers: dict[str, KeyPair], kind: str
) -> None:
    """Every derived kind, posted by every organisation role (the authority included),
    is a 403 naming statement.kind, and nothing is written."""
    before = tree_size(bank)
    for actor, key in signers.items():
        statement = {"kind": kind, "actor": actor, "id": f"forge-{kind}", "body": FORGED_SUBSIDY}
        r = client.post(
            "/v1/ledger/entries", json=payload(statement, key), token=token_for(bank, actor)
        )
        body = problem(r, 403, "statement.kind")
        assert "derive" in body["detail"]
    with pytest.raises(Forbidden) as err:
        bank.ledger.submit_operator(kind, f"forge-{kind}", FORGED_SUBSIDY).result(timeout=30)
    assert err.value.field == "statement.kind"
    assert tree_size(bank) == before


def payload(statement: dict[str, Any], key: KeyPair) -> dict[str, Any]:
    signed = sign_statement(statement, key)
    return {
        "statement": statement,
        "key_id": signed.key_id,
        "signature": b64(signed.signature),
    }


def test_the_table_refuses_a_role_it_does_not_name(bank: Bank, client: ASGIClient) -> None:
    """A provider may not publish a budget: the table says the authority does."""
    key = register(bank, "prov-a")
    before = tree_size(bank)
    statement = {
        "kind": "budget.set",
        "actor": "prov-a",
        "id": "b-1",
        "body": {"program_id": "bj-ai-2026", "kind": "reward", "amount_fen": 1},
    }
    r = client.post(
        "/v1/ledger/entries", json=payload(statement, key), token=token_for(bank, "prov-a")
    )
    problem(r, 403, "statement.actor")
    assert tree_size(bank) == before


# --- the audit finds what a hostile sequencer wrote ------------------------------------


@pytest.fixture
def unchecked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sequencer with its authorship checks removed."""
    monkeypatch.setattr(authors, "refuse_derived", lambda kind: KINDS[kind])
    monkeypatch.setattr(authors, "check_author", lambda kind, role: None)


def forged(bank: Bank, actor: str, key: KeyPair) -> Appended:
    return bank.ledger.append(
        sign_statement(
            {"kind": "subsidy.entitled", "actor": actor, "id": "forged", "body": FORGED_SUBSIDY},
            key,
        )
    )


@pytest.mark.usefixtures("unchecked")
def test_audit_names_a_forged_derived_entry_signed_by_a_provider(bank: Bank) -> None:
    key = register(bank, "prov-a")
    bank.ledger.append(notice("prov-a", key))
    index = forged(bank, "prov-a", key).index
    bank.ledger.append(notice("prov-a", key))
    report = run_audit(bank)
    assert not report.ok
    assert report.first_bad_index == index
    assert "subsidy.entitled is derived by the rules only" in (report.problem or "")


@pytest.mark.usefixtures("unchecked")
def test_audit_names_a_forged_derived_entry_signed_by_the_log_key(bank: Bank) -> None:
    key = register(bank, "prov-a")
    bank.ledger.append(notice("prov-a", key))
    index = bank.ledger.submit_operator("subsidy.entitled", "forged", FORGED_SUBSIDY).result(30)
    bank.ledger.append(notice("prov-a", key))
    with bank.engine.connect() as conn:
        entry = json.loads(store.entry_data(conn, index.index))
    assert entry["key_id"] == author_key_id(bank.log_key.public_key)  # the log key signed
    report = run_audit(bank)
    assert not report.ok
    assert report.first_bad_index == index.index


def test_audit_names_an_unsigned_decision_no_rule_derived(
    bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A log-authored, unsigned subsidy.entitled in exactly the derived form, slipped in
    after a notice by a handler the rules do not have."""
    key = register(bank, "prov-a")
    handler = bank.ledger.handlers["notice.published"]

    def apply(ctx: Any, index: int, signed: Any) -> list[Derivation]:
        body = {k: v for k, v in FORGED_SUBSIDY.items() if k != "derived_from"}
        return [Derivation("subsidy.entitled", body, (index,))]

    monkeypatch.setattr(handler, "apply", apply)
    appended = bank.ledger.append(notice("prov-a", key))
    monkeypatch.undo()
    assert len(appended.derived) == 1
    with bank.engine.connect() as conn:
        entry = json.loads(store.entry_data(conn, appended.derived[0]))
    assert set(entry) == {"v", "kind", "statement", "integrated_at"}  # the derived form
    report = run_audit(bank)
    assert not report.ok
    assert report.first_bad_index == appended.derived[0]
    assert "no rule derived" in (report.problem or "")


def test_audit_names_a_missing_derived_decision(
    bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A decision the rules derive but the log left out is named where it should be: here
    the replaying rules derive one after the first notice, which the live log lacks."""
    key = register(bank, "prov-a")
    first = bank.ledger.append(notice("prov-a", key))
    bank.ledger.append(notice("prov-a", key))
    replay_handlers = default_handlers()

    def apply(ctx: Any, index: int, signed: Any) -> list[Derivation]:
        if index == first.index:
            return [Derivation("credit.revoked", {"award_index": 0}, (index,))]
        return []

    monkeypatch.setattr(replay_handlers["notice.published"], "apply", apply)
    report = audit(bank.engine, bank.verifier_key, bank.settings.origin, replay_handlers)
    assert not report.ok
    assert report.first_bad_index == first.index + 1
    assert "missing" in (report.problem or "")


# --- key powers ---------------------------------------------------------------------


def key_statement(kind: str, actor: str, target: str, new: KeyPair, **extra: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "actor": actor,
        "id": f"{kind}-{new.key_id}",
        "body": {"actor_id": target, "public_key": b64(new.public_key), **extra},
    }


def test_the_authority_cannot_add_a_key_to_another_actor(bank: Bank) -> None:
    register(bank, "prov-a")
    before = tree_size(bank)
    stolen = KeyPair.generate("prov-a")
    with pytest.raises(Forbidden) as err:
        bank.ledger.append(
            sign_statement(
                key_statement("key.added", "authority", "prov-a", stolen), bank.authority_key()
            )
        )
    assert err.value.field == "statement.body.actor_id"
    assert tree_size(bank) == before


def test_an_actor_adds_its_own_keys(bank: Bank) -> None:
    key = register(bank, "prov-a")
    new = KeyPair.generate("prov-a")
    bank.ledger.append(sign_statement(key_statement("key.added", "prov-a", "prov-a", new), key))
    bank.ledger.append(notice("prov-a", new))  # the new key signs
    assert run_audit(bank).ok


def test_recovery_key_only_when_no_active_key_is_left(bank: Bank) -> None:
    key = register(bank, "prov-a")
    authority = bank.authority_key()
    recovery = KeyPair.generate("prov-a")
    recover = sign_statement(
        key_statement("key.recovered", "authority", "prov-a", recovery, reason="key lost"),
        authority,
    )
    with pytest.raises(Forbidden) as err:
        bank.ledger.append(recover)
    assert err.value.field == "statement.body.actor_id"
    assert "still has an active key" in err.value.detail
    bank.ledger.append(
        sign_statement(
            {
                "kind": "key.revoked",
                "actor": "authority",
                "id": "lost",
                "body": {"actor_id": "prov-a", "key_id": key.key_id, "reason": "laptop lost"},
            },
            authority,
        )
    )
    bank.ledger.append(recover)
    bank.ledger.append(notice("prov-a", recovery))
    # a provider cannot register a recovery key, not even for itself
    with pytest.raises(Forbidden):
        bank.ledger.append(
            sign_statement(
                key_statement(
                    "key.recovered", "prov-a", "prov-a", KeyPair.generate("x"), reason="r"
                ),
                recovery,
            )
        )
    assert run_audit(bank).ok


def test_a_gateway_key_is_only_a_providers(bank: Bank) -> None:
    certifier = register(bank, "cert-a", role="certifier", standards=["data-annotator"])
    gateway = KeyPair.generate("cert-a")
    with pytest.raises(Forbidden) as err:
        bank.ledger.append(
            sign_statement(
                key_statement("key.added", "cert-a", "cert-a", gateway, purpose="xapi-gateway"),
                certifier,
            )
        )
    assert err.value.field == "statement.body.purpose"
