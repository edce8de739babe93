"""A certificate as an Open Badges 3.0 ``OpenBadgeCredential`` (VC Data Model 2.0).

- issuer: the certifying body, as its did:web DID (``ids.certifier_did``);
- credentialSubject: an ``AchievementSubject`` identified by the learner's account number
  (an ``IdentityObject``, a pseudonym); the learner's name only when the learner asks for
  it at export time (``name``);
- achievement: the standard's level (Chinese and English titles, the criteria from the
  standard, aligned to the level's CASE ``CFItem``);
- validFrom: the certificate's ``issued_at`` on the ledger;
- evidence: the ``certificate.issued`` entry (index, leaf hash, its receipt and the
  receipt's URL), so the credential carries its own proof of being in the log;
- credentialStatus: the certificate's bit in its body's status list (``status``).

The builder returns the unsigned credential; ``proof.add_proof`` secures it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from creditbank.core.credentials.contexts import LEDGER_TERMS, OB_V3, VC_V2
from creditbank.core.credentials.ids import BankIds, case_uuid
from creditbank.core.credentials.proof import add_proof
from creditbank.core.credentials.status import status_entry
from creditbank.core.entry import parse_time
from creditbank.core.errors import InvalidInput
from creditbank.core.keys import KeyPair
from creditbank.core.standards.model import LEVEL_NAMES, Level, Standard

CONTEXT: list[Any] = [VC_V2, OB_V3, LEDGER_TERMS]
TYPES = ["VerifiableCredential", "OpenBadgeCredential"]


def vc_time(ledger_time: str | datetime) -> str:
    """A ledger time (or a datetime) as a VC ``dateTimeStamp`` to the second, in UTC."""
    t = ledger_time if isinstance(ledger_time, datetime) else parse_time(ledger_time, field="time")
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class CertificateFacts:
    """What the ledger says of one certificate, as the credential needs it."""

    number: str
    learner: str
    standard_id: str
    standard_version: str
    level: int
    issuer: str
    issuer_name: str
    issued_at: str
    issued_index: int
    leaf_hash: bytes
    receipt: str
    status_ordinal: int


def credits_number(credits: str) -> int | float:
    """A credit amount as a JSON number for ``creditsAvailable`` / ``creditsEarned``:
    whole amounts as integers, because JSON-LD processors disagree on the canonical form
    of an integral float typed xsd:float ("8"^^xsd:float from JavaScript, "8.0E0" from
    Python) while they agree on integers and on fractions."""
    value = float(credits)
    return int(value) if value.is_integer() else value


def level_title(standard: Standard, level: int) -> str:
    """``数据标注员 五级/初级工 | Data Annotator, Level 5 / junior worker``."""
    zh, en = LEVEL_NAMES.get(level, (f"{level}级", f"Level {level}"))
    return f"{standard.title_zh} {zh} | {standard.title_en}, {en}"


def criteria(standard: Standard, level: Level) -> str:
    """The level's requirements, as the standard states them, in both languages."""
    required = ", ".join(f"{u.code} ≥ {u.min_credits}" for u in level.required_units)
    units = "; ".join(
        f"{u.code} {u.title_zh} / {u.title_en} (≤ {u.max_credits})" for u in level.units
    )
    lower = (
        " 须持有下一级证书。 Requires the certificate of the level below."
        if level.requires_lower_level_certificate
        else ""
    )
    return (
        f"累计 {level.credits_required} 学分（线上不超过 {level.max_online_share_percent}%），"
        f"学分有效期 {level.credit_validity_years} 年，并通过经认可的评价机构考核。"
        f" {level.credits_required} credits in force (at most "
        f"{level.max_online_share_percent}% online, each valid {level.credit_validity_years} "
        f"years) and a passed assessment by a certifying body accredited for "
        f"{standard.id}.{lower} Units: {units}."
        + (f" Required units: {required}." if required else "")
    )


def achievement(ids: BankIds, standard: Standard, level: Level) -> dict[str, Any]:
    """The standard's level as an OB 3.0 ``Achievement``, aligned to its CASE item."""
    item = case_uuid(standard.id, standard.version, "level", level.level)
    return {
        "id": f"urn:uuid:{item}",
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": level_title(standard, level.level),
        "description": f"{standard.description_zh} {standard.description_en}",
        "criteria": {"narrative": criteria(standard, level)},
        "humanCode": f"{standard.id}/{level.level}",
        "creditsAvailable": credits_number(level.credits_required),
        "version": standard.version,
        "tag": list(standard.areas),
        "alignment": [
            {
                "type": ["Alignment"],
                "targetName": level_title(standard, level.level),
                "targetUrl": ids.case_url("CFItems", item),
                "targetCode": item,
                "targetFramework": f"{standard.title_zh} | {standard.title_en} {standard.version}",
                "targetType": "CFItem",
            }
        ],
    }


def subject_identifiers(account: str, name: str | None) -> list[dict[str, Any]]:
    """The learner: the account number, and the name only when given."""
    found = [
        {
            "type": "IdentityObject",
            "identityHash": account,
            "identityType": "accountId",
            "hashed": False,
        }
    ]
    if name is not None:
        found.append(
            {
                "type": "IdentityObject",
                "identityHash": name,
                "identityType": "name",
                "hashed": False,
            }
        )
    return found


def ledger_evidence(
    ids: BankIds, index: int, kind: str, leaf_hash: bytes, receipt: str
) -> dict[str, Any]:
    """An entry of the ledger as ``Evidence``: where it is, what it hashes to, its receipt."""
    return {
        "id": ids.receipt_url(index),
        "type": ["Evidence"],
        "name": f"{kind} at ledger entry {index}",
        "description": (
            "The signed ledger entry this credential states, with its receipt (a C2SP "
            "tlog-proof: the log's signed checkpoint and the entry's inclusion proof)."
        ),
        "genre": "Transparency log entry",
        "entryKind": kind,
        "ledgerIndex": index,
        "leafHash": leaf_hash.hex(),
        "receipt": receipt,
    }


def certificate_credential(
    ids: BankIds, facts: CertificateFacts, standard: Standard, *, name: str | None = None
) -> dict[str, Any]:
    """The unsigned ``OpenBadgeCredential`` of a certificate (``name``: the learner's
    name, only when the learner chose to add it)."""
    level = standard.level(facts.level)
    if level is None:
        raise ValueError(f"{standard.id} {standard.version} has no level {facts.level}")
    title = level_title(standard, facts.level)
    return {
        "@context": list(CONTEXT),
        "id": ids.credential_url(facts.number),
        "type": list(TYPES),
        "name": f"{title} — {facts.number}",
        "description": (
            f"证书 {facts.number}，由 {facts.issuer_name} 签发。 Certificate {facts.number}, "
            f"issued by {facts.issuer_name} and recorded at entry {facts.issued_index} of "
            "the credit bank's public ledger."
        ),
        "issuer": {
            "id": ids.certifier_did(facts.issuer),
            "type": ["Profile"],
            "name": facts.issuer_name,
        },
        "validFrom": vc_time(facts.issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": subject_identifiers(facts.learner, name),
            "achievement": achievement(ids, standard, level),
        },
        "credentialStatus": status_entry(ids, facts.issuer, facts.status_ordinal),
        "evidence": [
            ledger_evidence(
                ids, facts.issued_index, "certificate.issued", facts.leaf_hash, facts.receipt
            )
        ],
    }


def sign_as_certifier(credential: dict[str, Any], key: KeyPair, now: datetime) -> dict[str, Any]:
    """The credential signed anew by its certifying body with one of the body's own
    ledger keys: what the body's own tooling does (the bank never holds that key). The
    proof names ``<issuer DID>#key-<key id>``, which verifies only if the ledger
    registered that key for the body (the body's DID document lists it)."""
    issuer = credential.get("issuer")
    did = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not isinstance(did, str) or not did.startswith("did:web:") or ":certifiers:" not in did:
        raise InvalidInput(
            f"the credential's issuer {did!r} is not a certifying body", field="issuer"
        )
    return add_proof(credential, key, f"{did}#key-{key.key_id}", vc_time(now))
