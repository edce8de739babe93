"""eddsa-rdfc-2022 proofs, Multikey keys and the local contexts, on values alone."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from creditbank.core.credentials import proof
from creditbank.core.credentials.contexts import FILES, VC_V2, context_document
from creditbank.core.errors import InvalidInput
from creditbank.core.keys import KeyPair

KEY = KeyPair.generate("cert-a")
METHOD = "did:web:bank.example:certifiers:cert-a#key-1"
CREATED = "2026-11-22T08:00:00Z"


def sample() -> dict[str, Any]:
    from tests.credentials.samples import sample_credential

    return sample_credential()


def leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every scalar in a JSON value (the @context aside)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k != "@context":
                yield from leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, (*path, i))
    else:
        yield path


def changed(document: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    tampered = copy.deepcopy(document)
    node: Any = tampered
    for step in path[:-1]:
        node = node[step]
    old = node[path[-1]]
    if isinstance(old, bool):
        node[path[-1]] = not old
    elif isinstance(old, int | float):
        node[path[-1]] = old + 1
    else:
        node[path[-1]] = str(old) + "x"
    return tampered


def fails(document: dict[str, Any]) -> bool:
    """The proof does not verify (or is refused as malformed)."""
    try:
        return not proof.proof_verifies(document, KEY.public_key)
    except InvalidInput:
        return True


def test_a_proof_verifies_with_its_key_only() -> None:
    secured = proof.add_proof(sample(), KEY, METHOD, CREATED)
    assert secured["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert secured["proof"]["proofValue"].startswith("z")
    assert proof.proof_verifies(secured, KEY.public_key)
    assert not proof.proof_verifies(secured, KeyPair.generate("other").public_key)


def test_every_signed_value_is_covered_by_the_proof() -> None:
    """Any changed value anywhere (the receipt, the leaf hash, a title, the proof's own
    options) fails the proof: nothing in the credential is left unsigned."""
    secured = proof.add_proof(sample(), KEY, METHOD, CREATED)
    paths = [p for p in leaves(secured) if p != ("proof", "proofValue")]
    assert len(paths) > 40
    for path in paths:
        assert fails(changed(secured, path)), path


def test_a_changed_signature_byte_fails() -> None:
    secured = proof.add_proof(sample(), KEY, METHOD, CREATED)
    value = secured["proof"]["proofValue"]
    flipped = value[:10] + ("2" if value[10] != "2" else "3") + value[11:]
    secured["proof"]["proofValue"] = flipped
    assert not proof.proof_verifies(secured, KEY.public_key)


def test_a_context_that_is_not_shipped_is_refused_not_fetched() -> None:
    document = {**sample(), "@context": [VC_V2, "https://example.com/other-context.json"]}
    with pytest.raises(InvalidInput, match="not one this bank ships"):
        proof.add_proof(document, KEY, METHOD, CREATED)


def test_every_shipped_context_loads() -> None:
    for url in FILES:
        assert "@context" in context_document(url), url


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": "Ed25519Signature2020"}, "type"),
        ({"cryptosuite": "ecdsa-rdfc-2019"}, "cryptosuite"),
        ({"proofPurpose": "authentication"}, "purpose"),
    ],
    ids=["type", "cryptosuite", "purpose"],
)
def test_a_proof_of_another_kind_is_refused(change: dict[str, str], message: str) -> None:
    secured = proof.add_proof(sample(), KEY, METHOD, CREATED)
    secured["proof"].update(change)
    with pytest.raises(InvalidInput, match=message):
        proof.proof_verifies(secured, KEY.public_key)


def test_multikey_round_trip() -> None:
    encoded = proof.multikey(KEY.public_key)
    assert encoded.startswith("z6Mk")  # every Ed25519 Multikey starts so
    assert proof.public_key_of(encoded) == KEY.public_key
    with pytest.raises(InvalidInput):
        proof.public_key_of("u" + encoded[1:])
