"""tlog-tiles paths, entry bundles, and tiles as runs of stored Merkle nodes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.core.tlog import merkle
from creditbank.core.tlog.tiles import (
    MAX_ENTRY_SIZE,
    TILE_HEIGHT,
    TILE_WIDTH,
    TileRef,
    decode_bundle,
    encode_bundle,
    encode_index,
    entries_path,
    parse_tile_path,
    tile_node_range,
    tile_path,
    tile_width,
)


def test_constants() -> None:
    assert (TILE_HEIGHT, TILE_WIDTH, MAX_ENTRY_SIZE) == (8, 256, 65535)


@pytest.mark.parametrize(
    ("n", "encoded"),
    [
        (0, "000"),
        (7, "007"),
        (999, "999"),
        (1000, "x001/000"),
        (1234067, "x001/x234/067"),  # the spec's example
        (2**64 - 1, "x018/x446/x744/x073/x709/x551/615"),
    ],
    ids=["zero", "one-digit", "three-digits", "thousand", "spec-example", "max-uint64"],
)
def test_encode_index(n: int, encoded: str) -> None:
    assert encode_index(n) == encoded


@pytest.mark.parametrize(
    ("path", "ref"),
    [
        ("tile/0/000", TileRef(0, 0, None, False)),
        ("tile/0/x001/234.p/5", TileRef(0, 1234, 5, False)),
        ("tile/63/x001/x234/067", TileRef(63, 1234067, None, False)),
        ("tile/2/001.p/255", TileRef(2, 1, 255, False)),
        ("tile/entries/000.p/1", TileRef(0, 0, 1, True)),
        ("tile/entries/x005/123", TileRef(0, 5123, None, True)),
    ],
    ids=["first", "partial", "max-level", "max-width", "entries-partial", "entries-full"],
)
def test_paths_round_trip(path: str, ref: TileRef) -> None:
    assert parse_tile_path(path) == ref
    assert ref.path == path
    if ref.is_entries:
        assert entries_path(ref.index, ref.width) == path
    else:
        assert tile_path(ref.level, ref.index, ref.width) == path


def test_full_width_is_written_as_a_full_tile() -> None:
    assert tile_path(1, 3, TILE_WIDTH) == tile_path(1, 3) == "tile/1/003"
    assert entries_path(3, TILE_WIDTH) == "tile/entries/003"


@pytest.mark.parametrize(
    "path",
    [
        "tile/00/000",
        "tile/64/000",
        "tile/-1/000",
        "tile/+1/000",
        "tile/1000/000",
        "tile/0/0",
        "tile/0/0000",
        "tile/0/x000/001",
        "tile/0/001/000",
        "tile/0/x01/000",
        "tile/0/y001/000",
        "tile/0/abc",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/05",
        "tile/0/000.p/",
        "tile/0/000.p",
        "tile/0/000.p/5/6",
        "tile/0/x001.p/5",
        "tile/0/000/",
        "tile/0/",
        "tile/0",
        "tiles/0/000",
        "/tile/0/000",
        "tile/data/000",
        "tile/entries/x000/001",
        "tile/0/x001/x002/x003/x004/x005/x006/x007/008",
        "tile/0/\u0660\u0660\u0660",
    ],
    ids=[
        "level-leading-zero",
        "level-64",
        "level-negative",
        "level-plus",
        "level-huge",
        "index-one-digit",
        "index-four-digits",
        "index-leading-zero-group",
        "index-last-not-final",
        "index-short-group",
        "index-bad-prefix",
        "index-letters",
        "width-zero",
        "width-256",
        "width-leading-zero",
        "width-empty",
        "width-missing",
        "width-extra-segment",
        "width-on-upper-group",
        "trailing-slash",
        "empty-index",
        "no-index",
        "wrong-root",
        "leading-slash",
        "go-sumdb-data",
        "entries-leading-zero-group",
        "too-many-groups",
        "arabic-digits",
    ],
)
def test_malformed_paths_rejected(path: str) -> None:
    with pytest.raises(ValueError, match="tile"):
        parse_tile_path(path)


@pytest.mark.parametrize(
    ("level", "n", "width"),
    [(-1, 0, None), (64, 0, None), (0, -1, None), (0, 0, 0), (0, 0, 257)],
    ids=["level-negative", "level-64", "index-negative", "width-zero", "width-257"],
)
def test_tile_path_refuses_bad_values(level: int, n: int, width: int | None) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 -- each case fails for its own reason
        tile_path(level, n, width)


@settings(max_examples=200, database=None)
@given(
    level=st.integers(0, 63),
    n=st.integers(0, 2**64 - 1),
    width=st.none() | st.integers(1, 255),
    entries=st.booleans(),
)
def test_any_tile_path_round_trips(level: int, n: int, width: int | None, entries: bool) -> None:
    path = entries_path(n, width) if entries else tile_path(level, n, width)
    assert parse_tile_path(path) == TileRef(0 if entries else level, n, width, entries)


# --- bundles ------------------------------------------------------------------------


def test_bundle_layout() -> None:
    assert encode_bundle([b"ab", b"", b"c"]) == b"\x00\x02ab\x00\x00\x00\x01c"
    assert encode_bundle([b"x" * 300]) == b"\x01\x2c" + b"x" * 300
    assert encode_bundle([]) == b""


@settings(max_examples=100, database=None)
@given(entries=st.lists(st.binary(max_size=600), max_size=20))
def test_bundle_round_trip(entries: list[bytes]) -> None:
    assert decode_bundle(encode_bundle(entries)) == entries


def test_bundle_max_entry_size() -> None:
    biggest = b"\xff" * MAX_ENTRY_SIZE
    assert decode_bundle(encode_bundle([biggest])) == [biggest]
    with pytest.raises(ValueError, match="65535"):
        encode_bundle([b"ok", biggest + b"\xff"])


@pytest.mark.parametrize(
    "data",
    [b"\x00", b"\x00\x02a", b"\x00\x01a\x00", b"\x00\x05abcd"],
    ids=["half-prefix", "short-entry", "trailing-byte", "short-last-entry"],
)
def test_truncated_bundle_rejected(data: bytes) -> None:
    with pytest.raises(ValueError, match="truncated"):
        decode_bundle(data)


# --- tiles as stored nodes ------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "index", "width", "expected"),
    [
        (0, 0, 256, (0, 0, 256)),
        (0, 3, 17, (0, 768, 17)),
        (1, 2, 1, (8, 512, 1)),
        (2, 0, 256, (16, 0, 256)),
    ],
    ids=["first-leaf-tile", "partial-leaf-tile", "level-1", "level-2"],
)
def test_tile_node_range(
    level: int, index: int, width: int, expected: tuple[int, int, int]
) -> None:
    assert tile_node_range(level, index, width) == expected


@pytest.mark.parametrize(
    ("level", "index", "width"),
    [(0, 0, 0), (0, 0, 257), (0, -1, 1), (64, 0, 1)],
    ids=["width-zero", "width-257", "index-negative", "level-64"],
)
def test_tile_node_range_refuses_bad_values(level: int, index: int, width: int) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 -- each case fails for its own reason
        tile_node_range(level, index, width)


def test_spec_example_tree_of_70000() -> None:
    """tlog-tiles: 273 full level-0 tiles, a partial of 112, one full level-1 tile, a
    partial level-1 tile of 17, and a partial level-2 tile of 1."""
    size = 70_000
    level0 = [tile_width(0, n, size) for n in range(275)]
    assert level0[:273] == [256] * 273
    assert level0[273:] == [112, 0]
    assert [tile_width(1, n, size) for n in range(3)] == [256, 17, 0]
    assert [tile_width(2, n, size) for n in range(2)] == [1, 0]
    assert tile_width(3, 0, size) == 0


def test_tree_of_256_has_a_partial_level_1_tile_of_width_1() -> None:
    assert tile_width(0, 0, 256) == 256
    assert tile_width(1, 0, 256) == 1


def test_tile_hashes_are_the_specs_mth_ranges() -> None:
    """Hash i of tile (l, n) is MTH(D[(n*256+i)*256**l : (n*256+i+1)*256**l])."""
    size = 3 * 256 + 5
    leaves = [f"leaf {i}".encode() for i in range(size)]
    leaf_hashes = [merkle.leaf_hash(x) for x in leaves]
    created, _ = merkle.append_leaves(0, {}, leaf_hashes)
    nodes = dict(created)
    for level in (0, 1):
        for n in range(2):
            width = tile_width(level, n, size)
            if width == 0:
                continue
            tree_level, first, count = tile_node_range(level, n, width)
            tile = [nodes[(tree_level, first + i)] for i in range(count)]
            span = TILE_WIDTH**level
            expected = [
                merkle.root_from_leaves(
                    leaf_hashes[(n * 256 + i) * span : (n * 256 + i + 1) * span]
                )
                for i in range(width)
            ]
            assert tile == expected, (level, n)
    assert tile_width(1, 0, size) == 3
    # and the level-0 tile's hashes are the entry bundle's entries, hashed
    bundle = encode_bundle(leaves[:256])
    assert [merkle.leaf_hash(e) for e in decode_bundle(bundle)] == [
        nodes[(0, i)] for i in range(256)
    ]
