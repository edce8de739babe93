"""Personal data, off the ledger, encrypted per learner.

Each learner's record is sealed with AES-256-GCM under its own data key (DEK); the DEK is
wrapped with the master key (KEK), which lives outside the database (a 0600 file or the
CREDITBANK_MASTER_KEY environment variable). The account number is the associated data
of both, so a sealed record cannot be moved to another account. Erasure destroys the
wrapped DEK: the ciphertext becomes unreadable while the ledger, which never held personal
data, stays intact. Lookup by national ID uses an HMAC keyed from the master key, never
the raw number.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from creditbank.core.errors import IntegrityFailure, InvalidInput, Unavailable

NONCE_SIZE = 12


@dataclass(frozen=True)
class Sealed:
    """A learner's encrypted record: the wrapped data key and the ciphertext."""

    wrapped_key: bytes
    ciphertext: bytes


class MasterKey:
    """The key-encryption key, and the HMAC key for national-ID lookups derived from it."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise InvalidInput("the master key is 32 bytes", field="master_key")
        self._kek = AESGCM(key)
        self._lookup_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"creditbank national-id lookup"
        ).derive(key)

    @classmethod
    def generate(cls) -> bytes:
        return AESGCM.generate_key(bit_length=256)

    def wrap(self, dek: bytes, account: str) -> bytes:
        nonce = os.urandom(NONCE_SIZE)
        return nonce + self._kek.encrypt(nonce, dek, account.encode())

    def unwrap(self, blob: bytes, account: str) -> bytes:
        try:
            return self._kek.decrypt(blob[:NONCE_SIZE], blob[NONCE_SIZE:], account.encode())
        except InvalidTag as exc:  # wrong master key or a tampered record
            raise IntegrityFailure(f"the data key of {account} does not unwrap") from exc

    def lookup_hash(self, id_type: str, id_number: str) -> str:
        """HMAC-SHA256 of the normalized ID: finds a learner without storing the number."""
        message = f"{id_type}:{normalize_id_number(id_number)}".encode()
        return hmac.new(self._lookup_key, message, hashlib.sha256).hexdigest()


def normalize_id_number(value: str) -> str:
    """One spelling per ID: NFKC folds full-width and other compatibility digits and
    letters to ASCII, then spaces go and letters are upper-cased, so the same document
    always gives the same lookup hash."""
    return "".join(unicodedata.normalize("NFKC", value).split()).upper()


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def check_resident_id(value: str) -> str:
    """A PRC resident identity card number (GB 11643-1999: 17 digits + ISO 7064 MOD 11-2)."""
    number = normalize_id_number(value)
    if len(number) != 18 or not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        raise InvalidInput(
            "a resident ID number is 17 digits and a check character", field="id_number"
        )
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != number[17]:
        raise InvalidInput("the resident ID number's check character is wrong", field="id_number")
    return number


def seal(record: dict[str, Any], account: str, master: MasterKey) -> Sealed:
    dek = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(NONCE_SIZE)
    plaintext = json.dumps(record, ensure_ascii=False, sort_keys=True).encode()
    ciphertext = nonce + AESGCM(dek).encrypt(nonce, plaintext, account.encode())
    return Sealed(master.wrap(dek, account), ciphertext)


def unseal(sealed: Sealed, account: str, master: MasterKey) -> dict[str, Any]:
    dek = master.unwrap(sealed.wrapped_key, account)
    try:
        plaintext = AESGCM(dek).decrypt(
            sealed.ciphertext[:NONCE_SIZE], sealed.ciphertext[NONCE_SIZE:], account.encode()
        )
    except InvalidTag as exc:
        raise IntegrityFailure(f"the personal data of {account} does not decrypt") from exc
    value: dict[str, Any] = json.loads(plaintext)
    return value


def load_master_key(env_value: str | None, path: Path) -> MasterKey:
    """The master key from the environment (base64) or else from its file."""
    if env_value:
        try:
            return MasterKey(base64.b64decode(env_value, validate=True))
        except binascii.Error as exc:
            raise InvalidInput("CREDITBANK_MASTER_KEY must be base64", field="master_key") from exc
    try:
        return MasterKey(base64.b64decode(path.read_text().strip(), validate=True))
    except FileNotFoundError as exc:
        raise Unavailable(
            f"no master key: set CREDITBANK_MASTER_KEY or create {path} (`creditbank init` does)"
        ) from exc


def write_master_key_file(path: Path) -> None:
    """Create a new master key file, readable only by its owner; never overwrites."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(base64.b64encode(MasterKey.generate()).decode() + "\n")
        f.flush()
        os.fsync(f.fileno())
