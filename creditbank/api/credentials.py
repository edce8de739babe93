"""Credentials over HTTP (docs/credentials.md): a certificate as an Open Badges 3.0
credential, the certifying bodies' status lists, the did:web DID documents, a learner's
CLR 2.0 transcript, and the standards at the CASE 1.0 REST paths. All public but the
learner's own: the transcript and the credential with the learner's name."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from creditbank.api.deps import BankDep
from creditbank.api.schemas.credentials import (
    CaseDocumentsOut,
    CaseItemOut,
    CasePackageOut,
    DidDocumentOut,
    VerifiableCredentialOut,
)
from creditbank.certificates.verification import check_number
from creditbank.core.accounts import check_account_number
from creditbank.core.entry import ACTOR_RE
from creditbank.core.errors import InvalidInput
from creditbank.credentials import service

router = APIRouter(tags=["credentials"])

VC_MEDIA_TYPE = "application/vc+ld+json"


class VcResponse(JSONResponse):
    media_type = VC_MEDIA_TYPE


NumberPath = Annotated[str, Path(description="The certificate number, e.g. DAN5-2026-000001.")]
ActorPath = Annotated[str, Path(description="The certifying body's actor id.")]
AccountPath = Annotated[str, Path(description="The learner's account number.")]
SourcedId = Annotated[str, Path(description="The CASE object's identifier (a UUID).")]


def _actor(actor_id: str) -> str:
    if ACTOR_RE.fullmatch(actor_id) is None:
        raise InvalidInput(
            "an actor id is 2-64 lower-case letters, digits and hyphens", field="actor_id"
        )
    return actor_id


def _uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise InvalidInput("a CASE identifier is a UUID", field="sourcedId") from exc


@router.get(
    "/v1/certificates/{certificate_number}/credential",
    response_model=VerifiableCredentialOut,
    response_class=VcResponse,
)
def certificate_credential(certificate_number: NumberPath, bank: BankDep) -> VcResponse:
    """The certificate as an Open Badges 3.0 ``OpenBadgeCredential``: issued in the
    certifying body's name, signed (``eddsa-rdfc-2022``) with the bank's key listed in
    the body's DID document, the learner by account number only."""
    check_number(certificate_number)
    return VcResponse(service.certificate_credential_of(bank, certificate_number))


@router.get(
    "/v1/learners/{account}/certificates/{certificate_number}/credential",
    response_model=VerifiableCredentialOut,
    response_class=VcResponse,
)
def own_certificate_credential(
    account: AccountPath,
    certificate_number: NumberPath,
    bank: BankDep,
    include_name: Annotated[
        bool, Query(description="Add the learner's name (as the bank holds it) to the subject.")
    ] = False,
) -> VcResponse:
    """The learner's own certificate as a credential; with ``include_name`` the learner's
    name is in it, which only the learner (or the authority) may ask for."""
    check_account_number(account)
    check_number(certificate_number)
    found = service.certificate_credential_of(
        bank, certificate_number, owner=account, with_name=include_name
    )
    return VcResponse(found)


@router.get(
    "/v1/certifiers/{actor_id}/status-list",
    response_model=VerifiableCredentialOut,
    response_class=VcResponse,
)
def status_list(actor_id: ActorPath, bank: BankDep) -> VcResponse:
    """The certifying body's revocation list (W3C Bitstring Status List), derived from
    the ledger's revocations: bit N is the body's N-th certificate."""
    return VcResponse(service.status_list_of(bank, _actor(actor_id)))


@router.get("/.well-known/did.json", response_model=DidDocumentOut)
def bank_did_document(bank: BankDep) -> JSONResponse:
    """The bank's DID document (``did:web:HOST``): the key that signs transcripts."""
    return JSONResponse(service.did_document_of(bank))


@router.get("/certifiers/{actor_id}/did.json", response_model=DidDocumentOut)
def certifier_did_document(actor_id: ActorPath, bank: BankDep) -> JSONResponse:
    """A certifying body's DID document (``did:web:HOST:certifiers:ID``): its keys from
    the ledger's key registry (revoked ones marked) and the bank's key that signs in its
    name."""
    return JSONResponse(service.did_document_of(bank, _actor(actor_id)))


@router.get(
    "/v1/learners/{account}/transcript",
    response_model=VerifiableCredentialOut,
    response_class=VcResponse,
)
def transcript(account: AccountPath, bank: BankDep) -> VcResponse:
    """The learner's CLR 2.0 ``ClrCredential``: the credit awards and certificates valid
    now, each a signed credential, signed as a whole by the bank."""
    check_account_number(account)
    return VcResponse(service.transcript_of(bank, account, bank.ledger.clock()))


@router.get("/ims/case/v1p0/CFDocuments", response_model=CaseDocumentsOut)
def case_documents(bank: BankDep) -> JSONResponse:
    """Every published standard's CASE ``CFDocument``."""
    return JSONResponse(service.case_documents(bank))


@router.get("/ims/case/v1p0/CFPackages/{sourcedId}", response_model=CasePackageOut)
def case_package(sourcedId: SourcedId, bank: BankDep) -> JSONResponse:
    """A standard's CASE ``CFPackage``: document, items (levels, units), associations."""
    return JSONResponse(service.case_package_of(bank, _uuid(sourcedId)))


@router.get("/ims/case/v1p0/CFItems/{sourcedId}", response_model=CaseItemOut)
def case_item(sourcedId: SourcedId, bank: BankDep) -> JSONResponse:
    """One CASE ``CFItem`` (a level or a competency unit)."""
    return JSONResponse(service.case_item_of(bank, _uuid(sourcedId)))
