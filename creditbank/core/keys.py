"""Ed25519 key pairs and their files.

Key files hold the signer key in the C2SP/Go note format
(``PRIVATE+KEY+name+hash+base64(0x01||seed)``), readable only by their owner (0600).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from creditbank.core.errors import Conflict, InvalidInput, VerificationError
from creditbank.core.tlog.note import parse_signer_key, signer_key_string, verifier_key_string
from creditbank.core.verify import author_key_id


@dataclass(frozen=True)
class KeyPair:
    """A named Ed25519 key: signs statements (author keys) or checkpoints (the log key)."""

    name: str
    private_key: Ed25519PrivateKey

    @cached_property
    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @cached_property
    def key_id(self) -> str:
        """The id entries use to name this key as their author's."""
        return author_key_id(self.public_key)

    @property
    def verifier_key(self) -> str:
        """The C2SP signed-note verifier key string (for the log key)."""
        return verifier_key_string(self.name, self.public_key)

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data)

    @classmethod
    def generate(cls, name: str) -> KeyPair:
        return cls(name, Ed25519PrivateKey.generate())

    def to_string(self) -> str:
        return signer_key_string(self.name, self.private_key)


def write_key_file(path: Path, key: KeyPair) -> None:
    """Write ``key`` to a new file with mode 0600; never overwrites an existing key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise Conflict(f"key file {path} already exists", field="path") from exc
    with os.fdopen(fd, "w") as f:
        f.write(key.to_string() + "\n")
        f.flush()
        os.fsync(f.fileno())


def read_key_file(path: Path) -> KeyPair:
    """Load a key file written by :func:`write_key_file`."""
    try:
        text = path.read_text().strip()
    except OSError as exc:
        raise InvalidInput(f"cannot read key file {path}: {exc.strerror}", field="key") from exc
    try:
        signer = parse_signer_key(text)
    except VerificationError as exc:
        raise InvalidInput(f"{path} is not a signer key file: {exc}", field="key") from exc
    return KeyPair(signer.name, signer.private_key)
