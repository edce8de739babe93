"""A certificate as an Open Badges 3.0 credential: issue, verify, revoke, rotate keys, and
what the credential says of the learner."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

from creditbank.access.service import export_account
from creditbank.bank import Bank
from creditbank.core.credentials.badge import sign_as_certifier
from creditbank.core.credentials.proof import add_proof
from creditbank.core.credentials.status import bit_at
from creditbank.core.entry import sign_statement
from creditbank.core.keys import KeyPair
from creditbank.credentials import service
from creditbank.ledger.tree import receipt_for
from tests.api.certflow import Certified, Flow
from tests.conftest import FakeClock
from tests.credentials.conftest import verify_here
from tests.factories import b64
from tests.factories import register as register_actor


def failed(verdict: Any) -> dict[str, str]:
    return {c.check: c.detail for c in verdict.checks if not c.ok}


def test_a_certificate_credential_verifies_its_signature_status_and_evidence(
    bank: Bank, certified: Certified
) -> None:
    credential = service.certificate_credential_of(bank, certified.number)
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"]["id"] == "did:web:creditbank.local:certifiers:cert-a"
    assert credential["proof"]["verificationMethod"].endswith(":certifiers:cert-a#bank")
    evidence = credential["evidence"][0]
    assert evidence["ledgerIndex"] == certified.issued.index
    subject = credential["credentialSubject"]
    assert subject["achievement"]["humanCode"] == "data-annotator/5"
    verdict = verify_here(bank, credential, log_key=bank.verifier_key)
    assert verdict.status == "valid", failed(verdict)
    assert [c.check for c in verdict.checks] == ["signature", "validity", "status", "evidence"]
    # the same certificate, asked again, is the same bytes (deterministic proof)
    assert service.certificate_credential_of(bank, certified.number) == credential


def test_the_evidence_needs_the_right_log_key(bank: Bank, certified: Certified) -> None:
    credential = service.certificate_credential_of(bank, certified.number)
    other = KeyPair.generate("creditbank.local/ledger").verifier_key
    verdict = verify_here(bank, credential, log_key=other)
    assert verdict.status == "invalid"
    assert set(failed(verdict)) == {"evidence"}


def test_a_lying_signer_is_caught_by_the_ledger_evidence(
    bank: Bank, flow: Flow, certified: Certified
) -> None:
    """Signed with the bank's key but stating another learner than the ledger entry
    does: the signature holds, the evidence does not."""
    credential = service.certificate_credential_of(bank, certified.number)
    forged = copy.deepcopy(credential)
    del forged["proof"]
    forged["credentialSubject"]["identifier"][0]["identityHash"] = flow.learner()
    resigned = add_proof(
        forged,
        service.issuing_key(bank),
        credential["proof"]["verificationMethod"],
        credential["proof"]["created"],
    )
    verdict = verify_here(bank, resigned, log_key=bank.verifier_key)
    assert failed(verdict) == {"evidence": "the entry's learner is not the credential's subject"}
    # and a receipt of another entry in its place
    with bank.engine.connect() as conn:
        forged["evidence"][0]["receipt"] = receipt_for(conn, certified.awards[0], original=True)
    resigned = add_proof(
        forged,
        service.issuing_key(bank),
        credential["proof"]["verificationMethod"],
        credential["proof"]["created"],
    )
    problems = failed(verify_here(bank, resigned, log_key=bank.verifier_key))["evidence"]
    assert f"the receipt proves entry {certified.awards[0]}, not" in problems


def test_no_personal_data_unless_the_learner_adds_the_name(
    bank: Bank, certified: Certified
) -> None:
    personal = export_account(bank, certified.learner)["personal_data"]
    secrets = [str(v) for k, v in personal.items() if k != "id_type" and v]
    plain = json.dumps(
        service.certificate_credential_of(bank, certified.number), ensure_ascii=False
    )
    assert certified.learner in plain
    assert [s for s in secrets if s in plain] == []
    named = service.certificate_credential_of(bank, certified.number, with_name=True)
    text = json.dumps(named, ensure_ascii=False)
    assert [s for s in secrets if s in text] == [personal["name"]]
    identities = named["credentialSubject"]["identifier"]
    assert [i["identityType"] for i in identities] == ["accountId", "name"]
    assert verify_here(bank, named).valid


def test_revoking_flips_the_status_bit_and_the_status_check(
    bank: Bank, flow: Flow, certified: Certified
) -> None:
    other = flow.certify()  # the body's second certificate: bit 1
    credential = service.certificate_credential_of(bank, other.number)
    assert credential["credentialStatus"]["statusListIndex"] == "1"
    before = service.status_list_of(bank, "cert-a")
    assert not bit_at(before["credentialSubject"]["encodedList"], 1)
    assert verify_here(bank, credential).valid
    flow.sign(flow.revocation(other.number))
    after = service.status_list_of(bank, "cert-a")
    encoded = after["credentialSubject"]["encodedList"]
    assert bit_at(encoded, 1)
    assert not bit_at(encoded, 0)  # the first certificate stands
    verdict = verify_here(bank, credential)
    assert verdict.status == "revoked"
    assert failed(verdict) == {"status": f"revoked: bit 1 of {after['id']} is set"}
    assert verify_here(bank, service.certificate_credential_of(bank, certified.number)).valid


def test_a_rotated_certifier_key_still_verifies_older_credentials(
    bank: Bank, flow: Flow, certified: Certified, clock: FakeClock
) -> None:
    old = flow.keys["cert-a"]
    # the body signs the credential with its own key, on its own machine
    bank_signed = service.certificate_credential_of(bank, certified.number)
    own = sign_as_certifier(bank_signed, old, bank.ledger.clock())
    assert own["proof"]["verificationMethod"].endswith(f"#key-{old.key_id}")
    assert verify_here(bank, own, log_key=bank.verifier_key).valid
    # rotation: a new key, then the old one revoked, a day later
    clock.advance(days=1)
    new = KeyPair.generate("cert-a")
    for sid, kind, body, key in (
        ("rotate", "key.added", {"public_key": b64(new.public_key)}, old),
        ("retire", "key.revoked", {"key_id": old.key_id, "reason": "rotated"}, new),
    ):
        flow.bank.ledger.append(
            sign_statement(
                {
                    "kind": kind,
                    "actor": "cert-a",
                    "id": sid,
                    "body": {"actor_id": "cert-a", **body},
                },
                key,
            )
        )
    document = service.did_document_of(bank, "cert-a")
    methods = {m["id"].split("#")[1]: m for m in document["verificationMethod"]}
    assert "revoked" in methods[f"key-{old.key_id}"]
    assert f"{document['id']}#key-{old.key_id}" not in document["assertionMethod"]
    assert f"{document['id']}#key-{new.key_id}" in document["assertionMethod"]
    # what the old key signed before its revocation still verifies, evidence and all
    verdict = verify_here(bank, own, log_key=bank.verifier_key)
    assert verdict.valid, failed(verdict)
    assert "revoked later" in verdict.checks[0].detail
    assert verify_here(bank, bank_signed, log_key=bank.verifier_key).valid
    # what it signs after its revocation does not
    late = sign_as_certifier(bank_signed, old, bank.ledger.clock() + timedelta(hours=1))
    assert set(failed(verify_here(bank, late))) == {"signature"}
    assert verify_here(bank, sign_as_certifier(bank_signed, new, bank.ledger.clock())).valid


def test_a_key_that_is_not_the_issuers_fails(bank: Bank, flow: Flow, certified: Certified) -> None:
    stranger = register_actor(bank, "prov-x")
    credential = service.certificate_credential_of(bank, certified.number)
    signed = sign_as_certifier(credential, stranger, bank.ledger.clock())
    assert "lists no" in failed(verify_here(bank, signed))["signature"]


def test_the_did_documents_come_from_the_key_registry(bank: Bank, flow: Flow) -> None:
    document = service.did_document_of(bank, "cert-a")
    key = flow.keys["cert-a"]
    assert document["id"] == "did:web:creditbank.local:certifiers:cert-a"
    assert [m["id"].split("#")[1] for m in document["verificationMethod"]] == [
        f"key-{key.key_id}",
        "bank",
    ]
    bank_document = service.did_document_of(bank)
    assert bank_document["id"] == "did:web:creditbank.local"
    bank_key = bank_document["verificationMethod"][0]["publicKeyMultibase"]
    assert document["verificationMethod"][1]["publicKeyMultibase"] == bank_key
