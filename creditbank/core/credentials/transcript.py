"""A learner's transcript as a CLR 2.0 ``ClrCredential``, issued by the bank.

It holds what is valid when it is made, and says so in its description and ``validFrom``:
every credit award in force (not revoked, not expired), each an ``AchievementCredential``
the bank issues (awards are the rules' decisions, derived on the ledger, so the bank is
their issuer) with its ledger entry as evidence, and every unrevoked certificate as its
``OpenBadgeCredential``. The bank signs the awards and the whole with its credential key.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from creditbank.core.credentials.badge import (
    CONTEXT,
    credits_number,
    ledger_evidence,
    subject_identifiers,
    vc_time,
)
from creditbank.core.credentials.contexts import CLR_V2, LEDGER_TERMS, OB_V3, VC_V2
from creditbank.core.credentials.ids import CASE_NAMESPACE, BankIds, case_uuid
from creditbank.core.standards.model import LEVEL_NAMES, Standard, Unit

CLR_CONTEXT: list[Any] = [VC_V2, CLR_V2, OB_V3, LEDGER_TERMS]


@dataclass(frozen=True)
class AwardFacts:
    """A credit award as the ledger holds it."""

    index: int
    standard_id: str
    standard_version: str
    level: int
    unit_code: str
    credits: str
    mode: str
    provider: str
    completed_at: str
    expires_at: str
    leaf_hash: bytes
    receipt: str


def unit_achievement(ids: BankIds, standard: Standard, level: int, unit: Unit) -> dict[str, Any]:
    """A competency unit as an OB 3.0 ``Achievement``, aligned to its CASE item."""
    item = case_uuid(standard.id, standard.version, "unit", level, unit.code)
    zh, en = LEVEL_NAMES.get(level, (f"{level}级", f"Level {level}"))
    name = f"{unit.code} {unit.title_zh} | {unit.title_en}"
    return {
        "id": f"urn:uuid:{item}",
        "type": ["Achievement"],
        "achievementType": "Competency",
        "name": name,
        "description": f"{standard.title_zh} {zh} | {standard.title_en}, {en}",
        "criteria": {
            "narrative": (
                f"学分来自经认定的本单元课程，最多 {unit.max_credits} 学分。 Credits from "
                f"recognized courses of this unit, at most {unit.max_credits}."
            )
        },
        "humanCode": unit.code,
        "creditsAvailable": credits_number(unit.max_credits),
        "alignment": [
            {
                "type": ["Alignment"],
                "targetName": name,
                "targetUrl": ids.case_url("CFItems", item),
                "targetCode": unit.code,
                "targetFramework": f"{standard.title_zh} | {standard.title_en} {standard.version}",
                "targetType": "CFItem",
            }
        ],
    }


def award_credential(
    ids: BankIds, account: str, award: AwardFacts, standard: Standard, bank_name: str
) -> dict[str, Any]:
    """The unsigned ``AchievementCredential`` of one credit award."""
    unit = standard.unit(award.level, award.unit_code)
    if unit is None:
        raise ValueError(f"{standard.id} has no unit {award.unit_code} at level {award.level}")
    return {
        "@context": list(CONTEXT),
        "id": f"{ids.base_url}/v1/ledger/entries/{award.index}",
        "type": ["VerifiableCredential", "AchievementCredential"],
        "name": f"{award.credits} 学分 credits: {unit.code} {unit.title_zh} | {unit.title_en}",
        "issuer": {"id": ids.bank_did, "type": ["Profile"], "name": bank_name},
        "validFrom": vc_time(award.completed_at),
        "validUntil": vc_time(award.expires_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": subject_identifiers(account, None),
            "achievement": unit_achievement(ids, standard, award.level, unit),
            "creditsEarned": credits_number(award.credits),
            "activityEndDate": vc_time(award.completed_at),
            "narrative": (
                f"{award.credits} credits ({award.mode}) from {award.provider}, completed "
                f"{vc_time(award.completed_at)}, valid until {vc_time(award.expires_at)}; "
                f"ledger entry {award.index}."
            ),
        },
        "evidence": [
            ledger_evidence(ids, award.index, "credit.awarded", award.leaf_hash, award.receipt)
        ],
    }


def transcript_credential(
    ids: BankIds,
    account: str,
    bank_name: str,
    credentials: Sequence[dict[str, Any]],
    now: datetime,
) -> dict[str, Any]:
    """The unsigned ``ClrCredential`` embedding ``credentials`` (signed already)."""
    achievements: list[dict[str, Any]] = []
    seen: set[str] = set()
    for credential in credentials:
        achievement = credential["credentialSubject"]["achievement"]
        if achievement["id"] not in seen:
            seen.add(achievement["id"])
            achievements.append(achievement)
    at = vc_time(now)
    return {
        "@context": list(CLR_CONTEXT),
        "id": f"urn:uuid:{uuid.uuid5(CASE_NAMESPACE, f'transcript/{ids.host}/{account}/{at}')}",
        "type": ["VerifiableCredential", "ClrCredential"],
        "name": f"学分银行成绩单 | Credit bank transcript: {account}",
        "description": (
            f"截至 {at} 有效的学分与证书。 The credits and certificates of {account} in force "
            f"at {at}: revoked and expired ones are left out."
        ),
        "issuer": {"id": ids.bank_did, "type": ["Profile"], "name": bank_name},
        "validFrom": at,
        "credentialSubject": {
            "type": ["ClrSubject"],
            "identifier": subject_identifiers(account, None),
            "achievement": achievements,
            "verifiableCredential": list(credentials),
        },
    }
