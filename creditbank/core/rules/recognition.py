"""Recognition of a peer bank's records, as pure rules: values in, values out, ``now``
passed in (docs/federation.md).

1. An agreement (``recognition.agreed``, by the authority) names the peer log (origin and
   Ed25519 log key), the cosigner keys of the witnesses trusted for it and their quorum,
   the mapping of the peer's standard levels to this bank's (none: the same ids), and a
   validity window; ``recognition.ended`` ends it.
2. A learner's request carries the peer's bundle and a **link code**: a signed note the
   peer bank's log key signs for its own signed-in account holder, naming the peer
   account, this bank's origin and the learner's account here, and an expiry 15 minutes
   on. No identity number crosses banks; the code proves the peer account is the
   learner's, and cannot be used for another account here.
3. The bundle is verified offline with the agreement's keys only: the peer certificate
   (every check of :func:`~creditbank.core.verify.certificate.verify_certificate`, not
   revoked) or the peer's ``credit.awarded`` entries, under a checkpoint cosigned by the
   agreement's quorum of witnesses.
4. Recognised credits count toward a level's eligibility at most up to the program's
   ``max_recognised_share_percent`` of the credits the level requires (default 50).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from creditbank.core.entry import format_time, parse_time
from creditbank.core.errors import InvalidInput, RuleViolation, VerificationError
from creditbank.core.rules.credits import Award, LevelTerms
from creditbank.core.standards.model import parse_credits
from creditbank.core.statements.federation import RecognitionAgreed
from creditbank.core.tlog.note import (
    SIG_COSIGNATURE_V1,
    SIG_ED25519,
    open_note,
    parse_verifier_key,
    sign_note,
)
from creditbank.core.verify.bundle import (
    LOG_ACTOR,
    check_consistency,
    read_receipts,
)
from creditbank.core.verify.certificate import verify_certificate
from creditbank.core.verify.log import Checkpoint, verify_checkpoint
from creditbank.core.verify.witnessed import with_witness_check

LINK_HEADER = "creditbank link code v1"
LINK_LIFETIME = timedelta(minutes=15)
DEFAULT_MAX_RECOGNIZED_SHARE_PERCENT = 50

_LINK_LINE = re.compile(r"[^\s]+")


@dataclass(frozen=True)
class Agreement:
    """An agreement as the rules use it."""

    agreement_id: str
    origin: str
    log_key: str
    witness_keys: tuple[str, ...]
    quorum: int
    mapping: tuple[tuple[str, int, str, int], ...]
    valid_from: datetime
    valid_until: datetime
    ended: bool = False

    def in_force(self, t: datetime) -> bool:
        return not self.ended and self.valid_from <= t < self.valid_until

    def maps(self, standard_id: str, level: int) -> tuple[str, int] | None:
        """This bank's standard level for the peer's (None: not recognised)."""
        if not self.mapping:
            return standard_id, level
        for peer_standard, peer_level, own_standard, own_level in self.mapping:
            if (peer_standard, peer_level) == (standard_id, level):
                return own_standard, own_level
        return None

    def terms(self) -> dict[str, Any]:
        """What the projection keeps (and :func:`agreement_from_terms` reads back)."""
        return {
            "origin": self.origin,
            "log_key": self.log_key,
            "witness_keys": list(self.witness_keys),
            "quorum": self.quorum,
            "mapping": [list(m) for m in self.mapping],
        }


def agreement_from_terms(
    agreement_id: str,
    terms: Mapping[str, Any],
    valid_from: datetime,
    valid_until: datetime,
    *,
    ended: bool,
) -> Agreement:
    return Agreement(
        agreement_id,
        terms["origin"],
        terms["log_key"],
        tuple(terms["witness_keys"]),
        terms["quorum"],
        tuple((a, int(b), c, int(d)) for a, b, c, d in terms["mapping"]),
        valid_from,
        valid_until,
        ended,
    )


def check_agreement(body: RecognitionAgreed) -> Agreement:
    """The agreement a ``recognition.agreed`` body states; InvalidInput names what is
    wrong (keys of the wrong type or name, a quorum beyond the witnesses, an empty
    window, a peer level mapped twice)."""
    field = "statement.body"
    try:
        log = parse_verifier_key(body.peer.log_key)
        witnesses = [parse_verifier_key(k) for k in body.peer.witness_keys]
    except VerificationError as exc:
        raise InvalidInput(str(exc), field=f"{field}.peer") from exc
    if log.sig_type != SIG_ED25519 or log.name != body.peer.origin:
        raise InvalidInput(
            "the peer's log key must be an Ed25519 key named as its origin",
            field=f"{field}.peer.log_key",
        )
    if any(w.sig_type != SIG_COSIGNATURE_V1 for w in witnesses):
        raise InvalidInput(
            "witness keys are cosignature/v1 (type 0x04) keys", field=f"{field}.peer.witness_keys"
        )
    if len({(w.name, w.key_id) for w in witnesses}) != len(witnesses):
        raise InvalidInput("a witness key is listed twice", field=f"{field}.peer.witness_keys")
    if body.peer.quorum > len(witnesses):
        raise InvalidInput(
            f"quorum {body.peer.quorum} exceeds the {len(witnesses)} witness keys",
            field=f"{field}.peer.quorum",
        )
    start = parse_time(body.valid_from, field=f"{field}.valid_from")
    end = parse_time(body.valid_until, field=f"{field}.valid_until")
    if not start < end:
        raise InvalidInput("valid_until must be after valid_from", field=f"{field}.valid_until")
    pairs = [(m.peer_standard_id, m.peer_level) for m in body.mapping]
    if len(set(pairs)) != len(pairs):
        raise InvalidInput("a peer standard level is mapped twice", field=f"{field}.mapping")
    return Agreement(
        body.agreement_id,
        body.peer.origin,
        body.peer.log_key,
        tuple(body.peer.witness_keys),
        body.peer.quorum,
        tuple((m.peer_standard_id, m.peer_level, m.standard_id, m.level) for m in body.mapping),
        start,
        end,
    )


# --- the link code -----------------------------------------------------------------------


@dataclass(frozen=True)
class LinkCode:
    """What a link code says: the peer account is its holder's, who asked to link it to
    ``home_account`` at ``home_origin``, until ``expires``."""

    peer_origin: str
    peer_account: str
    home_origin: str
    home_account: str
    expires: datetime


def link_code_text(code: LinkCode) -> str:
    """The note text the peer bank signs."""
    for value in (code.peer_origin, code.peer_account, code.home_origin, code.home_account):
        if _LINK_LINE.fullmatch(value) is None:
            raise InvalidInput(f"{value!r} cannot go in a link code", field="home_origin")
    return (
        f"{LINK_HEADER}\n"
        f"peer {code.peer_origin} {code.peer_account}\n"
        f"home {code.home_origin} {code.home_account}\n"
        f"expires {format_time(code.expires)}\n"
    )


def issue_link_code(
    peer_origin: str,
    peer_account: str,
    home_origin: str,
    home_account: str,
    now: datetime,
    log_key_name: str,
    log_key: Ed25519PrivateKey,
) -> str:
    """A link code for the signed-in holder of ``peer_account``, signed by the peer
    bank's log key (the key its agreements name)."""
    code = LinkCode(peer_origin, peer_account, home_origin, home_account, now + LINK_LIFETIME)
    return sign_note(link_code_text(code), log_key_name, log_key)


def parse_link_code(text: str) -> LinkCode:
    lines = text.split("\n")
    if len(lines) != 5 or lines[0] != LINK_HEADER or lines[4] != "":
        raise VerificationError("not a creditbank link code")
    peer, home, expires = (line.split(" ") for line in lines[1:4])
    if len(peer) != 3 or peer[0] != "peer" or len(home) != 3 or home[0] != "home":
        raise VerificationError("a link code names the peer and the home account")
    if len(expires) != 2 or expires[0] != "expires":
        raise VerificationError("a link code has an expiry")
    try:
        until = parse_time(expires[1], field="expires")
    except InvalidInput as exc:
        raise VerificationError(exc.detail) from exc
    return LinkCode(peer[1], peer[2], home[1], home[2], until)


def check_link_code(
    note: str, agreement: Agreement, *, home_origin: str, home_account: str, now: datetime
) -> LinkCode:
    """The link code, if the peer's log key signed it for this bank and this account and
    it has not expired; else RuleViolation."""
    field = "statement.body.link_code"
    try:
        opened = open_note(note, [parse_verifier_key(agreement.log_key)])
        code = parse_link_code(opened.text)
    except VerificationError as exc:
        raise RuleViolation(f"the link code does not verify: {exc}", field=field) from exc
    if code.peer_origin != agreement.origin:
        raise RuleViolation(f"the link code is for {code.peer_origin}", field=field)
    if code.home_origin != home_origin or code.home_account != home_account:
        raise RuleViolation(
            f"the link code was issued for account {code.home_account} at "
            f"{code.home_origin}, not for {home_account} here",
            field=field,
        )
    if not now < code.expires:
        raise RuleViolation(f"the link code expired at {format_time(code.expires)}", field=field)
    return code


# --- the peer's records ------------------------------------------------------------------


@dataclass(frozen=True)
class PeerCertificate:
    number: str
    learner: str
    standard_id: str
    level: int
    revoked: bool
    tree_size: int | None


def peer_certificate(bundle: object, number: str, agreement: Agreement) -> PeerCertificate:
    """The peer certificate a bundle proves, under a checkpoint cosigned by the
    agreement's quorum; RuleViolation when any check fails (a revocation is data)."""
    field = "statement.body.bundle"
    verdict = verify_certificate(bundle, agreement.log_key, number=number)
    if agreement.quorum:
        verdict = with_witness_check(
            verdict, bundle, agreement.log_key, agreement.witness_keys, agreement.quorum
        )
    if verdict.status == "invalid" or verdict.certificate is None:
        problems = "; ".join(verdict.problems[:3]) or "no certificate entry checked out"
        raise RuleViolation(
            f"the peer's certificate bundle does not verify: {problems}", field=field
        )
    facts = verdict.certificate
    return PeerCertificate(
        number,
        str(facts["learner"]),
        str(facts["standard_id"]),
        int(facts["level"]),
        verdict.revoked,
        verdict.tree_size,
    )


@dataclass(frozen=True)
class PeerAward:
    index: int
    learner: str
    standard_id: str
    level: int
    unit_code: str
    credits_tenths: int
    mode: str
    expires_at: datetime
    revoked: bool


def _witnessed_checkpoint(bundle: Mapping[str, Any], agreement: Agreement) -> Checkpoint:
    try:
        return verify_checkpoint(
            bundle.get("checkpoint"),  # type: ignore[arg-type]  # checked inside
            agreement.log_key,
            witness_keys=agreement.witness_keys,
            witness_quorum=agreement.quorum,
        )
    except (VerificationError, ValueError, TypeError) as exc:
        raise RuleViolation(
            f"the peer's checkpoint does not verify with the agreement's keys: {exc}",
            field="statement.body.bundle.checkpoint",
        ) from exc


def peer_awards(bundle: object, indexes: Sequence[int], agreement: Agreement) -> list[PeerAward]:
    """The peer's ``credit.awarded`` entries at ``indexes`` a credit bundle proves under a
    checkpoint cosigned by the agreement's quorum, each marked revoked when the bundle
    proves its ``credit.revoked``; RuleViolation when a proof fails."""
    field = "statement.body.bundle"
    data: Mapping[str, Any] = bundle if isinstance(bundle, Mapping) else {}
    latest = _witnessed_checkpoint(data, agreement)
    entries, _, signatures, inclusion = read_receipts(data.get("entries"), agreement.log_key)
    consistency = check_consistency(data.get("consistency", []), entries, latest)
    for check in (signatures, inclusion, consistency):
        if not check.ok:
            raise RuleViolation(f"the peer's credit bundle: {check.detail}", field=field)
    revoked = {
        e.body.get("award_index")
        for e in entries.values()
        if e.kind == "credit.revoked" and _is_derived(e.entry, e.index)
    }
    found = []
    for index in indexes:
        e = entries.get(index)
        if e is None or e.kind != "credit.awarded" or not _is_derived(e.entry, index):
            raise RuleViolation(
                f"the bundle proves no credit.awarded of the peer at {index}", field=field
            )
        body = e.body
        try:
            found.append(
                PeerAward(
                    index,
                    str(body["learner"]),
                    str(body["standard_id"]),
                    int(body["level"]),
                    str(body["unit_code"]),
                    parse_credits(str(body["credits"])),
                    str(body["mode"]),
                    parse_time(str(body["expires_at"]), field="expires_at"),
                    index in revoked,
                )
            )
        except (KeyError, ValueError, TypeError, InvalidInput) as exc:
            raise RuleViolation(f"the peer's award {index} is malformed", field=field) from exc
    return found


def _is_derived(entry: Mapping[str, Any], index: int) -> bool:
    statement = entry.get("statement")
    if not isinstance(statement, Mapping):
        return False
    return (
        statement.get("actor") == LOG_ACTOR
        and statement.get("id") == f"{entry.get('kind')}@{index}"
        and "sig" not in entry
    )


# --- what recognised credits count for ---------------------------------------------------


def counted_recognized(
    recognized: Iterable[Award], level: LevelTerms, t: datetime, max_share_percent: int
) -> list[Award]:
    """The recognised awards that count toward ``level`` at ``t``: those valid then in
    its units, in log order, trimmed so that together they are at most
    ``max_share_percent`` of the credits the level requires."""
    cap = level.credits_required_tenths * max_share_percent // 100
    counted: list[Award] = []
    used = 0
    for a in sorted(recognized, key=lambda a: a.index):
        standard, lvl, _ = a.unit
        if (standard, lvl) != (level.standard_id, level.level) or not a.valid_at(t):
            continue
        take = min(a.credits_tenths, cap - used)
        if take <= 0:
            break
        counted.append(replace(a, credits_tenths=take))
        used += take
    return counted
