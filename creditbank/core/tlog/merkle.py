"""RFC 9162 (section 2.1) Merkle tree math: hashing, proof shapes, proof verification.

The tree is never held in memory. Storage keeps the hash of every *complete* subtree,
addressed as ``(level, index)``: the subtree over leaves ``[index << level,
(index + 1) << level)``. Level 0 holds leaf hashes, and tlog-tiles' tiles are just runs of
these nodes. Every hash a proof needs is the hash of a leaf range, and every such range
splits into at most ~log2(n) complete subtrees, so a proof costs O(log n) node reads.

Proof *generation* here only says which ranges (hence which stored nodes) are needed;
the caller fetches them and calls :func:`hash_range`. Proof *verification* follows the
RFC's algorithms step by step.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence

from creditbank.core.errors import VerificationError

NodeId = tuple[int, int]
"""(level, index) of a complete subtree."""

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """MTH of a single entry: SHA-256(0x00 || entry)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """The k of RFC 9162: the largest power of two strictly smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(start: int, end: int) -> list[NodeId]:
    """Split leaves ``[start, end)`` into maximal complete subtrees, left to right."""
    if not 0 <= start <= end:
        raise ValueError(f"bad range [{start}, {end})")
    width = end - start
    if width and not width & (width - 1) and not start & (width - 1):
        # Fast path: the range is itself one complete subtree (every left sibling is).
        level = width.bit_length() - 1
        return [(level, start >> level)]
    nodes: list[NodeId] = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while start + (1 << level) > end:
            level -= 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def hash_range(node_hashes: Sequence[bytes]) -> bytes:
    """MTH of a leaf range from the hashes of its :func:`range_nodes`, in order.

    Only for ranges shaped like RFC 9162's recursive split (a start aligned to the power
    of two at or above the range's size: every proof range and every ``[0, n)``); then
    the split is binary and the range hash is a right fold. ``[1, 4)`` is not such a range.
    """
    if not node_hashes:
        return EMPTY_ROOT
    acc = node_hashes[-1]
    for h in reversed(node_hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def inclusion_proof_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose hashes form PATH(index, D[0:size]) (RFC 9162 2.1.3.1), in order."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} is not in a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    lo, hi, m = 0, size, index
    while hi - lo > 1:
        k = _largest_power_of_two_below(hi - lo)
        if m < k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m = lo + k, m - k
    ranges.reverse()  # the recursion emits the deepest sibling first
    return ranges


def inclusion_proof_ranges_many(indexes: Sequence[int], size: int) -> list[list[tuple[int, int]]]:
    """``inclusion_proof_ranges`` for each of ``indexes`` (any order), in one descent of
    the tree: entries of one batch share all but their lowest levels, so each shared
    step is taken once instead of once per entry."""
    for index in indexes:
        if not 0 <= index < size:
            raise ValueError(f"index {index} is not in a tree of size {size}")
    order = sorted(set(indexes))
    found: dict[int, list[tuple[int, int]]] = {}
    # (lo, hi, the wanted indexes in [lo, hi) sorted, the ranges above, top first)
    stack: list[tuple[int, int, list[int], tuple[tuple[int, int], ...]]] = [(0, size, order, ())]
    while stack:
        lo, hi, wanted, above = stack.pop()
        if hi - lo == 1:
            path = list(above)
            path.reverse()  # deepest sibling first
            found[lo] = path
            continue
        mid = lo + _largest_power_of_two_below(hi - lo)
        split = bisect.bisect_left(wanted, mid)
        if split:
            stack.append((lo, mid, wanted[:split], (*above, (mid, hi))))
        if split < len(wanted):
            stack.append((mid, hi, wanted[split:], (*above, (lo, mid))))
    return [list(found[i]) for i in indexes]


def consistency_proof_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """Leaf ranges whose hashes form PROOF(first, D[0:second]) (RFC 9162 2.1.4.1)."""
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from size {first} to {second}")
    if first in (0, second):
        return []
    ranges: list[tuple[int, int]] = []
    lo, hi, m, whole = 0, second, first, True
    while True:
        n = hi - lo
        if m == n:
            if not whole:
                ranges.append((lo, hi))
            break
        k = _largest_power_of_two_below(n)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    ranges.reverse()
    return ranges


def nodes_for_ranges(ranges: Iterable[tuple[int, int]]) -> list[NodeId]:
    """Every stored node the given ranges need (deduplicated, first-seen order)."""
    seen: dict[NodeId, None] = {}
    for start, end in ranges:
        for node in range_nodes(start, end):
            seen.setdefault(node, None)
    return list(seen)


def hashes_for_ranges(
    ranges: Sequence[tuple[int, int]], lookup: Callable[[NodeId], bytes]
) -> list[bytes]:
    """Resolve each range to its hash using ``lookup`` for stored complete nodes."""
    return [hash_range([lookup(n) for n in range_nodes(a, b)]) for a, b in ranges]


def append_leaves(
    size: int, frontier: Mapping[NodeId, bytes], leaf_hashes: Sequence[bytes]
) -> tuple[list[tuple[NodeId, bytes]], dict[NodeId, bytes]]:
    """Grow a tree of ``size`` leaves by ``leaf_hashes``.

    ``frontier`` holds the hashes of ``range_nodes(0, size)``. Returns every newly
    complete node (leaves included) and the new frontier; the root is
    ``hash_range`` over the new frontier's values in order.
    """
    stack: list[tuple[int, int, bytes]] = [
        (lv, ix, frontier[(lv, ix)]) for lv, ix in range_nodes(0, size)
    ]
    created: list[tuple[NodeId, bytes]] = []
    for offset, h in enumerate(leaf_hashes):
        stack.append((0, size + offset, h))
        created.append(((0, size + offset), h))
        while len(stack) >= 2 and stack[-1][0] == stack[-2][0]:
            lv, ix, right = stack.pop()
            _, _, left = stack.pop()
            parent = (lv + 1, ix >> 1)
            ph = node_hash(left, right)
            stack.append((parent[0], parent[1], ph))
            created.append((parent, ph))
    return created, {(lv, ix): h for lv, ix, h in stack}


def root_from_leaves(leaf_hashes: Sequence[bytes]) -> bytes:
    """Root of a tree given all its leaf hashes (for small trees, tests and audits)."""
    _, frontier = append_leaves(0, {}, leaf_hashes)
    return hash_range(list(frontier.values()))


# --- verification (RFC 9162 2.1.3.2 and 2.1.4.2) ---------------------------------


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """Recompute the root from an inclusion proof, per RFC 9162 2.1.3.2."""
    if not 0 <= index < size:
        raise VerificationError(f"leaf index {index} is not in a tree of size {size}")
    # 1. fn = leaf_index, sn = tree_size - 1, r = leaf hash
    fn, sn, r = index, size - 1, leaf
    # 2. for each p in path
    for p in proof:
        if len(p) != HASH_SIZE:
            raise VerificationError("inclusion proof hash has the wrong length")
        # a. if sn is 0, the proof is too long
        if sn == 0:
            raise VerificationError("inclusion proof is too long")
        # b. if LSB(fn) is set, or fn equals sn
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # i. if LSB(fn) is not set, shift both right until LSB(fn) is set or fn is 0
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        # c. shift fn and sn right by one
        fn >>= 1
        sn >>= 1
    # 3. sn must be 0 at the end
    if sn != 0:
        raise VerificationError("inclusion proof is too short")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise VerificationError unless ``leaf`` is at ``index`` in the tree with ``root``."""
    computed = root_from_inclusion_proof(index, size, leaf, proof)
    if computed != root:
        raise VerificationError(
            f"inclusion proof does not match the root: expected {root.hex()}, "
            f"computed {computed.hex()}"
        )


def verify_consistency(
    first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes
) -> None:
    """Raise VerificationError unless the tree ``first_root`` is a prefix of ``second_root``."""
    if not 0 <= first <= second:
        raise VerificationError(f"sizes {first} and {second} are not in order")
    if any(len(p) != HASH_SIZE for p in proof):
        raise VerificationError("consistency proof hash has the wrong length")
    if first == second:
        if proof:
            raise VerificationError("consistency proof between equal sizes must be empty")
        if first_root != second_root:
            raise VerificationError("equal sizes but different roots")
        return
    if first == 0:
        if proof:
            raise VerificationError("consistency proof from the empty tree must be empty")
        return
    if not proof:
        raise VerificationError("consistency proof is empty")
    path = list(proof)
    # 1. if first is an exact power of two, prepend first_hash to the proof
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    # 2. fn = first - 1, sn = second - 1
    fn, sn = first - 1, second - 1
    # 3. if LSB(fn) is set, shift both right until it is not
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 4. fr and sr start at the first value of the path
    fr = sr = path[0]
    # 5. for each subsequent value c
    for c in path[1:]:
        # a. if sn is 0, the proof is too long
        if sn == 0:
            raise VerificationError("consistency proof is too long")
        # b. if LSB(fn) is set, or fn equals sn
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            # i. until LSB(fn) is set or fn is 0, shift right
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        # c. shift both right by one
        fn >>= 1
        sn >>= 1
    # 6. fr must equal first_root, sr second_root, and sn must be 0
    if sn != 0:
        raise VerificationError("consistency proof is too short")
    if fr != first_root:
        raise VerificationError(
            f"consistency proof does not match the first root: expected {first_root.hex()}, "
            f"computed {fr.hex()}"
        )
    if sr != second_root:
        raise VerificationError(
            f"consistency proof does not match the second root: expected "
            f"{second_root.hex()}, computed {sr.hex()}"
        )
