"""RFC 9162 tree math against the published vectors and a naive recursive reference.

Fixed cases are the RFC 6962 vectors of transparency-dev/merkle (testonly/constants.go
and testdata/{inclusion,consistency}/*/happy-path.json), copied here as data. The naive
reference below is RFC 9162 section 2.1 transcribed literally (MTH, PATH, PROOF,
SUBPROOF), using hashlib directly so it shares no code with the module under test.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.core.errors import VerificationError
from creditbank.core.tlog import merkle

# --- the RFC 6962 vectors (transparency-dev/merkle) ---------------------------------

LEAF_INPUTS = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]

ROOTS = [
    bytes.fromhex(h)
    for h in (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]

NODE_HASHES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]

# (leaf index, tree size, leaf hash, proof, root), from testdata/inclusion/{1,2,4}
INCLUSION_VECTORS = {
    "inclusion-1": (
        0,
        8,
        "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=",
        [
            "lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=",
            "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
            "a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ=",
        ],
        "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",
    ),
    "inclusion-2": (
        5,
        8,
        "QnGia+DYqE8L1UyMMC58s6O10fpngKQLzOKHNHfatlg=",
        [
            "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=",
            "yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=",
            "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc=",
        ],
        "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",
    ),
    "inclusion-4": (
        1,
        5,
        "lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=",
        [
            "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=",
            "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
            "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=",
        ],
        "Tju7H3tHjc/nH7YxYxUZo7yhLJrvyhYSv85ME6hiZNQ=",
    ),
}

# (size1, size2, root1, root2, proof), from testdata/consistency/{1,2,3}
CONSISTENCY_VECTORS = {
    "consistency-1": (
        1,
        8,
        "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=",
        "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",
        [
            "lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=",
            "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
            "a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ=",
        ],
    ),
    "consistency-2": (
        6,
        8,
        "duZ9rbzfHhDht03cYIq9L5jfsW+851J3tSMqEn8gh+8=",
        "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",
        [
            "DrxdNDf74tsVi58Sah0RjjCBgQMdCpSfje3t68VY72o=",
            "yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=",
            "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc=",
        ],
    ),
    "consistency-3": (
        2,
        5,
        "+sVCA+fMaWzw38tCySodnbr3CtnmIfS9jZhmLwDjwSU=",
        "Tju7H3tHjc/nH7YxYxUZo7yhLJrvyhYSv85ME6hiZNQ=",
        [
            "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
            "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=",
        ],
    ),
}


def b64(s: str) -> bytes:
    return base64.b64decode(s, validate=True)


# --- the naive reference: RFC 9162 2.1, literally -----------------------------------


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


class NaiveTree:
    """MTH, PATH and PROOF by recursion over D[lo:hi], memoizing MTH for speed only."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.leaves = leaves
        self._mth: dict[tuple[int, int], bytes] = {}

    def mth(self, lo: int, hi: int) -> bytes:
        key = (lo, hi)
        if key not in self._mth:
            n = hi - lo
            if n == 0:
                h = hashlib.sha256(b"").digest()
            elif n == 1:
                h = hashlib.sha256(b"\x00" + self.leaves[lo]).digest()
            else:
                k = _k(n)
                h = hashlib.sha256(b"\x01" + self.mth(lo, lo + k) + self.mth(lo + k, hi)).digest()
            self._mth[key] = h
        return self._mth[key]

    def path(self, m: int, lo: int, hi: int) -> list[bytes]:
        n = hi - lo
        if n == 1:
            return []
        k = _k(n)
        if m < k:
            return [*self.path(m, lo, lo + k), self.mth(lo + k, hi)]
        return [*self.path(m - k, lo + k, hi), self.mth(lo, lo + k)]

    def proof(self, m: int, n: int) -> list[bytes]:
        return self._subproof(m, 0, n, True)

    def _subproof(self, m: int, lo: int, hi: int, whole: bool) -> list[bytes]:
        n = hi - lo
        if m == n:
            return [] if whole else [self.mth(lo, hi)]
        k = _k(n)
        if m <= k:
            return [*self._subproof(m, lo, lo + k, whole), self.mth(lo + k, hi)]
        return [*self._subproof(m - k, lo + k, hi, False), self.mth(lo, lo + k)]


class StoredTree:
    """What storage holds: every complete node from append_leaves, looked up by id."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        created, self.frontier = merkle.append_leaves(0, {}, [merkle.leaf_hash(x) for x in leaves])
        self.nodes = dict(created)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return merkle.hashes_for_ranges(
            merkle.inclusion_proof_ranges(index, size), self.nodes.__getitem__
        )

    def consistency(self, first: int, second: int) -> list[bytes]:
        return merkle.hashes_for_ranges(
            merkle.consistency_proof_ranges(first, second), self.nodes.__getitem__
        )

    def root(self, size: int) -> bytes:
        return merkle.hash_range([self.nodes[n] for n in merkle.range_nodes(0, size)])


def _leaves(n: int) -> list[bytes]:
    return [f"entry {i}".encode() for i in range(n)]


SMALL = 300
BIG = 100_000


@cache
def small_trees() -> tuple[NaiveTree, StoredTree]:
    leaves = _leaves(SMALL)
    return NaiveTree(leaves), StoredTree(leaves)


@cache
def big_trees() -> tuple[NaiveTree, StoredTree]:
    leaves = _leaves(BIG)
    return NaiveTree(leaves), StoredTree(leaves)


def flip_bit(proof: Sequence[bytes], element: int, bit: int) -> list[bytes]:
    out = list(proof)
    h = bytearray(out[element])
    h[bit // 8] ^= 1 << (bit % 8)
    out[element] = bytes(h)
    return out


# --- fixed vectors -----------------------------------------------------------------


@pytest.mark.parametrize("size", range(len(ROOTS)), ids=lambda s: f"size-{s}")
def test_roots_match_rfc6962_vectors(size: int) -> None:
    leaf_hashes = [merkle.leaf_hash(x) for x in LEAF_INPUTS[:size]]
    assert merkle.root_from_leaves(leaf_hashes) == ROOTS[size]
    assert NaiveTree(LEAF_INPUTS).mth(0, size) == ROOTS[size]


def test_empty_root_is_sha256_of_nothing() -> None:
    assert ROOTS[0] == merkle.EMPTY_ROOT


def test_stored_nodes_match_vector_node_hashes() -> None:
    created, _ = merkle.append_leaves(0, {}, [merkle.leaf_hash(x) for x in LEAF_INPUTS])
    expected = {
        (level, index): bytes.fromhex(h)
        for level, row in enumerate(NODE_HASHES)
        for index, h in enumerate(row)
    }
    assert dict(created) == expected


@pytest.mark.parametrize(
    ("index", "size", "leaf", "proof", "root"),
    list(INCLUSION_VECTORS.values()),
    ids=list(INCLUSION_VECTORS),
)
def test_inclusion_vectors(index: int, size: int, leaf: str, proof: list[str], root: str) -> None:
    expected = [b64(p) for p in proof]
    merkle.verify_inclusion(index, size, b64(leaf), expected, b64(root))
    assert StoredTree(LEAF_INPUTS).inclusion(index, size) == expected


@pytest.mark.parametrize(
    ("first", "second", "root1", "root2", "proof"),
    list(CONSISTENCY_VECTORS.values()),
    ids=list(CONSISTENCY_VECTORS),
)
def test_consistency_vectors(
    first: int, second: int, root1: str, root2: str, proof: list[str]
) -> None:
    expected = [b64(p) for p in proof]
    merkle.verify_consistency(first, second, expected, b64(root1), b64(root2))
    assert StoredTree(LEAF_INPUTS).consistency(first, second) == expected


# The mutations of transparency-dev/merkle's testdata, applied to each happy path.
INCLUSION_MUTATIONS: dict[str, Callable[[int, int, bytes, list[bytes], bytes], tuple]] = {
    "leafIdx+1": lambda i, n, leaf, p, r: (i + 1, n, leaf, p, r),
    "leafIdx-1": lambda i, n, leaf, p, r: (i - 1, n, leaf, p, r),
    "leafIdx^2": lambda i, n, leaf, p, r: (i ^ 2, n, leaf, p, r),
    "treeSize*2": lambda i, n, leaf, p, r: (i, n * 2, leaf, p, r),
    "treeSize/2": lambda i, n, leaf, p, r: (i, n // 2, leaf, p, r),
    "wrong-leaf": lambda i, n, leaf, p, r: (i, n, merkle.leaf_hash(b"WrongLeaf"), p, r),
    "empty-root": lambda i, n, leaf, p, r: (i, n, leaf, p, merkle.EMPTY_ROOT),
    "random-root": lambda i, n, leaf, p, r: (i, n, leaf, p, hashlib.sha256(b"x").digest()),
    "modified-proof[0]": lambda i, n, leaf, p, r: (i, n, leaf, flip_bit(p, 0, 3), r),
    "modified-proof[-1]": lambda i, n, leaf, p, r: (i, n, leaf, flip_bit(p, -1, 3), r),
    "truncated-proof": lambda i, n, leaf, p, r: (i, n, leaf, p[:-1], r),
    "trailing-garbage": lambda i, n, leaf, p, r: (i, n, leaf, [*p, b"\x00" * 32], r),
    "preceding-garbage": lambda i, n, leaf, p, r: (i, n, leaf, [b"\x00" * 32, *p], r),
    "trailing-root": lambda i, n, leaf, p, r: (i, n, leaf, [*p, r], r),
    "preceding-root": lambda i, n, leaf, p, r: (i, n, leaf, [r, *p], r),
    "short-hash": lambda i, n, leaf, p, r: (i, n, leaf, [p[0][:31], *p[1:]], r),
}


@pytest.mark.parametrize("vector", list(INCLUSION_VECTORS), ids=str)
@pytest.mark.parametrize("mutation", list(INCLUSION_MUTATIONS), ids=str)
def test_inclusion_vectors_mutated_fail(vector: str, mutation: str) -> None:
    index, size, leaf, proof, root = INCLUSION_VECTORS[vector]
    args = INCLUSION_MUTATIONS[mutation](index, size, b64(leaf), [b64(p) for p in proof], b64(root))
    with pytest.raises(VerificationError):
        merkle.verify_inclusion(*args)


CONSISTENCY_MUTATIONS: dict[str, Callable[[int, int, bytes, bytes, list[bytes]], tuple]] = {
    "size1+1": lambda m, n, r1, r2, p: (m + 1, n, p, r1, r2),
    "size1-1": lambda m, n, r1, r2, p: (m - 1, n, p, r1, r2),
    "size2*2": lambda m, n, r1, r2, p: (m, n * 2, p, r1, r2),
    "swapped-roots": lambda m, n, r1, r2, p: (m, n, p, r2, r1),
    "wrong-root1": lambda m, n, r1, r2, p: (m, n, p, merkle.EMPTY_ROOT, r2),
    "wrong-root2": lambda m, n, r1, r2, p: (m, n, p, r1, merkle.EMPTY_ROOT),
    "empty-proof": lambda m, n, r1, r2, p: (m, n, [], r1, r2),
    "modified-proof[0]": lambda m, n, r1, r2, p: (m, n, flip_bit(p, 0, 4), r1, r2),
    "modified-proof[-1]": lambda m, n, r1, r2, p: (m, n, flip_bit(p, -1, 4), r1, r2),
    "truncated-proof": lambda m, n, r1, r2, p: (m, n, p[:-1], r1, r2),
    "trailing-garbage": lambda m, n, r1, r2, p: (m, n, [*p, b"\x00" * 32], r1, r2),
    "preceding-garbage": lambda m, n, r1, r2, p: (m, n, [b"\x00" * 32, *p], r1, r2),
    "trailing-root2": lambda m, n, r1, r2, p: (m, n, [*p, r2], r1, r2),
    "preceding-root1": lambda m, n, r1, r2, p: (m, n, [r1, *p], r1, r2),
}


@pytest.mark.parametrize("vector", list(CONSISTENCY_VECTORS), ids=str)
@pytest.mark.parametrize("mutation", list(CONSISTENCY_MUTATIONS), ids=str)
def test_consistency_vectors_mutated_fail(vector: str, mutation: str) -> None:
    first, second, root1, root2, proof = CONSISTENCY_VECTORS[vector]
    args = CONSISTENCY_MUTATIONS[mutation](
        first, second, b64(root1), b64(root2), [b64(p) for p in proof]
    )
    with pytest.raises(VerificationError):
        merkle.verify_consistency(*args)


@pytest.mark.parametrize(
    ("first", "second", "proof", "root1", "root2"),
    [
        (0, 0, [], ROOTS[0], ROOTS[0]),
        (0, 5, [], ROOTS[0], ROOTS[5]),
        (5, 5, [], ROOTS[5], ROOTS[5]),
    ],
    ids=["empty-to-empty", "empty-to-5", "same-size"],
)
def test_consistency_trivial_cases(
    first: int, second: int, proof: list[bytes], root1: bytes, root2: bytes
) -> None:
    merkle.verify_consistency(first, second, proof, root1, root2)


@pytest.mark.parametrize(
    ("first", "second", "proof", "root1", "root2"),
    [
        (5, 5, [], ROOTS[5], ROOTS[6]),
        (5, 5, [ROOTS[5]], ROOTS[5], ROOTS[5]),
        (0, 5, [ROOTS[5]], ROOTS[0], ROOTS[5]),
        (6, 5, [], ROOTS[6], ROOTS[5]),
    ],
    ids=["same-size-other-root", "same-size-nonempty-proof", "from-empty-nonempty", "shrinks"],
)
def test_consistency_trivial_cases_rejected(
    first: int, second: int, proof: list[bytes], root1: bytes, root2: bytes
) -> None:
    with pytest.raises(VerificationError):
        merkle.verify_consistency(first, second, proof, root1, root2)


@pytest.mark.parametrize(
    ("index", "size"), [(0, 0), (5, 5), (-1, 3)], ids=["empty-tree", "past-end", "negative"]
)
def test_inclusion_index_out_of_range(index: int, size: int) -> None:
    with pytest.raises(VerificationError, match="not in a tree"):
        merkle.verify_inclusion(index, size, ROOTS[1], [], ROOTS[1])


# --- exhaustive small trees -----------------------------------------------------------


def test_roots_equal_naive_for_every_size_up_to_300() -> None:
    naive, stored = small_trees()
    for size in range(SMALL + 1):
        assert stored.root(size) == naive.mth(0, size), size


def test_inclusion_proofs_equal_naive_for_every_index_up_to_300() -> None:
    naive, stored = small_trees()
    for size in range(1, SMALL + 1):
        root = naive.mth(0, size)
        for index in range(size):
            proof = stored.inclusion(index, size)
            assert proof == naive.path(index, 0, size), (index, size)
            merkle.verify_inclusion(index, size, naive.mth(index, index + 1), proof, root)


def test_consistency_proofs_equal_naive_for_every_pair_up_to_300() -> None:
    naive, stored = small_trees()
    for second in range(1, SMALL + 1):
        root2 = naive.mth(0, second)
        for first in range(1, second + 1):
            proof = stored.consistency(first, second)
            assert proof == naive.proof(first, second), (first, second)
            merkle.verify_consistency(first, second, proof, naive.mth(0, first), root2)


def test_every_single_bit_flip_is_caught_up_to_64() -> None:
    naive, stored = small_trees()
    for size in range(2, 65):
        root = naive.mth(0, size)
        for index in range(size):
            proof = stored.inclusion(index, size)
            for element in range(len(proof)):
                with pytest.raises(VerificationError):
                    merkle.verify_inclusion(
                        index, size, naive.mth(index, index + 1), flip_bit(proof, element, 0), root
                    )
        for first in range(1, size):
            proof = stored.consistency(first, size)
            for element in range(len(proof)):
                with pytest.raises(VerificationError):
                    merkle.verify_consistency(
                        first, size, flip_bit(proof, element, 7), naive.mth(0, first), root
                    )


# --- properties on larger trees -------------------------------------------------------


@st.composite
def index_and_size(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, BIG))
    return draw(st.integers(0, size - 1)), size


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    second = draw(st.integers(1, BIG))
    return draw(st.integers(1, second)), second


@settings(max_examples=150, deadline=None, database=None)
@given(case=index_and_size(), element=st.integers(0, 63), bit=st.integers(0, 255))
def test_inclusion_large_trees(case: tuple[int, int], element: int, bit: int) -> None:
    index, size = case
    naive, stored = big_trees()
    root, leaf = naive.mth(0, size), naive.mth(index, index + 1)
    proof = stored.inclusion(index, size)
    assert proof == naive.path(index, 0, size)
    assert stored.root(size) == root
    merkle.verify_inclusion(index, size, leaf, proof, root)
    if proof:
        with pytest.raises(VerificationError):
            merkle.verify_inclusion(
                index, size, leaf, flip_bit(proof, element % len(proof), bit), root
            )
        with pytest.raises(VerificationError):
            merkle.verify_inclusion(index, size, leaf, proof[:-1], root)
    with pytest.raises(VerificationError):
        merkle.verify_inclusion(index, size, leaf, [*proof, root], root)
    if size > 1:
        other = (index + 1 + element) % size
        if other != index:
            with pytest.raises(VerificationError):
                merkle.verify_inclusion(other, size, leaf, proof, root)


@settings(max_examples=150, deadline=None, database=None)
@given(case=two_sizes(), element=st.integers(0, 127), bit=st.integers(0, 255))
def test_consistency_large_trees(case: tuple[int, int], element: int, bit: int) -> None:
    first, second = case
    naive, stored = big_trees()
    root1, root2 = naive.mth(0, first), naive.mth(0, second)
    proof = stored.consistency(first, second)
    assert proof == naive.proof(first, second)
    merkle.verify_consistency(first, second, proof, root1, root2)
    if proof:
        with pytest.raises(VerificationError):
            merkle.verify_consistency(
                first, second, flip_bit(proof, element % len(proof), bit), root1, root2
            )
    if first != second:
        with pytest.raises(VerificationError):
            merkle.verify_consistency(first, second, proof, root2, root1)


@settings(max_examples=100, deadline=None, database=None)
@given(start=st.integers(0, BIG), length=st.integers(0, BIG))
def test_range_nodes_are_maximal_aligned_cover(start: int, length: int) -> None:
    end = min(BIG, start + length)
    nodes = merkle.range_nodes(start, end)
    position = start
    for level, index in nodes:
        assert index << level == position  # aligned and contiguous
        position += 1 << level
    assert position == end
    # Maximal: at most two nodes per level (one rising, one falling edge).
    levels = [level for level, _ in nodes]
    assert all(levels.count(lv) <= 2 for lv in set(levels))


@st.composite
def proof_shaped_range(draw: st.DrawFn) -> tuple[int, int]:
    """A range the RFC recursion can produce: start is a multiple of 2^ceil(log2(len))."""
    length = draw(st.integers(1, BIG))
    align = 1 << (length - 1).bit_length()
    start = align * draw(st.integers(0, (BIG - length) // align))
    return start, start + length


@settings(max_examples=100, deadline=None, database=None)
@given(case=proof_shaped_range())
def test_hash_range_is_mth_for_proof_shaped_ranges(case: tuple[int, int]) -> None:
    start, end = case
    naive, stored = big_trees()
    nodes = merkle.range_nodes(start, end)
    assert merkle.hash_range([stored.nodes[n] for n in nodes]) == naive.mth(start, end)


@settings(max_examples=60, deadline=None, database=None)
@given(batches=st.lists(st.integers(0, 40), max_size=12))
def test_appending_in_batches_equals_appending_at_once(batches: list[int]) -> None:
    leaves = [merkle.leaf_hash(x) for x in _leaves(sum(batches))]
    all_created, _ = merkle.append_leaves(0, {}, leaves)
    size, frontier, created = 0, {}, []
    for batch in batches:
        new, frontier = merkle.append_leaves(size, frontier, leaves[size : size + batch])
        created.extend(new)
        size += batch
        assert merkle.hash_range(list(frontier.values())) == merkle.root_from_leaves(leaves[:size])
    assert created == all_created


@given(
    size=st.integers(min_value=1, max_value=1 << 40),
    data=st.data(),
)
def test_inclusion_ranges_for_many_equal_one_at_a_time(size: int, data: st.DataObject) -> None:
    """The batch descent (receipts for a whole batch) gives each index's own ranges."""
    start = data.draw(st.integers(min_value=0, max_value=size - 1))
    count = data.draw(st.integers(min_value=1, max_value=min(size - start, 300)))
    picked = data.draw(
        st.lists(st.integers(min_value=start, max_value=start + count - 1), min_size=1)
    )
    many = merkle.inclusion_proof_ranges_many(picked, size)
    assert many == [merkle.inclusion_proof_ranges(i, size) for i in picked]


def test_inclusion_ranges_for_many_refuse_an_index_outside() -> None:
    with pytest.raises(ValueError, match="not in a tree"):
        merkle.inclusion_proof_ranges_many([3, 8], 8)
