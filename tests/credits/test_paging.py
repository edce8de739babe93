"""Cursor pagination: every list route answers a page (``limit``, default 100, at most
1,000) with a Link rel="next" to the following one; walking the links gives every item
once, in order; the SDK's list methods are iterators that walk them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from creditbank.client import CreditBankClient
from creditbank.core.paging import DEFAULT_LIMIT, encode_cursor
from tests.credits.conftest import World
from tests.factories import token_for


def walk(client: Any, url: str, **kwargs: Any) -> tuple[list[Any], int]:
    """Every item behind ``url``, following Link headers; and how many pages it took."""
    items: list[Any] = []
    pages = 0
    while url:
        response = client.get(url, **kwargs)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body
        pages += 1
        assert len(body) <= int(httpx.URL(url).params.get("limit", DEFAULT_LIMIT))
        url = response.links.get("next", {}).get("url", "")
    return items, pages


def test_standards_page_by_page_give_each_once_in_order(world: World, client: Any) -> None:
    everything = client.get("/v1/standards?limit=1000").json()
    assert len(everything) >= 3
    assert "link" not in client.get("/v1/standards?limit=1000").headers
    items, pages = walk(client, "/v1/standards?limit=2")
    assert items == everything
    assert pages == (len(everything) + 1) // 2
    first = client.get("/v1/standards?limit=1")
    assert first.links["next"]["url"].startswith("/v1/standards?")
    assert [s["id"] for s in items] == sorted(s["id"] for s in items)


def test_a_learners_history_pages_completions_and_awards_together(
    world: World, client: Any
) -> None:
    learner = world.learner()
    for course in ("clean-online", "label-offline", "speech-workplace"):
        world.complete(learner, course)
    client.token = token_for(world.bank, "authority")
    whole = client.get(f"/v1/learners/{learner}/history?receipts=false").json()
    indexes = sorted(
        [c["index"] for c in whole["completions"]] + [a["index"] for a in whole["awards"]]
    )
    assert len(indexes) == 6  # three completions, three awards
    seen: list[int] = []
    url = f"/v1/learners/{learner}/history?receipts=false&limit=4"
    while url:
        response = client.get(url)
        page = response.json()
        got = [c["index"] for c in page["completions"]] + [a["index"] for a in page["awards"]]
        assert len(got) <= 4
        seen += sorted(got)
        link = response.links.get("next", {}).get("url", "")
        assert bool(link) == (page["next_cursor"] is not None)
        url = link
    assert seen == indexes


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("cursor=%21%21", "cursor"),
        ("cursor=bm90LWpzb24", "cursor"),  # base64url, but not a key
        (f"cursor={encode_cursor(7)}", "cursor"),  # a ledger-index cursor on an id list
    ],
)
def test_bad_limits_and_cursors_are_problems_naming_the_field(
    world: World, client: Any, query: str, field: str
) -> None:
    response = client.get(f"/v1/standards?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["field"] == field or field in str(problem.get("errors", ""))


def test_every_list_route_takes_limit_and_cursor_and_documents_the_link(client: Any) -> None:
    document = client.get("/openapi.json").json()
    lists = []
    for path, operations in document["paths"].items():
        get = operations.get("get")
        if get is None or path.startswith("/xapi/"):  # xAPI pages its own way ("more")
            continue
        ok = get["responses"].get("200", {}).get("content", {}).get("application/json", {})
        if ok.get("schema", {}).get("type") != "array":
            continue
        lists.append(path)
        names = {p["name"] for p in get.get("parameters", [])}
        assert {"limit", "cursor"} <= names, path
        assert "Link" in get["responses"]["200"].get("headers", {}), path
    assert "/v1/standards" in lists
    assert "/v1/rewards" in lists


def test_the_sdk_lists_are_iterators_over_every_page(world: World, base_url: str) -> None:
    requests: list[str] = []

    class Recording(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            requests.append(str(request.url.params.get("cursor", "")))
            return super().handle_request(request)

    token = token_for(world.bank, "prov-a")
    with CreditBankClient(base_url, token=token, transport=Recording()) as sdk:
        standards = sdk.standards()
        assert requests == []  # lazy: nothing fetched before iterating
        ids = [s["id"] for s in standards]
        courses = list(sdk.courses("prov-a"))
    assert ids == sorted(ids)
    assert len(ids) == len(set(ids))
    assert {c["course_id"] for c in courses} >= {"clean-online", "label-offline"}
