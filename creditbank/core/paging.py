"""Cursor pagination: a page request, opaque cursors, and cutting a page out of sorted items.

Every list the bank serves is sorted by a unique key (a ledger index, a standard id, a
course id). A page is the first ``limit`` items after the cursor's key; the cursor of the
next page is the key of the last item served, so pages stay stable while the log grows
(a new item lands on a later page, never shifting earlier ones). Cursors are opaque to
clients: base64url of the key as JSON.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from creditbank.core.errors import InvalidInput

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

Key = int | str | tuple[int, str]
T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    """At most ``limit`` items after ``after`` (None: from the start)."""

    limit: int = DEFAULT_LIMIT
    after: Key | None = None

    def after_as(self, example: Key) -> Key | None:
        """The cursor's key, refused unless it has the shape of ``example`` (a cursor of
        another list)."""
        if self.after is not None and _shape(self.after) != _shape(example):
            raise InvalidInput("this cursor belongs to another list", field="cursor")
        return self.after


@dataclass(frozen=True)
class Page(Generic[T]):
    """Items of one page, and the cursor of the next (None on the last page)."""

    items: list[T]
    next_cursor: str | None


def _shape(key: Key) -> tuple[type, ...]:
    return tuple(type(k) for k in key) if isinstance(key, tuple) else (type(key),)


def encode_cursor(key: Key) -> str:
    value = list(key) if isinstance(key, tuple) else key
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Key:
    """The key a cursor stands for; InvalidInput (field ``cursor``) for anything else."""
    bad = InvalidInput("not a cursor this bank gave out", field="cursor")
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise bad from exc
    if isinstance(key, list) and len(key) == 2:
        index, name = key
        if isinstance(index, int) and not isinstance(index, bool) and isinstance(name, str):
            return (index, name)
        raise bad
    if isinstance(key, bool) or not isinstance(key, int | str):
        raise bad
    return key


def page_request(limit: int, cursor: str | None) -> PageRequest:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be 1 to {MAX_LIMIT}", field="limit")
    return PageRequest(limit, None if cursor is None else decode_cursor(cursor))


def cut(rows: Sequence[T], key: Callable[[T], Key], request: PageRequest) -> Page[T]:
    """The page out of ``rows``: sorted by ``key``, already after the cursor, and holding
    up to ``limit + 1`` rows (the extra one only tells that another page follows)."""
    items = list(rows[: request.limit])
    more = len(rows) > request.limit
    return Page(items, encode_cursor(key(items[-1])) if more and items else None)


def after(rows: Sequence[T], key: Callable[[T], Key], request: PageRequest) -> Page[T]:
    """The page of an in-memory list sorted by ``key`` (small lists such as the catalogue)."""
    start = request.after
    rest = [r for r in rows if start is None or _greater(key(r), start)]
    return cut(rest[: request.limit + 1], key, request)


def _greater(a: Key, b: Key) -> bool:
    if _shape(a) != _shape(b):
        raise InvalidInput("this cursor belongs to another list", field="cursor")
    return a > b  # type: ignore[operator]  # same shape, checked above
