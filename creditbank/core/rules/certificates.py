"""The certificate rules of rules.md (Certificates) as pure functions: values in, values
out, ``now`` passed in; a refusal raises the domain error naming the field.

- An application (``certificate.applied``, logged by the operator) needs an open learner
  account, a published level, no active certificate for it, no open application for it,
  and eligibility now.
- An assessment (``assessment.recorded``) is recorded by a certifying body accredited for
  the standard, on a pending application; ``passed`` makes it ``assessed``, ``failed``
  closes it.
- A certificate (``certificate.issued``) needs an existing learner account, a free
  number, no active certificate for that level, a published level, eligibility at
  issuance, the learner's application for this very level assessed as passed by the
  issuing body with the same assessment, and it lists exactly the learner's awards
  valid at issuance in that level's units.
- A revocation (``certificate.revoked``) is by the issuing body or the authority, once.

The ledger handlers (``creditbank.certificates.handlers`` and ``.applications``) read the
facts through the stores, call these in the order above, and write what they return.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from creditbank.core.entry import LOG_ACTOR
from creditbank.core.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from creditbank.core.rules.credits import Award
from creditbank.core.standards.model import Level
from creditbank.core.statements.certificates import (
    CERTIFICATE_NUMBER,
    AssessmentRecorded,
    CertificateIssued,
)

OPEN_STATUSES = ("pending", "assessed")
"""An application in one of these is still open: the learner may not apply again."""

_NUMBER_RE = re.compile(CERTIFICATE_NUMBER)


@dataclass(frozen=True)
class Application:
    """A learner's application as the rules see it."""

    index: int
    learner: str
    standard_id: str
    level: int
    status: str  # pending, assessed, failed, issued
    assessor: str | None = None
    assessment: Mapping[str, object] | None = None  # as recorded: result and score


@dataclass(frozen=True)
class Certificate:
    """An issued certificate as the rules see it."""

    number: str
    learner: str
    standard_id: str
    level: int
    issuer: str
    revoked_index: int | None = None


def is_certificate_number(text: str) -> bool:
    """Whether ``text`` follows the numbering pattern (``CERTIFICATE_NUMBER``)."""
    return _NUMBER_RE.fullmatch(text) is not None


# --- who may act -----------------------------------------------------------------------


def check_certifier(
    actor_id: str, role: str | None, status: str | None, standard_id: str, *, accredited: bool
) -> None:
    """The author is an active certifying body (``role``/``status`` None: not
    registered) accredited for ``standard_id``."""
    if role != "certifier" or status != "active":
        raise Forbidden("only accredited certifying bodies may do this", field="statement.actor")
    if not accredited:
        raise Forbidden(
            f"{actor_id} is not accredited for {standard_id}",
            field="statement.body.standard_id",
        )


def check_applied_by_log(actor_id: str) -> None:
    """A learner applies through the API, which authenticates them; the log writes it."""
    if actor_id != LOG_ACTOR:
        raise Forbidden(
            "a learner applies through the API; the operator logs it",
            field="statement.actor",
        )


# --- the learner and the level ---------------------------------------------------------


def check_learner_account(learner: str, status: str | None, *, must_be_open: bool) -> None:
    """Refuse a learner with no account (``status`` None) or, where ``must_be_open``, an
    account that is not open."""
    if status is None:
        raise NotFound(f"no learner account {learner}", field="statement.body.learner")
    if must_be_open and status != "open":
        raise RuleViolation(
            f"learner account {learner} is {status}", field="statement.body.learner"
        )


def check_level_published(standard_id: str, level_no: int, level: Level | None) -> Level:
    """The level of the newest published version of the standard (None: no such level)."""
    if level is None:
        raise NotFound(
            f"no published level {level_no} of {standard_id}", field="statement.body.level"
        )
    return level


def check_no_active_certificate(learner: str, standard_id: str, level: int, *, holds: bool) -> None:
    """One active certificate per learner, standard and level."""
    if holds:
        raise Conflict(
            f"{learner} already holds an active {standard_id} level {level} certificate",
            field="statement.body.level",
        )


def check_no_open_application(open_index: int | None) -> None:
    """One open application per learner and level (``open_index``: the open one)."""
    if open_index is not None:
        raise Conflict(
            f"application {open_index} for this level is still open",
            field="statement.body.level",
            index=open_index,
        )


def check_eligible_to_apply(learner: str, standard_id: str, level: int, *, eligible: bool) -> None:
    """A learner applies only when eligible for the level now."""
    if not eligible:
        raise RuleViolation(
            f"{learner} is not eligible for {standard_id} level {level}",
            field="statement.body.level",
        )


def check_eligible_at_issuance(
    learner: str, standard_id: str, level: int, *, eligible: bool
) -> None:
    """A certificate is issued only to a learner eligible at issuance."""
    if not eligible:
        raise RuleViolation(
            f"{learner} is not eligible for {standard_id} level {level} now",
            field="statement.body.learner",
        )


# --- applications and assessments ------------------------------------------------------


def check_application_found(index: int, application: Application | None) -> Application:
    """The application logged at ``index`` (None: there is none)."""
    if application is None:
        raise NotFound(f"no application {index}", field="statement.body.application_index")
    return application


def check_assessable(application: Application) -> None:
    """Only a pending application is assessed."""
    if application.status != "pending":
        raise Conflict(
            f"application {application.index} is {application.status}, not pending",
            field="statement.body.application_index",
        )


def assessment_of(body: AssessmentRecorded) -> dict[str, object]:
    """The assessment as the application records it and the certificate states it."""
    return {"result": body.result, "score": body.score}


def status_after(body: AssessmentRecorded) -> Literal["assessed", "failed"]:
    """A passed assessment lets the body issue; a failed one closes the application."""
    return "assessed" if body.result == "passed" else "failed"


# --- issuance --------------------------------------------------------------------------


def check_number_free(number: str, *, taken: bool) -> None:
    """A certificate number is used once."""
    if taken:
        raise Conflict(
            f"certificate number {number} is taken", field="statement.body.certificate_number"
        )


def check_answers_application(
    body: CertificateIssued, issuer: str, application: Application | None
) -> None:
    """The certificate answers the learner's application for this very level, which the
    issuing body assessed as passed, with the same assessment."""
    found = check_application_found(body.application_index, application)
    stated = {"learner": body.learner, "standard_id": body.standard_id, "level": body.level}
    recorded_for = {
        "learner": found.learner,
        "standard_id": found.standard_id,
        "level": found.level,
    }
    for name, value in stated.items():
        if recorded_for[name] != value:
            raise InvalidInput(
                f"application {body.application_index} is for another {name}",
                field=f"statement.body.{name}",
            )
    if found.status != "assessed":
        raise Conflict(
            f"application {body.application_index} is {found.status}; a certificate "
            "answers an application assessed as passed",
            field="statement.body.application_index",
        )
    if found.assessor != issuer:
        raise Forbidden(
            f"application {body.application_index} was assessed by {found.assessor}",
            field="statement.actor",
        )
    recorded = found.assessment
    if body.assessment.model_dump(include={"result", "score"}) != recorded:
        raise InvalidInput(
            "assessment must be the one recorded on the application",
            field="statement.body.assessment",
            expected=recorded,
        )


def certificate_awards(
    awards: Iterable[Award], standard_id: str, level: int, t: datetime
) -> list[int]:
    """What a certificate of that standard level issued at ``t`` rests on: the indexes of
    all the learner's awards valid at ``t`` in that level's units, in log order (the body
    attests exactly the record it assessed)."""
    return sorted(
        a.index for a in awards if a.unit[0] == standard_id and a.unit[1] == level and a.valid_at(t)
    )


def check_listed_awards(listed: Sequence[int], expected: list[int]) -> None:
    """The certificate lists exactly the awards it rests on (any order)."""
    if sorted(listed) != expected:
        raise RuleViolation(
            "awards must list exactly the learner's awards valid now in this level's units",
            field="statement.body.awards",
            expected=expected,
        )


# --- revocation ------------------------------------------------------------------------


def check_revocation(
    number: str, certificate: Certificate | None, *, actor_id: str, role: str | None
) -> Certificate:
    """Only the issuing body or the authority revokes a certificate, and only once
    (``role``: the author's, None when unknown)."""
    if certificate is None:
        raise NotFound(f"no certificate {number}", field="statement.body.certificate_number")
    if actor_id != certificate.issuer and role != "authority":
        raise Forbidden(
            "only the issuing body or the authority revokes a certificate",
            field="statement.actor",
        )
    if certificate.revoked_index is not None:
        raise Conflict(
            "that certificate is already revoked", field="statement.body.certificate_number"
        )
    return certificate
