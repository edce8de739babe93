"""Verifying a credential offline: its proof, its status and, given the log's key, its
ledger evidence. Like ``creditbank.core.verify``, every check returns a
:class:`~creditbank.core.verify.result.CheckResult`; nothing a holder hands over makes
the verifier raise.

1. signature: the ``eddsa-rdfc-2022`` proof verifies with a key of the issuer's DID
   document listed for ``assertionMethod`` (or revoked only after the proof was made, as
   the ledger treats a key revoked after it signed);
2. validity: ``validFrom`` has come and ``validUntil`` (if any) has not passed;
3. status: the issuer's status list credential verifies the same way and the
   credential's bit is 0 (a set bit: ``revoked``);
4. evidence (with the log's verifier key): every evidence receipt proves its entry is in
   the log at ``ledgerIndex`` with ``leafHash``; for a certificate, the entry is the
   issuer's ``certificate.issued`` of this number, learner, standard and level, signed by
   a key the issuer's DID document lists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from creditbank.core.credentials.did import find_method
from creditbank.core.credentials.ids import did_of
from creditbank.core.credentials.proof import proof_of, proof_verifies
from creditbank.core.credentials.status import PURPOSE, bit_at
from creditbank.core.entry import parse_time
from creditbank.core.tlog.merkle import leaf_hash
from creditbank.core.verify import verify_entry_signature, verify_receipt
from creditbank.core.verify.result import CheckResult, run_check

Status = Literal["valid", "revoked", "invalid"]
DidDocuments = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class CredentialVerdict:
    """The outcome: ``valid`` only when every check passed."""

    status: Status
    checks: tuple[CheckResult, ...]
    evidence_checked: bool

    @property
    def valid(self) -> bool:
        return self.status == "valid"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "evidence_checked": self.evidence_checked,
            "checks": [c.to_dict() for c in self.checks],
        }


def issuer_id(document: Mapping[str, Any]) -> str:
    issuer = document.get("issuer")
    found = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not isinstance(found, str):
        raise ValueError("the credential names no issuer")
    return found


def _time(value: object, what: str) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{what} is missing")
    return parse_time(value, field=what)


def check_signature(
    document: Mapping[str, Any], dids: DidDocuments, what: str = "signature"
) -> CheckResult:
    """Step 1 for any secured document (a credential, a status list)."""

    def step() -> CheckResult:
        proof = proof_of(document)
        method_id = proof["verificationMethod"]
        issuer = issuer_id(document)
        if did_of(method_id) != issuer:
            return CheckResult.failed(
                what, f"signed by {method_id}, not a key of the issuer {issuer}"
            )
        method = find_method(dids, method_id)
        if not method.asserts:
            if method.revoked_at is None:
                return CheckResult.failed(what, f"{method_id} is not listed for assertionMethod")
            if _time(proof["created"], "proof.created") >= _time(method.revoked_at, "revoked"):
                return CheckResult.failed(
                    what, f"{method_id} was revoked at {method.revoked_at}, before this proof"
                )
        if not proof_verifies(document, method.public_key):
            return CheckResult.failed(what, f"the proof does not verify with {method_id}")
        later = f" (revoked later, at {method.revoked_at})" if method.revoked_at else ""
        return CheckResult(what, f"eddsa-rdfc-2022 proof by {method_id}{later}")

    return run_check(what, step)


def check_validity(document: Mapping[str, Any], now: datetime) -> CheckResult:
    def step() -> CheckResult:
        start = _time(document.get("validFrom"), "validFrom")
        if start > now:
            return CheckResult.failed("validity", f"not valid before {document['validFrom']}")
        until = document.get("validUntil")
        if until is not None and _time(until, "validUntil") <= now:
            return CheckResult.failed("validity", f"expired at {until}")
        return CheckResult("validity", f"valid from {document['validFrom']}")

    return run_check("validity", step)


def check_status(
    document: Mapping[str, Any], dids: DidDocuments, lists: Mapping[str, Mapping[str, Any]]
) -> tuple[CheckResult, bool]:
    """Step 3: the check and whether the credential is revoked."""
    revoked = False

    def step() -> CheckResult:
        nonlocal revoked
        entry = document["credentialStatus"]
        if entry.get("type") != "BitstringStatusListEntry" or entry.get("statusPurpose") != PURPOSE:
            return CheckResult.failed("status", "not a revocation BitstringStatusListEntry")
        url = entry["statusListCredential"]
        status_list = lists.get(url)
        if status_list is None:
            return CheckResult.failed("status", f"the status list {url} was not available")
        if status_list.get("id") != url:
            return CheckResult.failed("status", f"the status list given for {url} is another's")
        if issuer_id(status_list) != issuer_id(document):
            return CheckResult.failed("status", "the status list has another issuer")
        signed = check_signature(status_list, dids, "status")
        if not signed.ok:
            return CheckResult.failed("status", f"status list: {signed.detail}")
        subject = status_list["credentialSubject"]
        if subject.get("statusPurpose") != PURPOSE:
            return CheckResult.failed("status", "the status list is not for revocation")
        index = int(entry["statusListIndex"])
        if bit_at(subject["encodedList"], index):
            revoked = True
            return CheckResult.failed("status", f"revoked: bit {index} of {url} is set")
        return CheckResult("status", f"not revoked: bit {index} of {url} is 0")

    return run_check("status", step), revoked


def _subject_account(document: Mapping[str, Any]) -> str | None:
    for ident in document.get("credentialSubject", {}).get("identifier") or []:
        if isinstance(ident, dict) and ident.get("identityType") == "accountId":
            value = ident.get("identityHash")
            return value if isinstance(value, str) else None
    return None


def _certificate_problems(
    document: Mapping[str, Any], entry: Mapping[str, Any], dids: DidDocuments
) -> list[str]:
    """The ``certificate.issued`` entry against the credential's claims."""
    problems: list[str] = []
    statement = entry.get("statement") or {}
    body = statement.get("body") or {}
    issuer = issuer_id(document)
    if not str(document.get("id", "")).endswith(f"/{body.get('certificate_number')}/credential"):
        problems.append(f"the entry is certificate {body.get('certificate_number')}, not this one")
    if body.get("learner") != _subject_account(document):
        problems.append("the entry's learner is not the credential's subject")
    code = document.get("credentialSubject", {}).get("achievement", {}).get("humanCode")
    if code != f"{body.get('standard_id')}/{body.get('level')}":
        problems.append(f"the entry is {body.get('standard_id')}/{body.get('level')}, not {code}")
    if not issuer.endswith(f":certifiers:{statement.get('actor')}"):
        problems.append(f"the entry's author {statement.get('actor')} is not the issuer {issuer}")
    method = find_method(dids, f"{issuer}#key-{entry.get('key_id')}")
    verify_entry_signature(entry, method.public_key)
    return problems


def check_evidence(document: Mapping[str, Any], dids: DidDocuments, log_key: str) -> CheckResult:
    """Step 4, offline: the receipts in the evidence against the log's key."""

    def step() -> CheckResult:
        items = [
            e for e in document.get("evidence") or [] if isinstance(e, dict) and "receipt" in e
        ]
        if not items:
            return CheckResult.failed("evidence", "the credential carries no ledger receipt")
        problems: list[str] = []
        shown: list[str] = []
        for item in items:
            proven = verify_receipt(item["receipt"], log_key)
            where = f"entry {proven.index}"
            if proven.index != item.get("ledgerIndex"):
                problems.append(f"the receipt proves {where}, not {item.get('ledgerIndex')}")
            if leaf_hash(proven.entry_bytes).hex() != item.get("leafHash"):
                problems.append(f"{where}'s leaf hash is not {item.get('leafHash')}")
            kind = proven.entry.get("kind")
            if kind != item.get("entryKind"):
                problems.append(f"{where} is {kind}, not {item.get('entryKind')}")
            if kind == "certificate.issued":
                problems.extend(_certificate_problems(document, proven.entry, dids))
            shown.append(f"{where} ({kind}) at tree size {proven.checkpoint.size}")
        if problems:
            return CheckResult.failed("evidence", *problems)
        return CheckResult("evidence", "in the log: " + ", ".join(shown))

    return run_check("evidence", step)


def _own_checks(
    document: Mapping[str, Any], dids: DidDocuments, now: datetime
) -> list[CheckResult]:
    return [check_signature(document, dids), check_validity(document, now)]


def verify_credential(
    document: Mapping[str, Any],
    *,
    dids: DidDocuments,
    status_lists: Mapping[str, Mapping[str, Any]] | None = None,
    log_key: str | None = None,
    now: datetime,
) -> CredentialVerdict:
    """Every check of one credential (``status_lists``: URL -> status list credential)."""
    checks = _own_checks(document, dids, now)
    revoked = False
    if "credentialStatus" in document:
        status, revoked = check_status(document, dids, status_lists or {})
        checks.append(status)
    if log_key is not None:
        checks.append(check_evidence(document, dids, log_key))
    return _verdict(checks, revoked, log_key is not None)


def _verdict(checks: Sequence[CheckResult], revoked: bool, evidence: bool) -> CredentialVerdict:
    failed = [c for c in checks if not c.ok]
    status: Status = "valid"
    if revoked and all(c.check.endswith("status") for c in failed):
        status = "revoked"
    elif failed:
        status = "invalid"
    return CredentialVerdict(status, tuple(checks), evidence)


def verify_transcript(
    document: Mapping[str, Any],
    *,
    dids: DidDocuments,
    status_lists: Mapping[str, Mapping[str, Any]] | None = None,
    log_key: str | None = None,
    now: datetime,
) -> CredentialVerdict:
    """A CLR transcript: its own proof and validity, then every credential it embeds."""
    checks = _own_checks(document, dids, now)
    revoked = False
    inner = document.get("credentialSubject", {}).get("verifiableCredential") or []
    for n, credential in enumerate(inner):
        verdict = verify_credential(
            credential, dids=dids, status_lists=status_lists, log_key=log_key, now=now
        )
        revoked = revoked or verdict.status == "revoked"
        name = credential.get("id", n) if isinstance(credential, dict) else n
        for check in verdict.checks:
            checks.append(CheckResult(f"{name}: {check.check}", check.established, check.problems))
    return _verdict(checks, revoked, log_key is not None)
