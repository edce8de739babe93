"""Certificate verification for certifying bodies and employers: public, no token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from creditbank.api.deps import BankDep
from creditbank.certificates.verification import certificate_bundle
from creditbank.core.verify.certificate import verify_certificate

router = APIRouter(prefix="/v1", tags=["certificates"])

NumberPath = Annotated[str, Path(description="The certificate number, e.g. DAN5-2026-000001.")]


@router.get("/certificates/{number}/verification")
def certificate_verification(number: NumberPath, bank: BankDep) -> dict[str, Any]:
    """The certificate, every entry it rests on with its receipt, the latest checkpoint,
    consistency proofs to it, and the verdict of the offline verifier run here with the
    bank's own key. Verifiers should re-run it with the key they trust
    (``creditbank verify-certificate``)."""
    bundle = certificate_bundle(bank.engine, number)
    verdict = verify_certificate(bundle, bank.verifier_key, number=number)
    return {**bundle, "verdict": verdict.to_dict()}
