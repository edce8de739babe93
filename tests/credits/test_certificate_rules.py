"""The certificate rules, table-driven: who may act, applications and assessments, what
an issuance must answer and list, revocation. Each refusal is checked for its error
type, message, field and extra members (what the API's problem details carry)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from creditbank.core.errors import (
    Conflict,
    CreditBankError,
    Forbidden,
    InvalidInput,
    NotFound,
    RuleViolation,
)
from creditbank.core.rules import certificates as rules
from creditbank.core.rules.credits import Award
from creditbank.core.standards.model import Level
from creditbank.core.statements.certificates import (
    CERTIFICATE_NUMBER,
    AssessmentRecorded,
    CertificateIssued,
)

T = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LEARNER = "CB00000000018"
OTHER_LEARNER = "CB00000000026"
STANDARD = "data-annotator"

Refusal = tuple[type[CreditBankError], str, str | None, dict[str, Any]]


def outcome(call: Callable[[], object]) -> Refusal | None:
    """None when ``call`` passes; else the refusal it raised, as data."""
    try:
        call()
    except CreditBankError as exc:
        return type(exc), exc.detail, exc.field, exc.extra
    return None


# --- the numbering pattern ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("CERT-2026-000123", True),
        ("ABCDEF", True),  # six characters: the shortest
        ("A" * 48, True),  # the longest
        ("ABCDE", False),
        ("A" * 49, False),
        ("-ABCDEF", False),  # starts with a letter or digit
        ("cert-2026-1", False),  # upper case only
        ("CERT 2026 1", False),
        ("CERT-2026-1\n", False),  # no trailing newline either
    ],
    ids=[
        "typical",
        "shortest",
        "longest",
        "too-short",
        "too-long",
        "dash-first",
        "lower",
        "space",
        "newline",
    ],
)
def test_certificate_numbers(number: str, valid: bool) -> None:
    assert rules.is_certificate_number(number) is valid
    assert (re.fullmatch(CERTIFICATE_NUMBER, number) is not None) is valid


# --- who may act -------------------------------------------------------------------------

NOT_CERTIFIER: Refusal = (
    Forbidden,
    "only accredited certifying bodies may do this",
    "statement.actor",
    {},
)


@pytest.mark.parametrize(
    ("role", "status", "accredited", "expected"),
    [
        ("certifier", "active", True, None),
        (None, None, True, NOT_CERTIFIER),
        ("provider", "active", True, NOT_CERTIFIER),
        ("authority", "active", True, NOT_CERTIFIER),
        ("certifier", "suspended", True, NOT_CERTIFIER),
        ("provider", "active", False, NOT_CERTIFIER),  # the role is refused first
        (
            "certifier",
            "active",
            False,
            (
                Forbidden,
                f"cert-a is not accredited for {STANDARD}",
                "statement.body.standard_id",
                {},
            ),
        ),
    ],
    ids=[
        "accredited",
        "unknown",
        "provider",
        "authority",
        "suspended",
        "role-first",
        "not-accredited",
    ],
)
def test_certifier(
    role: str | None, status: str | None, accredited: bool, expected: Refusal | None
) -> None:
    assert (
        outcome(
            lambda: rules.check_certifier("cert-a", role, status, STANDARD, accredited=accredited)
        )
        == expected
    )


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("log", None),
        (
            "authority",
            (
                Forbidden,
                "a learner applies through the API; the operator logs it",
                "statement.actor",
                {},
            ),
        ),
    ],
    ids=["log", "anyone-else"],
)
def test_applied_by_log(actor: str, expected: Refusal | None) -> None:
    assert outcome(lambda: rules.check_applied_by_log(actor)) == expected


# --- the learner and the level -------------------------------------------------------------

NO_ACCOUNT: Refusal = (NotFound, f"no learner account {LEARNER}", "statement.body.learner", {})


@pytest.mark.parametrize(
    ("status", "must_be_open", "expected"),
    [
        ("open", True, None),
        ("open", False, None),
        (None, True, NO_ACCOUNT),
        (None, False, NO_ACCOUNT),
        (
            "closed",
            True,
            (RuleViolation, f"learner account {LEARNER} is closed", "statement.body.learner", {}),
        ),
        ("closed", False, None),  # a certificate may be issued to a closed account
    ],
    ids=["open-apply", "open-issue", "none-apply", "none-issue", "closed-apply", "closed-issue"],
)
def test_learner_account(status: str | None, must_be_open: bool, expected: Refusal | None) -> None:
    assert (
        outcome(lambda: rules.check_learner_account(LEARNER, status, must_be_open=must_be_open))
        == expected
    )


LEVEL = Level.model_validate(
    {
        "level": 5,
        "credits_required": "4.0",
        "units": [
            {
                "code": "DAN-5-01",
                "title_zh": "数据清洗",
                "title_en": "Cleaning",
                "max_credits": "4.5",
            }
        ],
    }
)


def test_level_published() -> None:
    assert rules.check_level_published(STANDARD, 5, LEVEL) is LEVEL
    assert outcome(lambda: rules.check_level_published(STANDARD, 4, None)) == (
        NotFound,
        f"no published level 4 of {STANDARD}",
        "statement.body.level",
        {},
    )


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: rules.check_no_active_certificate(LEARNER, STANDARD, 5, holds=False), None),
        (
            lambda: rules.check_no_active_certificate(LEARNER, STANDARD, 5, holds=True),
            (
                Conflict,
                f"{LEARNER} already holds an active {STANDARD} level 5 certificate",
                "statement.body.level",
                {},
            ),
        ),
        (lambda: rules.check_no_open_application(None), None),
        (
            lambda: rules.check_no_open_application(12),
            (
                Conflict,
                "application 12 for this level is still open",
                "statement.body.level",
                {"index": 12},
            ),
        ),
        (lambda: rules.check_eligible_to_apply(LEARNER, STANDARD, 5, eligible=True), None),
        (
            lambda: rules.check_eligible_to_apply(LEARNER, STANDARD, 5, eligible=False),
            (
                RuleViolation,
                f"{LEARNER} is not eligible for {STANDARD} level 5",
                "statement.body.level",
                {},
            ),
        ),
        (lambda: rules.check_eligible_at_issuance(LEARNER, STANDARD, 5, eligible=True), None),
        (
            lambda: rules.check_eligible_at_issuance(LEARNER, STANDARD, 5, eligible=False),
            (
                RuleViolation,
                f"{LEARNER} is not eligible for {STANDARD} level 5 now",
                "statement.body.learner",
                {},
            ),
        ),
        (lambda: rules.check_number_free("CERT-000001", taken=False), None),
        (
            lambda: rules.check_number_free("CERT-000001", taken=True),
            (
                Conflict,
                "certificate number CERT-000001 is taken",
                "statement.body.certificate_number",
                {},
            ),
        ),
    ],
    ids=[
        "no-active-certificate",
        "holds-active-certificate",
        "no-open-application",
        "open-application",
        "eligible-to-apply",
        "not-eligible-to-apply",
        "eligible-at-issuance",
        "not-eligible-at-issuance",
        "number-free",
        "number-taken",
    ],
)
def test_level_checks(call: Callable[[], None], expected: Refusal | None) -> None:
    assert outcome(call) == expected


# --- applications and assessments ----------------------------------------------------------

PASSED = {"result": "passed", "score": 88}


def application(**changes: Any) -> rules.Application:
    values: dict[str, Any] = {
        "index": 7,
        "learner": LEARNER,
        "standard_id": STANDARD,
        "level": 5,
        "status": "assessed",
        "assessor": "cert-a",
        "assessment": PASSED,
    }
    values.update(changes)
    return rules.Application(**values)


def test_application_found() -> None:
    found = application()
    assert rules.check_application_found(7, found) is found
    assert outcome(lambda: rules.check_application_found(7, None)) == (
        NotFound,
        "no application 7",
        "statement.body.application_index",
        {},
    )


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("pending", None),
        *(
            (
                status,
                (
                    Conflict,
                    f"application 7 is {status}, not pending",
                    "statement.body.application_index",
                    {},
                ),
            )
            for status in ("assessed", "failed", "issued")
        ),
    ],
    ids=["pending", "assessed", "failed", "issued"],
)
def test_assessable(status: str, expected: Refusal | None) -> None:
    assert outcome(lambda: rules.check_assessable(application(status=status))) == expected


@pytest.mark.parametrize(
    ("body", "recorded", "status"),
    [
        ({"result": "passed", "score": 88}, {"result": "passed", "score": 88}, "assessed"),
        ({"result": "passed"}, {"result": "passed", "score": None}, "assessed"),
        (
            {"result": "failed", "score": 20, "notes": "n", "assessed_at": "2026-03-01"},
            {"result": "failed", "score": 20},
            "failed",
        ),
    ],
    ids=["passed", "passed-unscored", "failed-notes-not-recorded"],
)
def test_assessment_recorded(body: dict[str, Any], recorded: dict[str, Any], status: str) -> None:
    parsed = AssessmentRecorded.model_validate({"application_index": 7, **body})
    assert rules.assessment_of(parsed) == recorded
    assert rules.status_after(parsed) == status


# --- issuance ------------------------------------------------------------------------------


def issued(**changes: Any) -> CertificateIssued:
    values: dict[str, Any] = {
        "certificate_number": "CERT-2026-000001",
        "learner": LEARNER,
        "standard_id": STANDARD,
        "level": 5,
        "application_index": 7,
        "awards": [3, 1],
        "assessment": PASSED,
    }
    values.update(changes)
    return CertificateIssued.model_validate(values)


@pytest.mark.parametrize(
    ("body", "issuer", "found", "expected"),
    [
        (issued(), "cert-a", application(), None),
        (
            issued(assessment={**PASSED, "assessed_at": "2026-03-01T09:00:00Z"}),
            "cert-a",
            application(),
            None,  # the date is the body's own; result and score must match
        ),
        (
            issued(),
            "cert-a",
            None,
            (NotFound, "no application 7", "statement.body.application_index", {}),
        ),
        (
            issued(),
            "cert-a",
            application(learner=OTHER_LEARNER),
            (InvalidInput, "application 7 is for another learner", "statement.body.learner", {}),
        ),
        (
            issued(),
            "cert-a",
            application(standard_id="other-standard"),
            (
                InvalidInput,
                "application 7 is for another standard_id",
                "statement.body.standard_id",
                {},
            ),
        ),
        (
            issued(),
            "cert-a",
            application(level=4),
            (InvalidInput, "application 7 is for another level", "statement.body.level", {}),
        ),
        (
            issued(),
            "cert-a",
            application(learner=OTHER_LEARNER, level=4),
            (InvalidInput, "application 7 is for another learner", "statement.body.learner", {}),
        ),
        *(
            (
                issued(),
                "cert-a",
                application(status=status, assessor=None, assessment=None),
                (
                    Conflict,
                    f"application 7 is {status}; a certificate answers an application "
                    "assessed as passed",
                    "statement.body.application_index",
                    {},
                ),
            )
            for status in ("pending", "failed", "issued")
        ),
        (
            issued(),
            "cert-b",
            application(),
            (Forbidden, "application 7 was assessed by cert-a", "statement.actor", {}),
        ),
        (
            issued(assessment={"result": "passed", "score": 90}),
            "cert-a",
            application(),
            (
                InvalidInput,
                "assessment must be the one recorded on the application",
                "statement.body.assessment",
                {"expected": PASSED},
            ),
        ),
        (
            issued(assessment={"result": "passed"}),
            "cert-a",
            application(),
            (
                InvalidInput,
                "assessment must be the one recorded on the application",
                "statement.body.assessment",
                {"expected": PASSED},
            ),
        ),
    ],
    ids=[
        "answers",
        "assessed-at-free",
        "no-application",
        "other-learner",
        "other-standard",
        "other-level",
        "learner-first",
        "pending",
        "failed",
        "issued",
        "other-assessor",
        "other-score",
        "score-missing",
    ],
)
def test_answers_application(
    body: CertificateIssued,
    issuer: str,
    found: rules.Application | None,
    expected: Refusal | None,
) -> None:
    assert outcome(lambda: rules.check_answers_application(body, issuer, found)) == expected


def award(
    index: int,
    *,
    unit: tuple[str, int, str] = (STANDARD, 5, "DAN-5-01"),
    expires: datetime = T + timedelta(days=365),
    revoked: bool = False,
) -> Award:
    return Award(index, "prov-a", f"c{index}", unit, 10, "offline", expires, revoked)


@pytest.mark.parametrize(
    ("awards", "expected"),
    [
        ([], []),
        ([award(3), award(1), award(2)], [1, 2, 3]),  # log order, whatever the input order
        ([award(1), award(2, expires=T)], [1]),  # expired at t: not valid at t
        ([award(1), award(2, expires=T + timedelta(seconds=1))], [1, 2]),
        ([award(1), award(2, revoked=True)], [1]),
        ([award(1), award(2, unit=(STANDARD, 4, "DAN-4-01"))], [1]),  # another level
        ([award(1), award(2, unit=("other", 5, "DAN-5-01"))], [1]),  # another standard
    ],
    ids=[
        "none",
        "sorted",
        "expired",
        "valid-until-after",
        "revoked",
        "other-level",
        "other-standard",
    ],
)
def test_certificate_awards(awards: list[Award], expected: list[int]) -> None:
    assert rules.certificate_awards(awards, STANDARD, 5, T) == expected


WRONG_AWARDS = "awards must list exactly the learner's awards valid now in this level's units"


@pytest.mark.parametrize(
    ("listed", "expected", "refusal"),
    [
        ([1, 2, 3], [1, 2, 3], None),
        ([3, 1, 2], [1, 2, 3], None),  # any order
        ([], [], None),
        (
            [1, 2],
            [1, 2, 3],
            (RuleViolation, WRONG_AWARDS, "statement.body.awards", {"expected": [1, 2, 3]}),
        ),
        (
            [1, 2, 3, 4],
            [1, 2, 3],
            (RuleViolation, WRONG_AWARDS, "statement.body.awards", {"expected": [1, 2, 3]}),
        ),
        (
            [1, 1, 2],
            [1, 2],
            (RuleViolation, WRONG_AWARDS, "statement.body.awards", {"expected": [1, 2]}),
        ),
    ],
    ids=["exact", "any-order", "none", "missing-one", "extra-one", "duplicate"],
)
def test_listed_awards(listed: list[int], expected: list[int], refusal: Refusal | None) -> None:
    assert outcome(lambda: rules.check_listed_awards(listed, expected)) == refusal


# --- revocation ----------------------------------------------------------------------------

CERTIFICATE = rules.Certificate("CERT-2026-000001", LEARNER, STANDARD, 5, "cert-a")
NOT_ALLOWED: Refusal = (
    Forbidden,
    "only the issuing body or the authority revokes a certificate",
    "statement.actor",
    {},
)


@pytest.mark.parametrize(
    ("found", "actor", "role", "expected"),
    [
        (CERTIFICATE, "cert-a", "certifier", None),
        (CERTIFICATE, "authority", "authority", None),
        (CERTIFICATE, "cert-b", "certifier", NOT_ALLOWED),
        (CERTIFICATE, "prov-a", "provider", NOT_ALLOWED),
        (CERTIFICATE, "ghost", None, NOT_ALLOWED),
        (
            None,
            "cert-a",
            "certifier",
            (
                NotFound,
                "no certificate CERT-2026-000001",
                "statement.body.certificate_number",
                {},
            ),
        ),
        (
            rules.Certificate("CERT-2026-000001", LEARNER, STANDARD, 5, "cert-a", 40),
            "cert-a",
            "certifier",
            (
                Conflict,
                "that certificate is already revoked",
                "statement.body.certificate_number",
                {},
            ),
        ),
        (
            rules.Certificate("CERT-2026-000001", LEARNER, STANDARD, 5, "cert-a", 40),
            "cert-b",
            "certifier",
            NOT_ALLOWED,  # who may revoke is checked before whether it is revoked
        ),
    ],
    ids=[
        "issuer",
        "authority",
        "other-body",
        "provider",
        "unknown-actor",
        "no-certificate",
        "already-revoked",
        "permission-first",
    ],
)
def test_revocation(
    found: rules.Certificate | None, actor: str, role: str | None, expected: Refusal | None
) -> None:
    assert (
        outcome(
            lambda: rules.check_revocation("CERT-2026-000001", found, actor_id=actor, role=role)
        )
        == expected
    )
    if expected is None:
        assert rules.check_revocation("CERT-2026-000001", found, actor_id=actor, role=role) is found
