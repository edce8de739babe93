"""The JSON-LD contexts the credentials use, shipped with the package.

Canonicalization needs every context a document names. Fetching them at issue or verify
time would make a proof depend on a network and on whoever serves those URLs, so the
contexts are files here (copied from their publishers' releases) and
:func:`document_loader` serves only them: a document naming any other context fails to
canonicalize rather than reaching out.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from creditbank.core.errors import InvalidInput

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CLR_V2 = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
DID_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"

FILES: dict[str, str] = {
    VC_V2: "credentials-v2.jsonld",
    OB_V3: "ob-v3p0-3.0.3.jsonld",
    CLR_V2: "clr-v2p0-2.0.1.jsonld",
    DID_V1: "did-v1.jsonld",
    MULTIKEY_V1: "multikey-v1.jsonld",
    DATA_INTEGRITY_V2: "data-integrity-v2.jsonld",
}
"""Context URL -> file in ``creditbank/core/credentials/contexts/``."""

LEDGER_TERMS: dict[str, str] = {
    "ledgerIndex": "urn:creditbank:ledgerIndex",
    "leafHash": "urn:creditbank:leafHash",
    "receipt": "urn:creditbank:receipt",
    "entryKind": "urn:creditbank:entryKind",
}
"""The few terms of the ledger evidence no published context defines, given inline (an
embedded context needs no loading) so that canonicalization signs them too."""


@cache
def context_document(url: str) -> dict[str, Any]:
    """The shipped context at ``url``; InvalidInput for any context not shipped."""
    name = FILES.get(url)
    if name is None:
        raise InvalidInput(
            f"the JSON-LD context {url} is not one this bank ships; nothing is fetched",
            field="@context",
        )
    text = resources.files(__package__).joinpath("contexts", name).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ``pyld`` document loader that serves the shipped contexts and nothing else."""
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": context_document(url),
    }
