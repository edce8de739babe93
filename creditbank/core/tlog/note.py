"""C2SP signed notes (c2sp.org/signed-note) with Ed25519, and tlog-cosignature v1.

A note is text followed by a blank line and signature lines ``— <name> base64(keyid||sig)``.
Two signature types are supported, and nothing else on purpose (the spec asks
implementations to pick only what their design needs):

* ``0x01`` Ed25519 over the note text: the log's own signature.
* ``0x04`` timestamped Ed25519 witness cosignature (c2sp.org/tlog-cosignature,
  ``cosignature/v1``): another party saying it saw this checkpoint at a time.

Verification follows the spec's rules: signatures from unknown keys are ignored (a key is
known only if *both* its name and key id match), every signature from a known key must
verify, and at least one must. Keys are strings in Go's ``golang.org/x/mod/sumdb/note``
format so the log's key can be handed to tools nobody here wrote.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from creditbank.core.errors import VerificationError

SIG_ED25519 = 0x01
"""Signature type of a plain Ed25519 note signature."""
SIG_COSIGNATURE_V1 = 0x04
"""Signature type of a timestamped Ed25519 witness cosignature (tlog-cosignature)."""

ED25519_PUBLIC_KEY_SIZE = 32
ED25519_SIGNATURE_SIZE = 64
KEY_ID_SIZE = 4
MAX_SIGNATURES = 100
"""Signatures accepted per note; the spec requires at least 16."""
MAX_TIMESTAMP = 2**63 - 1
"""tlog-cosignature: the timestamp MUST NOT exceed 2^63 - 1."""

SIGNATURE_PREFIX = "\u2014 "  # em dash, space
PRIVATE_KEY_PREFIX = "PRIVATE+KEY+"
COSIGNATURE_HEADER = "cosignature/v1\n"

_KEY_ID_HEX = re.compile(r"[0-9a-f]{8}")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
_SUPPORTED_TYPES = (SIG_ED25519, SIG_COSIGNATURE_V1)


@dataclass(frozen=True)
class Verifier:
    """A trusted public key: who signs (name, key id) and with what (type, key)."""

    name: str
    key_id: bytes
    public_key: bytes
    sig_type: int = SIG_ED25519

    @property
    def key_string(self) -> str:
        """This key as a ``name+hex(keyid)+base64(type||pub)`` verifier key string."""
        return verifier_key_string(self.name, self.public_key, self.sig_type)


@dataclass(frozen=True)
class Signer:
    """A private signing key with its note name (loaded from a Go-format key string)."""

    name: str
    key_id: bytes
    private_key: Ed25519PrivateKey

    @property
    def verifier(self) -> Verifier:
        """The matching type-0x01 verifier."""
        return Verifier(self.name, self.key_id, _raw_public_key(self.private_key))


@dataclass(frozen=True)
class NoteSignature:
    """One parsed signature line, verified or not."""

    name: str
    key_id: bytes
    signature: bytes

    @property
    def line(self) -> str:
        """The signature line, including its final newline."""
        blob = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{SIGNATURE_PREFIX}{self.name} {blob}\n"


@dataclass(frozen=True)
class VerifiedSignature:
    """A signature from a known key that verified; ``timestamp`` only for cosignatures."""

    verifier: Verifier
    timestamp: int | None


@dataclass(frozen=True)
class OpenedNote:
    """A note whose text is now trustworthy: at least one known key signed it."""

    text: str
    signatures: tuple[NoteSignature, ...]
    verified: tuple[VerifiedSignature, ...]

    def verified_by(self, verifier: Verifier) -> VerifiedSignature | None:
        """The verified signature of ``verifier``, if it signed."""
        for v in self.verified:
            if v.verifier == verifier:
                return v
        return None


# --- encoding helpers ---------------------------------------------------------------


def decode_base64(text: str, *, what: str) -> bytes:
    """Strict RFC 4648 section 4 base64: padded, canonical, no whitespace.

    Canonical means re-encoding gives the same text back, so no value has two encodings
    (the formats here are signed and compared as text).
    """
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError) as exc:
        raise VerificationError(f"{what} is not valid base64: {text!r}") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise VerificationError(f"{what} is not canonical base64: {text!r}")
    return raw


def is_valid_name(name: str) -> bool:
    """Key names are non-empty, with no Unicode spaces, no '+', and no control characters."""
    return (
        bool(name)
        and "+" not in name
        and not any(c.isspace() for c in name)
        and _CONTROL.search(name) is None
        and _is_utf8(name)
    )


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return True


def _raw_public_key(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name: str, public_key: bytes, sig_type: int = SIG_ED25519) -> bytes:
    """SHA-256(name || 0x0A || type || public key)[:4], as signed-note recommends."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([sig_type]) + public_key)
    return digest.digest()[:KEY_ID_SIZE]


def verifier_key_string(name: str, public_key: bytes, sig_type: int = SIG_ED25519) -> str:
    """``name+hex(keyid)+base64(type||pub)``: how the log's public key is published."""
    _check_key(name, public_key, sig_type)
    kid = key_id(name, public_key, sig_type).hex()
    return f"{name}+{kid}+{base64.b64encode(bytes([sig_type]) + public_key).decode('ascii')}"


def _check_key(name: str, public_key: bytes, sig_type: int) -> None:
    if not is_valid_name(name):
        raise ValueError(f"invalid key name {name!r}")
    if sig_type not in _SUPPORTED_TYPES:
        raise ValueError(f"unsupported signature type 0x{sig_type:02x}")
    if len(public_key) != ED25519_PUBLIC_KEY_SIZE:
        raise ValueError(f"Ed25519 public key must be 32 bytes, got {len(public_key)}")


def _split_key(s: str, what: str) -> tuple[str, bytes, bytes]:
    """Split ``name+hex+base64`` (the base64 may itself contain '+')."""
    parts = s.split("+", 2)
    if len(parts) != 3:
        raise VerificationError(f"malformed {what}: expected name+keyid+key")
    name, kid_hex, blob = parts
    if not is_valid_name(name):
        raise VerificationError(f"malformed {what}: invalid key name {name!r}")
    if _KEY_ID_HEX.fullmatch(kid_hex) is None:
        raise VerificationError(f"malformed {what}: key id {kid_hex!r} is not 8 hex digits")
    raw = decode_base64(blob, what=what)
    if not raw:
        raise VerificationError(f"malformed {what}: empty key")
    return name, bytes.fromhex(kid_hex), raw


def parse_verifier_key(s: str) -> Verifier:
    """Parse a verifier key string; the key id must be the hash the spec recommends."""
    name, kid, raw = _split_key(s, "verifier key")
    sig_type, public_key = raw[0], raw[1:]
    if sig_type not in _SUPPORTED_TYPES:
        raise VerificationError(
            f"verifier key has unsupported signature type 0x{sig_type:02x} "
            f"(supported: 0x01 Ed25519, 0x04 cosignature/v1)"
        )
    if len(public_key) != ED25519_PUBLIC_KEY_SIZE:
        raise VerificationError(
            f"verifier key: expected a 32-byte Ed25519 key, got {len(public_key)} bytes"
        )
    expected = key_id(name, public_key, sig_type)
    if kid != expected:
        raise VerificationError(
            f"verifier key id mismatch: expected {expected.hex()}, got {kid.hex()}"
        )
    try:
        Ed25519PublicKey.from_public_bytes(public_key)
    except ValueError as exc:
        raise VerificationError("verifier key is not a valid Ed25519 public key") from exc
    return Verifier(name, kid, public_key, sig_type)


def signer_key_string(name: str, private_key: Ed25519PrivateKey) -> str:
    """``PRIVATE+KEY+name+hex(keyid)+base64(0x01||seed)``: Go's note signer key format."""
    public_key = _raw_public_key(private_key)
    _check_key(name, public_key, SIG_ED25519)
    seed = private_key.private_bytes_raw()
    kid = key_id(name, public_key).hex()
    blob = base64.b64encode(bytes([SIG_ED25519]) + seed).decode("ascii")
    return f"{PRIVATE_KEY_PREFIX}{name}+{kid}+{blob}"


def parse_signer_key(s: str) -> Signer:
    """Parse a Go-format signer key string (a key file's content, whitespace stripped)."""
    if not s.startswith(PRIVATE_KEY_PREFIX):
        raise VerificationError(f"signer key must start with {PRIVATE_KEY_PREFIX!r}")
    name, kid, raw = _split_key(s[len(PRIVATE_KEY_PREFIX) :], "signer key")
    if raw[0] != SIG_ED25519 or len(raw) != 1 + ED25519_PUBLIC_KEY_SIZE:
        raise VerificationError("signer key must be type 0x01 followed by a 32-byte seed")
    private_key = Ed25519PrivateKey.from_private_bytes(raw[1:])
    expected = key_id(name, _raw_public_key(private_key))
    if kid != expected:
        raise VerificationError(
            f"signer key id mismatch: expected {expected.hex()}, got {kid.hex()}"
        )
    return Signer(name, kid, private_key)


# --- signing ------------------------------------------------------------------------


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise ValueError("note text must end with a newline")
    if _CONTROL.search(text) is not None or not _is_utf8(text):
        raise ValueError("note text must be UTF-8 without control characters but newline")


def signature_line(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """The ``— name base64(keyid||sig)`` line signing ``text`` with Ed25519 (type 0x01)."""
    _check_text(text)
    public_key = _raw_public_key(private_key)
    _check_key(name, public_key, SIG_ED25519)
    sig = private_key.sign(text.encode("utf-8"))
    return NoteSignature(name, key_id(name, public_key), sig).line


def sign_note(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """A signed note: ``text``, a blank line, and one Ed25519 signature line."""
    return f"{text}\n{signature_line(text, name, private_key)}"


def add_signature(note: str, line: str) -> str:
    """Append one more signature line (say, a witness cosignature) to a signed note."""
    if not line.endswith("\n"):
        line += "\n"
    _parse_signature_line(line[:-1])
    note_text(note)  # refuses anything that is not already a signed note
    return note + line


def _cosigned_message(text: str, timestamp: int) -> bytes:
    # tlog-cosignature, "Ed25519 signed message": header line, time line, whole body.
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{text}".encode()


def cosign(
    checkpoint_note: str, witness_name: str, witness_key: Ed25519PrivateKey, timestamp: int
) -> str:
    """A ``cosignature/v1`` signature line over a signed checkpoint's text, at ``timestamp``.

    Checking the checkpoint (its log signature, its consistency with what the witness saw
    before) is the witness's job before it calls this.
    """
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise ValueError(f"cosignature timestamp {timestamp} is outside 0..2^63-1")
    text = note_text(checkpoint_note)
    public_key = _raw_public_key(witness_key)
    _check_key(witness_name, public_key, SIG_COSIGNATURE_V1)
    sig = witness_key.sign(_cosigned_message(text, timestamp))
    kid = key_id(witness_name, public_key, SIG_COSIGNATURE_V1)
    return NoteSignature(witness_name, kid, timestamp.to_bytes(8, "big") + sig).line


# --- opening ------------------------------------------------------------------------


def _split_note(note: str) -> tuple[str, str]:
    if not _is_utf8(note):
        raise VerificationError("note is not valid UTF-8")
    if _CONTROL.search(note) is not None:
        raise VerificationError("note contains a control character other than newline")
    if not note.endswith("\n"):
        raise VerificationError("note does not end with a newline")
    # The text is separated from the signatures by the *last* empty line.
    split = note.rfind("\n\n")
    if split < 0:
        raise VerificationError("note has no blank line before its signatures")
    return note[: split + 1], note[split + 2 :]


def note_text(note: str) -> str:
    """The (unverified) text of a signed note, final newline included."""
    text, _ = _split_note(note)
    return text


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise VerificationError(f"malformed signature line {line!r}: no em dash prefix")
    name, sep, blob = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not sep or not is_valid_name(name):
        raise VerificationError(f"malformed signature line {line!r}: bad key name")
    raw = decode_base64(blob, what="signature")
    if len(raw) <= KEY_ID_SIZE:
        raise VerificationError(f"malformed signature line {line!r}: signature too short")
    return NoteSignature(name, raw[:KEY_ID_SIZE], raw[KEY_ID_SIZE:])


def parse_signatures(note: str) -> tuple[str, tuple[NoteSignature, ...]]:
    """Split a note into its text and its (unverified) signatures."""
    text, block = _split_note(note)
    lines = block[:-1].split("\n") if block else []
    if not lines:
        raise VerificationError("note has no signatures")
    if len(lines) > MAX_SIGNATURES:
        raise VerificationError(
            f"note has {len(lines)} signatures, more than the limit of {MAX_SIGNATURES}"
        )
    return text, tuple(_parse_signature_line(line) for line in lines)


def _verify_one(text: str, sig: NoteSignature, verifier: Verifier) -> int | None:
    """Verify one signature from a known key; return its timestamp for cosignatures."""
    try:
        public_key = Ed25519PublicKey.from_public_bytes(verifier.public_key)
    except ValueError as exc:
        raise VerificationError(f"key of {verifier.name} is not an Ed25519 key") from exc
    timestamp: int | None = None
    if verifier.sig_type == SIG_COSIGNATURE_V1:
        if len(sig.signature) != 8 + ED25519_SIGNATURE_SIZE:
            raise VerificationError(
                f"cosignature by {verifier.name}: expected 72 bytes, got {len(sig.signature)}"
            )
        timestamp = int.from_bytes(sig.signature[:8], "big")
        if timestamp > MAX_TIMESTAMP:
            raise VerificationError(f"cosignature by {verifier.name}: timestamp too large")
        message, raw_sig = _cosigned_message(text, timestamp), sig.signature[8:]
    else:
        if len(sig.signature) != ED25519_SIGNATURE_SIZE:
            raise VerificationError(
                f"signature by {verifier.name}: expected 64 bytes, got {len(sig.signature)}"
            )
        message, raw_sig = text.encode("utf-8"), sig.signature
    try:
        public_key.verify(raw_sig, message)
    except InvalidSignature as exc:
        raise VerificationError(
            f"signature by known key {verifier.name}+{verifier.key_id.hex()} does not verify"
        ) from exc
    return timestamp


def open_note(note: str, verifiers: Sequence[Verifier]) -> OpenedNote:
    """Verify a signed note against trusted keys and return its text.

    Per signed-note: 1. signatures from unknown keys (name *and* key id) are ignored;
    2. a known key's signature that fails rejects the whole note; 3. at least one known
    key's signature must verify. Cosigner keys (type 0x04) verify ``cosignature/v1``.
    """
    known: dict[tuple[str, bytes], Verifier] = {}
    for v in verifiers:
        if (v.name, v.key_id) in known:
            raise VerificationError(f"ambiguous verifiers: two keys named {v.name} with one id")
        known[(v.name, v.key_id)] = v
    text, signatures = parse_signatures(note)
    verified: dict[Verifier, VerifiedSignature] = {}
    for sig in signatures:
        # 1. ignore unknown keys
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            continue
        # 2. every signature from a known key must verify
        timestamp = _verify_one(text, sig, verifier)
        verified.setdefault(verifier, VerifiedSignature(verifier, timestamp))
    # 3. at least one known signature
    if not verified:
        names = ", ".join(f"{v.name}+{v.key_id.hex()}" for v in verifiers) or "(none)"
        found = ", ".join(f"{s.name}+{s.key_id.hex()}" for s in signatures)
        raise VerificationError(
            f"note has no signature from a known key: expected one of {names}, found {found}"
        )
    return OpenedNote(text, signatures, tuple(verified.values()))
