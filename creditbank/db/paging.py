"""Keyset pagination in SQL: the rows after a page request's cursor, one more than asked
(the extra row tells the caller another page follows; ``creditbank.core.paging.cut``)."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from sqlalchemy import tuple_

from creditbank.core.paging import Key, PageRequest

S = TypeVar("S")  # a select of SQLAlchemy Core or of SQLModel (model or tuple rows)


def keyset(query: S, page: PageRequest | None, *columns: Any, example: Key) -> S:
    """``query`` (already ordered by ``columns``) limited to the page: rows whose key is
    after the cursor, at most ``limit + 1``. None: every row (internal readers)."""
    if page is None:
        return query
    limited: Any = query
    after = page.after_as(example)
    if after is not None:
        if isinstance(after, tuple):
            limited = limited.where(tuple_(*columns) > tuple_(*after))
        else:
            limited = limited.where(columns[0] > after)
    return cast(S, limited.limit(page.limit + 1))
