"""What a certificate bundle proves is in the log, apart from what the bank's policy makes
of it (:mod:`creditbank.core.verify.policy`).

:func:`prove_bundle` takes the bundle
(``GET /v1/certificates/{certificate_number}/verification``) and the log's verifier key
string and returns a frozen :class:`BundleProof`: the entries its ``.tlog-proof`` receipts
prove (index -> entry), the author keys traced from the trust
root, the latest checkpoint, and one :class:`~creditbank.core.verify.result.CheckResult`
per log-level check (:data:`LOG_CHECKS`):

1. ``checkpoint``: the latest checkpoint is signed by the log key;
2. ``receipt_signatures``: every receipt parses and its checkpoint is signed by the log
   key; ``inclusion``: every receipt proves its entry bytes at the index the bundle lists,
   and the entry is canonical and of the kind listed;
3. ``consistency``: every receipt's checkpoint is a prefix of the latest checkpoint;
4. ``keys``: entry 0 is the authority registering itself; every actor is registered by
   the authority, a ``key.added`` is by the actor itself and a ``key.recovered`` by the
   authority; no entry uses a key after a listed ``key.revoked`` of it;
5. ``author_signatures``: every authored entry is signed by a key registered to its actor
   before it (the operator's statements: by the log key); every entry of a kind the rules
   derive (:data:`creditbank.core.authorship.DERIVED_KINDS`) is the log's own, unsigned,
   with the id ``<kind>@<index>``, and names earlier entries it derives from: its
   authenticity is its inclusion under a verified checkpoint, its correctness the
   policy's business.

Bad bundle data fails a check and never raises; roles and the server's labels are never
trusted. Imports only the standard library, ``cryptography``, ``rfc8785`` and
:mod:`creditbank.core`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from creditbank.core.authorship import DERIVED_KINDS
from creditbank.core.errors import VerificationError
from creditbank.core.tlog.note import decode_base64
from creditbank.core.tlog.receipt import Receipt, parse_receipt
from creditbank.core.verify.log import (
    Checkpoint,
    author_key_id,
    parse_entry,
    parse_verifier_key,
    verify_checkpoint,
    verify_checkpoint_consistency,
    verify_entry_inclusion,
    verify_entry_signature,
)
from creditbank.core.verify.result import CheckResult, guarded, is_int, run_check

__all__ = [
    "LOG_ACTOR",
    "LOG_CHECKS",
    "BundleProof",
    "KeyRegistration",
    "ProvenEntry",
    "check_author_signatures",
    "check_consistency",
    "check_latest_checkpoint",
    "of_kind",
    "prove_bundle",
    "read_receipts",
    "trace_keys",
]

LOG_CHECKS = (
    "checkpoint",
    "receipt_signatures",
    "inclusion",
    "consistency",
    "keys",
    "author_signatures",
)
"""The log-level checks, in the order a verdict reports them."""
LOG_ACTOR = "log"  # the log's own statements: derived decisions and operator statements
KEY_KINDS = ("actor.registered", "key.added", "key.recovered")


@dataclass(frozen=True)
class ProvenEntry:
    """An entry a receipt proved at ``index`` under a checkpoint signed by the log."""

    index: int
    entry: dict[str, Any]
    checkpoint: Checkpoint

    @property
    def kind(self) -> object:
        return self.entry.get("kind")

    @property
    def statement(self) -> dict[str, Any]:
        statement = self.entry.get("statement")
        return statement if isinstance(statement, dict) else {}

    @property
    def actor(self) -> object:
        return self.statement.get("actor")

    @property
    def body(self) -> dict[str, Any]:
        body = self.statement.get("body")
        return body if isinstance(body, dict) else {}

    def describe(self) -> str:
        return f"entry {self.index} ({self.kind})"


@dataclass(frozen=True)
class KeyRegistration:
    """An author key, registered to ``actor_id`` at ``index`` and traced to the root."""

    index: int
    actor_id: str
    public_key: bytes


@dataclass(frozen=True)
class BundleProof:
    """What a bundle proves is in the log, and the log-level checks that say so.

    ``entries`` are only what the receipts proved; ``carried`` is every entry a receipt
    carried that parses, proven or not (a listed revocation counts against a certificate
    even when its proof fails). ``authority`` is the trust root's actor, ``keys`` the
    author keys traced to it by key id. ``checks`` follow :data:`LOG_CHECKS`.
    """

    latest: Checkpoint | None
    entries: Mapping[int, ProvenEntry]
    carried: tuple[Mapping[str, Any], ...]
    authority: str | None
    keys: Mapping[str, KeyRegistration]
    checks: tuple[CheckResult, ...]

    @property
    def tree_size(self) -> int | None:
        """The size of the latest checkpoint, as of which the bundle is judged."""
        return None if self.latest is None else self.latest.size


def of_kind(entries: Mapping[int, ProvenEntry], kind: str) -> list[ProvenEntry]:
    """The proven entries of ``kind``, in log order."""
    return [e for _, e in sorted(entries.items()) if e.kind == kind]


def prove_bundle(bundle: object, verifier_key: str) -> BundleProof:
    """Check the log-level proofs of a certificate bundle against the log's verifier key.

    Bad bundle data fails a check and never raises; only a malformed ``verifier_key``
    raises :class:`~creditbank.core.errors.VerificationError`.
    """
    log_public_key = parse_verifier_key(verifier_key).public_key
    data: Mapping[str, Any] = bundle if isinstance(bundle, Mapping) else {}
    # 1. the latest checkpoint
    latest, checkpoint = guarded(
        lambda: check_latest_checkpoint(data.get("checkpoint"), verifier_key),
        _no_checkpoint,
    )
    # 2. the receipts: signed checkpoints, and the entries they include
    entries, carried, signatures, inclusion = guarded(
        lambda: read_receipts(data.get("entries"), verifier_key), _no_receipts
    )
    # 3. every receipt's checkpoint is a prefix of the latest
    consistency = run_check(
        "consistency", lambda: check_consistency(data.get("consistency", []), entries, latest)
    )
    # 4. the author keys, from the trust root
    authority, keys, key_check = guarded(lambda: trace_keys(entries), _no_keys)
    # 5. every entry's author signature, or the derived-decision rule
    authors = run_check(
        "author_signatures", lambda: check_author_signatures(entries, keys, log_public_key)
    )
    return BundleProof(
        latest=latest,
        entries=MappingProxyType(dict(entries)),
        carried=carried,
        authority=authority,
        keys=MappingProxyType(dict(keys)),
        checks=(checkpoint, signatures, inclusion, consistency, key_check, authors),
    )


def _no_checkpoint(problem: str) -> tuple[Checkpoint | None, CheckResult]:
    return None, CheckResult.failed("checkpoint", problem)


_Receipts = tuple[
    Mapping[int, ProvenEntry], tuple[Mapping[str, Any], ...], CheckResult, CheckResult
]


def _no_receipts(problem: str) -> _Receipts:
    return (
        {},
        (),
        CheckResult.failed("receipt_signatures", problem),
        CheckResult.failed("inclusion", problem),
    )


_Keys = tuple[str | None, Mapping[str, KeyRegistration], CheckResult]


def _no_keys(problem: str) -> _Keys:
    return None, {}, CheckResult.failed("keys", problem)


# --- 1. the latest checkpoint ------------------------------------------------------------


def check_latest_checkpoint(
    note: object, verifier_key: str
) -> tuple[Checkpoint | None, CheckResult]:
    """The latest checkpoint, if its note is signed by the log key, and the check."""
    if not isinstance(note, str):
        return _no_checkpoint("the bundle has no latest checkpoint note")
    try:
        latest = verify_checkpoint(note, verifier_key)
    except (VerificationError, ValueError) as exc:
        return _no_checkpoint(f"the latest checkpoint does not verify with the log key: {exc}")
    return latest, CheckResult(
        "checkpoint",
        f"the latest checkpoint ({latest.origin}, tree size {latest.size}) "
        "is signed by the log key",
    )


# --- 2. receipts and inclusion -----------------------------------------------------------


def read_receipts(items: object, verifier_key: str) -> _Receipts:
    """The entries the listed receipts prove, every entry they carry, and the
    ``receipt_signatures`` and ``inclusion`` checks."""
    if not isinstance(items, list) or not items:
        return _no_receipts("the bundle lists no entries")
    entries: dict[int, ProvenEntry] = {}
    carried: list[Mapping[str, Any]] = []
    unsigned: list[str] = []
    not_included: list[str] = []
    signed = 0
    for position, item in enumerate(items):
        # 2a. an index and a receipt
        if (
            not isinstance(item, Mapping)
            or not is_int(item.get("index"))
            or not isinstance(item.get("receipt"), str)
        ):
            unsigned.append(f"item {position}: expected an object with an index and a receipt")
            continue
        index: int = item["index"]
        # 2b. the receipt parses; what it carries is listed, proven or not
        try:
            receipt = parse_receipt(item["receipt"])
        except (VerificationError, ValueError) as exc:
            unsigned.append(f"entry {index}: malformed receipt: {exc}")
            continue
        listed = _carried_entry(receipt.extra)
        if listed is not None:
            carried.append(listed)
        # 2c. its checkpoint is signed by the log key
        try:
            checkpoint = verify_checkpoint(receipt.checkpoint_note, verifier_key)
        except (VerificationError, ValueError) as exc:
            unsigned.append(f"entry {index}: the receipt's checkpoint does not verify: {exc}")
            continue
        signed += 1
        # 2d. it proves the listed entry at the listed index, once
        proven = _prove_entry(index, item.get("kind"), receipt, checkpoint)
        if isinstance(proven, str):
            not_included.append(proven)
        elif index in entries:
            not_included.append(f"entry {index} is listed twice")
        else:
            entries[index] = proven
    if not entries:
        not_included.append("no entry of the bundle could be proven")
    return (
        entries,
        tuple(carried),
        CheckResult(
            "receipt_signatures",
            f"all {signed} receipts are on checkpoints signed by the log key",
            tuple(unsigned),
        ),
        CheckResult(
            "inclusion",
            f"all {len(entries)} entries are proven at their indexes by their receipts",
            tuple(not_included),
        ),
    )


def _carried_entry(extra: bytes | None) -> dict[str, Any] | None:
    if extra is None:
        return None
    try:
        return parse_entry(extra)
    except VerificationError:
        return None


def _prove_entry(
    index: int, kind: object, receipt: Receipt, checkpoint: Checkpoint
) -> ProvenEntry | str:
    """The entry the receipt proves at ``index``, or what is wrong with it."""
    if receipt.index != index:
        return f"entry {index}: the receipt proves index {receipt.index} instead"
    if receipt.extra is None:
        return f"entry {index}: the receipt carries no entry bytes"
    try:
        verify_entry_inclusion(receipt.extra, index, receipt.proof, checkpoint)
        entry = parse_entry(receipt.extra)
    except (VerificationError, ValueError) as exc:
        return f"entry {index}: {exc}"
    if kind is not None and entry.get("kind") != kind:
        return f"entry {index}: listed as {kind}, the entry is {entry.get('kind')}"
    return ProvenEntry(index, entry, checkpoint)


# --- 3. consistency ----------------------------------------------------------------------


def check_consistency(
    raw: object, entries: Mapping[int, ProvenEntry], latest: Checkpoint | None
) -> CheckResult:
    """Every checkpoint a proven entry's receipt is on is consistent with ``latest``,
    by the bundle's consistency proofs (``raw``) or by being the same tree."""
    if latest is None:
        return CheckResult.failed(
            "consistency", "no verified latest checkpoint to check the receipts against"
        )
    problems: list[str] = []
    proofs: dict[tuple[int, int], list[bytes]] = {}
    if not isinstance(raw, list):
        problems.append("consistency proofs must be a list")
        raw = []
    for item in raw:
        if not (
            isinstance(item, Mapping)
            and is_int(item.get("first"))
            and is_int(item.get("second"))
            and isinstance(item.get("hashes"), list)
            and all(isinstance(h, str) for h in item["hashes"])
        ):
            problems.append("a consistency proof is not {first, second, hashes}")
            continue
        try:
            hashes = [decode_base64(h, what="consistency proof hash") for h in item["hashes"]]
        except VerificationError as exc:
            problems.append(f"consistency proof {item['first']}->{item['second']}: {exc}")
            continue
        proofs[(item["first"], item["second"])] = hashes
    checkpoints = {(e.checkpoint.size, e.checkpoint.root_hash): e for e in entries.values()}
    for (size, _), example in sorted(checkpoints.items()):
        where = f"checkpoint of size {size} (receipt of entry {example.index})"
        if size == latest.size:
            proof: list[bytes] = []
        elif (size, latest.size) in proofs:
            proof = proofs[(size, latest.size)]
        else:
            problems.append(f"{where}: no consistency proof to tree size {latest.size}")
            continue
        try:
            verify_checkpoint_consistency(example.checkpoint, latest, proof)
        except VerificationError as exc:
            problems.append(f"{where} is not consistent with the latest checkpoint: {exc}")
    return CheckResult(
        "consistency",
        f"the {len(checkpoints)} receipt checkpoints are consistent with the latest "
        f"checkpoint (tree size {latest.size})",
        tuple(problems),
    )


# --- 4. the key chain --------------------------------------------------------------------


def trace_keys(entries: Mapping[int, ProvenEntry]) -> _Keys:
    """The trust root's actor (the authority), the author keys registered under it by
    key id (the first registration of each), and the ``keys`` check."""
    if not entries:
        return _no_keys("no proven entries")
    problems: list[str] = []
    authority: str | None = None
    root = entries.get(0)
    if (
        root is not None
        and root.kind == "actor.registered"
        and root.body.get("role") == "authority"
        and isinstance(root.actor, str)
        and root.body.get("actor_id") == root.actor
    ):
        authority = root.actor
    elif root is not None:
        problems.append("entry 0 is not the authority registering itself (the trust root)")
    keys: dict[str, KeyRegistration] = {}
    for e in (e for _, e in sorted(entries.items()) if e.kind in KEY_KINDS):
        problem = _registration_problem(e, authority)
        if problem is not None:
            problems.append(f"{e.describe()}: {problem}")
            continue
        public_key = _public_key(e.body.get("public_key"))
        if public_key is None:  # refused by _registration_problem already
            continue
        key_id = author_key_id(public_key)
        if key_id not in keys:
            keys[key_id] = KeyRegistration(e.index, e.body["actor_id"], public_key)
    for e in of_kind(entries, "key.revoked"):
        revoked = e.body.get("key_id")
        if not isinstance(revoked, str) or revoked not in keys:
            continue
        for used in entries.values():
            if used.entry.get("key_id") == revoked and used.index > e.index:
                problems.append(
                    f"{used.describe()} is signed by key {revoked}, revoked at {e.index}"
                )
    return (
        authority,
        keys,
        CheckResult(
            "keys",
            f"{len(keys)} author keys, each registered by the authority "
            "(or its own actor) and traced to the trust root at entry 0",
            tuple(problems),
        ),
    )


def _registration_problem(e: ProvenEntry, authority: str | None) -> str | None:
    actor_id = e.body.get("actor_id")
    if not isinstance(actor_id, str):
        return "names no actor_id"
    if _public_key(e.body.get("public_key")) is None:
        return "carries no 32-byte Ed25519 public key"
    if e.index == 0:
        return None if authority is not None else "not a valid trust root"
    if authority is None:
        return "the trust root (entry 0, the authority's self-registration) is not proven"
    if e.kind == "actor.registered":
        if e.actor != authority:
            return f"registered by {e.actor}, not by the authority {authority}"
        if e.body.get("role") == "authority":
            return "a second authority"
    elif e.kind == "key.recovered":
        if e.actor != authority:
            return f"a recovery key of {actor_id} registered by {e.actor}, not the authority"
    elif e.actor != actor_id:
        return f"a key of {actor_id} added by {e.actor} (only the actor adds its own keys)"
    return None


def _public_key(value: object) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


# --- 5. author signatures ----------------------------------------------------------------


def check_author_signatures(
    entries: Mapping[int, ProvenEntry],
    keys: Mapping[str, KeyRegistration],
    log_public_key: bytes,
) -> CheckResult:
    """Every authored entry is signed by a key registered to its author before it (the
    log's statements: by ``log_public_key``); every derived decision is the log's own."""
    if not entries:
        return CheckResult.failed("author_signatures", "no proven entries")
    problems: list[str] = []
    for _, e in sorted(entries.items()):
        if e.kind in DERIVED_KINDS:
            problem = _derived_problem(e)
            if problem is not None:
                problems.append(f"{e.describe()}: {problem}")
            continue
        try:
            if e.actor == LOG_ACTOR:
                verify_entry_signature(e.entry, log_public_key)
                continue
            key_id = e.entry.get("key_id")
            reg = keys.get(key_id) if isinstance(key_id, str) else None
            if reg is None:
                problems.append(
                    f"{e.describe()}: no valid registration of key {key_id} in the bundle"
                )
            elif reg.actor_id != e.actor:
                problems.append(
                    f"{e.describe()}: key {key_id} is {reg.actor_id}'s, not {e.actor}'s"
                )
            elif not (reg.index < e.index or reg.index == e.index == 0):
                problems.append(
                    f"{e.describe()}: key {key_id} was registered later, at {reg.index}"
                )
            else:
                verify_entry_signature(e.entry, reg.public_key)
        except VerificationError as exc:
            problems.append(f"{e.describe()}: {exc}")
    derived = sum(1 for e in entries.values() if e.kind in DERIVED_KINDS)
    return CheckResult(
        "author_signatures",
        f"all {len(entries) - derived} authored entries are signed by their authors' "
        f"registered keys (the operator's with the log key); the {derived} derived "
        "decisions are the log's own, unsigned, proven by inclusion",
        tuple(problems),
    )


def _derived_problem(e: ProvenEntry) -> str | None:
    """What is wrong with an entry of a derived kind, if anything: the rules' decisions
    are the log's, carry no signature, and name the earlier entries they follow from."""
    if e.actor != LOG_ACTOR:
        return f"a decision only the rules derive, authored by {e.actor}"
    if "sig" in e.entry or "key_id" in e.entry:
        return "a derived decision carries no signature"
    if e.statement.get("id") != f"{e.kind}@{e.index}":
        return f"a derived decision's id must be {e.kind}@{e.index}"
    sources = e.body.get("derived_from")
    if not (
        isinstance(sources, list)
        and sources
        and all(is_int(i) and 0 <= i < e.index for i in sources)
    ):
        return "a derived decision must name the earlier entries it derives from"
    return None
