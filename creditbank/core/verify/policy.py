"""The bank's policy: whether what a bundle proves is in the log makes a valid certificate.

Each check here is a pure function over proven facts only, the entries
:func:`creditbank.core.verify.bundle.prove_bundle` proved (index -> entry) and the
certificate and revocation found among them, and returns a frozen
:class:`~creditbank.core.verify.result.CheckResult` (:data:`POLICY_CHECKS`, in order):

- ``certificate``: exactly one ``certificate.issued`` names this number;
- ``issuer``: its author is registered by the authority as a certifying body accredited
  for the standard;
- ``awards``: every award it lists is a ``credit.awarded`` logged before it for the same
  learner, standard and level;
- ``completions``: every such award's ``completion_index`` is a ``completion.recorded``
  of that learner, by the award's provider, for the award's course, logged before it,
  and the award is derived from exactly that completion;
- ``application``: it answers a ``certificate.applied`` for the same learner, standard
  and level, assessed as passed by the issuer (``assessment.recorded``) before issuance,
  with the result and score the certificate states;
- ``revocation``: a listed revocation of this number is proven, later than the
  certificate, and by the issuer or the authority;
- ``summary``: the server's summary of the certificate agrees with the entries.

Roles and the summary are never trusted: entries are found by kind and index. Imports
only the standard library and :mod:`creditbank.core`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from creditbank.core.verify.bundle import ProvenEntry, of_kind
from creditbank.core.verify.result import CheckResult, is_int

__all__ = [
    "CERTIFICATE_NUMBER",
    "POLICY_CHECKS",
    "certificate_facts",
    "check_application",
    "check_awards",
    "check_certificate",
    "check_completions",
    "check_issuer",
    "check_revocation",
    "check_summary",
    "claims_revocation",
    "find_certificate",
    "find_revocation",
]

CERTIFICATE_NUMBER = r"^[A-Z0-9][A-Z0-9-]{5,47}$"
"""What a certificate number looks like: an issuing body's own numbering, upper case (the
one pattern: the statement models and the handlers use it too)."""

POLICY_CHECKS = (
    "certificate",
    "issuer",
    "awards",
    "completions",
    "application",
    "revocation",
    "summary",
)
"""The bank's checks, in the order a verdict reports them (after the log's)."""

NO_CERTIFICATE = "no proven certificate entry to check against"

_NUMBER_RE = re.compile(CERTIFICATE_NUMBER.removeprefix("^").removesuffix("$"))

Entries = Mapping[int, ProvenEntry]


# --- the certificate ---------------------------------------------------------------------


def _naming(entries: Entries, kind: str, number: str) -> list[ProvenEntry]:
    return [e for e in of_kind(entries, kind) if e.body.get("certificate_number") == number]


def find_certificate(entries: Entries, number: str) -> ProvenEntry | None:
    """The (first) proven ``certificate.issued`` naming ``number``, if it is a number."""
    if _NUMBER_RE.fullmatch(number) is None:
        return None
    found = _naming(entries, "certificate.issued", number)
    return found[0] if found else None


def check_certificate(entries: Entries, number: str) -> CheckResult:
    """Exactly one proven ``certificate.issued`` names ``number``, well formed."""
    if _NUMBER_RE.fullmatch(number) is None:
        return CheckResult.failed("certificate", f"{number!r} is not a certificate number")
    found = _naming(entries, "certificate.issued", number)
    if not found:
        return CheckResult.failed(
            "certificate", f"no proven certificate.issued entry names {number}"
        )
    problems: list[str] = []
    if len(found) > 1:
        problems.append(f"{len(found)} certificate.issued entries name {number}")
    cert = found[0]
    body = cert.body
    for name, ok in (
        ("learner", isinstance(body.get("learner"), str)),
        ("standard_id", isinstance(body.get("standard_id"), str)),
        ("level", is_int(body.get("level"))),
        ("awards", isinstance(body.get("awards"), list)),
        ("assessment", isinstance(body.get("assessment"), dict)),
    ):
        if not ok:
            problems.append(f"{cert.describe()}: malformed or missing {name}")
    return CheckResult(
        "certificate",
        f"entry {cert.index} certifies {number}: {body.get('learner')}, "
        f"{body.get('standard_id')} level {body.get('level')}, by {cert.actor}",
        tuple(problems),
    )


# --- who issued it -----------------------------------------------------------------------


def check_issuer(entries: Entries, cert: ProvenEntry | None, authority: str | None) -> CheckResult:
    """The certificate's author was registered, before it, by ``authority`` (the trust
    root's actor) as a certifying body accredited for the certificate's standard."""
    if cert is None:
        return CheckResult.failed("issuer", NO_CERTIFICATE)
    registrations = [
        e
        for e in of_kind(entries, "actor.registered")
        if e.body.get("actor_id") == cert.actor and e.index < cert.index
    ]
    if not registrations:
        return CheckResult.failed(
            "issuer", f"the bundle has no proven registration of the issuer {cert.actor}"
        )
    problems: list[str] = []
    reg = registrations[0]
    standard = cert.body.get("standard_id")
    # the accreditation in force when it issued: the last change before, or the registration
    changes = [
        e
        for e in of_kind(entries, "actor.accredited")
        if e.body.get("actor_id") == cert.actor and e.index < cert.index
    ]
    accreditation = max(changes, key=lambda e: e.index) if changes else reg
    standards = accreditation.body.get("standards")
    if reg.body.get("role") != "certifier":
        problems.append(f"the issuer {cert.actor} is registered as {reg.body.get('role')}")
    elif not isinstance(standards, list) or standard not in standards:
        problems.append(f"the issuer {cert.actor} is not accredited for {standard}")
    if reg.actor != authority:
        problems.append(f"{cert.actor} was registered by {reg.actor}, not the authority")
    problems += [
        f"{cert.actor}'s accreditation at entry {e.index} is by {e.actor}, not the authority"
        for e in changes
        if e.actor != authority
    ]
    return CheckResult(
        "issuer",
        f"{cert.actor} is a certifying body the authority accredited for {standard} "
        f"(entry {accreditation.index})",
        tuple(problems),
    )


# --- what it rests on --------------------------------------------------------------------


def check_awards(entries: Entries, cert: ProvenEntry | None) -> CheckResult:
    """Every award the certificate lists is a proven ``credit.awarded``, logged before
    it, for its learner, standard and level, none listed twice."""
    if cert is None:
        return CheckResult.failed("awards", NO_CERTIFICATE)
    body = cert.body
    awards = body.get("awards")
    if not isinstance(awards, list) or not all(is_int(a) for a in awards):
        return CheckResult.failed(
            "awards", "the certificate's awards are not a list of entry indexes"
        )
    problems: list[str] = []
    if len(set(awards)) != len(awards):
        problems.append("the certificate lists an award twice")
    for index in awards:
        award = entries.get(index)
        if award is None:
            problems.append(f"listed award {index} is not in the bundle (or not proven)")
            continue
        if award.kind != "credit.awarded":
            problems.append(f"listed award {award.describe()} is not a credit.awarded entry")
            continue
        for name in ("learner", "standard_id", "level"):
            if award.body.get(name) != body.get(name):
                problems.append(
                    f"award {index} is for {name} {award.body.get(name)!r}, "
                    f"the certificate's is {body.get(name)!r}"
                )
        if index >= cert.index:
            problems.append(f"award {index} was logged after the certificate")
    return CheckResult(
        "awards",
        f"the {len(awards)} listed awards are credit.awarded entries for "
        f"{body.get('learner')} in {body.get('standard_id')} level {body.get('level')}",
        tuple(problems),
    )


def check_completions(entries: Entries, cert: ProvenEntry | None) -> CheckResult:
    """Every listed award rests on a proven ``completion.recorded`` of the learner, by
    the award's provider, for its course, logged before it, and was derived from exactly
    that completion. Listed awards that are not proven awards are the awards check's."""
    if cert is None:
        return CheckResult.failed("completions", NO_CERTIFICATE)
    awards = cert.body.get("awards")
    listed = [a for a in awards if is_int(a)] if isinstance(awards, list) else []
    learner = cert.body.get("learner")
    problems: list[str] = []
    checked = 0
    for index in listed:
        award = entries.get(index)
        if award is None or award.kind != "credit.awarded":
            continue  # the awards check reports it
        checked += 1
        c = award.body.get("completion_index")
        completion = entries.get(c) if is_int(c) else None
        if completion is None:
            problems.append(
                f"award {index}: its completion {c} is not in the bundle (or not proven)"
            )
            continue
        if completion.kind != "completion.recorded":
            problems.append(f"award {index}: {completion.describe()} is not a completion.recorded")
            continue
        if completion.body.get("learner") != learner:
            problems.append(
                f"award {index}: completion {c} is for {completion.body.get('learner')!r}, "
                f"not {learner!r}"
            )
        if completion.actor != award.body.get("provider"):
            problems.append(
                f"award {index}: completion {c} is by {completion.actor}, the award "
                f"names {award.body.get('provider')}"
            )
        if completion.body.get("course_id") != award.body.get("course_id"):
            problems.append(f"award {index}: completion {c} is of another course")
        if completion.index >= index:
            problems.append(f"award {index}: its completion {c} was logged after it")
        if award.body.get("derived_from") != [c]:
            problems.append(f"award {index}: not derived from its completion {c}")
    return CheckResult(
        "completions",
        f"each of the {checked} awards rests on a completion.recorded of the learner "
        "by the awarding course's provider, and was derived from it",
        tuple(problems),
    )


def check_application(entries: Entries, cert: ProvenEntry | None) -> CheckResult:
    """The certificate answers a proven ``certificate.applied`` for its learner, standard
    and level, logged before it, which the issuer assessed as passed, between the two,
    with the result and score the certificate states."""
    if cert is None:
        return CheckResult.failed("application", NO_CERTIFICATE)
    index = cert.body.get("application_index")
    application = entries.get(index) if is_int(index) else None
    if application is None:
        return CheckResult.failed(
            "application", f"the application {index!r} is not in the bundle (or not proven)"
        )
    if application.kind != "certificate.applied":
        return CheckResult.failed(
            "application", f"{application.describe()} is not a certificate.applied entry"
        )
    problems: list[str] = []
    for name in ("learner", "standard_id", "level"):
        if application.body.get(name) != cert.body.get(name):
            problems.append(f"the application is for {name} {application.body.get(name)!r}")
    if application.index >= cert.index:
        problems.append("the application was logged after the certificate")
    assessments = [
        e
        for e in of_kind(entries, "assessment.recorded")
        if e.body.get("application_index") == application.index
        and application.index < e.index < cert.index
    ]
    if not assessments:
        problems.append(f"no assessment of application {application.index} in the bundle")
        return CheckResult("application", "", tuple(problems))
    assessment = assessments[0]
    if assessment.actor != cert.actor:
        problems.append(f"the application was assessed by {assessment.actor}, not the issuer")
    if assessment.body.get("result") != "passed":
        problems.append(f"the application was assessed as {assessment.body.get('result')!r}")
    stated = cert.body.get("assessment")
    stated = stated if isinstance(stated, dict) else {}
    for name in ("result", "score"):
        if stated.get(name) != assessment.body.get(name):
            problems.append(
                f"the certificate states {name} {stated.get(name)!r}, the assessment "
                f"{assessment.body.get(name)!r}"
            )
    return CheckResult(
        "application",
        f"the certificate answers application {application.index}, assessed as passed "
        f"by {cert.actor} at entry {assessment.index}",
        tuple(problems),
    )


# --- revocation --------------------------------------------------------------------------


def claims_revocation(carried: tuple[Mapping[str, Any], ...], number: str) -> bool:
    """Whether a receipt carries a revocation of ``number``, proven or not: a listed
    revocation counts against the certificate even when its proof fails."""
    for entry in carried:
        statement = entry.get("statement")
        body = statement.get("body") if isinstance(statement, dict) else None
        if (
            entry.get("kind") == "certificate.revoked"
            and isinstance(body, dict)
            and body.get("certificate_number") == number
        ):
            return True
    return False


def find_revocation(
    entries: Entries, number: str, cert: ProvenEntry | None, tree_size: int | None
) -> ProvenEntry | None:
    """The (first) proven revocation of ``number``, judged only against a certificate
    and a verified latest checkpoint (the tree size the verdict speaks as of)."""
    if cert is None or tree_size is None:
        return None
    found = _naming(entries, "certificate.revoked", number)
    return found[0] if found else None


def check_revocation(
    cert: ProvenEntry | None,
    revocation: ProvenEntry | None,
    *,
    number: str,
    tree_size: int | None,
    authority: str | None,
    claimed: bool,
) -> CheckResult:
    """No revocation of the certificate is listed; or the listed one (``revocation``,
    from :func:`find_revocation`) is proven, later than it, by its issuer or the
    authority. ``claimed``: whether one is listed at all (:func:`claims_revocation`)."""
    if cert is None or tree_size is None:
        problems = [NO_CERTIFICATE] if cert is None else []
        if tree_size is None:
            problems.append("no verified latest checkpoint to judge revocation against")
        return CheckResult.failed("revocation", *problems)
    if revocation is None:
        unproven = ("a revocation of this certificate is listed but not proven",)
        return CheckResult(
            "revocation",
            f"no revocation of {number} in the bundle (as of tree size {tree_size})",
            unproven if claimed else (),
        )
    problems = []
    if revocation.index <= cert.index:
        problems.append(f"the revocation {revocation.index} precedes the certificate")
    if revocation.actor not in (cert.actor, authority):
        problems.append(f"revoked by {revocation.actor}, neither the issuer nor the authority")
    return CheckResult(
        "revocation",
        f"revoked at entry {revocation.index} by {revocation.actor}: "
        f"{revocation.body.get('reason')} (as of tree size {tree_size})",
        tuple(problems),
    )


# --- the facts, and the server's summary of them ---------------------------------------


def certificate_facts(
    cert: ProvenEntry | None, revocation: ProvenEntry | None
) -> dict[str, Any] | None:
    """The certificate as its proven entries state it (never the server's summary)."""
    if cert is None:
        return None
    body = cert.body
    facts: dict[str, Any] = {
        "certificate_number": body.get("certificate_number"),
        "learner": body.get("learner"),
        "standard_id": body.get("standard_id"),
        "level": body.get("level"),
        "issuer": cert.actor,
        "issued_index": cert.index,
        "issued_at": cert.entry.get("integrated_at"),
        "awards": body.get("awards"),
        "assessment": body.get("assessment"),
        "application_index": body.get("application_index"),
        "revoked_index": None,
        "revoked_at": None,
        "revoked_by": None,
        "revocation_reason": None,
    }
    if revocation is not None:
        facts.update(
            revoked_index=revocation.index,
            revoked_at=revocation.entry.get("integrated_at"),
            revoked_by=revocation.actor,
            revocation_reason=revocation.body.get("reason"),
        )
    return facts


def check_summary(
    summary: object, cert: ProvenEntry | None, revocation: ProvenEntry | None, number: str
) -> CheckResult:
    """The server's summary of the certificate agrees with its proven entries."""
    if not isinstance(summary, Mapping):
        return CheckResult.failed("summary", "the bundle has no certificate summary")
    facts = certificate_facts(cert, revocation)
    if facts is None:
        return CheckResult.failed("summary", NO_CERTIFICATE)
    expected: dict[str, object] = {
        "certificate_number": number,
        "learner": facts["learner"],
        "standard_id": facts["standard_id"],
        "level": facts["level"],
        "issuer": facts["issuer"],
        "issued_index": facts["issued_index"],
        "issued_at": facts["issued_at"],
        "application_index": facts.get("application_index"),
        "status": "revoked" if revocation is not None else "active",
        "revoked_index": facts["revoked_index"],
        "revocation_reason": facts["revocation_reason"],
    }
    problems = [
        f"the summary says {name} {summary.get(name)!r}, the entries {value!r}"
        for name, value in expected.items()
        if summary.get(name) != value
    ]
    if _index_set(summary.get("awards")) != _index_set(facts["awards"]):
        problems.append(f"the summary's awards {summary.get('awards')!r} differ from the entry's")
    if _without_nones(summary.get("assessment")) != _without_nones(facts["assessment"]):
        problems.append("the summary's assessment differs from the entry's")
    return CheckResult(
        "summary", "the server's summary agrees with the signed entries", tuple(problems)
    )


def _index_set(value: object) -> frozenset[int] | None:
    if not isinstance(value, list) or not all(is_int(v) for v in value):
        return None
    return frozenset(value)


def _without_nones(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_nones(v) for k, v in value.items() if v is not None}
    return value
