"""The bank's identifiers in the credentials: did:web DIDs and the public URLs.

Everything hangs off the bank's host, the first component of the log's origin line
(``bank.example.cn/ledger`` -> ``bank.example.cn``), so the log, its DIDs and its URLs
name one place. did:web resolves ``did:web:HOST`` to ``https://HOST/.well-known/did.json``
and ``did:web:HOST:certifiers:ID`` to ``https://HOST/certifiers/ID/did.json``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import quote, unquote

from creditbank.core.errors import InvalidInput

CASE_NAMESPACE = uuid.UUID("6f1f3a8e-0c35-5b7e-9d61-0a3c5e2b7f10")
"""The namespace of every CASE identifier (uuid5): fixed, so re-exports keep them."""


def case_uuid(*parts: str | int) -> str:
    """A stable UUID for a CASE object named by ``parts`` (standard id, version, ...)."""
    return str(uuid.uuid5(CASE_NAMESPACE, "/".join(str(p) for p in parts)))


@dataclass(frozen=True)
class BankIds:
    """The identifiers of one bank, from its public host (``host[:port]``)."""

    host: str

    @classmethod
    def from_origin(cls, origin: str) -> BankIds:
        host = origin.split("/", 1)[0]
        if not host or any(c.isspace() for c in host):
            raise InvalidInput(f"the origin {origin!r} names no host", field="origin")
        return cls(host)

    @property
    def base_url(self) -> str:
        return f"https://{self.host}"

    @property
    def bank_did(self) -> str:
        return "did:web:" + quote(self.host, safe="")

    @property
    def bank_method(self) -> str:
        """The bank's own credential key in its DID document."""
        return f"{self.bank_did}#credentials"

    def certifier_did(self, actor_id: str) -> str:
        return f"{self.bank_did}:certifiers:{actor_id}"

    def certifier_key_method(self, actor_id: str, key_id: str) -> str:
        """A certifying body's ledger key (by its key id) in its DID document."""
        return f"{self.certifier_did(actor_id)}#key-{key_id}"

    def certifier_bank_method(self, actor_id: str) -> str:
        """The bank's credential key as listed in a certifying body's DID document."""
        return f"{self.certifier_did(actor_id)}#bank"

    def credential_url(self, number: str) -> str:
        return f"{self.base_url}/v1/certificates/{number}/credential"

    def status_list_url(self, actor_id: str) -> str:
        return f"{self.base_url}/v1/certifiers/{actor_id}/status-list"

    def receipt_url(self, index: int) -> str:
        return f"{self.base_url}/v1/ledger/entries/{index}/receipt"

    def transcript_url(self, account: str) -> str:
        return f"{self.base_url}/v1/learners/{account}/transcript"

    def case_url(self, kind: str, identifier: str) -> str:
        return f"{self.base_url}/ims/case/v1p0/{kind}/{identifier}"


def did_document_path(did: str) -> str:
    """The HTTPS path a did:web DID resolves to (without the host)."""
    if not did.startswith("did:web:"):
        raise InvalidInput(f"{did!r} is not a did:web DID", field="did")
    parts = did.removeprefix("did:web:").split("#", 1)[0].split(":")
    if not parts[0]:
        raise InvalidInput(f"{did!r} names no host", field="did")
    path = "/".join(unquote(p) for p in parts[1:])
    return f"/{path}/did.json" if path else "/.well-known/did.json"


def did_of(method: str) -> str:
    """The DID a verification method (``DID#fragment``) belongs to."""
    return method.split("#", 1)[0]
