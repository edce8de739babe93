"""A credential built from fixed facts, without a bank (for the pure tests)."""

from __future__ import annotations

from typing import Any

from creditbank.core.credentials.badge import CertificateFacts, certificate_credential
from creditbank.core.credentials.ids import BankIds
from tests.catalogue.conftest import CATALOGUE

IDS = BankIds("bank.example")


def data_annotator() -> Any:
    standard = CATALOGUE.standard("data-annotator")
    assert standard is not None
    return standard


def sample_credential(name: str | None = None) -> dict[str, Any]:
    facts = CertificateFacts(
        number="DAN5-2026-000001",
        learner="CB49698753585",
        standard_id="data-annotator",
        standard_version="1.0.0",
        level=5,
        issuer="cert-a",
        issuer_name="Certifying Body A",
        issued_at="2026-11-22T08:00:00.000000Z",
        issued_index=29,
        leaf_hash=bytes(range(32)),
        receipt="c2sp.org/tlog-proof@v1\nindex 29\n...",
        status_ordinal=3,
    )
    return certificate_credential(IDS, facts, data_annotator(), name=name)
