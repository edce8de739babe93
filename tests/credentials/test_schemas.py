"""Every format against its published JSON schema (tests/credentials/schemas/): the Open
Badges 3.0 AchievementCredential schema for certificates and the credentials a transcript
embeds, and the CASE CFPackage schema for all 150 standards.

The Open Badges schema file is the revision kept in 1EdTech's specification repository,
written when OB 3.0 sat on the VC Data Model 1.1: it names the issuance date
``issuanceDate``, which the VC Data Model 2.0 credentials here call ``validFrom``. The
test checks that ``validFrom`` is there and applies the schema with it under the 1.1
name; everything else is validated as the schema states it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from creditbank.bank import Bank
from creditbank.core.credentials.case import case_package
from creditbank.core.credentials.ids import BankIds
from creditbank.credentials import service
from tests.api.certflow import Certified
from tests.catalogue.conftest import CATALOGUE
from tests.credentials.conftest import schema
from tests.credentials.samples import sample_credential

OB = jsonschema.Draft201909Validator(
    schema("ob_v3p0_achievementcredential_schema.json"), format_checker=jsonschema.FormatChecker()
)
CASE = jsonschema.Draft201909Validator(
    schema("case_v1p1_cfpackage.json"), format_checker=jsonschema.FormatChecker()
)


def ob_errors(credential: dict[str, Any]) -> list[str]:
    assert "validFrom" in credential
    assert "issuanceDate" not in credential
    as_vc11 = {**credential, "issuanceDate": credential["validFrom"]}
    return [f"{list(e.absolute_path)}: {e.message}" for e in OB.iter_errors(as_vc11)]


def test_the_schemas_are_valid_schemas() -> None:
    for name in ("ob_v3p0_achievementcredential_schema.json", "case_v1p1_cfpackage.json"):
        jsonschema.Draft201909Validator.check_schema(schema(name))


def test_the_schema_catches_a_malformed_credential() -> None:
    """The validator is live: a credential missing its achievement or with a bad
    identity type fails."""
    credential = sample_credential()
    del credential["credentialSubject"]["achievement"]
    assert ob_errors(credential)
    credential = sample_credential()
    credential["credentialSubject"]["identifier"][0]["identityType"] = "passport"
    assert ob_errors(credential)


def test_a_certificate_credential_matches_the_open_badges_schema(
    bank: Bank, certified: Certified
) -> None:
    for with_name in (False, True):
        credential = service.certificate_credential_of(bank, certified.number, with_name=with_name)
        assert ob_errors(credential) == []


def test_a_transcripts_credentials_match_the_open_badges_schema(
    bank: Bank, certified: Certified
) -> None:
    transcript = service.transcript_of(bank, certified.learner, bank.ledger.clock())
    inner = transcript["credentialSubject"]["verifiableCredential"]
    assert len(inner) == 4  # three awards and the certificate
    for credential in inner:
        assert ob_errors(credential) == [], credential["id"]


@pytest.mark.parametrize("standard", CATALOGUE.standards, ids=lambda s: s.id)
def test_every_standard_is_a_valid_case_package(standard: Any) -> None:
    package = case_package(BankIds("bank.example"), standard, "creditbank", "2026-11-22T08:00:00Z")
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in CASE.iter_errors(package)]
    assert errors == []


def test_the_case_export_of_all_150_standards(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    written = service.export_case(
        CATALOGUE.standards, tmp_path, "bank.example", "creditbank", datetime.now(UTC)
    )
    assert len(written) == len(CATALOGUE.standards) == 150
