"""Offline verification of a certificate bundle, for certifying bodies and employers.

A bundle (``GET /v1/certificates/{number}/verification``, or
:func:`creditbank.certificates.verification.certificate_bundle`) holds, each as a
``.tlog-proof`` receipt: a certificate's ``certificate.issued`` entry, its revocation if
any, the awards and completions it rests on, the application it answers and the
assessment of it, and the key registrations of every author down to the trust root; plus
the log's latest signed checkpoint and consistency proofs from each receipt's checkpoint
to it, and the server's summary of the certificate. :func:`verify_certificate` checks all
of that with nothing but the log's verifier key and turns every failure into a failed
check (:data:`CHECKS`):

- ``checkpoint``: the latest checkpoint is signed by the log key;
- ``receipt_signatures``: every receipt parses and its checkpoint is signed by the log key;
- ``inclusion``: every receipt proves its entry bytes at the index the bundle lists, and
  the entry is canonical and of the kind listed;
- ``consistency``: every receipt's checkpoint is a prefix of the latest checkpoint;
- ``keys``: entry 0 is the authority registering itself; every actor is registered by
  the authority, a ``key.added`` is by the actor itself and a ``key.recovered`` by the
  authority; no entry uses a key after a listed ``key.revoked`` of it;
- ``author_signatures``: every authored entry is signed by a key registered to its actor
  before it (the operator's statements: by the log key); every entry of a kind the rules
  derive (:data:`creditbank.core.authorship.DERIVED_KINDS`) is authored by the log, unsigned
  and names earlier entries it derives from: its authenticity is its inclusion under the
  verified checkpoint, its correctness the rules checked below (awards, completions);
- ``certificate``: exactly one ``certificate.issued`` names this number;
- ``issuer``: its author is registered by the authority as a certifying body accredited
  for the standard;
- ``awards``: every award it lists is a ``credit.awarded`` logged before it for the same
  learner, standard and level;
- ``completions``: every such award's ``completion_index`` is a ``completion.recorded``
  of that learner, by the award's provider, for the award's course, logged before it;
- ``application``: it answers a ``certificate.applied`` for the same learner, standard
  and level, assessed as passed by the issuer (``assessment.recorded``) before issuance,
  with the result and score the certificate states;
- ``revocation``: a listed revocation of this number is proven, later than the
  certificate, and by the issuer or the authority;
- ``summary``: the server's summary of the certificate agrees with the entries.

Roles and the summary are never trusted: entries are found by kind and index among what
the receipts prove. Like :mod:`creditbank.core.verify`, this imports only the standard library,
``cryptography``, ``rfc8785`` and creditbank's pure modules, never server, database or web
code.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from creditbank.core.authorship import DERIVED_KINDS
from creditbank.core.errors import VerificationError
from creditbank.core.tlog.note import decode_base64
from creditbank.core.tlog.receipt import Receipt, parse_receipt
from creditbank.core.verify import (
    Checkpoint,
    author_key_id,
    parse_entry,
    parse_verifier_key,
    verify_checkpoint,
    verify_checkpoint_consistency,
    verify_entry_inclusion,
    verify_entry_signature,
)

__all__ = ["CERTIFICATE_NUMBER", "CHECKS", "Verdict", "verify_certificate"]

CERTIFICATE_NUMBER = r"^[A-Z0-9][A-Z0-9-]{5,47}$"
"""What a certificate number looks like (as creditbank.certificates.handlers checks)."""
LOG_ACTOR = "log"  # the log's own statements: derived decisions and operator statements
KEY_KINDS = ("actor.registered", "key.added", "key.recovered")

CHECKS = (
    "checkpoint",
    "receipt_signatures",
    "inclusion",
    "consistency",
    "keys",
    "author_signatures",
    "certificate",
    "issuer",
    "awards",
    "completions",
    "application",
    "revocation",
    "summary",
)
"""The checks of a verdict, in the order they are reported."""

_NUMBER_RE = re.compile(CERTIFICATE_NUMBER.removeprefix("^").removesuffix("$"))
_MAX_DETAIL_PROBLEMS = 5


@dataclass(frozen=True)
class Verdict:
    """The outcome: ``valid`` only when every check passed and the certificate is not
    revoked. ``checks`` are ``{"check", "ok", "detail"}`` in :data:`CHECKS` order;
    ``problems`` say what failed, one line each. ``certificate`` holds the facts read
    from the verified ``certificate.issued`` entry (not the server's summary), and
    ``tree_size`` the size of the latest checkpoint, as of which revocation was judged."""

    valid: bool
    revoked: bool
    checks: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    certificate: dict[str, Any] | None = None
    tree_size: int | None = None

    @property
    def status(self) -> str:
        """``invalid`` when a check failed, else ``revoked`` or ``valid``."""
        if any(not c["ok"] for c in self.checks):
            return "invalid"
        return "revoked" if self.revoked else "valid"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "valid": self.valid,
            "revoked": self.revoked,
            "tree_size": self.tree_size,
            "certificate": self.certificate,
            "checks": [dict(c) for c in self.checks],
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class _Proven:
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


def _derived_problem(e: _Proven) -> str | None:
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
        and all(_is_int(i) and 0 <= i < e.index for i in sources)
    ):
        return "a derived decision must name the earlier entries it derives from"
    return None


@dataclass(frozen=True)
class _KeyRegistration:
    index: int
    actor_id: str
    public_key: bytes


class _Outcome:
    """One check's problems, or the line that says what it established."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.ok_detail = ""

    def fail(self, problem: str) -> None:
        self.problems.append(problem)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _public_key(value: object) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


def _index_set(value: object) -> frozenset[int] | None:
    if not isinstance(value, list) or not all(_is_int(v) for v in value):
        return None
    return frozenset(value)


def _without_nones(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_nones(v) for k, v in value.items() if v is not None}
    return value


class _Run:
    """The state of one verification: what the receipts proved, and each check."""

    def __init__(self, bundle: object, verifier_key: str, number: str) -> None:
        self.bundle: Mapping[str, Any] = bundle if isinstance(bundle, Mapping) else {}
        self.verifier_key = verifier_key
        self.log_public_key = parse_verifier_key(verifier_key).public_key
        self.number = number
        self.outcomes: dict[str, _Outcome] = {name: _Outcome() for name in CHECKS}
        self.latest: Checkpoint | None = None
        self.proven: dict[int, _Proven] = {}
        self.claimed_revocation = False  # a revocation entry is listed, proven or not
        self.authority: str | None = None
        self.keys: dict[str, _KeyRegistration] = {}
        self.certificate: _Proven | None = None
        self.revocation: _Proven | None = None

    # --- plumbing ---------------------------------------------------------------------

    def run(self) -> Verdict:
        steps: list[tuple[str, Callable[[_Outcome], None]]] = [
            ("checkpoint", self._checkpoint),
            ("receipt_signatures", self._receipts),  # also fills inclusion
            ("consistency", self._consistency),
            ("keys", self._keys),
            ("author_signatures", self._author_signatures),
            ("certificate", self._certificate),
            ("issuer", self._issuer),
            ("awards", self._awards),
            ("completions", self._completions),
            ("application", self._application),
            ("revocation", self._revocation),
            ("summary", self._summary),
        ]
        for name, step in steps:
            outcome = self.outcomes[name]
            try:
                step(outcome)
            except Exception as exc:  # bad bundle data must fail a check, never escape
                outcome.fail(f"could not be checked: {type(exc).__name__}: {exc}")
        checks: list[dict[str, Any]] = []
        problems: list[str] = []
        for name in CHECKS:
            outcome = self.outcomes[name]
            ok = not outcome.problems
            if ok:
                detail = outcome.ok_detail
            else:
                shown = outcome.problems[:_MAX_DETAIL_PROBLEMS]
                more = len(outcome.problems) - len(shown)
                detail = "; ".join(shown) + (f"; and {more} more" if more else "")
            checks.append({"check": name, "ok": ok, "detail": detail})
            problems.extend(f"{name}: {p}" for p in outcome.problems)
        revoked = self.revocation is not None or self.claimed_revocation
        return Verdict(
            valid=not problems and not revoked,
            revoked=revoked,
            checks=checks,
            problems=problems,
            certificate=self._facts(),
            tree_size=None if self.latest is None else self.latest.size,
        )

    def _facts(self) -> dict[str, Any] | None:
        cert = self.certificate
        if cert is None:
            return None
        body = cert.body
        facts: dict[str, Any] = {
            "number": body.get("certificate_number"),
            "learner": body.get("learner"),
            "standard_id": body.get("standard_id"),
            "level": body.get("level"),
            "issuer": cert.actor,
            "issued_index": cert.index,
            "issued_at": cert.entry.get("integrated_at"),
            "awards": body.get("awards"),
            "assessment": body.get("assessment"),
            "application_index": body.get("application_index"),
            "revoked_index": None,
            "revoked_at": None,
            "revoked_by": None,
            "revoked_reason": None,
        }
        rev = self.revocation
        if rev is not None:
            facts.update(
                revoked_index=rev.index,
                revoked_at=rev.entry.get("integrated_at"),
                revoked_by=rev.actor,
                revoked_reason=rev.body.get("reason"),
            )
        return facts

    def _of_kind(self, kind: str) -> list[_Proven]:
        return [e for _, e in sorted(self.proven.items()) if e.kind == kind]

    # --- the log's proofs -------------------------------------------------------------

    def _checkpoint(self, out: _Outcome) -> None:
        note = self.bundle.get("checkpoint")
        if not isinstance(note, str):
            out.fail("the bundle has no latest checkpoint note")
            return
        try:
            self.latest = verify_checkpoint(note, self.verifier_key)
        except (VerificationError, ValueError) as exc:
            out.fail(f"the latest checkpoint does not verify with the log key: {exc}")
            return
        out.ok_detail = (
            f"the latest checkpoint ({self.latest.origin}, tree size {self.latest.size}) "
            "is signed by the log key"
        )

    def _receipts(self, out: _Outcome) -> None:
        """Receipt signatures here; inclusion into ``self.outcomes['inclusion']``."""
        inclusion = self.outcomes["inclusion"]
        items = self.bundle.get("entries")
        if not isinstance(items, list) or not items:
            out.fail("the bundle lists no entries")
            inclusion.fail("the bundle lists no entries")
            return
        signed = 0
        for position, item in enumerate(items):
            if (
                not isinstance(item, Mapping)
                or not _is_int(item.get("index"))
                or not isinstance(item.get("receipt"), str)
            ):
                out.fail(f"item {position}: expected an object with an index and a receipt")
                continue
            index: int = item["index"]
            try:
                receipt = parse_receipt(item["receipt"])
            except (VerificationError, ValueError) as exc:
                out.fail(f"entry {index}: malformed receipt: {exc}")
                continue
            self._note_claimed_revocation(receipt.extra)
            try:
                checkpoint = verify_checkpoint(receipt.checkpoint_note, self.verifier_key)
            except (VerificationError, ValueError) as exc:
                out.fail(f"entry {index}: the receipt's checkpoint does not verify: {exc}")
                continue
            signed += 1
            problem = self._include(index, item.get("kind"), receipt, checkpoint)
            if problem:
                inclusion.fail(problem)
        if not self.proven:
            inclusion.fail("no entry of the bundle could be proven")
        out.ok_detail = f"all {signed} receipts are on checkpoints signed by the log key"
        inclusion.ok_detail = (
            f"all {len(self.proven)} entries are proven at their indexes by their receipts"
        )

    def _include(
        self, index: int, kind: object, receipt: Receipt, checkpoint: Checkpoint
    ) -> str | None:
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
        if index in self.proven:
            return f"entry {index} is listed twice"
        self.proven[index] = _Proven(index, entry, checkpoint)
        return None

    def _note_claimed_revocation(self, extra: bytes | None) -> None:
        """A listed revocation of this number counts even when its proof fails."""
        if extra is None:
            return
        try:
            entry = parse_entry(extra)
        except VerificationError:
            return
        statement = entry.get("statement")
        body = statement.get("body") if isinstance(statement, dict) else None
        if (
            entry.get("kind") == "certificate.revoked"
            and isinstance(body, dict)
            and body.get("certificate_number") == self.number
        ):
            self.claimed_revocation = True

    def _consistency(self, out: _Outcome) -> None:
        latest = self.latest
        if latest is None:
            out.fail("no verified latest checkpoint to check the receipts against")
            return
        proofs: dict[tuple[int, int], list[bytes]] = {}
        raw = self.bundle.get("consistency", [])
        if not isinstance(raw, list):
            out.fail("consistency proofs must be a list")
            raw = []
        for item in raw:
            if not (
                isinstance(item, Mapping)
                and _is_int(item.get("first"))
                and _is_int(item.get("second"))
                and isinstance(item.get("hashes"), list)
                and all(isinstance(h, str) for h in item["hashes"])
            ):
                out.fail("a consistency proof is not {first, second, hashes}")
                continue
            try:
                hashes = [decode_base64(h, what="consistency proof hash") for h in item["hashes"]]
            except VerificationError as exc:
                out.fail(f"consistency proof {item['first']}->{item['second']}: {exc}")
                continue
            proofs[(item["first"], item["second"])] = hashes
        checkpoints = {(e.checkpoint.size, e.checkpoint.root_hash): e for e in self.proven.values()}
        for (size, _), example in sorted(checkpoints.items()):
            cp = example.checkpoint
            where = f"checkpoint of size {size} (receipt of entry {example.index})"
            if size == latest.size:
                proof: list[bytes] = []
            elif (size, latest.size) in proofs:
                proof = proofs[(size, latest.size)]
            else:
                out.fail(f"{where}: no consistency proof to tree size {latest.size}")
                continue
            try:
                verify_checkpoint_consistency(cp, latest, proof)
            except VerificationError as exc:
                out.fail(f"{where} is not consistent with the latest checkpoint: {exc}")
        out.ok_detail = (
            f"the {len(checkpoints)} receipt checkpoints are consistent with the latest "
            f"checkpoint (tree size {latest.size})"
        )

    # --- authors ----------------------------------------------------------------------

    def _keys(self, out: _Outcome) -> None:
        if not self.proven:
            out.fail("no proven entries")
            return
        root = self.proven.get(0)
        if (
            root is not None
            and root.kind == "actor.registered"
            and root.body.get("role") == "authority"
            and isinstance(root.actor, str)
            and root.body.get("actor_id") == root.actor
        ):
            self.authority = root.actor
        elif root is not None:
            out.fail("entry 0 is not the authority registering itself (the trust root)")
        registrations = [e for _, e in sorted(self.proven.items()) if e.kind in KEY_KINDS]
        for e in registrations:
            problem = self._registration_problem(e)
            if problem is not None:
                out.fail(f"{e.describe()}: {problem}")
                continue
            public_key = _public_key(e.body.get("public_key"))
            if public_key is None:  # refused by _registration_problem already
                continue
            key_id = author_key_id(public_key)
            if key_id not in self.keys:
                self.keys[key_id] = _KeyRegistration(e.index, e.body["actor_id"], public_key)
        for e in self._of_kind("key.revoked"):
            revoked = e.body.get("key_id")
            if not isinstance(revoked, str) or revoked not in self.keys:
                continue
            for used in self.proven.values():
                if used.entry.get("key_id") == revoked and used.index > e.index:
                    out.fail(f"{used.describe()} is signed by key {revoked}, revoked at {e.index}")
        out.ok_detail = (
            f"{len(self.keys)} author keys, each registered by the authority "
            "(or its own actor) and traced to the trust root at entry 0"
        )

    def _registration_problem(self, e: _Proven) -> str | None:
        actor_id = e.body.get("actor_id")
        if not isinstance(actor_id, str):
            return "names no actor_id"
        if _public_key(e.body.get("public_key")) is None:
            return "carries no 32-byte Ed25519 public key"
        if e.index == 0:
            return None if self.authority is not None else "not a valid trust root"
        if self.authority is None:
            return "the trust root (entry 0, the authority's self-registration) is not proven"
        if e.kind == "actor.registered":
            if e.actor != self.authority:
                return f"registered by {e.actor}, not by the authority {self.authority}"
            if e.body.get("role") == "authority":
                return "a second authority"
        elif e.kind == "key.recovered":
            if e.actor != self.authority:
                return f"a recovery key of {actor_id} registered by {e.actor}, not the authority"
        elif e.actor != actor_id:
            return f"a key of {actor_id} added by {e.actor} (only the actor adds its own keys)"
        return None

    def _author_signatures(self, out: _Outcome) -> None:
        if not self.proven:
            out.fail("no proven entries")
            return
        for _, e in sorted(self.proven.items()):
            if e.kind in DERIVED_KINDS:
                problem = _derived_problem(e)
                if problem is not None:
                    out.fail(f"{e.describe()}: {problem}")
                continue
            try:
                if e.actor == LOG_ACTOR:
                    verify_entry_signature(e.entry, self.log_public_key)
                    continue
                key_id = e.entry.get("key_id")
                reg = self.keys.get(key_id) if isinstance(key_id, str) else None
                if reg is None:
                    out.fail(f"{e.describe()}: no valid registration of key {key_id} in the bundle")
                elif reg.actor_id != e.actor:
                    out.fail(f"{e.describe()}: key {key_id} is {reg.actor_id}'s, not {e.actor}'s")
                elif not (reg.index < e.index or reg.index == e.index == 0):
                    out.fail(f"{e.describe()}: key {key_id} was registered later, at {reg.index}")
                else:
                    verify_entry_signature(e.entry, reg.public_key)
            except VerificationError as exc:
                out.fail(f"{e.describe()}: {exc}")
        derived = sum(1 for e in self.proven.values() if e.kind in DERIVED_KINDS)
        out.ok_detail = (
            f"all {len(self.proven) - derived} authored entries are signed by their authors' "
            f"registered keys (the operator's with the log key); the {derived} derived "
            "decisions are the log's own, unsigned, proven by inclusion"
        )

    # --- the certificate and what it rests on -----------------------------------------

    def _certificate(self, out: _Outcome) -> None:
        if _NUMBER_RE.fullmatch(self.number) is None:
            out.fail(f"{self.number!r} is not a certificate number")
            return
        found = [
            e
            for e in self._of_kind("certificate.issued")
            if e.body.get("certificate_number") == self.number
        ]
        if not found:
            out.fail(f"no proven certificate.issued entry names {self.number}")
            return
        if len(found) > 1:
            out.fail(f"{len(found)} certificate.issued entries name {self.number}")
        cert = self.certificate = found[0]
        body = cert.body
        for name, ok in (
            ("learner", isinstance(body.get("learner"), str)),
            ("standard_id", isinstance(body.get("standard_id"), str)),
            ("level", _is_int(body.get("level"))),
            ("awards", isinstance(body.get("awards"), list)),
            ("assessment", isinstance(body.get("assessment"), dict)),
        ):
            if not ok:
                out.fail(f"{cert.describe()}: malformed or missing {name}")
        out.ok_detail = (
            f"entry {cert.index} certifies {self.number}: {body.get('learner')}, "
            f"{body.get('standard_id')} level {body.get('level')}, by {cert.actor}"
        )

    def _need_certificate(self, out: _Outcome) -> _Proven | None:
        if self.certificate is None:
            out.fail("no proven certificate entry to check against")
        return self.certificate

    def _issuer(self, out: _Outcome) -> None:
        cert = self._need_certificate(out)
        if cert is None:
            return
        registrations = [
            e
            for e in self._of_kind("actor.registered")
            if e.body.get("actor_id") == cert.actor and e.index < cert.index
        ]
        if not registrations:
            out.fail(f"the bundle has no proven registration of the issuer {cert.actor}")
            return
        reg = registrations[0]
        standard = cert.body.get("standard_id")
        standards = reg.body.get("standards")
        if reg.body.get("role") != "certifier":
            out.fail(f"the issuer {cert.actor} is registered as {reg.body.get('role')}")
        elif not isinstance(standards, list) or standard not in standards:
            out.fail(f"the issuer {cert.actor} is not accredited for {standard}")
        if reg.actor != self.authority:
            out.fail(f"{cert.actor} was registered by {reg.actor}, not the authority")
        out.ok_detail = (
            f"{cert.actor} is a certifying body the authority accredited for {standard} "
            f"(entry {reg.index})"
        )

    def _awards(self, out: _Outcome) -> None:
        cert = self._need_certificate(out)
        if cert is None:
            return
        awards = cert.body.get("awards")
        if not isinstance(awards, list) or not all(_is_int(a) for a in awards):
            out.fail("the certificate's awards are not a list of entry indexes")
            return
        if len(set(awards)) != len(awards):
            out.fail("the certificate lists an award twice")
        body = cert.body
        for index in awards:
            award = self.proven.get(index)
            if award is None:
                out.fail(f"listed award {index} is not in the bundle (or not proven)")
                continue
            if award.kind != "credit.awarded":
                out.fail(f"listed award {award.describe()} is not a credit.awarded entry")
                continue
            for name in ("learner", "standard_id", "level"):
                if award.body.get(name) != body.get(name):
                    out.fail(
                        f"award {index} is for {name} {award.body.get(name)!r}, "
                        f"the certificate's is {body.get(name)!r}"
                    )
            if index >= cert.index:
                out.fail(f"award {index} was logged after the certificate")
        out.ok_detail = (
            f"the {len(awards)} listed awards are credit.awarded entries for "
            f"{body.get('learner')} in {body.get('standard_id')} level {body.get('level')}"
        )

    def _completions(self, out: _Outcome) -> None:
        cert = self._need_certificate(out)
        if cert is None:
            return
        awards = cert.body.get("awards")
        listed = [a for a in awards if _is_int(a)] if isinstance(awards, list) else []
        checked = 0
        for index in listed:
            award = self.proven.get(index)
            if award is None or award.kind != "credit.awarded":
                continue  # the awards check reports it
            checked += 1
            c = award.body.get("completion_index")
            completion = self.proven.get(c) if _is_int(c) else None
            if completion is None:
                out.fail(f"award {index}: its completion {c} is not in the bundle (or not proven)")
                continue
            if completion.kind != "completion.recorded":
                out.fail(f"award {index}: {completion.describe()} is not a completion.recorded")
                continue
            learner = cert.body.get("learner")
            if completion.body.get("learner") != learner:
                out.fail(
                    f"award {index}: completion {c} is for {completion.body.get('learner')!r}, "
                    f"not {learner!r}"
                )
            if completion.actor != award.body.get("provider"):
                out.fail(
                    f"award {index}: completion {c} is by {completion.actor}, the award "
                    f"names {award.body.get('provider')}"
                )
            if completion.body.get("course_id") != award.body.get("course_id"):
                out.fail(f"award {index}: completion {c} is of another course")
            if completion.index >= index:
                out.fail(f"award {index}: its completion {c} was logged after it")
            if award.body.get("derived_from") != [c]:
                out.fail(f"award {index}: not derived from its completion {c}")
        out.ok_detail = (
            f"each of the {checked} awards rests on a completion.recorded of the learner "
            "by the awarding course's provider, and was derived from it"
        )

    def _application(self, out: _Outcome) -> None:
        cert = self._need_certificate(out)
        if cert is None:
            return
        index = cert.body.get("application_index")
        application = self.proven.get(index) if _is_int(index) else None
        if application is None:
            out.fail(f"the application {index!r} is not in the bundle (or not proven)")
            return
        if application.kind != "certificate.applied":
            out.fail(f"{application.describe()} is not a certificate.applied entry")
            return
        for name in ("learner", "standard_id", "level"):
            if application.body.get(name) != cert.body.get(name):
                out.fail(f"the application is for {name} {application.body.get(name)!r}")
        if application.index >= cert.index:
            out.fail("the application was logged after the certificate")
        assessments = [
            e
            for e in self._of_kind("assessment.recorded")
            if e.body.get("application_index") == application.index
            and application.index < e.index < cert.index
        ]
        if not assessments:
            out.fail(f"no assessment of application {application.index} in the bundle")
            return
        assessment = assessments[0]
        if assessment.actor != cert.actor:
            out.fail(f"the application was assessed by {assessment.actor}, not the issuer")
        if assessment.body.get("result") != "passed":
            out.fail(f"the application was assessed as {assessment.body.get('result')!r}")
        stated = cert.body.get("assessment")
        stated = stated if isinstance(stated, dict) else {}
        for name in ("result", "score"):
            if stated.get(name) != assessment.body.get(name):
                out.fail(
                    f"the certificate states {name} {stated.get(name)!r}, the assessment "
                    f"{assessment.body.get(name)!r}"
                )
        out.ok_detail = (
            f"the certificate answers application {application.index}, assessed as passed "
            f"by {cert.actor} at entry {assessment.index}"
        )

    def _revocation(self, out: _Outcome) -> None:
        cert = self._need_certificate(out)
        if self.latest is None:
            out.fail("no verified latest checkpoint to judge revocation against")
        if cert is None or self.latest is None:
            return
        size = self.latest.size
        found = [
            e
            for e in self._of_kind("certificate.revoked")
            if e.body.get("certificate_number") == self.number
        ]
        if not found:
            if self.claimed_revocation:
                out.fail("a revocation of this certificate is listed but not proven")
            out.ok_detail = f"no revocation of {self.number} in the bundle (as of tree size {size})"
            return
        rev = self.revocation = found[0]
        if rev.index <= cert.index:
            out.fail(f"the revocation {rev.index} precedes the certificate")
        if rev.actor not in (cert.actor, self.authority):
            out.fail(f"revoked by {rev.actor}, neither the issuer nor the authority")
        out.ok_detail = (
            f"revoked at entry {rev.index} by {rev.actor}: {rev.body.get('reason')} "
            f"(as of tree size {size})"
        )

    def _summary(self, out: _Outcome) -> None:
        summary = self.bundle.get("certificate")
        if not isinstance(summary, Mapping):
            out.fail("the bundle has no certificate summary")
            return
        cert = self._need_certificate(out)
        if cert is None:
            return
        facts = self._facts()
        if facts is None:
            return
        rev = self.revocation
        expected: dict[str, object] = {
            "number": self.number,
            "learner": facts["learner"],
            "standard_id": facts["standard_id"],
            "level": facts["level"],
            "issuer": facts["issuer"],
            "issued_index": facts["issued_index"],
            "issued_at": facts["issued_at"],
            "application_index": facts.get("application_index"),
            "status": "revoked" if rev is not None else "active",
            "revoked_index": facts["revoked_index"],
            "revoked_reason": facts["revoked_reason"],
        }
        for name, value in expected.items():
            if summary.get(name) != value:
                out.fail(f"the summary says {name} {summary.get(name)!r}, the entries {value!r}")
        if _index_set(summary.get("awards")) != _index_set(facts["awards"]):
            out.fail(f"the summary's awards {summary.get('awards')!r} differ from the entry's")
        if _without_nones(summary.get("assessment")) != _without_nones(facts["assessment"]):
            out.fail("the summary's assessment differs from the entry's")
        out.ok_detail = "the server's summary agrees with the signed entries"


def verify_certificate(bundle: object, verifier_key: str, *, number: str) -> Verdict:
    """Verify a certificate bundle offline against the log's verifier key string.

    Bad bundle data fails a check and never raises; only a malformed ``verifier_key``
    raises :class:`~creditbank.core.errors.VerificationError`.
    """
    return _Run(bundle, verifier_key, number).run()
