"""Recognition of a peer bank's records: the authority's agreement with a peer bank, a
learner's request (logged by the operator), the operator's re-check, and the decisions the
rules derive from them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictInt, StrictStr

from creditbank.core.accounts import ACCOUNT_RE
from creditbank.core.bodies import Body
from creditbank.core.verify.policy import CERTIFICATE_NUMBER

AGREEMENT_ID = r"^[a-z0-9][a-z0-9-]{1,63}$"
MAX_WITNESSES = 16


class PeerLogTerms(Body):
    """The peer bank as the agreement trusts it: its log and the witnesses of that log."""

    origin: StrictStr = Field(min_length=1, max_length=200)
    log_key: StrictStr = Field(min_length=1, max_length=500)
    witness_keys: list[StrictStr] = Field(default_factory=list, max_length=MAX_WITNESSES)
    quorum: StrictInt = Field(ge=0, le=MAX_WITNESSES)


class LevelMapping(Body):
    """One peer standard level recognised as one of this bank's."""

    peer_standard_id: StrictStr = Field(min_length=1, max_length=64)
    peer_level: StrictInt = Field(ge=1, le=5)
    standard_id: StrictStr = Field(min_length=1, max_length=64)
    level: StrictInt = Field(ge=1, le=5)


class RecognitionAgreed(Body):
    """``mapping`` empty: the peer's standards and levels are recognised as the same ids."""

    agreement_id: StrictStr = Field(pattern=AGREEMENT_ID)
    peer: PeerLogTerms
    mapping: list[LevelMapping] = Field(default_factory=list, max_length=1000)
    valid_from: StrictStr = Field(max_length=40)
    valid_until: StrictStr = Field(max_length=40)


class RecognitionEnded(Body):
    agreement_id: StrictStr = Field(pattern=AGREEMENT_ID)
    reason: StrictStr = Field(min_length=1, max_length=500)


class RecognitionRequested(Body):
    """A learner presents a peer certificate (``certificate_number``) or credit awards
    (``award_indexes``, entry indexes in the peer log) with the peer's bundle and the link
    code the peer bank signed for the peer account. ``home_origin`` is this bank's origin,
    set by the operator (only the log key writes this kind), never by the learner."""

    learner: StrictStr = Field(pattern=ACCOUNT_RE.pattern)
    home_origin: StrictStr = Field(min_length=1, max_length=200)
    agreement_id: StrictStr = Field(pattern=AGREEMENT_ID)
    record: Literal["certificate", "credits"]
    certificate_number: StrictStr | None = Field(default=None, pattern=CERTIFICATE_NUMBER)
    award_indexes: list[StrictInt] = Field(default_factory=list, max_length=200)
    bundle: dict[str, Any]
    link_code: StrictStr = Field(min_length=1, max_length=2000)


class CertificateRecognized(Body):
    learner: StrictStr = Field(pattern=ACCOUNT_RE.pattern)
    agreement_id: StrictStr
    peer_origin: StrictStr
    peer_learner: StrictStr
    peer_certificate_number: StrictStr
    peer_standard_id: StrictStr
    peer_level: StrictInt
    standard_id: StrictStr
    level: StrictInt
    request_index: StrictInt
    derived_from: list[StrictInt]


class CreditRecognized(Body):
    learner: StrictStr = Field(pattern=ACCOUNT_RE.pattern)
    agreement_id: StrictStr
    peer_origin: StrictStr
    peer_learner: StrictStr
    peer_award_index: StrictInt
    standard_id: StrictStr
    level: StrictInt
    unit_code: StrictStr
    credits: StrictStr
    mode: StrictStr
    expires_at: StrictStr
    request_index: StrictInt
    derived_from: list[StrictInt]


class RecognitionRechecked(Body):
    """The operator re-checks one recognition against a fresh bundle from the peer."""

    recognition_index: StrictInt = Field(ge=0)
    bundle: dict[str, Any]


class RecognitionRevoked(Body):
    learner: StrictStr = Field(pattern=ACCOUNT_RE.pattern)
    recognition_index: StrictInt
    reason: StrictStr
    derived_from: list[StrictInt]
