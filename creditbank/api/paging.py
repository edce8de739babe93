"""Cursor pagination on every list route: ``limit`` and ``cursor`` in, the page's items
as the JSON array, and the next page's URL in an RFC 8288 ``Link: <...>; rel="next"``
header (absent on the last page)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request, Response

from creditbank.core.paging import DEFAULT_LIMIT, MAX_LIMIT, Key, PageRequest, cut, page_request

T = TypeVar("T")


def page_params(
    limit: Annotated[
        int,
        Query(ge=1, le=MAX_LIMIT, description=f"Items per page (default {DEFAULT_LIMIT})."),
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            pattern=r"^[A-Za-z0-9_-]+$",
            description='From the previous page\'s Link rel="next".',
        ),
    ] = None,
) -> PageRequest:
    return page_request(limit, cursor)


PageDep = Annotated[PageRequest, Depends(page_params)]

NEXT_LINK: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {
            "Link": {
                "description": 'The next page: `<URL>; rel="next"` (absent on the last page).',
                "schema": {"type": "string"},
            }
        }
    }
}
"""The ``responses=`` of a list route, documenting its Link header."""


def paged(
    request: Request,
    response: Response,
    page: PageRequest,
    rows: Sequence[Any],
    key: Callable[[Any], Key],
    model: Callable[[Any], T],
) -> list[T]:
    """The page out of ``rows`` (the service's rows after the cursor, up to limit + 1) as
    models, with the Link header to the next page set on ``response``."""
    found = cut(rows, key, page)
    link_next(request, response, page, found.next_cursor)
    return [model(r) for r in found.items]


def link_next(
    request: Request, response: Response, page: PageRequest, cursor: str | None
) -> None:
    """Set the Link header to the next page (this request's URL with the next cursor),
    relative to the server so it holds behind any proxy; nothing on the last page."""
    if cursor is not None:
        url = request.url.include_query_params(cursor=cursor, limit=page.limit)
        response.headers["Link"] = f'<{url.path}?{url.query}>; rel="next"'
