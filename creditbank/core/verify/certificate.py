"""Offline verification of a certificate bundle, for certifying bodies and employers.

A bundle (``GET /v1/certificates/{certificate_number}/verification``, or
:func:`creditbank.certificates.verification.certificate_bundle`) holds, each as a
``.tlog-proof`` receipt: a certificate's ``certificate.issued`` entry, its revocation if
any, the awards and completions it rests on, the application it answers and the
assessment of it, and the key registrations of every author down to the trust root; plus
the log's latest signed checkpoint and consistency proofs from each receipt's checkpoint
to it, and the server's summary of the certificate. :func:`verify_certificate` checks all
of that with nothing but the log's verifier key and turns every failure into a failed
check (:data:`CHECKS`), in two parts, as sigstore-python splits its verifier from its
policy:

1. :func:`creditbank.core.verify.bundle.prove_bundle`: what the bundle proves is in the
   log (``checkpoint``, ``receipt_signatures``, ``inclusion``, ``consistency``, ``keys``,
   ``author_signatures``), as a frozen value: the proven entries, the author keys traced
   from the trust root, the latest checkpoint and a result per check;
2. :mod:`creditbank.core.verify.policy`: whether those proven entries make a valid
   certificate of this number (``certificate``, ``issuer``, ``awards``, ``completions``,
   ``application``, ``revocation``, ``summary``), one pure function per check.

Roles and the summary are never trusted: entries are found by kind and index among what
the receipts prove. Like :mod:`creditbank.core.verify`, this imports only the standard library,
``cryptography``, ``rfc8785`` and creditbank's pure modules, never server, database or web
code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from creditbank.core.verify.bundle import LOG_CHECKS, prove_bundle
from creditbank.core.verify.policy import (
    CERTIFICATE_NUMBER,
    POLICY_CHECKS,
    certificate_facts,
    check_application,
    check_awards,
    check_certificate,
    check_completions,
    check_issuer,
    check_revocation,
    check_summary,
    claims_revocation,
    find_certificate,
    find_revocation,
)
from creditbank.core.verify.result import run_check

__all__ = ["CERTIFICATE_NUMBER", "CHECKS", "Verdict", "verify_certificate"]

CHECKS = (*LOG_CHECKS, *POLICY_CHECKS)
"""The checks of a verdict, in the order they are reported: the log's, then the bank's."""


@dataclass(frozen=True)
class Verdict:
    """The outcome: ``valid`` only when every check passed and the certificate is not
    revoked. ``checks`` are ``{"check", "ok", "detail"}`` in :data:`CHECKS` order;
    ``problems`` say what failed, one line each. ``certificate`` holds the facts read
    from the verified ``certificate.issued`` entry (not the server's summary), and
    ``tree_size`` the size of the latest checkpoint, as of which revocation was judged."""

    valid: bool
    revoked: bool
    checks: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    certificate: dict[str, Any] | None = None
    tree_size: int | None = None

    @property
    def status(self) -> str:
        """``invalid`` when a check failed, else ``revoked`` or ``valid``."""
        if any(not c["ok"] for c in self.checks):
            return "invalid"
        return "revoked" if self.revoked else "valid"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "valid": self.valid,
            "revoked": self.revoked,
            "tree_size": self.tree_size,
            "certificate": self.certificate,
            "checks": [dict(c) for c in self.checks],
            "problems": list(self.problems),
        }


def verify_certificate(bundle: object, verifier_key: str, *, number: str) -> Verdict:
    """Verify a certificate bundle offline against the log's verifier key string.

    Bad bundle data fails a check and never raises; only a malformed ``verifier_key``
    raises :class:`~creditbank.core.errors.VerificationError`.
    """
    # 1. what the bundle proves is in the log
    proof = prove_bundle(bundle, verifier_key)
    entries, size, authority = proof.entries, proof.tree_size, proof.authority
    # 2. the facts the policy judges, found among the proven entries only
    cert = find_certificate(entries, number)
    revocation = find_revocation(entries, number, cert, size)
    claimed = claims_revocation(proof.carried, number)
    summary = bundle.get("certificate") if isinstance(bundle, Mapping) else None
    # 3. the bank's policy over them
    policy = (
        run_check("certificate", lambda: check_certificate(entries, number)),
        run_check("issuer", lambda: check_issuer(entries, cert, authority)),
        run_check("awards", lambda: check_awards(entries, cert)),
        run_check("completions", lambda: check_completions(entries, cert)),
        run_check("application", lambda: check_application(entries, cert)),
        run_check(
            "revocation",
            lambda: check_revocation(
                cert,
                revocation,
                number=number,
                tree_size=size,
                authority=authority,
                claimed=claimed,
            ),
        ),
        run_check("summary", lambda: check_summary(summary, cert, revocation, number)),
    )
    # 4. the verdict, every check reported in order
    results = {r.check: r for r in (*proof.checks, *policy)}
    checks = [results[name] for name in CHECKS]
    problems = [f"{r.check}: {p}" for r in checks for p in r.problems]
    revoked = revocation is not None or claimed
    return Verdict(
        valid=not problems and not revoked,
        revoked=revoked,
        checks=[r.to_dict() for r in checks],
        problems=problems,
        certificate=certificate_facts(cert, revocation),
        tree_size=size,
    )
