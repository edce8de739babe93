"""Reading and verifying the log from its tlog-tiles tree alone: the bank's ``/tlog/`` or
a static copy of it (``creditbank tiles publish``) on any web server, CDN or bucket.

Everything is checked against the log's verifier key: the checkpoint's signature, each
entry against its leaf hash, proofs against the checkpoint's root, a receipt's
checkpoint as a prefix of the served one, and, in :meth:`TilesClient.audit`, every tile
against the tree its entries make. No creditbank server is needed.

Like :mod:`creditbank.client`, this imports only httpx and creditbank's pure modules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Self

import httpx

from creditbank import __version__
from creditbank.core.tlog.merkle import leaf_hash, verify_consistency, verify_inclusion
from creditbank.core.tlog.tileset import TileReader, audit_tiles
from creditbank.core.verify import (
    Checkpoint,
    VerificationError,
    VerifiedEntry,
    verify_checkpoint,
    verify_receipt,
)

__all__ = ["TilesClient"]


class TilesClient:
    """A verifier's view of a tiles tree at ``base_url`` (the folder holding
    ``checkpoint`` and ``tile/``: ``https://cdn.example/log/`` or the bank's
    ``https://bank.example/tlog/``).

    Failures: anything that does not verify raises
    :class:`~creditbank.core.verify.VerificationError`; an HTTP error other than 404 on a
    tile is httpx's ``HTTPStatusError``, a network failure its ``TransportError``.
    """

    def __init__(
        self,
        base_url: str,
        verifier_key: str,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.verifier_key = verifier_key
        self._http = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": f"creditbank-tiles/{__version__}"},
        )
        self._latest: tuple[Checkpoint, TileReader] | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def fetch(self, path: str) -> bytes | None:
        """A file of the tree by its path; None when it is not there (404)."""
        response = self._http.get(path)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.content

    def checkpoint(self, *, refresh: bool = False) -> Checkpoint:
        """The served checkpoint, its signature verified (read once, then kept)."""
        return self._view(refresh)[0]

    def _view(self, refresh: bool = False) -> tuple[Checkpoint, TileReader]:
        if self._latest is None or refresh:
            note = self.fetch("checkpoint")
            if note is None:
                raise VerificationError("the tiles tree has no checkpoint")
            cp = verify_checkpoint(note.decode("utf-8", "replace"), self.verifier_key)
            self._latest = (cp, TileReader(self.fetch, cp.size))
        return self._latest

    def reader(self, size: int | None = None) -> TileReader:
        """Tiles of the tree at ``size`` (default: the served checkpoint's)."""
        cp, latest = self._view()
        if size is None or size == cp.size:
            return latest
        if not 0 <= size <= cp.size:
            raise VerificationError(f"size {size} is beyond the served checkpoint ({cp.size})")
        return TileReader(self.fetch, size, cp.size)

    def entry(self, index: int) -> bytes:
        """Entry ``index``'s bytes, proven included under the served checkpoint."""
        cp, reader = self._view()
        data = reader.entry(index)
        verify_inclusion(
            index, cp.size, leaf_hash(data), reader.inclusion_proof(index), cp.root_hash
        )
        return data

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[0:size]) computed from tiles (default: the served size)."""
        return self.reader(size).inclusion_proof(index)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """PROOF(first, D[0:second]) computed from tiles (default: the served size)."""
        return self.reader(second).consistency_proof(first)

    def verify_receipt(self, receipt: str) -> VerifiedEntry:
        """A ``.tlog-proof`` receipt checked offline and against the served log: its
        checkpoint is a prefix of the served one and its entry is the one the tiles
        hold at its index."""
        verified = verify_receipt(receipt, self.verifier_key)
        cp, reader = self._view()
        old = verified.checkpoint
        if old.size > cp.size:
            raise VerificationError(
                f"the receipt's checkpoint (size {old.size}) is newer than the served one "
                f"({cp.size}); fetch again later"
            )
        verify_consistency(
            old.size, cp.size, reader.consistency_proof(old.size), old.root_hash, cp.root_hash
        )
        if reader.entry(verified.index) != verified.entry_bytes:
            raise VerificationError(f"the tiles hold another entry at index {verified.index}")
        return verified

    def audit(self, progress: Callable[[int], None] | None = None) -> Iterator[tuple[int, bytes]]:
        """Every (index, entry) of the served log, in order, while checking that every
        tile is what the entries make and that they make the checkpoint's root (the last
        check when the iteration ends: consume it all)."""
        cp, reader = self._view()
        return audit_tiles(reader, cp.root_hash, progress)
