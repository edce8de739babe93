"""Certificate verification for certifying bodies and employers: public, no token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from creditbank.api.deps import BankDep
from creditbank.api.schemas.certificates import VerificationPublic
from creditbank.certificates.verdicts import verified_bundle

router = APIRouter(prefix="/v1", tags=["certificates"])

NumberPath = Annotated[str, Path(description="The certificate number, e.g. DAN5-2026-000001.")]


@router.get("/certificates/{certificate_number}/verification")
def certificate_verification(certificate_number: NumberPath, bank: BankDep) -> VerificationPublic:
    """The certificate, every entry it rests on with its receipt, the latest checkpoint,
    consistency proofs to it, and the verdict of the offline verifier run here with the
    bank's own key. Verifiers should re-run it with the key they trust
    (``creditbank verify-certificate``)."""
    return VerificationPublic.model_validate(
        verified_bundle(bank.engine, bank.verifier_key, certificate_number)
    )
