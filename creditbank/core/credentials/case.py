"""The standards as 1EdTech CASE 1.0 packages (Competencies and Academic Standards
Exchange), the form curriculum and HR systems import competency frameworks in.

Per standard version: a ``CFDocument``; a ``CFItem`` per level (``CFItemType`` "Level")
and per competency unit ("Competency Unit", its code as ``humanCodingScheme``, its
maximum credits in ``extensions``); ``CFAssociation`` s: each level ``isChildOf`` the
document, each unit ``isChildOf`` its level, and where a level needs the certificate of
the level below, the lower level ``precedes`` it. Identifiers are UUIDv5 of the standard
id, version and the object's place (``ids.case_uuid``): re-exports keep them, a new
version gets new ones.
"""

from __future__ import annotations

from typing import Any

from creditbank.core.credentials.badge import criteria, level_title
from creditbank.core.credentials.ids import BankIds, case_uuid
from creditbank.core.standards.model import Level, Standard


def document_id(standard: Standard) -> str:
    return case_uuid(standard.id, standard.version)


def level_id(standard: Standard, level: int) -> str:
    return case_uuid(standard.id, standard.version, "level", level)


def unit_id(standard: Standard, level: int, code: str) -> str:
    return case_uuid(standard.id, standard.version, "unit", level, code)


def _link(ids: BankIds, kind: str, identifier: str, title: str) -> dict[str, str]:
    return {"title": title, "identifier": identifier, "uri": ids.case_url(kind, identifier)}


def case_document(
    ids: BankIds, standard: Standard, creator: str, changed_at: str
) -> dict[str, Any]:
    """The standard's ``CFDocument`` (as a package holds it)."""
    identifier = document_id(standard)
    notes = (
        f"职业编码 Occupation code {standard.occupation_code}"
        if standard.occupation_code
        else (standard.occupation_code_note or "")
    )
    return {
        "identifier": identifier,
        "uri": ids.case_url("CFDocuments", identifier),
        "creator": creator,
        "title": f"{standard.title_zh} | {standard.title_en}",
        "lastChangeDateTime": changed_at,
        "description": f"{standard.description_zh} {standard.description_en}",
        "subject": list(standard.areas),
        "language": "zh",
        "version": standard.version,
        "adoptionStatus": "Adopted",
        "notes": notes,
        "extensions": {"standardId": standard.id},
    }


def _level_item(ids: BankIds, standard: Standard, level: Level, changed_at: str) -> dict[str, Any]:
    identifier = level_id(standard, level.level)
    return {
        "identifier": identifier,
        "uri": ids.case_url("CFItems", identifier),
        "fullStatement": level_title(standard, level.level),
        "humanCodingScheme": f"{standard.id}/{level.level}",
        "CFItemType": "Level",
        "language": "zh",
        "notes": criteria(standard, level),
        "lastChangeDateTime": changed_at,
        "extensions": {
            "level": level.level,
            "creditsRequired": level.credits_required,
            "maxOnlineSharePercent": level.max_online_share_percent,
            "creditValidityYears": level.credit_validity_years,
            "requiresLowerLevelCertificate": level.requires_lower_level_certificate,
            "requiredUnits": {u.code: u.min_credits for u in level.required_units},
        },
    }


def _unit_items(
    ids: BankIds, standard: Standard, level: Level, changed_at: str
) -> list[dict[str, Any]]:
    items = []
    for unit in level.units:
        identifier = unit_id(standard, level.level, unit.code)
        items.append(
            {
                "identifier": identifier,
                "uri": ids.case_url("CFItems", identifier),
                "fullStatement": f"{unit.title_zh} | {unit.title_en}",
                "abbreviatedStatement": unit.title_en,
                "humanCodingScheme": unit.code,
                "CFItemType": "Competency Unit",
                "language": "zh",
                "notes": f"最多 {unit.max_credits} 学分 | at most {unit.max_credits} credits",
                "lastChangeDateTime": changed_at,
                "extensions": {"maxCredits": unit.max_credits, "level": level.level},
            }
        )
    return items


def case_package(ids: BankIds, standard: Standard, creator: str, changed_at: str) -> dict[str, Any]:
    """The standard's ``CFPackage``: document, items and associations."""
    document = case_document(ids, standard, creator, changed_at)
    doc_link = _link(ids, "CFDocuments", document["identifier"], document["title"])
    items: list[dict[str, Any]] = []
    associations: list[dict[str, Any]] = []

    def associate(kind: str, origin: dict[str, Any], destination: dict[str, str], seq: int) -> None:
        source = _link(ids, "CFItems", origin["identifier"], origin["fullStatement"])
        identifier = case_uuid(
            standard.id,
            standard.version,
            "association",
            kind,
            origin["identifier"],
            destination["identifier"],
        )
        associations.append(
            {
                "identifier": identifier,
                "associationType": kind,
                "sequenceNumber": seq,
                "uri": ids.case_url("CFAssociations", identifier),
                "originNodeURI": source,
                "destinationNodeURI": destination,
                "lastChangeDateTime": changed_at,
            }
        )

    levels = {lv.level: lv for lv in standard.levels}
    level_items: dict[int, dict[str, Any]] = {}
    for seq, level in enumerate(standard.levels, start=1):
        item = _level_item(ids, standard, level, changed_at)
        level_items[level.level] = item
        items.append(item)
        associate("isChildOf", item, doc_link, seq)
        level_link = _link(ids, "CFItems", item["identifier"], item["fullStatement"])
        for unit_seq, unit in enumerate(_unit_items(ids, standard, level, changed_at), start=1):
            items.append(unit)
            associate("isChildOf", unit, level_link, unit_seq)
    for number, level in levels.items():
        lower = level_items.get(number + 1)
        if level.requires_lower_level_certificate and lower is not None:
            target = level_items[number]
            associate(
                "precedes",
                lower,
                _link(ids, "CFItems", target["identifier"], target["fullStatement"]),
                1,
            )
    return {"CFDocument": document, "CFItems": items, "CFAssociations": associations}


def item_with_document(
    package: dict[str, Any], identifier: str, ids: BankIds
) -> dict[str, Any] | None:
    """A ``CFItem`` of ``package`` as the CASE REST ``CFItems/{id}`` answers: with the
    link to its document (None when the package has no such item)."""
    document = package["CFDocument"]
    for item in package["CFItems"]:
        if item["identifier"] == identifier:
            return {
                **item,
                "CFDocumentURI": _link(
                    ids, "CFDocuments", document["identifier"], document["title"]
                ),
            }
    return None
