"""Certificates: a learner's application (logged by the operator), a certifying body's
assessment of it, and the certificate issued on it or revoked."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictInt, StrictStr

from creditbank.core.accounts import ACCOUNT_RE
from creditbank.core.bodies import Body
from creditbank.core.verify.policy import CERTIFICATE_NUMBER as CERTIFICATE_NUMBER


class CertificateApplied(Body):
    learner: str = Field(pattern=ACCOUNT_RE.pattern)
    standard_id: str = Field(min_length=1, max_length=64)
    level: StrictInt = Field(ge=1, le=5)


class AssessmentRecorded(Body):
    application_index: StrictInt = Field(ge=0)
    result: Literal["passed", "failed"]
    score: StrictInt | None = Field(default=None, ge=0, le=100)
    assessed_at: StrictStr | None = Field(default=None, max_length=40)
    notes: StrictStr | None = Field(default=None, max_length=500)


class Assessment(Body):
    result: Literal["passed"]
    score: StrictInt | None = Field(default=None, ge=0, le=100)
    assessed_at: str | None = None


class CertificateIssued(Body):
    certificate_number: str = Field(pattern=CERTIFICATE_NUMBER)
    learner: str = Field(pattern=ACCOUNT_RE.pattern)
    standard_id: str = Field(min_length=1, max_length=64)
    level: StrictInt = Field(ge=1, le=5)
    application_index: StrictInt = Field(ge=0)
    awards: list[StrictInt]
    assessment: Assessment


class CertificateRevoked(Body):
    certificate_number: str = Field(pattern=CERTIFICATE_NUMBER)
    reason: str = Field(min_length=1, max_length=500)
