"""Bad bodies at the HTTP edge: each is an RFC 9457 problem naming the field, and nothing
is written (the log's size and the personal-data tables are compared before and after).

On PostgreSQL (CREDITBANK_TEST_DATABASE_URL) these also show that U+0000 never reaches
the database, which cannot store it in text: a statement holding one used to fail its
batch's commit (503, a stack trace, and the batch re-committed one entry at a time)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import rfc8785

from creditbank.api.limits import MAX_JSON_DEPTH, parse_json_body
from creditbank.bank import Bank
from creditbank.catalogue.service import publish_catalogue
from creditbank.core.entry import SignedStatement
from creditbank.core.errors import InvalidInput
from creditbank.core.keys import KeyPair
from creditbank.ledger.sequencer import Appended
from tests.access.conftest import problem, snapshot
from tests.api.conftest import ASGIClient
from tests.api.test_catalogue_api import course
from tests.catalogue.conftest import small_catalogue
from tests.factories import b64, make_person, register, token_for

JSON = {"content-type": "application/json"}


def signed(statement: dict[str, Any], key: KeyPair) -> SignedStatement:
    """Signed as a client's own RFC 8785 library signs it: those accept U+0000, so the
    bank, not the client, must refuse it."""
    return SignedStatement(statement, key.key_id, key.sign(rfc8785.dumps(statement)))


def payload(s: SignedStatement) -> dict[str, Any]:
    return {"statement": dict(s.statement), "key_id": s.key_id, "signature": b64(s.signature)}


def notice(body: dict[str, Any], sid: str = "n-1") -> dict[str, Any]:
    return {"kind": "notice.published", "actor": "prov-a", "id": sid, "body": body}


def nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = [value]
    return value


@pytest.fixture
def provider(bank: Bank, client: ASGIClient) -> KeyPair:
    publish_catalogue(bank.ledger, small_catalogue(), bank.authority_key())
    key = register(bank, "prov-a")
    client.token = token_for(bank, "prov-a")
    return key


# --- U+0000 -------------------------------------------------------------------------------

NUL_IN_STATEMENTS: list[tuple[str, Callable[[KeyPair], dict[str, Any]], str]] = [
    # the course title is projected into a text column: the case PostgreSQL failed on
    (
        "/v1/courses",
        lambda k: payload(signed(course(title="Responsible\x00AI"), k)),
        "statement.body.title",
    ),
    (
        "/v1/ledger/entries",
        lambda k: payload(signed(notice({"text": "a\x00b"}), k)),
        "statement.body.text",
    ),
    (
        "/v1/ledger/entries",
        lambda k: payload(signed(notice({"text": "x", "tags": ["ok", "b\x00d"]}), k)),
        "statement.body.tags.1",
    ),
    (
        "/v1/ledger/entries",
        lambda k: payload(signed(notice({"te\x00xt": "x"}), k)),
        "statement.body.te\\u0000xt",
    ),
    (
        "/v1/ledger/entries",
        lambda k: {**payload(signed(notice({"text": "x"}), k)), "key_id": k.key_id + "\x00"},
        "key_id",
    ),
]


@pytest.mark.parametrize(
    ("url", "build", "field"),
    NUL_IN_STATEMENTS,
    ids=["course-title", "string", "in-a-list", "member-name", "outside-the-statement"],
)
def test_nul_in_a_statement_is_refused_naming_the_member(
    client: ASGIClient,
    bank: Bank,
    provider: KeyPair,
    url: str,
    build: Callable[[KeyPair], dict[str, Any]],
    field: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = snapshot(bank)
    with caplog.at_level(logging.ERROR):
        body = problem(client.post(url, json=build(provider)), 422, field)
    assert "U+0000" in body["detail"]
    assert body["type"].endswith("/invalid-input")
    assert not caplog.records  # refused, not failed: no stack trace
    assert snapshot(bank) == before


@pytest.mark.parametrize(
    ("text", "status"),
    [("C:\\u0000", 201), ("C:\\\x00", 422)],
    ids=["escaped-backslash-then-u0000", "escaped-backslash-then-nul"],
)
def test_only_a_real_nul_is_refused(
    client: ASGIClient, bank: Bank, provider: KeyPair, text: str, status: int
) -> None:
    """Encoded, a backslash followed by "u0000" contains the bytes ``\\u0000`` too: the
    byte search at the edge and in canonical_bytes matches, the walk lets it pass."""
    before = snapshot(bank)
    r = client.post("/v1/ledger/entries", json=payload(signed(notice({"text": text}), provider)))
    if status == 422:
        problem(r, 422, "statement.body.text")
        assert snapshot(bank) == before
        return
    assert r.status_code == 201, r.text
    entry = client.get(f"/v1/ledger/entries/{r.json()['index']}").json()["entry"]
    assert entry["statement"]["body"]["text"] == text


def test_the_ledger_refuses_nul_before_the_database(
    bank: Bank, provider: KeyPair, caplog: pytest.LogCaptureFixture
) -> None:
    """Below the HTTP edge (CLI, xAPI gateway, operator statements) canonical_bytes is the
    one check: in a batch, only the statement with U+0000 is refused, by the shape check,
    and the rest commit together (no database error, no one-by-one re-commit)."""
    bad = course(title="Bad\x00title")
    bad = {**bad, "id": "course:c2", "body": {**bad["body"], "course_id": "c2"}}
    batch = [
        signed(course(title="Data labelling basics"), provider),
        signed(bad, provider),
        signed(notice({"text": "fine"}), provider),
    ]
    before = snapshot(bank)["log_size"][0]
    with caplog.at_level(logging.ERROR):
        first, refused, last = bank.ledger.append_many(batch)
    assert not caplog.records
    assert isinstance(first, Appended)
    assert isinstance(last, Appended)
    assert isinstance(refused, InvalidInput), refused
    assert refused.field == "statement.body.title"
    assert snapshot(bank)["log_size"][0] == before + 2
    with pytest.raises(InvalidInput) as info:
        bank.ledger.append(batch[1])
    assert info.value.field == "statement.body.title"


def person() -> dict[str, Any]:
    return dict(make_person().model_dump(mode="json"))


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/v1/learners", lambda: {**person(), "name": "王\x00芳"}, "name"),
        (
            "/v1/learners/lookup",
            lambda: {"id_type": "passport", "id_number": "E1234\x005"},
            "id_number",
        ),
    ],
    ids=["open-account-name", "lookup-id-number"],
)
def test_nul_in_personal_data_is_refused(
    client: ASGIClient,
    bank: Bank,
    provider: KeyPair,
    url: str,
    body: Callable[[], dict[str, Any]],
    field: str,
) -> None:
    """Off-ledger bodies meet the same check at the edge (the name is sealed, so nothing
    else would have refused it)."""
    authority = token_for(bank, "authority")
    before = snapshot(bank)
    r = client.post(url, json=body(), token=authority)
    assert "U+0000" in problem(r, 422, field)["detail"]
    assert snapshot(bank) == before


# --- bodies that do not parse -------------------------------------------------------------

UNPARSABLE: list[tuple[bytes, str]] = [
    (b"[" * 1000 + b"]" * 1000, "deep"),
    (json.dumps({"statement": nested(MAX_JSON_DEPTH)}).encode(), "deep"),
    (b'{"statement": "\xff"}', "UTF-8"),
    (b'{"statement": {"n": ' + b"1" * 5000 + b"}}", "digits"),
    (b'{"statement": {"n": NaN}}', "NaN"),
    (b'{"statement": {"n": -Infinity}}', "Infinity"),
    (b"{not json", "not JSON"),
]


@pytest.mark.parametrize(
    ("content", "hint"),
    UNPARSABLE,
    ids=[
        "nested-1000",
        "nested-past-the-limit",
        "not-utf-8",
        "5000-digit-integer",
        "nan",
        "infinity",
        "not-json",
    ],
)
def test_a_body_that_does_not_parse_is_a_problem_naming_body(
    client: ASGIClient, bank: Bank, provider: KeyPair, content: bytes, hint: str
) -> None:
    before = snapshot(bank)
    r = client.post("/v1/ledger/entries", content=content, headers=JSON)
    body = problem(r, 422, "body")
    assert body["type"].endswith("/invalid-input")
    assert hint in body["detail"]
    assert snapshot(bank) == before


# --- duplicate member names ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b'{"key_id": "a", "key_id": "b"}', "key_id"),
        (
            b'{"statement": {"kind": "notice.published", "kind": "actor.registered"}}',
            "statement.kind",
        ),
        (b'{"statement": {"body": {"text": "x", "text": "x"}}}', "statement.body.text"),
        (b'[{"a": 1}, {"b": [{"c": 1, "c": 2}]}]', "1.b.0.c"),
    ],
    ids=["top-level", "nested", "same-value-twice", "inside-arrays"],
)
def test_a_member_given_twice_is_refused_naming_it(
    client: ASGIClient, bank: Bank, provider: KeyPair, content: bytes, field: str
) -> None:
    """Parsers disagree on which of two members wins; the bank takes neither."""
    before = snapshot(bank)
    r = client.post("/v1/ledger/entries", content=content, headers=JSON)
    assert "more than once" in problem(r, 422, field)["detail"]
    assert snapshot(bank) == before


def test_every_json_body_of_the_api_refuses_a_member_given_twice(
    client: ASGIClient, bank: Bank, provider: KeyPair
) -> None:
    """Every route that takes JSON, found from the OpenAPI document, so that a new route
    cannot bypass the check."""
    paths = client.get("/openapi.json").json()["paths"]
    routes = [
        (method, path)
        for path, operations in paths.items()
        for method, op in operations.items()
        if "application/json" in op.get("requestBody", {}).get("content", {})
    ]
    assert len(routes) >= 10, routes  # not vacuous
    before = snapshot(bank)
    for method, path in routes:
        url = path.replace("{", "").replace("}", "")  # any value: refused before routing
        r = client.request(
            method.upper(), url, content=b'{"reason": "a", "reason": "b"}', headers=JSON
        )
        # the xAPI resource answers 400 where the rest answers 422 (the xAPI specification)
        status = 400 if path.startswith("/xapi/") else 422
        assert problem(r, status, "reason")["detail"], (method, path)
    assert snapshot(bank) == before


# --- size ---------------------------------------------------------------------------------


async def chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    while total > 0:
        yield b" " * min(size, total)
        total -= size


def test_a_chunked_body_over_the_limit_is_413(
    client: ASGIClient, bank: Bank, provider: KeyPair
) -> None:
    """No Content-Length: the limit holds while the body streams in."""
    before = snapshot(bank)
    limit = bank.settings.max_request_bytes
    r = client.post("/v1/ledger/entries", content=chunks(limit + 1), headers=JSON)
    assert "content-length" not in r.request.headers  # sent chunked: no header told the size
    body = problem(r, 413, "body")
    assert body["type"].endswith("/body-too-large")
    assert snapshot(bank) == before


def test_a_chunked_body_within_the_limit_reaches_the_route(
    client: ASGIClient, provider: KeyPair
) -> None:
    data = json.dumps(payload(signed(notice({"text": "streamed"}), provider))).encode()

    async def in_pieces() -> AsyncIterator[bytes]:
        for i in range(0, len(data), 7):
            yield data[i : i + 7]

    r = client.post("/v1/ledger/entries", content=in_pieces(), headers=JSON)
    assert r.status_code == 201, r.text


# --- HTTP errors --------------------------------------------------------------------------


def test_http_errors_are_problem_details_with_the_status_phrase(client: ASGIClient) -> None:
    """RFC 9457 4.2.1: an about:blank problem's title is the status's phrase; what went
    wrong is the detail (FastAPI's own refusals of a form body, routing errors)."""
    fields = "&".join(f"f{i}=1" for i in range(1001)).encode()
    cases = [
        (
            client.post(
                "/v1/auth/token",
                content=b"username=a",
                headers={"content-type": "multipart/form-data"},
            ),
            400,
            "Bad Request",
            "Missing boundary in multipart.",
        ),
        (
            client.post(
                "/v1/auth/token",
                content=fields,
                headers={"content-type": "application/x-www-form-urlencoded"},
            ),
            400,
            "Bad Request",
            "Too many fields. Maximum number of fields is 1000.",
        ),
        (client.get("/nowhere"), 404, "Not Found", "Not Found"),
        (client.request("DELETE", "/v1/ledger/entries"), 405, "Method Not Allowed", None),
    ]
    for r, status, title, detail in cases:
        body = problem(r, status)
        assert (body["type"], body["title"]) == ("about:blank", title)
        assert detail is None or body["detail"] == detail


# --- the parser itself --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (json.dumps(nested(MAX_JSON_DEPTH)), None),
        (json.dumps({"a": nested(MAX_JSON_DEPTH)}), "body"),
        (json.dumps(nested(MAX_JSON_DEPTH + 1)), "body"),
        ('{"a": "\\\\u0000"}', None),
        ('{"a": {"b": ["\\u0000"]}}', "a.b.0"),
        ('{"a": 1, "b": {"a": 1}}', None),
        ('{"a": {"b": 1, "b": 1}, "a": 2}', "a"),
        ('"\\ud800"', None),  # a lone surrogate parses; canonical_bytes refuses it on the ledger
    ],
    ids=[
        "at-the-depth-limit",
        "object-one-past-the-limit",
        "array-one-past-the-limit",
        "escaped-backslash",
        "nul-in-a-list",
        "same-name-in-two-objects",
        "inner-repeat-lost-to-an-outer-one",
        "lone-surrogate",
    ],
)
def test_parse_json_body(text: str, field: str | None) -> None:
    if field is None:
        assert parse_json_body(text.encode()) == json.loads(text)
        return
    with pytest.raises(InvalidInput) as info:
        parse_json_body(text.encode())
    assert info.value.field == field


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/v1/certificates/ab%00cd", "path"),
        ("/v1/providers/a%00b/courses", "path"),
        ("/v1/standards?occupation=a%00b", "query"),
    ],
    ids=["certificate-number", "provider-id", "query-parameter"],
)
def test_a_nul_in_the_url_is_a_problem_not_a_5xx(client: ASGIClient, url: str, field: str) -> None:
    r = client.get(url)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == field
