"""Signed notes and cosignatures, against other implementations' published notes."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.core.errors import VerificationError
from creditbank.core.tlog import note
from creditbank.core.tlog.note import (
    SIG_COSIGNATURE_V1,
    Verifier,
    add_signature,
    cosign,
    key_id,
    open_note,
    parse_signer_key,
    parse_verifier_key,
    sign_note,
    signer_key_string,
    verifier_key_string,
)

# golang.org/x/mod/sumdb/note, the package documentation's example (and note_test.go).
# Ed25519 is deterministic, so signing the text with the key must give these exact bytes.
GO_SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n\u2014 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)

# A real checkpoint of a public staging CT log (Sunlight), with witness cosignatures, as
# quoted in a third-party Python implementation's tests. The first log signature is an
# RFC 6962 TreeHeadSignature (type 0x05, unknown here), the second is Ed25519 (0x01);
# remora.n621.de is a public witness whose cosignature is type 0x04.
ARCHE_KEY = (
    "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f"
)
REMORA_KEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
ARCHE_NOTE = """\
arche2025h1.staging.ct.transparency.dev
1432088532
U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=

— arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=
— arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=
— transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==
— witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==
— remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==
— witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==
"""  # noqa: E501


def make_key(seed: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"seed %d" % seed).digest())


def public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes_raw()


def verifier(name: str, key: Ed25519PrivateKey, sig_type: int = 0x01) -> Verifier:
    return parse_verifier_key(verifier_key_string(name, public(key), sig_type))


LOG = make_key(1)
OTHER = make_key(2)
WITNESS = make_key(3)
TEXT = "example.org/log\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"


# --- keys ---------------------------------------------------------------------------


def test_key_id_by_hand() -> None:
    pub = public(LOG)
    expected = hashlib.sha256(b"example.org/log" + b"\x0a" + b"\x01" + pub).digest()[:4]
    assert key_id("example.org/log", pub) == expected
    cosigner = hashlib.sha256(b"example.org/log" + b"\x0a" + b"\x04" + pub).digest()[:4]
    assert key_id("example.org/log", pub, SIG_COSIGNATURE_V1) == cosigner
    typed_key = base64.b64encode(b"\x01" + pub).decode()
    assert verifier_key_string("example.org/log", pub) == (
        f"example.org/log+{expected.hex()}+{typed_key}"
    )


def test_go_keys_round_trip() -> None:
    signer = parse_signer_key(GO_SIGNER_KEY)
    assert signer.name == "PeterNeumann"
    assert signer.key_id == bytes.fromhex("c74f20a3")
    assert signer.verifier == parse_verifier_key(GO_VERIFIER_KEY)
    assert signer.verifier.key_string == GO_VERIFIER_KEY
    assert signer_key_string(signer.name, signer.private_key) == GO_SIGNER_KEY


def test_go_note_signed_byte_for_byte() -> None:
    signer = parse_signer_key(GO_SIGNER_KEY)
    assert sign_note(GO_TEXT, signer.name, signer.private_key) == GO_NOTE


def test_go_note_opens() -> None:
    opened = open_note(GO_NOTE, [parse_verifier_key(GO_VERIFIER_KEY)])
    assert opened.text == GO_TEXT
    assert [v.verifier.name for v in opened.verified] == ["PeterNeumann"]


def test_go_note_tampered_text_rejected() -> None:
    with pytest.raises(VerificationError, match="does not verify"):
        open_note(
            GO_NOTE.replace("cryptography", "cryptographY"), [parse_verifier_key(GO_VERIFIER_KEY)]
        )


def test_real_world_checkpoint_and_cosignature_verify() -> None:
    log, witness = parse_verifier_key(ARCHE_KEY), parse_verifier_key(REMORA_KEY)
    assert witness.sig_type == SIG_COSIGNATURE_V1
    opened = open_note(ARCHE_NOTE, [log, witness])
    assert opened.text.startswith("arche2025h1.staging.ct.transparency.dev\n1432088532\n")
    assert len(opened.signatures) == 6  # four unknown signatures were ignored
    assert opened.verified_by(log) is not None
    cosig = opened.verified_by(witness)
    assert cosig is not None
    assert cosig.timestamp == int.from_bytes(base64.b64decode("2net5wAAAABqEiEg")[4:12], "big")


def test_real_world_cosignature_over_other_text_rejected() -> None:
    tampered = ARCHE_NOTE.replace("1432088532", "1432088533")
    with pytest.raises(VerificationError, match=r"remora\.n621\.de"):
        open_note(tampered, [parse_verifier_key(REMORA_KEY)])


@pytest.mark.parametrize(
    "key",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
        "PeterNeumann+c74f20a3+",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW===",
        "PeterNeumann+c74f20a3+Alpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAA==",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter\u00a0Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n",
    ],
    ids=[
        "wrong-hash",
        "uppercase-hash",
        "short-hash",
        "no-key",
        "empty-key",
        "truncated-base64",
        "bad-padding",
        "unknown-type-0x02",
        "key-too-long",
        "space-in-name",
        "nbsp-in-name",
        "empty-name",
        "space-before-key",
        "trailing-newline",
    ],
)
def test_malformed_verifier_keys_rejected(key: str) -> None:
    with pytest.raises(VerificationError):
        parse_verifier_key(key)


@pytest.mark.parametrize(
    "key",
    [
        GO_VERIFIER_KEY,
        "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AoEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDF",
    ],
    ids=["verifier-key", "wrong-hash", "wrong-type", "short-seed"],
)
def test_malformed_signer_keys_rejected(key: str) -> None:
    with pytest.raises(VerificationError):
        parse_signer_key(key)


@pytest.mark.parametrize(
    ("name", "sig_type", "size"),
    [("a b", 1, 32), ("a+b", 1, 32), ("", 1, 32), ("ok", 2, 32), ("ok", 1, 31)],
    ids=["space", "plus", "empty", "ecdsa-type", "short-key"],
)
def test_verifier_key_string_refuses_bad_input(name: str, sig_type: int, size: int) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 -- each case fails for its own reason
        verifier_key_string(name, b"\x01" * size, sig_type)


# --- signing and opening ------------------------------------------------------------


def test_round_trip_and_signature_shape() -> None:
    signed = sign_note(TEXT, "example.org/log", LOG)
    text, sigs = note.parse_signatures(signed)
    assert text == TEXT
    assert signed == TEXT + "\n" + sigs[0].line
    assert sigs[0].line.startswith("\u2014 example.org/log ")
    assert sigs[0].key_id == key_id("example.org/log", public(LOG))
    assert len(sigs[0].signature) == 64
    assert open_note(signed, [verifier("example.org/log", LOG)]).text == TEXT


def test_text_may_contain_blank_lines() -> None:
    text = "para one\n\npara two\n"
    signed = sign_note(text, "n", LOG)
    assert open_note(signed, [verifier("n", LOG)]).text == text


def test_unknown_keys_are_ignored() -> None:
    signed = add_signature(
        sign_note(TEXT, "example.org/log", LOG), note.signature_line(TEXT, "stranger", OTHER)
    )
    opened = open_note(signed, [verifier("example.org/log", LOG)])
    assert [v.verifier.name for v in opened.verified] == ["example.org/log"]


@pytest.mark.parametrize(
    "trusted",
    [
        pytest.param(("example.org/log", OTHER), id="same-name-other-key"),
        pytest.param(("other.example", LOG), id="same-key-other-name"),
    ],
)
def test_key_matching_needs_name_and_id(trusted: tuple[str, Ed25519PrivateKey]) -> None:
    signed = sign_note(TEXT, "example.org/log", LOG)
    with pytest.raises(VerificationError, match="no signature from a known key"):
        open_note(signed, [verifier(*trusted)])


def test_same_id_other_name_is_unknown_not_failed() -> None:
    """A signature whose key id collides with a known key but whose name differs is ignored."""
    good = verifier("example.org/log", LOG)
    forged = note.NoteSignature("impostor", good.key_id, b"\x00" * 64).line
    signed = add_signature(sign_note(TEXT, "example.org/log", LOG), forged)
    assert open_note(signed, [good]).text == TEXT


def test_known_key_with_bad_signature_rejects_note_even_if_another_verifies() -> None:
    bad = note.NoteSignature("second", key_id("second", public(OTHER)), b"\x00" * 64).line
    signed = add_signature(sign_note(TEXT, "example.org/log", LOG), bad)
    with pytest.raises(VerificationError, match="second"):
        open_note(signed, [verifier("example.org/log", LOG), verifier("second", OTHER)])


def test_ambiguous_verifiers_rejected() -> None:
    v = verifier("example.org/log", LOG)
    with pytest.raises(VerificationError, match="ambiguous"):
        open_note(sign_note(TEXT, "example.org/log", LOG), [v, v])


def _sig(name: str = "example.org/log") -> str:
    return note.signature_line(TEXT, name, LOG)


@pytest.mark.parametrize(
    "signed",
    [
        TEXT + _sig(),
        TEXT + "\n",
        TEXT + "\n" + _sig().rstrip("\n"),
        TEXT + "\n" + _sig().replace("\u2014", "-"),
        TEXT + "\n" + _sig().replace("\u2014 ", "\u2014"),
        TEXT + "\n" + _sig().replace("=\n", "\n"),
        TEXT + "\n" + "\u2014 example.org/log AAAA\n",
        TEXT + "\n" + _sig() + "\n",
        TEXT + "\n" + _sig().replace("\n", "\r\n"),
        TEXT.replace("3", "3\t") + "\n" + _sig(),
        TEXT + "\n" + _sig() * (note.MAX_SIGNATURES + 1),
        "\ud800" + TEXT + "\n" + _sig(),
    ],
    ids=[
        "no-blank-line",
        "no-signatures",
        "no-final-newline",
        "hyphen-not-em-dash",
        "no-space-after-dash",
        "unpadded-base64",
        "signature-too-short",
        "trailing-blank-line",
        "crlf",
        "tab-in-text",
        "too-many-signatures",
        "lone-surrogate",
    ],
)
def test_malformed_notes_rejected(signed: str) -> None:
    with pytest.raises(VerificationError):
        open_note(signed, [verifier("example.org/log", LOG)])


@pytest.mark.parametrize(
    "text", ["no newline", "tab\there\n", "cr\r\n"], ids=["no-newline", "tab", "cr"]
)
def test_sign_refuses_bad_text(text: str) -> None:
    with pytest.raises(ValueError, match="note text"):
        sign_note(text, "n", LOG)


def test_exactly_sixteen_signatures_accepted() -> None:
    """The spec requires accepting at least 16 signatures."""
    signed = sign_note(TEXT, "example.org/log", LOG)
    for i in range(15):
        signed = add_signature(signed, note.signature_line(TEXT, f"other{i}", OTHER))
    assert open_note(signed, [verifier("example.org/log", LOG)]).text == TEXT


@settings(max_examples=50, deadline=None, database=None)
@given(
    lines=st.lists(
        st.text(
            st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\n"),
            max_size=30,
        ),
        min_size=1,
        max_size=5,
    ),
    name=st.text(
        st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), min_size=1
    ).filter(note.is_valid_name),
)
def test_any_text_round_trips(lines: list[str], name: str) -> None:
    text = "".join(f"{line}\n" for line in lines)
    signed = sign_note(text, name, LOG)
    assert open_note(signed, [verifier(name, LOG)]).text == text


# --- cosignatures -------------------------------------------------------------------


def test_cosignature_round_trip() -> None:
    signed = sign_note(TEXT, "example.org/log", LOG)
    line = cosign(signed, "witness.example", WITNESS, 1_700_000_000)
    cosigned = add_signature(signed, line)
    log_v, witness_v = verifier("example.org/log", LOG), verifier("witness.example", WITNESS, 4)
    opened = open_note(cosigned, [log_v, witness_v])
    result = opened.verified_by(witness_v)
    assert result is not None
    assert result.timestamp == 1_700_000_000
    # the bytes are timestamp then an Ed25519 signature over the cosignature/v1 message
    raw = base64.b64decode(line.split(" ")[2])
    assert raw[:4] == key_id("witness.example", public(WITNESS), 0x04)
    assert raw[4:12] == (1_700_000_000).to_bytes(8, "big")
    message = f"cosignature/v1\ntime 1700000000\n{TEXT}".encode()
    WITNESS.public_key().verify(raw[12:], message)


def _signed() -> str:
    return sign_note(TEXT, "example.org/log", LOG)


def test_cosignature_alone_opens_a_note_but_is_not_the_log_signature() -> None:
    cosigned = add_signature(_signed(), cosign(_signed(), "w", WITNESS, 5))
    opened = open_note(cosigned, [verifier("w", WITNESS, 4)])
    assert opened.verified_by(verifier("example.org/log", LOG)) is None
    assert [v.timestamp for v in opened.verified] == [5]


def test_unknown_cosignature_ignored() -> None:
    cosigned = add_signature(_signed(), cosign(_signed(), "w", WITNESS, 5))
    opened = open_note(cosigned, [verifier("example.org/log", LOG)])
    assert len(opened.verified) == 1


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda raw: raw[:11] + bytes([raw[11] ^ 1]) + raw[12:], id="timestamp"),
        pytest.param(lambda raw: raw[:-1] + bytes([raw[-1] ^ 1]), id="signature"),
        pytest.param(lambda raw: raw[:-1], id="short"),
    ],
)
def test_tampered_cosignature_rejected(tamper: Callable[[bytes], bytes]) -> None:
    line = cosign(_signed(), "w", WITNESS, 5)
    raw = base64.b64decode(line.split(" ")[2])
    bad = note.NoteSignature("w", raw[:4], tamper(raw[4:])).line
    with pytest.raises(VerificationError, match="w"):
        open_note(add_signature(_signed(), bad), [verifier("w", WITNESS, 4)])


def test_cosignature_key_id_differs_from_plain_key_id() -> None:
    """A type-0x04 key is a different key id, so a 0x01 verifier cannot match it."""
    cosigned = add_signature(_signed(), cosign(_signed(), "w", WITNESS, 5))
    with pytest.raises(VerificationError, match="no signature from a known key"):
        open_note(cosigned, [verifier("w", WITNESS, 1)])


@pytest.mark.parametrize("timestamp", [-1, 2**63], ids=["negative", "too-large"])
def test_cosign_refuses_bad_timestamp(timestamp: int) -> None:
    with pytest.raises(ValueError, match="timestamp"):
        cosign(_signed(), "w", WITNESS, timestamp)


def test_cosign_needs_a_signed_note() -> None:
    with pytest.raises(VerificationError, match="blank line"):
        cosign(TEXT, "w", WITNESS, 5)


def test_add_signature_checks_the_line() -> None:
    with pytest.raises(VerificationError):
        add_signature(_signed(), "not a signature line\n")
