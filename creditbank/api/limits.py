"""Request bodies at the edge, before any route runs: at most ``max_bytes`` (enforced while
the body streams in, not only by header), and JSON bodies that mean one thing only.

FastAPI parses JSON bodies itself with a plain ``json.loads``, which keeps the last of two
members with one name and answers what it cannot parse (nesting past the recursion limit,
bytes that are not UTF-8, an integer past Python's digit limit) with a bare 400; and a
string holding U+0000 reached PostgreSQL, which cannot store it. So every JSON body of
every route passes ``parse_json_body`` here first. Every refusal is a problem naming the
field, like every other refusal, and is sent before anything is written.

What it costs: a second, stricter parse of each JSON body and a walk for its depth, about
three times FastAPI's own parse: some 10 ms for a 1,000-statement batch (370 KB), some
10 us for one statement, against the signature checks and commit such a body then needs.
The parsed value is kept in the request's scope (``json_body``), so the hottest route,
the LRS's statements, reads it there instead of having FastAPI parse the body again.
"""

from __future__ import annotations

import json
import sys
from functools import partial
from typing import Any, NoReturn

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from creditbank.api.problems import problem_response
from creditbank.core.canonical import refuse_nul
from creditbank.core.errors import InvalidInput

MAX_JSON_DEPTH = 64  # arrays and objects inside one another; ample for statements and xAPI

# Every refusal of a JSON body is 422 invalid-input, with field "body" when the text does
# not parse and the member's path otherwise. 422 rather than 400: the API already answered
# malformed JSON and every wrong member with 422, so "fix what you sent" stays one status
# and one problem type for clients. (FastAPI's own refusals of a form body, such as a
# multipart without a boundary, remain 400 about:blank problems.)
_BAD_BODY = "body"
_PARSED = "creditbank.json_body"  # the scope's key for the parsed JSON body


class _Repeated(dict[str, Any]):
    """A JSON object that names ``name`` twice. The parse hook cannot know where the
    object sits, so it marks it, and the path is looked up once the parse is done."""

    __slots__ = ("name",)
    name: str


def _object(repeated: list[_Repeated], pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj  # the common case: one C call and a length check
    seen: set[str] = set()
    marked = _Repeated(obj)
    for name, _ in pairs:
        if name in seen:
            marked.name = name
            break
        seen.add(name)
    repeated.append(marked)
    return marked


def _not_a_number(literal: str) -> NoReturn:
    raise InvalidInput(f"{literal} is not a JSON number (RFC 8259)", field=_BAD_BODY)


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than ``limit`` deep in ``value`` (level by
    level: no recursion, and no per-node bookkeeping)."""
    level = [value] if isinstance(value, dict | list) else []
    for _ in range(limit):
        deeper: list[Any] = []
        for node in level:
            items = node.values() if isinstance(node, dict) else node
            deeper += [item for item in items if isinstance(item, dict | list)]
        if not deeper:
            return False
        level = deeper
    return True


def _path_of(value: Any, target: object, path: str) -> str | None:
    """Dotted path of ``target`` (by identity) inside ``value``."""
    if value is target:
        return path
    items: Any
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _path_of(item, target, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def parse_json_body(data: bytes) -> Any:
    """``data`` as JSON that means one thing only, or InvalidInput naming the field.

    Refused with field ``body``: bytes that are not UTF-8 (RFC 8259 8.1), text that is
    not JSON (NaN and Infinity included), nesting deeper than MAX_JSON_DEPTH, integers
    past Python's digit limit. Refused with the member's dotted path: a member name given
    twice in one object (which one wins differs between parsers) and U+0000 in any string
    or member name (PostgreSQL text cannot store it).
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"the body is not UTF-8: byte {exc.start} ({data[exc.start]:#04x}) is invalid",
            field=_BAD_BODY,
        ) from exc
    repeated: list[_Repeated] = []
    try:
        value = json.loads(
            text, object_pairs_hook=partial(_object, repeated), parse_constant=_not_a_number
        )
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"the body is not JSON (JSON decode error: {exc.msg} at line {exc.lineno} "
            f"column {exc.colno})",
            field=_BAD_BODY,
        ) from exc
    except RecursionError as exc:
        raise _too_deep() from exc
    except ValueError as exc:  # int(): past sys.get_int_max_str_digits()
        raise InvalidInput(
            f"a number in the body has more than {sys.get_int_max_str_digits()} digits",
            field=_BAD_BODY,
        ) from exc
    # Only a body with that many brackets can nest that deep: one C count spares the walk.
    if data.count(b"[") + data.count(b"{") > MAX_JSON_DEPTH and _deeper_than(value, MAX_JSON_DEPTH):
        raise _too_deep()
    for marked in repeated:
        # An object lost to an outer repeat is not in the value (its own parent is marked
        # too, later): name the first that is.
        where = _path_of(value, marked, "")
        if where is not None:
            raise InvalidInput(
                f"member {marked.name!r} is given more than once in one object",
                field=f"{where}.{marked.name}" if where else marked.name,
            )
    if b"\\u0000" in data:  # JSON can only carry U+0000 escaped; see canonical_bytes
        refuse_nul(value)
    return value


def _too_deep() -> InvalidInput:
    return InvalidInput(
        f"the body nests arrays and objects more than {MAX_JSON_DEPTH} deep", field=_BAD_BODY
    )


def _nul_in_url(scope: Scope) -> InvalidInput | None:
    """A NUL in the path or the query string: no text column stores one (PostgreSQL
    refuses it), and no identifier of the bank holds one."""
    if "\x00" in scope.get("path", ""):
        return InvalidInput("the path holds a NUL character (U+0000)", field="path")
    query: bytes = scope.get("query_string", b"")
    if b"\x00" in query or b"%00" in query:
        return InvalidInput("the query string holds a NUL character (U+0000)", field="query")
    return None


def _is_json(scope: Scope) -> bool:
    """The content types FastAPI parses as JSON: application/json and application/*+json."""
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            media = bytes(value).split(b";", 1)[0].strip().lower()
            maintype, _, subtype = media.partition(b"/")
            return maintype == b"application" and (subtype == b"json" or subtype.endswith(b"+json"))
    return False


class BodyGuard:
    """Read the whole request body first (at most ``max_bytes``), refuse it with a problem
    if it is larger or is JSON that ``parse_json_body`` refuses, then hand it to the app.

    Reading it all before the app runs is what makes a chunked body (no Content-Length)
    over the limit a 413: raised while FastAPI reads the body, it became its 400."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = _nul_in_url(scope)
        if refused is not None:
            await problem_response(refused.problem())(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
        chunks: list[bytes] = []
        seen = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client is gone: there is no one to answer
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body and _is_json(scope):
            try:
                scope[_PARSED] = parse_json_body(body)
            except InvalidInput as exc:
                await problem_response(exc.problem())(scope, receive, send)
                return
        await self.app(scope, _replay(body, receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            {
                "type": "https://creditbank.local/problems/body-too-large",
                "title": "Request body too large",
                "status": 413,
                "detail": f"request bodies are limited to {self.max_bytes} bytes",
                "field": "body",
            }
        )
        await response(scope, receive, send)


def json_body(scope: Scope) -> Any:
    """The request's JSON body as ``BodyGuard`` parsed it; InvalidInput when there is
    none: an empty body, or one sent as another content type than JSON."""
    if _PARSED in scope:
        return scope[_PARSED]
    if _is_json(scope):
        raise InvalidInput("the body is empty: send JSON", field=_BAD_BODY)
    raise InvalidInput(
        "send the body as JSON (Content-Type: application/json)", field="Content-Type"
    )


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the app the body already read, then the client's messages
    (a disconnect) as they come."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
