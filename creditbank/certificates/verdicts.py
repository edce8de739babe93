"""A certificate's verification bundle with the bank's own verdict on it: what an employer
or certifying body reads first. The verdict is the offline verifier's, run here with the
bank's own key; verifiers who trust another copy of the key re-run it on the bundle
(``creditbank verify-certificate``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from creditbank.certificates.verification import certificate_bundle
from creditbank.core.verify.certificate import verify_certificate


def verified_bundle(engine: Engine, verifier_key: str, number: str) -> dict[str, Any]:
    """The bundle of certificate ``number`` (see ``certificate_bundle``) and its
    ``verdict`` under ``verifier_key``."""
    bundle = certificate_bundle(engine, number)
    verdict = verify_certificate(bundle, verifier_key, number=number)
    return {**bundle, "verdict": verdict.to_dict()}
