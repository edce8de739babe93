"""A bank with a certified learner (tests.api.certflow's story), and the documents and
schemas the credential tests check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from creditbank.bank import Bank
from creditbank.core.credentials.ids import did_of
from creditbank.core.credentials.verify import CredentialVerdict, verify_credential
from creditbank.credentials import service
from tests.api.certflow import Certified, Flow, money_world

SCHEMAS = Path(__file__).parent / "schemas"


def schema(name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((SCHEMAS / name).read_text())
    return found


@pytest.fixture
def flow(bank: Bank) -> Flow:
    return money_world(bank)


@pytest.fixture
def certified(flow: Flow) -> Certified:
    return flow.certify()


def dids_for(bank: Bank, *documents: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The DID documents a verifier needs for these documents: their issuers' (a
    certifying body's, or the bank's), as the bank serves them."""
    found: dict[str, dict[str, Any]] = {}
    for document in documents:
        issuer = document["issuer"]
        did = did_of(issuer["id"] if isinstance(issuer, dict) else issuer)
        actor = did.split(":certifiers:")[1] if ":certifiers:" in did else None
        found[did] = service.did_document_of(bank, actor)
    return found


def status_lists_for(bank: Bank, *documents: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The status lists these credentials name, as the bank serves them now."""
    found: dict[str, dict[str, Any]] = {}
    for document in documents:
        entry = document.get("credentialStatus")
        if isinstance(entry, dict):
            actor = entry["statusListCredential"].split("/certifiers/")[1].split("/")[0]
            found[entry["statusListCredential"]] = service.status_list_of(bank, actor)
    return found


def verify_here(
    bank: Bank, document: dict[str, Any], *, log_key: str | None = None, now: Any = None
) -> CredentialVerdict:
    """The offline verifier on a credential, with what the bank serves now."""
    return verify_credential(
        document,
        dids=dids_for(bank, document),
        status_lists=status_lists_for(bank, document),
        log_key=log_key,
        now=now or bank.ledger.clock(),
    )
