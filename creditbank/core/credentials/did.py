"""The did:web DID documents the bank serves, built from the ledger's key registry.

- The bank (``did:web:HOST``): its credential key (``#credentials``), which signs the
  transcripts.
- A certifying body (``did:web:HOST:certifiers:ID``): every Ed25519 key the ledger ever
  registered for it (``#key-<key id>``, the id entries use), a revoked one marked
  ``revoked`` with the time of its ``key.revoked`` entry and dropped from
  ``assertionMethod``; and ``#bank``, the bank's credential key, with which the bank signs
  what it serves in the body's name (certificates' credentials and the status list)
  because it never holds the body's private keys. Rotation and revocation on the ledger
  therefore show in the document the moment they are logged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from creditbank.core.credentials.contexts import DID_V1, MULTIKEY_V1
from creditbank.core.credentials.ids import BankIds, did_of
from creditbank.core.credentials.proof import multikey, public_key_of
from creditbank.core.errors import InvalidInput


@dataclass(frozen=True)
class KeyRecord:
    """A key of an actor as the ledger registered it (times in VC form)."""

    key_id: str
    public_key: bytes
    added_at: str
    revoked_at: str | None


def _method(method_id: str, controller: str, public_key: bytes) -> dict[str, Any]:
    return {
        "id": method_id,
        "type": "Multikey",
        "controller": controller,
        "publicKeyMultibase": multikey(public_key),
    }


def bank_document(ids: BankIds, bank_public_key: bytes) -> dict[str, Any]:
    """The bank's DID document (``/.well-known/did.json``)."""
    return {
        "@context": [DID_V1, MULTIKEY_V1],
        "id": ids.bank_did,
        "verificationMethod": [_method(ids.bank_method, ids.bank_did, bank_public_key)],
        "assertionMethod": [ids.bank_method],
    }


def certifier_document(
    ids: BankIds, actor_id: str, keys: Sequence[KeyRecord], bank_public_key: bytes
) -> dict[str, Any]:
    """A certifying body's DID document (``/certifiers/ID/did.json``)."""
    did = ids.certifier_did(actor_id)
    methods: list[dict[str, Any]] = []
    assertion: list[str] = []
    for key in keys:
        method = _method(ids.certifier_key_method(actor_id, key.key_id), did, key.public_key)
        if key.revoked_at is not None:
            method["revoked"] = key.revoked_at
        else:
            assertion.append(method["id"])
        methods.append(method)
    bank = ids.certifier_bank_method(actor_id)
    methods.append(_method(bank, did, bank_public_key))
    assertion.append(bank)
    return {
        "@context": [DID_V1, MULTIKEY_V1],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": assertion,
    }


@dataclass(frozen=True)
class Method:
    """A verification method found in a DID document."""

    id: str
    public_key: bytes
    asserts: bool
    revoked_at: str | None


def find_method(documents: Mapping[str, Mapping[str, Any]], method_id: str) -> Method:
    """The verification method ``method_id`` in the DID document of its DID (from
    ``documents``, DID -> document); InvalidInput when it is not there."""
    did = did_of(method_id)
    document = documents.get(did)
    if document is None:
        raise InvalidInput(f"no DID document for {did}", field="verificationMethod")
    if document.get("id") != did:
        raise InvalidInput(f"the DID document given for {did} is another's", field="id")
    for method in document.get("verificationMethod") or []:
        if isinstance(method, dict) and method.get("id") == method_id:
            if method.get("controller") != did or method.get("type") != "Multikey":
                raise InvalidInput(
                    f"{method_id} is not a Multikey controlled by {did}",
                    field="verificationMethod",
                )
            encoded = method.get("publicKeyMultibase")
            if not isinstance(encoded, str):
                raise InvalidInput(
                    f"{method_id} has no publicKeyMultibase", field="verificationMethod"
                )
            revoked = method.get("revoked")
            return Method(
                method_id,
                public_key_of(encoded),
                method_id in (document.get("assertionMethod") or []),
                revoked if isinstance(revoked, str) else None,
            )
    raise InvalidInput(f"{did}'s DID document lists no {method_id}", field="verificationMethod")
