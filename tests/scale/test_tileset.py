"""The pure tile arithmetic: which tiles a publish writes, and proofs from tiles alone,
against a tree held in memory."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.core.errors import VerificationError
from creditbank.core.tlog import merkle
from creditbank.core.tlog.tiles import (
    TILE_WIDTH,
    encode_bundle,
    entries_path,
    tile_path,
    tile_width,
)
from creditbank.core.tlog.tileset import TileReader, audit_tiles, changed_tiles, tile_levels


def _tree_files(entries: list[bytes], sizes: list[int]) -> dict[str, bytes]:
    """Every file publishes at ``sizes`` in turn would leave (partials kept), built
    naively from all the complete nodes of the largest tree."""
    leaves = [merkle.leaf_hash(e) for e in entries]
    created, _ = merkle.append_leaves(0, {}, leaves)
    nodes = dict(created)
    files: dict[str, bytes] = {}
    for size in sizes:
        for level in range(tile_levels(size)):
            count = size >> (8 * level)
            for n in range((count + TILE_WIDTH - 1) // TILE_WIDTH):
                w = tile_width(level, n, size)
                files[tile_path(level, n, w)] = b"".join(
                    nodes[(8 * level, n * TILE_WIDTH + i)] for i in range(w)
                )
                if level == 0:
                    files[entries_path(n, w)] = encode_bundle(
                        entries[n * TILE_WIDTH : n * TILE_WIDTH + w]
                    )
    return files


def _entries(n: int) -> list[bytes]:
    return [f'{{"n":{i}}}'.encode() for i in range(n)]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (0, 0, []),
        (0, 1, ["tile/0/000.p/1", "tile/entries/000.p/1"]),
        (1, 1, []),
        (255, 256, ["tile/0/000", "tile/entries/000", "tile/1/000.p/1"]),
        (
            200,
            513,
            [
                "tile/0/000",
                "tile/entries/000",
                "tile/0/001",
                "tile/entries/001",
                "tile/0/002.p/1",
                "tile/entries/002.p/1",
                "tile/1/000.p/2",
            ],
        ),
        (256, 300, ["tile/0/001.p/44", "tile/entries/001.p/44"]),
    ],
    ids=["empty", "first", "same", "first-full", "across", "edge-only"],
)
def test_changed_tiles_lists_new_full_and_edge_tiles(
    old: int, new: int, expected: list[str]
) -> None:
    assert [r.path for r in changed_tiles(old, new)] == expected


def test_changed_tiles_refuses_a_shrinking_tree() -> None:
    with pytest.raises(ValueError, match="shrink"):
        changed_tiles(10, 9)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=70_000), min_size=1, max_size=4))
def test_publishing_step_by_step_gives_the_tiles_of_the_final_tree(steps: list[int]) -> None:
    sizes = sorted(steps)
    seen: dict[str, None] = {}
    prev = 0
    for size in sizes:
        for ref in changed_tiles(prev, size):
            seen[ref.path] = None
        prev = size
    final = sizes[-1]
    # every full tile and every edge partial of the final tree was listed at some step
    for level in range(tile_levels(final)):
        count = final >> (8 * level)
        for n in range((count + TILE_WIDTH - 1) // TILE_WIDTH):
            assert tile_path(level, n, tile_width(level, n, final)) in seen


@pytest.mark.parametrize("size", [1, 2, 255, 256, 257, 1000, 65_536 + 300])
def test_reader_proofs_match_the_tree(size: int) -> None:
    entries = _entries(size)
    files = _tree_files(entries, [size])
    reader = TileReader(files.get, size)
    leaves = [merkle.leaf_hash(e) for e in entries]
    root = merkle.root_from_leaves(leaves)
    assert reader.root() == root
    for index in {0, size // 3, size - 1}:
        proof = reader.inclusion_proof(index)
        merkle.verify_inclusion(index, size, leaves[index], proof, root)
        assert reader.entry(index) == entries[index]
    for first in {1, size // 2, size}:
        old_root = merkle.root_from_leaves(leaves[:first])
        merkle.verify_consistency(first, size, reader.consistency_proof(first), old_root, root)
    assert [i for i, _ in audit_tiles(reader, root)] == list(range(size))


def test_an_older_size_is_read_from_the_wider_or_full_tile() -> None:
    """The publisher keeps only newer partials once a tile is full: a reader at an old
    size falls back to the full tile (its first hashes are the old partial's)."""
    entries = _entries(600)
    files = _tree_files(entries, [600])  # no partial of size 300 among them
    assert "tile/0/001.p/44" not in files
    reader = TileReader(files.get, 300, served_size=600)
    leaves = [merkle.leaf_hash(e) for e in entries[:300]]
    root = merkle.root_from_leaves(leaves)
    assert reader.root() == root
    assert reader.entry(299) == entries[299]
    merkle.verify_inclusion(299, 300, leaves[299], reader.inclusion_proof(299), root)


def test_audit_finds_a_changed_entry_and_a_changed_upper_tile() -> None:
    entries = _entries(700)
    files = _tree_files(entries, [700])
    root = merkle.root_from_leaves([merkle.leaf_hash(e) for e in entries])
    bad_bundle = dict(files)
    bundle = bytearray(files["tile/entries/001"])
    bundle[-2] ^= 1
    bad_bundle["tile/entries/001"] = bytes(bundle)
    with pytest.raises(VerificationError, match="leaf hashes"):
        list(audit_tiles(TileReader(bad_bundle.get, 700), root))
    bad_upper = dict(files)
    bad_upper["tile/1/000.p/2"] = bytes(64)
    with pytest.raises(VerificationError, match="tile/1/000"):
        list(audit_tiles(TileReader(bad_upper.get, 700), root))
    with pytest.raises(VerificationError, match="checkpoint says"):
        list(audit_tiles(TileReader(files.get, 700), bytes(32)))


def test_a_missing_tile_is_a_verification_error() -> None:
    files = _tree_files(_entries(10), [10])
    del files["tile/0/000.p/10"]
    with pytest.raises(VerificationError, match="missing"):
        TileReader(files.get, 10).inclusion_proof(3)
