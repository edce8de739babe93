"""The ledger over JSON: signed statements in, receipts, entries and proofs out."""

from __future__ import annotations

import base64
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from creditbank.api.schemas.base import Public
from creditbank.core.entry import SignedStatement, decode_signature
from creditbank.ledger.sequencer import Appended


class StatementIn(BaseModel):
    """A signed statement: the author's Ed25519 signature over the statement's RFC 8785
    bytes, by the key named ``key_id``."""

    model_config = ConfigDict(extra="forbid")

    statement: dict[str, Any]
    key_id: str = Field(min_length=1, max_length=64)
    signature: str = Field(description="base64 Ed25519 signature")

    def to_signed(self) -> SignedStatement:
        return SignedStatement(self.statement, self.key_id, decode_signature(self.signature))


class LoggedIdsIn(BaseModel):
    """Statement ids of the caller's, to ask which are already logged."""

    model_config = ConfigDict(extra="forbid")

    ids: list[str] = Field(max_length=1000, description="up to 1,000 statement ids")


class LoggedIdsOut(Public):
    """The ids asked about that the caller has already logged, in the order asked."""

    logged: list[str]


class AppendedOut(Public):
    """A logged statement: where it is and the receipt that proves it (and its
    decisions, the ``derived`` entries)."""

    index: int
    duplicate: bool
    entry: str = Field(description="the entry's canonical bytes, base64")
    receipt: str = Field(description="C2SP tlog-proof receipt")
    derived: list[int]

    @classmethod
    def of(cls, a: Appended) -> AppendedOut:
        return cls(
            index=a.index,
            duplicate=a.duplicate,
            entry=base64.b64encode(a.entry).decode(),
            receipt=a.receipt,
            derived=list(a.derived),
        )


class ProofPublic(Public):
    tree_size: int
    hashes: list[str] = Field(description="RFC 9162 audit path, base64 hashes")


class EntryPublic(Public):
    """An entry with its bytes, leaf hash and inclusion proof in the latest checkpoint."""

    index: int
    entry: dict[str, Any] = Field(description="the entry, parsed")
    canonical: str = Field(description="the entry's RFC 8785 bytes, base64")
    leaf_hash: str
    inclusion_proof: ProofPublic
    checkpoint: str = Field(description="the latest signed checkpoint (a C2SP signed note)")


class InclusionPublic(Public):
    """RFC 9162 inclusion proof of the entry ``index`` in the tree of ``tree_size``."""

    index: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    hashes: list[str]


class ConsistencyPublic(Public):
    """RFC 9162 consistency proof from tree size ``first`` to ``second``."""

    first: int
    second: int
    first_root_hash: str
    second_root_hash: str
    hashes: list[str]
