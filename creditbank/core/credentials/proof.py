"""W3C Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite (VC-DI-EdDSA 1.0).

Creating a proof (spec section 3.2):

1. canonicalize the document without its proof (RDFC-1.0, by ``pyld`` with the shipped
   contexts) and hash it with SHA-256;
2. canonicalize the proof options (the proof without ``proofValue``, under the document's
   ``@context``) and hash them;
3. sign ``hash(options) || hash(document)`` with Ed25519 and put the signature, base58btc
   multibase, in ``proofValue``.

Verifying repeats 1-2 from the secured document and checks the signature. Any change to a
signed statement of the document (a value, a type, an added or removed property that its
contexts define) changes the canonical form, so the proof fails.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from typing import Any

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pyld import jsonld

from creditbank.core.credentials.contexts import context_document, document_loader
from creditbank.core.errors import InvalidInput
from creditbank.core.keys import KeyPair

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
_ED25519_PUB_PREFIX = b"\xed\x01"  # multicodec ed25519-pub, varint-encoded


def multikey(public_key: bytes) -> str:
    """An Ed25519 public key as a Multikey ``publicKeyMultibase`` (``z6Mk...``)."""
    return "z" + base58.b58encode(_ED25519_PUB_PREFIX + public_key).decode()


def _base58btc(value: str, what: str, field: str) -> bytes:
    """The bytes of a base58btc multibase string (``z...``); InvalidInput otherwise."""
    if not value.startswith("z"):
        raise InvalidInput(f"{what} is not base58btc multibase ('z')", field=field)
    try:
        return base58.b58decode(value[1:])
    except ValueError as exc:
        raise InvalidInput(f"{what} is not base58", field=field) from exc


def public_key_of(multibase: str) -> bytes:
    """The raw Ed25519 key of a Multikey ``publicKeyMultibase``; InvalidInput otherwise."""
    raw = _base58btc(multibase, "publicKeyMultibase", "publicKeyMultibase")
    if not raw.startswith(_ED25519_PUB_PREFIX) or len(raw) != 34:
        raise InvalidInput(
            "publicKeyMultibase is not an Ed25519 Multikey", field="publicKeyMultibase"
        )
    return raw[2:]


def _check_contexts(value: Any) -> None:
    """Every context a document names (at any depth) is one shipped here."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "@context":
                for context in item if isinstance(item, list) else [item]:
                    if isinstance(context, str):
                        context_document(context)
            else:
                _check_contexts(item)
    elif isinstance(value, list):
        for item in value:
            _check_contexts(item)


def canonical_nquads(document: Mapping[str, Any]) -> str:
    """RDFC-1.0 (URDNA2015) canonical N-Quads of a JSON-LD document, contexts local."""
    _check_contexts(document)
    try:
        result = jsonld.normalize(
            dict(document),
            {
                "algorithm": "URDNA2015",
                "format": "application/n-quads",
                "documentLoader": document_loader,
            },
        )
    except jsonld.JsonLdError as exc:
        raise InvalidInput(f"not canonicalizable JSON-LD: {exc}", field="@context") from exc
    if not isinstance(result, str):  # pragma: no cover - the n-quads format is a string
        raise InvalidInput("canonicalization gave no N-Quads", field="@context")
    return result


def _hash_data(document: Mapping[str, Any], options: Mapping[str, Any]) -> bytes:
    config = {**options, "@context": document["@context"]}
    return (
        hashlib.sha256(canonical_nquads(config).encode()).digest()
        + hashlib.sha256(canonical_nquads(document).encode()).digest()
    )


def add_proof(
    document: Mapping[str, Any], key: KeyPair, verification_method: str, created: str
) -> dict[str, Any]:
    """``document`` (without a proof) secured by ``key``: a copy with an
    ``eddsa-rdfc-2022`` proof for ``assertionMethod`` naming ``verification_method``."""
    unsecured = {k: copy.deepcopy(v) for k, v in document.items() if k != "proof"}
    options = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    signature = key.sign(_hash_data(unsecured, options))
    return {
        **unsecured,
        "proof": {**options, "proofValue": "z" + base58.b58encode(signature).decode()},
    }


def proof_of(document: Mapping[str, Any]) -> dict[str, Any]:
    """The one ``eddsa-rdfc-2022`` proof of a secured document; InvalidInput otherwise."""
    proof = document.get("proof")
    if not isinstance(proof, dict):
        raise InvalidInput("the document has no single proof object", field="proof")
    for name, want in (("type", PROOF_TYPE), ("cryptosuite", CRYPTOSUITE)):
        if proof.get(name) != want:
            raise InvalidInput(f"proof {name} is {proof.get(name)!r}, not {want}", field="proof")
    if proof.get("proofPurpose") != "assertionMethod":
        raise InvalidInput("proof purpose is not assertionMethod", field="proof")
    for name in ("verificationMethod", "proofValue", "created"):
        if not isinstance(proof.get(name), str):
            raise InvalidInput(f"proof has no {name}", field="proof")
    if "@context" in proof and proof["@context"] != document.get("@context"):
        raise InvalidInput("proof @context differs from the document's", field="proof")
    return proof


def proof_verifies(document: Mapping[str, Any], public_key: bytes) -> bool:
    """Whether the document's ``eddsa-rdfc-2022`` proof is a signature by ``public_key``
    over the document as it is now. Raises InvalidInput for a malformed proof."""
    proof = proof_of(document)
    signature = _base58btc(proof["proofValue"], "proofValue", "proof")
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k not in ("proofValue", "@context")}
    data = _hash_data(unsecured, options)
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True
