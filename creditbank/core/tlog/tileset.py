"""Which tiles a tree has, and proofs computed from tiles alone.

A published tlog-tiles tree is a folder (or bucket) of immutable full tiles, the partial
tiles at the right edge, and the checkpoint. :func:`changed_tiles` says which of them a
publisher must write when the tree grows from one size to another; :class:`TileReader`
answers node hashes, inclusion and consistency proofs and entries from tiles fetched by
a caller-supplied function, so a verifier needs nothing but static files.

Pure: ``fetch`` is the caller's (HTTP, a folder, a test's dict); it returns a tile's
bytes, or None when there is no such file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from creditbank.core.errors import VerificationError
from creditbank.core.tlog import merkle
from creditbank.core.tlog.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    TileRef,
    decode_bundle,
    entries_path,
    tile_path,
    tile_width,
)

Fetch = Callable[[str], bytes | None]
"""A tile's bytes by its path (``tile/0/000``), or None when it does not exist."""


def tile_levels(size: int) -> int:
    """How many tile levels a tree of ``size`` leaves has (0 for the empty tree)."""
    levels = 0
    while size >> (levels * TILE_HEIGHT):
        levels += 1
    return levels


def changed_tiles(old_size: int, new_size: int) -> list[TileRef]:
    """The hash tiles and entry bundles of a tree of ``new_size`` leaves that a tree of
    ``old_size`` did not have in this form: tiles that became full, and the new partial
    tiles at the right edge of every level (entry bundles alongside level 0's tiles).

    Full tiles of the old tree are unchanged and not listed: they never change.
    """
    if not 0 <= old_size <= new_size:
        raise ValueError(f"a tree cannot shrink from {old_size} to {new_size} leaves")
    refs: list[TileRef] = []
    for level in range(tile_levels(new_size)):
        old_nodes = old_size >> (level * TILE_HEIGHT)
        new_nodes = new_size >> (level * TILE_HEIGHT)
        for index in range(old_nodes // TILE_WIDTH, (new_nodes - 1) // TILE_WIDTH + 1):
            width = tile_width(level, index, new_size)
            if width == tile_width(level, index, old_size):
                continue  # same tile as before
            partial = None if width == TILE_WIDTH else width
            refs.append(TileRef(level, index, partial, is_entries=False))
            if level == 0:
                refs.append(TileRef(0, index, partial, is_entries=True))
    return refs


def _perfect_root(hashes: list[bytes]) -> bytes:
    """MTH of a complete subtree from its 2**k equal-level node hashes."""
    while len(hashes) > 1:
        hashes = [merkle.node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]


class TileReader:
    """Node hashes, proofs and entries of the tree of ``size`` leaves, from tiles.

    ``served_size`` is the size of the newest checkpoint the tiles' publisher holds
    (default ``size``): a partial tile of an older size may have been replaced by a
    wider one or by the full tile, and any of those holds the same hashes first (a
    tile's hashes never change), so the reader falls back to them. Fetched tiles are
    kept for the reader's life.
    """

    def __init__(self, fetch: Fetch, size: int, served_size: int | None = None) -> None:
        served = size if served_size is None else served_size
        if not 0 <= size <= served:
            raise ValueError(f"tree size {size} is not within the served size {served}")
        self._fetch = fetch
        self.size = size
        self.served_size = served
        self._tiles: dict[tuple[bool, int, int], bytes] = {}

    def _tile(self, level: int, index: int, *, entries: bool = False) -> bytes:
        """The tile's content at this tree's width (or wider: see the class)."""
        key = (entries, level, index)
        if key in self._tiles:
            return self._tiles[key]
        width = tile_width(level, index, self.size)
        if width == 0:
            raise VerificationError(f"tile ({level}, {index}) is beyond a tree of {self.size}")
        widths = dict.fromkeys([width, tile_width(level, index, self.served_size), TILE_WIDTH])
        for w in widths:
            path = entries_path(index, w) if entries else tile_path(level, index, w)
            data = self._fetch(path)
            if data is not None:
                self._tiles[key] = data
                return data
        what = entries_path(index, width) if entries else tile_path(level, index, width)
        raise VerificationError(f"tile {what} is missing (nor is a wider one served)")

    def hashes(self, level: int, index: int) -> list[bytes]:
        """The hashes of tile ``(level, index)`` at this tree's width."""
        width = tile_width(level, index, self.size)
        data = self._tile(level, index)
        if len(data) < width * merkle.HASH_SIZE or len(data) % merkle.HASH_SIZE:
            raise VerificationError(
                f"tile {tile_path(level, index, width)} holds {len(data)} bytes, "
                f"expected at least {width} hashes of {merkle.HASH_SIZE}"
            )
        return [data[i * merkle.HASH_SIZE : (i + 1) * merkle.HASH_SIZE] for i in range(width)]

    def node(self, node: merkle.NodeId) -> bytes:
        """The hash of complete subtree ``(level, index)`` (within this tree's size)."""
        level, index = node
        if (index + 1) << level > self.size:
            raise VerificationError(f"node {node} is not complete in a tree of {self.size}")
        tile_level, rest = divmod(level, TILE_HEIGHT)
        # its 2**rest descendants at the tile level, all in one tile
        first = index << rest
        tile_index, offset = divmod(first, TILE_WIDTH)
        hashes = self.hashes(tile_level, tile_index)
        return _perfect_root(hashes[offset : offset + (1 << rest)])

    def root(self) -> bytes:
        """MTH of the whole tree, for comparing with its checkpoint."""
        return merkle.hash_range([self.node(n) for n in merkle.range_nodes(0, self.size)])

    def inclusion_proof(self, index: int) -> list[bytes]:
        """PATH(index, D[0:size]), RFC 9162 2.1.3.1."""
        if not 0 <= index < self.size:
            raise VerificationError(f"index {index} is not in a tree of size {self.size}")
        return merkle.hashes_for_ranges(merkle.inclusion_proof_ranges(index, self.size), self.node)

    def consistency_proof(self, first: int) -> list[bytes]:
        """PROOF(first, D[0:size]), RFC 9162 2.1.4.1."""
        if not 0 <= first <= self.size:
            raise VerificationError(f"size {first} is not within a tree of size {self.size}")
        return merkle.hashes_for_ranges(
            merkle.consistency_proof_ranges(first, self.size), self.node
        )

    def bundle(self, index: int) -> list[bytes]:
        """Entry bundle ``index`` at this tree's width."""
        width = tile_width(0, index, self.size)
        try:
            entries = decode_bundle(self._tile(0, index, entries=True))
        except ValueError as exc:
            raise VerificationError(f"entry bundle {index}: {exc}") from exc
        if len(entries) < width:
            raise VerificationError(
                f"entry bundle {entries_path(index, width)} holds {len(entries)} entries, "
                f"expected {width}"
            )
        return entries[:width]

    def entry(self, index: int) -> bytes:
        """Entry ``index``'s bytes, checked against its leaf hash in the level-0 tile."""
        if not 0 <= index < self.size:
            raise VerificationError(f"index {index} is not in a tree of size {self.size}")
        tile_index, offset = divmod(index, TILE_WIDTH)
        data = self.bundle(tile_index)[offset]
        if merkle.leaf_hash(data) != self.hashes(0, tile_index)[offset]:
            raise VerificationError(f"entry {index} does not match its leaf hash in the tile")
        return data


def audit_tiles(
    reader: TileReader, root_hash: bytes, progress: Callable[[int], None] | None = None
) -> Iterator[tuple[int, bytes]]:
    """Every entry of the tree in order, checking as it goes that the tiles are exactly
    what the entries make: each level-0 tile holds the bundle's leaf hashes, each higher
    tile the subtree hashes recomputed from the entries, and the recomputed root is
    ``root_hash`` (the verified checkpoint's). Raises VerificationError at the first
    difference; the last check happens when the iteration ends.
    """
    frontier: dict[merkle.NodeId, bytes] = {}
    upper: dict[merkle.NodeId, bytes] = {}  # recomputed nodes at tile levels 1 and up
    done = 0
    for tile_index in range((reader.size + TILE_WIDTH - 1) // TILE_WIDTH):
        entries = reader.bundle(tile_index)
        leaves = [merkle.leaf_hash(e) for e in entries]
        if leaves != reader.hashes(0, tile_index):
            raise VerificationError(
                f"tile {tile_path(0, tile_index)} does not hold the leaf hashes of its bundle"
            )
        created, frontier = merkle.append_leaves(done, frontier, leaves)
        upper.update((node, h) for node, h in created if node[0] and node[0] % TILE_HEIGHT == 0)
        for entry in entries:
            yield done, entry
            done += 1
        if progress is not None:
            progress(done)
    for level in range(1, tile_levels(reader.size)):
        count = reader.size >> (level * TILE_HEIGHT)
        for tile_index in range((count + TILE_WIDTH - 1) // TILE_WIDTH):
            want = [
                upper[(level * TILE_HEIGHT, tile_index * TILE_WIDTH + i)]
                for i in range(tile_width(level, tile_index, reader.size))
            ]
            if reader.hashes(level, tile_index) != want:
                raise VerificationError(
                    f"tile {tile_path(level, tile_index)} differs from the recomputed tree"
                )
    root = merkle.hash_range(list(frontier.values())) if reader.size else merkle.EMPTY_ROOT
    if root != root_hash:
        raise VerificationError(
            f"the entries make root {root.hex()}, the checkpoint says {root_hash.hex()}"
        )
