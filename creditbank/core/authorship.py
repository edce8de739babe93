"""Who may author each kind of entry, and how it enters the log: the one table.

Like the route/role table of the API, this is the single place that says, for every entry
kind, which actors may write it. The sequencer refuses a statement whose author the table
does not allow, replay (``creditbank audit``) refuses such an entry in the log, and the
certificate verifier reads the same table offline.

Three ways in:

- **signed**: an organisation (the authority, a provider, a certifying body) signs the
  statement with one of its own active Ed25519 keys and posts it.
- **operator**: the API authenticated the request (a learner's, or an organisation
  opening a learner account) and the bank logs it under the log operator's key.
- **derived**: a decision of the rules (credits, eligibility, rewards, subsidies). It is
  produced only inside the sequencer, right after the entry it follows from, authored by
  the log and carrying no per-entry signature: the log-signed checkpoint that covers it
  authenticates it and re-deriving it proves it right. No author may post one, the
  authority included.

This module is pure (no database or web imports) so that offline verifiers can use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from creditbank.core.errors import Forbidden, InvalidInput

Role = Literal["authority", "provider", "certifier", "operator"]
"""The actor roles of the ledger (``operator`` is the log key's actor, ``log``)."""
Way = Literal["signed", "operator", "derived"]

ORGANISATIONS: tuple[Role, ...] = ("authority", "provider", "certifier")


@dataclass(frozen=True)
class Authorship:
    """How one kind enters the log and which roles may write it (none when derived)."""

    way: Way
    roles: tuple[Role, ...]
    note: str

    @property
    def derived(self) -> bool:
        return self.way == "derived"


def _signed(roles: tuple[Role, ...], note: str) -> Authorship:
    return Authorship("signed", roles, note)


def _operator(note: str) -> Authorship:
    return Authorship("operator", ("operator",), note)


def _derived(note: str) -> Authorship:
    return Authorship("derived", (), note)


KINDS: dict[str, Authorship] = {
    # the trust root: actors and their keys
    "actor.registered": _signed(
        ("authority",), "entry 0: the authority registers itself; then it registers actors"
    ),
    "actor.accredited": _signed(
        ("authority",), "a certifying body's standards from now on (the whole list)"
    ),
    "key.added": _signed(ORGANISATIONS, "an actor adds a key for itself, signed by its own key"),
    "key.recovered": _signed(
        ("authority",), "a recovery key for an actor with no active signing key left"
    ),
    "key.revoked": _signed(ORGANISATIONS, "an actor revokes its own key; the authority any key"),
    "notice.published": _signed(ORGANISATIONS, "a free-form signed notice"),
    # the catalogue
    "standard.published": _signed(("authority",), "a competency standard's content hash"),
    "program.published": _signed(("authority",), "a program year's policy file"),
    "course.registered": _signed(("provider",), "a provider's course against one unit"),
    "course.recognized": _signed(("authority",), "recognition, credits and validity window"),
    "budget.set": _signed(("authority",), "a program year's reward and subsidy budgets"),
    # learner accounts (off-ledger personal data; only account numbers here)
    "account.opened": _operator("opened by the authority or a provider for a learner"),
    "account.closed": _operator("a learner account closed"),
    "account.erased": _operator("a learner's personal data crypto-shredded"),
    # completions and credits
    "completion.recorded": _signed(("provider",), "a provider's course completion"),
    "completion.retracted": _signed(("provider",), "a provider retracts its own completion"),
    "credit.awarded": _derived("credits for a passed completion"),
    "credit.revoked": _derived("an award undone by its completion's retraction"),
    "eligibility.reached": _derived("a learner became eligible for a standard level"),
    "eligibility.lost": _derived("an uncertified learner stopped being eligible"),
    # certificates
    "certificate.applied": _operator("a learner applies for a certificate"),
    "assessment.recorded": _signed(("certifier",), "an accredited body's assessment"),
    "certificate.issued": _signed(("certifier",), "issued by a body accredited for it"),
    "certificate.revoked": _signed(
        ("certifier", "authority"), "by the issuing body or the authority"
    ),
    # money
    "reward.granted": _derived("a learner's reward, within budget"),
    "reward.queued": _derived("a reward waiting for budget, in issuance order"),
    "reward.cancelled": _derived("an unpaid reward of a revoked certificate"),
    "reward.clawback_due": _derived("a paid reward of a revoked certificate"),
    "reward.paid": _signed(("authority",), "payment recorded with its reference"),
    "subsidy.entitled": _derived("the providers' parts of a trainee's subsidy"),
    "subsidy.claimed": _signed(("provider",), "a provider claims its own part"),
    "subsidy.approved": _signed(("authority",), "approved within the subsidy budget"),
    "subsidy.rejected": _signed(("authority",), "rejected with a reason"),
    "subsidy.paid": _signed(("authority",), "payment recorded with its reference"),
    "subsidy.cancelled": _derived("an unpaid part of a revoked certificate"),
    "subsidy.clawback_due": _derived("a paid part of a revoked certificate"),
    # recognition of a peer bank's records (docs/federation.md)
    "recognition.agreed": _signed(
        ("authority",), "an agreement with a peer bank: its keys, witnesses, level mapping"
    ),
    "recognition.ended": _signed(("authority",), "an agreement with a peer bank ended"),
    "recognition.requested": _operator("a learner presents a peer certificate or credits"),
    "recognition.rechecked": _operator("a recognised record re-checked with the peer"),
    "certificate.recognized": _derived("a peer certificate recognised: a prerequisite here"),
    "credit.recognized": _derived("a peer credit award recognised, counted under a cap"),
    "recognition.revoked": _derived("a recognition undone by the peer's revocation"),
}
"""Every kind of entry the ledger holds."""

DERIVED_KINDS = frozenset(kind for kind, a in KINDS.items() if a.derived)


def authorship(kind: str) -> Authorship:
    """The table's row for ``kind``; unknown kinds are refused."""
    found = KINDS.get(kind)
    if found is None:
        raise InvalidInput(f"unknown kind {kind!r}", field="statement.kind")
    return found


def refuse_derived(kind: str) -> Authorship:
    """Refuse a statement of a derived kind, whoever wrote it: only the rules produce
    those. Returns the kind's row (unknown kinds are refused too)."""
    row = authorship(kind)
    if row.derived:
        raise Forbidden(
            f"{kind} is a decision the bank's rules derive; it is never accepted from an "
            "author",
            field="statement.kind",
        )
    return row


def check_author(kind: str, role: str) -> None:
    """Refuse a statement of ``kind`` written by an actor of ``role`` (derived kinds are
    refused whoever writes them)."""
    row = refuse_derived(kind)
    if role not in row.roles:
        raise Forbidden(f"only {_who(row.roles)} may log {kind}", field="statement.actor")


def _who(roles: tuple[Role, ...]) -> str:
    names = {
        "authority": "the authority",
        "provider": "a provider",
        "certifier": "a certifying body",
        "operator": "the log operator (for an authenticated request)",
    }
    return " or ".join(names[r] for r in roles)
