"""The log-level half of the certificate verifier, fed hand-made proven entries: the key
chain from the trust root, author signatures, and the rule for derived decisions."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from creditbank.core.entry import encode_entry, sign_statement
from creditbank.core.keys import KeyPair
from creditbank.core.tlog.checkpoint import Checkpoint
from creditbank.core.verify.bundle import (
    LOG_CHECKS,
    KeyRegistration,
    ProvenEntry,
    check_author_signatures,
    check_consistency,
    prove_bundle,
    trace_keys,
)


def key(name: str, seed: int) -> KeyPair:
    """A fixed Ed25519 key (fixed bytes: throwaway test keys, same on every run)."""
    return KeyPair(name, Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32))


CHECKPOINT = Checkpoint("creditbank.test/ledger", 20, b"\x00" * 32)
AUTHORITY = key("authority", 1)
CERTIFIER = key("cert-a", 2)
OTHER = key("cert-a", 3)  # a second key naming cert-a
LOG = key("creditbank.test/ledger", 4)


def signed(index: int, by: KeyPair, kind: str, actor: str, **body: Any) -> ProvenEntry:
    """An entry as the log holds it: ``actor``'s statement signed with the key ``by``."""
    statement = {"kind": kind, "actor": actor, "id": f"s-{index}", "body": body}
    entry = json.loads(encode_entry(sign_statement(statement, by), "2026-01-01T00:00:00Z"))
    return ProvenEntry(index, entry, CHECKPOINT)


def registration(index: int, by: KeyPair, actor: str, of: KeyPair, **body: Any) -> ProvenEntry:
    public_key = base64.b64encode(of.public_key).decode()
    return signed(
        index, by, "actor.registered", actor, actor_id=of.name, public_key=public_key, **body
    )


def derived(index: int, entry: dict[str, Any], statement: dict[str, Any]) -> ProvenEntry:
    """A ``credit.awarded`` as the log derives it at ``index`` from the entry before it,
    with the ``entry`` and ``statement`` members changed."""
    body = {"derived_from": [index - 1]}
    return ProvenEntry(
        index,
        {
            "v": 1,
            "kind": "credit.awarded",
            "statement": {
                "kind": "credit.awarded",
                "actor": "log",
                "id": f"credit.awarded@{index}",
                "body": body,
                **statement,
            },
            **entry,
        },
        CHECKPOINT,
    )


def chain() -> dict[int, ProvenEntry]:
    """The trust root, and the authority registering a certifying body."""
    entries = [
        registration(0, AUTHORITY, "authority", AUTHORITY, role="authority"),
        registration(1, AUTHORITY, "authority", CERTIFIER, role="certifier"),
    ]
    return {e.index: e for e in entries}


def test_keys_are_traced_from_the_trust_root_and_signatures_checked() -> None:
    entries = chain()
    entries[2] = signed(2, CERTIFIER, "notice.published", "cert-a", text="hello")
    authority, keys, result = trace_keys(entries)
    assert (authority, result.ok) == ("authority", True)
    assert keys[CERTIFIER.key_id] == KeyRegistration(1, "cert-a", CERTIFIER.public_key)
    assert check_author_signatures(entries, keys, LOG.public_key).ok


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        (
            lambda: registration(2, CERTIFIER, "cert-a", key("cert-b", 5)),
            "entry 2 (actor.registered): registered by cert-a, not by the authority authority",
        ),
        (
            lambda: registration(2, AUTHORITY, "authority", key("x", 6), role="authority"),
            "entry 2 (actor.registered): a second authority",
        ),
        (
            lambda: signed(
                2,
                AUTHORITY,
                "key.added",
                "authority",
                actor_id="cert-a",
                public_key=base64.b64encode(OTHER.public_key).decode(),
            ),
            "entry 2 (key.added): a key of cert-a added by authority (only the actor adds "
            "its own keys)",
        ),
        (
            lambda: signed(
                2,
                CERTIFIER,
                "key.recovered",
                "cert-a",
                actor_id="cert-a",
                public_key=base64.b64encode(OTHER.public_key).decode(),
            ),
            "entry 2 (key.recovered): a recovery key of cert-a registered by cert-a, not the "
            "authority",
        ),
        (
            lambda: signed(2, AUTHORITY, "actor.registered", "authority", actor_id="x"),
            "entry 2 (actor.registered): carries no 32-byte Ed25519 public key",
        ),
    ],
    ids=[
        "registered-by-another",
        "second-authority",
        "key-added-by-another",
        "key-recovered-by-another",
        "no-public-key",
    ],
)
def test_a_registration_the_chain_does_not_allow_fails_keys(
    entry: Callable[[], ProvenEntry], problem: str
) -> None:
    _, _, result = trace_keys({**chain(), 2: entry()})
    assert result.problems == (problem,)


def test_without_the_trust_root_no_key_is_traced() -> None:
    entries = chain()
    del entries[0]
    authority, keys, result = trace_keys(entries)
    assert (authority, dict(keys)) == (None, {})
    assert result.problems == (
        "entry 1 (actor.registered): the trust root (entry 0, the authority's "
        "self-registration) is not proven",
    )


def test_an_author_signature_needs_a_key_registered_to_the_author_before() -> None:
    entries = chain()
    entries[2] = signed(2, CERTIFIER, "notice.published", "authority", text="x")
    entries[3] = signed(3, LOG, "certificate.applied", "log", learner="CB1")
    _, keys, _ = trace_keys(entries)
    result = check_author_signatures(entries, keys, LOG.public_key)
    assert result.problems == (
        f"entry 2 (notice.published): key {CERTIFIER.key_id} is cert-a's, not authority's",
    )
    late = {
        0: entries[0],
        1: signed(1, CERTIFIER, "notice.published", "cert-a", text="early"),
        2: registration(2, AUTHORITY, "authority", CERTIFIER, role="certifier"),
    }
    _, keys, _ = trace_keys(late)
    assert check_author_signatures(late, keys, LOG.public_key).problems == (
        f"entry 1 (notice.published): key {CERTIFIER.key_id} was registered later, at 2",
    )


NO_SOURCES = "a derived decision must name the earlier entries it derives from"


@pytest.mark.parametrize(
    ("entry", "statement", "problem"),
    [
        ({}, {}, None),
        ({}, {"body": {"derived_from": [0, 2]}}, None),
        ({}, {"actor": "cert-a"}, "a decision only the rules derive, authored by cert-a"),
        ({"sig": "AAAA"}, {}, "a derived decision carries no signature"),
        ({"key_id": LOG.key_id}, {}, "a derived decision carries no signature"),
        ({}, {"id": "award-1"}, "a derived decision's id must be credit.awarded@3"),
        ({}, {"body": {}}, NO_SOURCES),
        ({}, {"body": {"derived_from": []}}, NO_SOURCES),
        ({}, {"body": {"derived_from": [3]}}, NO_SOURCES),
        ({}, {"body": {"derived_from": [9]}}, NO_SOURCES),
        ({}, {"body": {"derived_from": [True]}}, NO_SOURCES),
        ({}, {"body": {"derived_from": 2}}, NO_SOURCES),
    ],
    ids=[
        "as-derived",
        "from-several",
        "authored-by-an-organisation",
        "signed",
        "naming-a-key",
        "another-id",
        "naming-no-source",
        "from-nothing",
        "from-itself",
        "from-a-later-entry",
        "from-a-bool",
        "not-a-list",
    ],
)
def test_a_derived_decision_is_the_logs_own_unsigned_and_names_earlier_entries(
    entry: dict[str, Any], statement: dict[str, Any], problem: str | None
) -> None:
    entries = {**chain(), 3: derived(3, entry, statement)}
    _, keys, _ = trace_keys(entries)
    result = check_author_signatures(entries, keys, LOG.public_key)
    if problem is None:
        assert result.ok
        assert result.detail == (
            "all 2 authored entries are signed by their authors' registered keys (the "
            "operator's with the log key); the 1 derived decisions are the log's own, "
            "unsigned, proven by inclusion"
        )
    else:
        assert result.problems == (f"entry 3 (credit.awarded): {problem}",)


def test_consistency_needs_a_latest_checkpoint_and_a_proof_to_it() -> None:
    entries = chain()
    assert check_consistency([], entries, None).problems == (
        "no verified latest checkpoint to check the receipts against",
    )
    latest = Checkpoint(CHECKPOINT.origin, 30, b"\x01" * 32)
    assert check_consistency("x", entries, latest).problems == (
        "consistency proofs must be a list",
        "checkpoint of size 20 (receipt of entry 1): no consistency proof to tree size 30",
    )
    assert check_consistency([], entries, CHECKPOINT).ok


@pytest.mark.parametrize("bundle", [None, {}, {"entries": [None], "checkpoint": 3}], ids=repr)
def test_a_bundle_that_proves_nothing_fails_every_log_check(bundle: object) -> None:
    proof = prove_bundle(bundle, LOG.verifier_key)
    assert [c.check for c in proof.checks] == list(LOG_CHECKS)
    assert not any(c.ok for c in proof.checks)
    assert (dict(proof.entries), proof.latest, proof.tree_size, proof.authority) == (
        {},
        None,
        None,
        None,
    )
    with pytest.raises(TypeError):
        proof.entries[0] = None  # type: ignore[index]
