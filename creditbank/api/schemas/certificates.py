"""Certificates: applications and the record a certifying body assesses, certificates
as anyone reads them, and the bundle that verifies one offline."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from creditbank.api.schemas.base import Public
from creditbank.api.schemas.catalogue import CREDITS
from creditbank.certificates.service import ApplicationStatus

AwardStatus = Literal["active", "expired", "revoked"]
CertificateStatus = Literal["active", "revoked"]


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    standard_id: str = Field(min_length=1, max_length=64, description="The standard's id.")
    level: StrictInt = Field(ge=1, le=5, description="The level applied for (5 ... 1).")


class ApplicationPublic(Public):
    """A learner's application for a certificate and where it stands."""

    index: int = Field(description="The application's ledger entry (its id).")
    learner: str
    standard_id: str
    level: int
    status: ApplicationStatus
    applied_at: str
    assessor: str | None
    assessment: dict[str, Any] | None = Field(description="The result (and score) recorded.")
    assessed_index: int | None
    certificate_number: str | None


class ApplicationWithReceiptPublic(ApplicationPublic):
    receipt: str = Field(description="C2SP tlog-proof of the application's entry")


class ApplicationProgressPublic(Public):
    """The learner's progress toward the level applied for, now."""

    standard_version: str
    eligible: bool
    required: str = Field(description=CREDITS)
    counted: str
    offline: str
    online: str
    online_cap: str
    missing: str
    missing_units: dict[str, str] = Field(description="Credits still missing, per unit code.")
    needs_lower_level_certificate: bool


class AwardCompletionPublic(Public):
    """The completion an award came from."""

    index: int
    provider: str
    completion_id: str
    course_id: str
    completed_at: str
    score: int | None
    passed: bool
    outcome: str
    retracted_index: int | None
    receipt: str


class RecordAwardPublic(Public):
    """An award in the level's units, with its completion, each with a receipt."""

    index: int
    unit_code: str
    credits: str = Field(description=CREDITS)
    mode: str
    provider: str
    course_id: str
    completed_at: str
    expires_at: str
    revoked_index: int | None
    status: AwardStatus
    receipt: str
    completion: AwardCompletionPublic | None


class LearnerRecordPublic(Public):
    """The learner's record for the standard level applied for, and nothing else."""

    as_of: str
    learner: str
    standard_id: str
    level: int
    progress: ApplicationProgressPublic | None = Field(
        description="None when the standard or level is no longer published."
    )
    certificate_awards: list[int] = Field(
        description="The awards a certificate issued now must list (the active ones)."
    )
    awards: list[RecordAwardPublic]


class ApplicationRecordPublic(Public):
    """An application and the record a certifying body assesses it on."""

    application: ApplicationWithReceiptPublic
    record: LearnerRecordPublic


class CertificatePublic(Public):
    """A certificate as anyone may read it: the learner by account number only."""

    certificate_number: str
    learner: str = Field(description="The learner's account number (a pseudonym).")
    standard_id: str
    level: int
    issuer: str
    issued_at: str
    issued_index: int
    status: CertificateStatus
    revoked_index: int | None
    revocation_reason: str | None


# --- verification ------------------------------------------------------------------------


class BundleCertificatePublic(Public):
    """The server's summary of the certificate: compared with the entries, never trusted."""

    certificate_number: str
    learner: str
    standard_id: str
    level: int
    issuer: str
    issued_index: int
    issued_at: str
    application_index: int | None
    awards: list[int]
    assessment: dict[str, Any]
    status: CertificateStatus
    revoked_index: int | None
    revocation_reason: str | None


class BundleEntryPublic(Public):
    """An entry the certificate rests on, with its original receipt."""

    index: int
    kind: str
    role: str = Field(
        description="certificate, revocation, award, completion, application, assessment, "
        "accreditation or key"
    )
    receipt: str = Field(description="C2SP tlog-proof against the first checkpoint covering it")


class ConsistencyStepPublic(Public):
    """RFC 9162 consistency proof from a receipt's tree size to the latest checkpoint's."""

    first: int
    second: int
    hashes: list[str]


class CheckPublic(Public):
    check: str
    ok: bool
    detail: str


class VerdictPublic(Public):
    """The offline verifier's verdict, as run by the bank with its own key."""

    status: Literal["valid", "revoked", "invalid"]
    valid: bool
    revoked: bool
    tree_size: int | None
    certificate: dict[str, Any] | None = Field(
        description="The facts read from the verified certificate.issued entry."
    )
    checks: list[CheckPublic]
    problems: list[str]


class VerificationPublic(Public):
    """Everything needed to verify a certificate offline, and the bank's own verdict."""

    certificate: BundleCertificatePublic
    checkpoint: str = Field(description="The latest signed checkpoint.")
    entries: list[BundleEntryPublic]
    consistency: list[ConsistencyStepPublic]
    verdict: VerdictPublic
