"""A learner's CLR 2.0 transcript: what it holds, that it is signed, that it says when."""

from __future__ import annotations

import copy
import json
from typing import Any

from creditbank.access.service import export_account
from creditbank.bank import Bank
from creditbank.core.credentials.verify import verify_transcript
from creditbank.credentials import service
from tests.api.certflow import Certified, Flow
from tests.conftest import FakeClock
from tests.credentials.conftest import dids_for, status_lists_for


def check(bank: Bank, transcript: dict[str, Any], log_key: str | None = None) -> Any:
    inner = transcript["credentialSubject"]["verifiableCredential"]
    return verify_transcript(
        transcript,
        dids=dids_for(bank, transcript, *inner),
        status_lists=status_lists_for(bank, *inner),
        log_key=log_key,
        now=bank.ledger.clock(),
    )


def test_a_transcript_holds_the_awards_and_certificates_in_force(
    bank: Bank, certified: Certified
) -> None:
    transcript = service.transcript_of(bank, certified.learner, bank.ledger.clock())
    assert transcript["type"] == ["VerifiableCredential", "ClrCredential"]
    assert transcript["issuer"]["id"] == "did:web:creditbank.local"
    inner = transcript["credentialSubject"]["verifiableCredential"]
    kinds = [c["type"][1] for c in inner]
    assert kinds == ["AchievementCredential"] * 3 + ["OpenBadgeCredential"]
    assert sorted(c["evidence"][0]["ledgerIndex"] for c in inner[:3]) == certified.awards
    assert {c["credentialSubject"]["creditsEarned"] for c in inner[:3]} == {3, 4}
    assert "in force at" in transcript["description"]
    verdict = check(bank, transcript, log_key=bank.verifier_key)
    assert verdict.valid, [c.to_dict() for c in verdict.checks if not c.ok]
    # every embedded credential's signature, status (the certificate) and evidence ran
    names = [c.check for c in verdict.checks]
    assert names.count("signature") == 1
    assert sum(n.endswith(": evidence") for n in names) == 4
    personal = export_account(bank, certified.learner)["personal_data"]
    text = json.dumps(transcript, ensure_ascii=False)
    assert [v for k, v in personal.items() if k != "id_type" and v and str(v) in text] == []


def test_a_changed_byte_in_an_embedded_credential_fails(bank: Bank, certified: Certified) -> None:
    transcript = service.transcript_of(bank, certified.learner, bank.ledger.clock())
    tampered = copy.deepcopy(transcript)
    tampered["credentialSubject"]["verifiableCredential"][0]["credentialSubject"][
        "creditsEarned"
    ] = 30
    verdict = check(bank, tampered)
    assert {c.check for c in verdict.checks if not c.ok} >= {"signature"}


def test_revoked_certificates_and_expired_awards_are_left_out(
    bank: Bank, flow: Flow, certified: Certified, clock: FakeClock
) -> None:
    flow.sign(flow.revocation(certified.number))
    transcript = service.transcript_of(bank, certified.learner, bank.ledger.clock())
    inner = transcript["credentialSubject"]["verifiableCredential"]
    assert [c["type"][1] for c in inner] == ["AchievementCredential"] * 3
    clock.advance(days=6 * 366)  # past the awards' five-year validity
    later = service.transcript_of(bank, certified.learner, bank.ledger.clock())
    assert later["credentialSubject"]["verifiableCredential"] == []
    assert check(bank, later).valid
