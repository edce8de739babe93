"""tlog-checkpoint bodies, and signed checkpoints with witness policies."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.core.errors import VerificationError
from creditbank.core.tlog.checkpoint import (
    Checkpoint,
    format_checkpoint,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)
from creditbank.core.tlog.note import (
    Verifier,
    add_signature,
    cosign,
    parse_verifier_key,
    sign_note,
    verifier_key_string,
)
from tests.tlog.test_note import ARCHE_KEY, ARCHE_NOTE, REMORA_KEY

ORIGIN = "creditbank.local/ledger"
ROOT = hashlib.sha256(b"root").digest()
ROOT_B64 = base64.b64encode(ROOT).decode()


def make_key(seed: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"cp %d" % seed).digest())


def verifier(name: str, key: Ed25519PrivateKey, sig_type: int = 0x01) -> Verifier:
    pub = key.public_key().public_bytes_raw()
    return parse_verifier_key(verifier_key_string(name, pub, sig_type))


LOG = make_key(1)
W1, W2, W3 = make_key(2), make_key(3), make_key(4)
CP = Checkpoint(ORIGIN, 42, ROOT)


# --- body ---------------------------------------------------------------------------


def test_spec_example_body_parses() -> None:
    body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    cp = parse_checkpoint(body)
    assert cp.origin == "example.com/behind-the-sofa"
    assert cp.size == 20852163
    assert cp.root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert cp.extensions == ()
    assert format_checkpoint(cp) == body


def test_format_layout() -> None:
    cp = Checkpoint(ORIGIN, 0, ROOT, ("ext one", "ext two"))
    assert format_checkpoint(cp) == f"{ORIGIN}\n0\n{ROOT_B64}\next one\next two\n"


@settings(max_examples=100, database=None)
@given(
    origin=st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40),
    size=st.integers(0, 2**63 - 1),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(
        st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1), max_size=3
    ),
)
def test_format_parse_round_trip(
    origin: str, size: int, root: bytes, extensions: list[str]
) -> None:
    cp = Checkpoint(origin, size, root, tuple(extensions))
    assert parse_checkpoint(format_checkpoint(cp)) == cp


@pytest.mark.parametrize(
    "body",
    [
        f"{ORIGIN}\n042\n{ROOT_B64}\n",
        f"{ORIGIN}\n+42\n{ROOT_B64}\n",
        f"{ORIGIN}\n-1\n{ROOT_B64}\n",
        f"{ORIGIN}\n 42\n{ROOT_B64}\n",
        f"{ORIGIN}\n4_2\n{ROOT_B64}\n",
        f"{ORIGIN}\n\u0664\u0662\n{ROOT_B64}\n",
        f"{ORIGIN}\n{2**63}\n{ROOT_B64}\n",
        f"{ORIGIN}\n\n{ROOT_B64}\n",
        f"{ORIGIN}\n42\n{ROOT_B64[:-1]}\n",
        f"{ORIGIN}\n42\n{ROOT_B64.rstrip('=')}\n",
        f"{ORIGIN}\n42\n{base64.b64encode(ROOT[:31]).decode()}\n",
        f"{ORIGIN}\n42\n{base64.b64encode(ROOT + b'x').decode()}\n",
        f"{ORIGIN}\n42\n{ROOT.hex()}\n",
        f"{ORIGIN}\n42\n{ROOT_B64}",
        f"{ORIGIN}\n42\n",
        f"\n42\n{ROOT_B64}\n",
        f"{ORIGIN}\n42\n{ROOT_B64}\n\n",
        f"{ORIGIN}\n42\n{ROOT_B64}\next\n\nmore\n",
        f"{ORIGIN}\r\n42\n{ROOT_B64}\n",
        f"{ORIGIN}\n42\n{ROOT_B64} \n",
    ],
    ids=[
        "leading-zero",
        "plus-sign",
        "negative",
        "leading-space",
        "underscore",
        "arabic-digits",
        "size-too-large",
        "empty-size",
        "truncated-hash",
        "unpadded-hash",
        "short-hash",
        "long-hash",
        "hex-hash",
        "no-final-newline",
        "two-lines",
        "empty-origin",
        "trailing-empty-line",
        "empty-extension",
        "crlf",
        "trailing-space",
    ],
)
def test_malformed_bodies_rejected(body: str) -> None:
    with pytest.raises(VerificationError):
        parse_checkpoint(body)


def test_size_zero_is_allowed() -> None:
    assert parse_checkpoint(f"{ORIGIN}\n0\n{ROOT_B64}\n").size == 0


@pytest.mark.parametrize(
    ("origin", "size", "root", "extensions"),
    [
        ("", 1, ROOT, ()),
        ("a\nb", 1, ROOT, ()),
        (ORIGIN, -1, ROOT, ()),
        (ORIGIN, 1, ROOT[:31], ()),
        (ORIGIN, 1, ROOT, ("",)),
        (ORIGIN, 1, ROOT, ("a\nb",)),
    ],
    ids=["empty-origin", "newline-origin", "negative", "short-root", "empty-ext", "newline-ext"],
)
def test_invalid_checkpoint_values_refused(
    origin: str, size: int, root: bytes, extensions: tuple[str, ...]
) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 -- each case fails for its own reason
        Checkpoint(origin, size, root, extensions)


# --- signed checkpoints ---------------------------------------------------------------


def test_sign_and_open() -> None:
    signed = sign_checkpoint(CP, ORIGIN, LOG)
    assert signed.startswith(format_checkpoint(CP) + "\n\u2014 " + ORIGIN + " ")
    assert open_checkpoint(signed, verifier(ORIGIN, LOG)) == CP
    assert open_checkpoint(signed, verifier(ORIGIN, LOG), origin=ORIGIN) == CP


def test_sign_requires_name_equal_to_origin() -> None:
    with pytest.raises(ValueError, match="origin"):
        sign_checkpoint(CP, "someone.else", LOG)


def test_origin_mismatch_rejected() -> None:
    signed = sign_checkpoint(CP, ORIGIN, LOG)
    with pytest.raises(VerificationError, match="origin mismatch"):
        open_checkpoint(signed, verifier(ORIGIN, LOG), origin="creditbank.other/ledger")


def test_key_name_differing_from_origin_rejected_by_default() -> None:
    """A log key named X vouching for origin Y is refused unless Y is asked for."""
    signed = sign_note(format_checkpoint(CP), "signer.example", LOG)
    with pytest.raises(VerificationError, match="origin mismatch"):
        open_checkpoint(signed, verifier("signer.example", LOG))
    assert open_checkpoint(signed, verifier("signer.example", LOG), origin=ORIGIN) == CP


def test_wrong_log_key_rejected() -> None:
    signed = sign_checkpoint(CP, ORIGIN, LOG)
    with pytest.raises(VerificationError, match="no signature from a known key"):
        open_checkpoint(signed, verifier(ORIGIN, W1))


def test_tampered_body_rejected() -> None:
    signed = sign_checkpoint(CP, ORIGIN, LOG)
    with pytest.raises(VerificationError, match="does not verify"):
        open_checkpoint(signed.replace("\n42\n", "\n43\n"), verifier(ORIGIN, LOG))


def test_signed_garbage_body_rejected() -> None:
    signed = sign_note("not a checkpoint\n", ORIGIN, LOG)
    with pytest.raises(VerificationError, match="lines"):
        open_checkpoint(signed, verifier(ORIGIN, LOG))


def test_witness_only_signature_is_not_the_log() -> None:
    signed = sign_checkpoint(CP, ORIGIN, LOG)
    only_witness = format_checkpoint(CP) + "\n" + cosign(signed, "w1", W1, 7)
    with pytest.raises(VerificationError, match="not signed by the log"):
        open_checkpoint(only_witness, verifier(ORIGIN, LOG), witnesses=[verifier("w1", W1, 4)])


def _cosigned(*witnesses: tuple[str, Ed25519PrivateKey]) -> str:
    signed = sign_checkpoint(CP, ORIGIN, LOG)
    for name, key in witnesses:
        signed = add_signature(signed, cosign(signed, name, key, 1_700_000_000))
    return signed


WITNESSES = [verifier("w1", W1, 4), verifier("w2", W2, 4), verifier("w3", W3, 4)]


@pytest.mark.parametrize(
    ("cosigners", "quorum", "ok"),
    [
        ((), None, False),
        ((("w1", W1), ("w2", W2), ("w3", W3)), None, True),
        ((("w1", W1), ("w2", W2)), None, False),
        ((("w1", W1), ("w2", W2)), 2, True),
        ((("w3", W3),), 2, False),
        ((("w3", W3), ("stranger", make_key(9))), 1, True),
        ((), 0, True),
    ],
    ids=[
        "none-of-all",
        "all-of-all",
        "two-of-all",
        "two-of-two",
        "one-of-two",
        "unknown-witness-ignored",
        "zero-quorum",
    ],
)
def test_witness_quorum(
    cosigners: tuple[tuple[str, Ed25519PrivateKey], ...], quorum: int | None, ok: bool
) -> None:
    signed = _cosigned(*cosigners)
    if ok:
        assert (
            open_checkpoint(
                signed, verifier(ORIGIN, LOG), witnesses=WITNESSES, witness_quorum=quorum
            )
            == CP
        )
    else:
        with pytest.raises(VerificationError, match="witness cosignatures"):
            open_checkpoint(
                signed, verifier(ORIGIN, LOG), witnesses=WITNESSES, witness_quorum=quorum
            )


def test_bad_cosignature_from_known_witness_rejects() -> None:
    signed = sign_checkpoint(CP, ORIGIN, LOG)
    # w1's cosignature, made over a different checkpoint, pasted onto this one
    other = sign_checkpoint(Checkpoint(ORIGIN, 43, ROOT), ORIGIN, LOG)
    pasted = add_signature(signed, cosign(other, "w1", W1, 5))
    with pytest.raises(VerificationError, match="w1"):
        open_checkpoint(pasted, verifier(ORIGIN, LOG), witnesses=WITNESSES, witness_quorum=0)


@pytest.mark.parametrize(
    ("log", "witnesses", "quorum"),
    [
        (verifier(ORIGIN, LOG, 4), [], None),
        (verifier(ORIGIN, LOG), [verifier("w1", W1, 1)], None),
        (verifier(ORIGIN, LOG), WITNESSES, 4),
        (verifier(ORIGIN, LOG), WITNESSES, -1),
    ],
    ids=["log-key-is-cosigner-type", "witness-key-is-plain-type", "quorum-too-big", "negative"],
)
def test_bad_policy_refused(log: Verifier, witnesses: list[Verifier], quorum: int | None) -> None:
    with pytest.raises(VerificationError):
        open_checkpoint(_cosigned(), log, witnesses=witnesses, witness_quorum=quorum)


def test_real_world_checkpoint_with_witness() -> None:
    cp = open_checkpoint(
        ARCHE_NOTE, parse_verifier_key(ARCHE_KEY), witnesses=[parse_verifier_key(REMORA_KEY)]
    )
    assert cp.origin == "arche2025h1.staging.ct.transparency.dev"
    assert cp.size == 1432088532
    assert cp.root_hash == base64.b64decode("U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=")
