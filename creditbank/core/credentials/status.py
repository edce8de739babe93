"""W3C Bitstring Status List v1.0: one revocation list per certifying body.

A certificate's bit is its ordinal among its body's certificates in ledger order (the
first certificate the body issued is bit 0), so anyone replaying the log finds the same
index, and the bit is 1 exactly when the ledger holds a ``certificate.revoked`` for it.
The list is at least 131,072 bits (16 KiB, the spec's minimum for herd privacy), GZIP
compressed and base64url-encoded as a multibase string (``u...``); bit 0 is the
left-most bit of the first byte.
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterable
from typing import Any

from creditbank.core.credentials.contexts import VC_V2
from creditbank.core.credentials.ids import BankIds
from creditbank.core.errors import InvalidInput

MIN_BITS = 131_072
PURPOSE = "revocation"


def list_bits(count: int) -> int:
    """The length of a list holding ``count`` entries: whole 16 KiB blocks, at least one."""
    blocks = max(1, -(-count // MIN_BITS))
    return blocks * MIN_BITS


def encode_list(set_bits: Iterable[int], length: int) -> str:
    """The ``encodedList`` with ``set_bits`` set in a list of ``length`` bits."""
    raw = bytearray(length // 8)
    for index in set_bits:
        if not 0 <= index < length:
            raise InvalidInput(f"status index {index} is outside the list", field="index")
        raw[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(raw), mtime=0)  # mtime 0: the same list, the same bytes
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def bit_at(encoded: str, index: int) -> bool:
    """The bit at ``index`` of an ``encodedList``; InvalidInput when it cannot be read."""
    if not encoded.startswith("u"):
        raise InvalidInput("encodedList is not base64url multibase ('u')", field="encodedList")
    body = encoded[1:]
    try:
        raw = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, OSError, EOFError) as exc:
        raise InvalidInput(f"encodedList does not decode: {exc}", field="encodedList") from exc
    if not 0 <= index < len(raw) * 8:
        raise InvalidInput(f"status index {index} is outside the list", field="statusListIndex")
    return bool(raw[index // 8] & (0x80 >> (index % 8)))


def status_entry(ids: BankIds, actor_id: str, ordinal: int) -> dict[str, Any]:
    """A credential's ``credentialStatus``: its bit in its body's list."""
    url = ids.status_list_url(actor_id)
    return {
        "id": f"{url}#{ordinal}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": PURPOSE,
        "statusListIndex": str(ordinal),
        "statusListCredential": url,
    }


def status_list_credential(
    ids: BankIds, actor_id: str, revoked: Iterable[int], count: int, valid_from: str
) -> dict[str, Any]:
    """The (unsigned) ``BitstringStatusListCredential`` of a certifying body that has
    issued ``count`` certificates, of which the ordinals ``revoked`` are revoked."""
    url = ids.status_list_url(actor_id)
    return {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": ids.certifier_did(actor_id),
        "validFrom": valid_from,
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": PURPOSE,
            "encodedList": encode_list(revoked, list_bits(count)),
        },
    }
