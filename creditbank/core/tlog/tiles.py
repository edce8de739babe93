"""C2SP tlog-tiles addressing, entry bundles, and how tiles map onto stored nodes.

A tile at level ``L``, index ``N`` holds up to 256 consecutive hashes of tree level
``8 * L``: hash ``i`` is MTH(D[(N*256 + i) * 256**L : (N*256 + i + 1) * 256**L]), which
is the complete-subtree node ``(8 * L, N*256 + i)`` in :mod:`creditbank.core.tlog.merkle`'s
addressing. So storage serves a tile as one run of stored nodes and keeps no tile blobs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_TILE_LEVEL = 63
MAX_ENTRY_SIZE = 0xFFFF
"""Entry bundles prefix each entry with a big-endian uint16 length."""
MAX_INDEX_GROUPS = 7
"""Three-digit path groups for an index: enough for any 64-bit tile index."""

_SMALL_DECIMAL = re.compile(r"0|[1-9][0-9]{0,2}")
_GROUP = re.compile(r"[0-9]{3}")


@dataclass(frozen=True)
class TileRef:
    """A parsed tile path. Entry bundles have ``is_entries`` set and ``level`` 0.

    ``width`` is None for a full tile, else 1..255 for a partial one.
    """

    level: int
    index: int
    width: int | None
    is_entries: bool

    @property
    def path(self) -> str:
        """The path this reference was parsed from (the canonical form)."""
        if self.is_entries:
            return entries_path(self.index, self.width)
        return tile_path(self.level, self.index, self.width)

    @property
    def count(self) -> int:
        """How many hashes (or entries) the tile holds."""
        return TILE_WIDTH if self.width is None else self.width


def encode_index(n: int) -> str:
    """Tile index as zero-padded 3-digit path elements, all but the last ``x``-prefixed."""
    if n < 0:
        raise ValueError(f"tile index {n} is negative")
    digits = str(n)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])


def _suffix(width: int | None) -> str:
    if width is None or width == TILE_WIDTH:
        return ""
    if not 1 <= width < TILE_WIDTH:
        raise ValueError(f"partial tile width {width} is not in 1..255")
    return f".p/{width}"


def tile_path(level: int, n: int, width: int | None = None) -> str:
    """``tile/<L>/<N>[.p/<W>]``; ``width`` None or 256 means a full tile."""
    if not 0 <= level <= MAX_TILE_LEVEL:
        raise ValueError(f"tile level {level} is not in 0..63")
    return f"tile/{level}/{encode_index(n)}{_suffix(width)}"


def entries_path(n: int, width: int | None = None) -> str:
    """``tile/entries/<N>[.p/<W>]``: the entry bundle matching level-0 tile ``n``."""
    return f"tile/entries/{encode_index(n)}{_suffix(width)}"


def _small_decimal(text: str, what: str, path: str) -> int:
    if _SMALL_DECIMAL.fullmatch(text) is None:
        raise ValueError(f"bad {what} {text!r} in tile path {path!r}")
    return int(text)


def parse_tile_path(path: str) -> TileRef:
    """Parse ``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]``, strictly.

    Rejects leading zeros in ``L`` and ``W``, ``W`` outside 1..255, ``L`` above 63, and a
    non-canonical ``N`` (a leading ``x000`` group), so every tile has exactly one path.
    """
    segments = path.split("/")
    if len(segments) < 3 or segments[0] != "tile":
        raise ValueError(f"not a tile path: {path!r}")
    # 1. level, or the entries marker
    is_entries = segments[1] == "entries"
    level = 0 if is_entries else _small_decimal(segments[1], "level", path)
    if level > MAX_TILE_LEVEL:
        raise ValueError(f"tile level {level} is not in 0..63 in {path!r}")
    rest = segments[2:]
    # 2. the optional partial-width suffix ".p/<W>" after the last index group
    width: int | None = None
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        width = _small_decimal(rest[-1], "width", path)
        if not 1 <= width < TILE_WIDTH:
            raise ValueError(f"partial tile width {width} is not in 1..255 in {path!r}")
        rest = [*rest[:-2], rest[-2].removesuffix(".p")]
    # 3. the index: xDDD/.../DDD, no leading all-zero group
    if len(rest) > MAX_INDEX_GROUPS:
        raise ValueError(f"tile index has too many groups in {path!r}")
    *upper, last = rest
    if any(not g.startswith("x") or _GROUP.fullmatch(g[1:]) is None for g in upper):
        raise ValueError(f"bad tile index group in {path!r}")
    if _GROUP.fullmatch(last) is None:
        raise ValueError(f"bad final tile index group {last!r} in {path!r}")
    if upper and upper[0] == "x000":
        raise ValueError(f"tile index has a leading zero group in {path!r}")
    index = int("".join([g[1:] for g in upper] + [last]))
    return TileRef(level, index, width, is_entries)


def encode_bundle(entries: Sequence[bytes]) -> bytes:
    """An entry bundle: each entry as a big-endian uint16 length, then its bytes."""
    out = bytearray()
    for i, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_SIZE:
            raise ValueError(f"entry {i} is {len(entry)} bytes, over {MAX_ENTRY_SIZE}")
        out += len(entry).to_bytes(2, "big")
        out += entry
    return bytes(out)


def decode_bundle(data: bytes) -> list[bytes]:
    """Split an entry bundle back into entries; ValueError if it is truncated."""
    entries: list[bytes] = []
    pos = 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise ValueError(f"entry bundle truncated in a length prefix at byte {pos}")
        size = int.from_bytes(data[pos : pos + 2], "big")
        pos += 2
        if pos + size > len(data):
            raise ValueError(
                f"entry bundle truncated: entry {len(entries)} needs {size} bytes, "
                f"{len(data) - pos} left"
            )
        entries.append(data[pos : pos + size])
        pos += size
    return entries


def tile_node_range(level: int, index: int, width: int) -> tuple[int, int, int]:
    """(tree level, first node index, count) of the stored nodes making up a tile."""
    if not 0 <= level <= MAX_TILE_LEVEL:
        raise ValueError(f"tile level {level} is not in 0..63")
    if index < 0:
        raise ValueError(f"tile index {index} is negative")
    if not 1 <= width <= TILE_WIDTH:
        raise ValueError(f"tile width {width} is not in 1..256")
    return level * TILE_HEIGHT, index * TILE_WIDTH, width


def tile_width(level: int, index: int, size: int) -> int:
    """Width of tile ``(level, index)`` in a tree of ``size`` leaves: 0 (absent) to 256."""
    if not 0 <= level <= MAX_TILE_LEVEL or index < 0 or size < 0:
        raise ValueError(f"bad tile ({level}, {index}) or tree size {size}")
    nodes_at_level = size >> (level * TILE_HEIGHT)
    return max(0, min(TILE_WIDTH, nodes_at_level - index * TILE_WIDTH))
