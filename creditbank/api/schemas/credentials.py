"""Credentials, DID documents and CASE packages: JSON-LD and 1EdTech documents whose
members are set by their specifications (docs/credentials.md), so the models declare the
members every one has and allow the rest."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class VerifiableCredentialOut(_Open):
    """A W3C Verifiable Credential (Data Model 2.0) with its Data Integrity proof: an
    ``OpenBadgeCredential``, a ``BitstringStatusListCredential`` or a ``ClrCredential``."""

    context: list[Any] = Field(alias="@context")
    id: str
    type: list[str]
    issuer: dict[str, Any] | str
    validFrom: str
    credentialSubject: dict[str, Any]
    proof: dict[str, Any]


class DidDocumentOut(_Open):
    """A DID document (did:web) with Multikey verification methods."""

    context: list[Any] = Field(alias="@context")
    id: str
    verificationMethod: list[dict[str, Any]]
    assertionMethod: list[str]


class CaseDocumentsOut(_Open):
    """CASE ``getAllCFDocuments``."""

    CFDocuments: list[dict[str, Any]]


class CasePackageOut(_Open):
    """A CASE ``CFPackage``."""

    CFDocument: dict[str, Any]
    CFItems: list[dict[str, Any]]
    CFAssociations: list[dict[str, Any]]


class CaseItemOut(_Open):
    """A CASE ``CFItem`` with the link to its document."""

    identifier: str
    uri: str
    fullStatement: str
    lastChangeDateTime: str
    CFDocumentURI: dict[str, Any]
