"""Response models of the federation routes: the witness and the split views it saw."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from creditbank.api.schemas.base import Public
from creditbank.api.schemas.certificates import BundleEntryPublic, ConsistencyStepPublic


class WitnessedLogPublic(Public):
    origin: str
    key: str
    size: int | None
    updated_at: str | None


class CosignerPublic(Public):
    url: str
    key: str


class WitnessPublic(Public):
    """This bank's witness key (null: it runs no witness), the peer logs it witnesses,
    and the witnesses its own log asks to cosign."""

    witness_key: str | None
    logs: list[WitnessedLogPublic]
    cosigners: list[CosignerPublic]


class SplitViewPublic(Public):
    """Evidence against a peer log: a signed checkpoint that contradicts one the witness
    cosigned (``fork``: same size, another root; ``unproven``: no valid consistency proof
    from the witnessed tree). Both checkpoints are given verbatim."""

    id: int
    origin: str
    kind: str
    observed_at: str
    known_size: int
    known_checkpoint: str
    old_size: int
    submitted_checkpoint: str
    reason: str


class LinkCodeIn(Public):
    """Where the link code will be presented: the home bank's origin and the learner's
    account there."""

    home_origin: str = Field(min_length=1, max_length=200, pattern=r"^\S+$")
    home_account: str = Field(pattern=r"^CB[0-9]{11}$")


class LinkCodeOut(Public):
    link_code: str = Field(description="A signed note by this bank's log key; 15 minutes.")


class CreditBundlePublic(Public):
    """The peer's credit awards (and revocations), each with its original receipt, the
    served checkpoint (with its cosignatures) and consistency proofs to it."""

    checkpoint: str
    entries: list[BundleEntryPublic]
    consistency: list[ConsistencyStepPublic]


class RecognitionIn(Public):
    """A peer certificate (``record: certificate``, ``certificate_number``) or peer credit
    awards (``record: credits``, ``award_indexes``), with the peer's bundle and link code."""

    agreement_id: str = Field(min_length=1, max_length=64)
    record: Literal["certificate", "credits"]
    certificate_number: str | None = Field(default=None, max_length=48)
    award_indexes: list[int] = Field(default_factory=list, max_length=200)
    bundle: dict[str, Any]
    link_code: str = Field(min_length=1, max_length=2000)


class RecognitionPublic(Public):
    index: int
    record: str
    agreement_id: str
    peer_ref: str
    standard_id: str
    level: int
    status: Literal["active", "revoked"]
    revoked_index: int | None
