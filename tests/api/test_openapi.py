"""The OpenAPI document says what every route answers: a schema (or a media type) for its
success, and every problem it can answer as application/problem+json with the
ProblemDetails schema. And what the routes really answer matches it: every route, called
by every kind of caller on the role matrix's world (so the successes of the signed
writes, which fuzzing cannot sign, are checked too)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from creditbank.api.app import create_app
from creditbank.api.policy import ROUTE_ROLES
from creditbank.bank import Bank
from tests.access.conftest import orgs  # noqa: F401  (the world's organisations)
from tests.access.test_role_matrix import (  # noqa: F401  (app_bank, world: fixtures)
    CALLERS,
    World,
    api_routes,
    app_bank,
    world,
)
from tests.api.conftest import ASGIClient

PROBLEM_JSON = "application/problem+json"
PROBLEM_REF = "#/components/schemas/ProblemDetails"
CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# The routes answering something other than JSON, and what.
NOT_JSON = {
    ("GET", "/tlog/checkpoint"): "text/plain",
    ("GET", "/metrics"): "text/plain",
    ("GET", "/tlog/tile/{path}"): "application/octet-stream",
    ("GET", "/v1/ledger/key"): "text/plain",
    ("GET", "/v1/ledger/entries/{index}/receipt"): "text/plain",
    ("GET", "/v1/learners/{account}/receipts/{index}"): "text/plain",
    ("GET", "/v1/reports/{year}.csv"): "text/csv",
    ("POST", "/witness/add-checkpoint"): "text/plain",
}
# Refusals a protocol fixes as something else than a problem (tlog-witness's 409 is the
# witness's known size as text/x.tlog.size).
NOT_PROBLEMS = {("POST", "/witness/add-checkpoint", 409)}
# The routes answering JSON-LD verifiable credentials (a model, as application/vc+ld+json).
VERIFIABLE_CREDENTIALS = {
    ("GET", "/v1/certificates/{certificate_number}/credential"),
    ("GET", "/v1/learners/{account}/certificates/{certificate_number}/credential"),
    ("GET", "/v1/learners/{account}/transcript"),
    ("GET", "/v1/certifiers/{actor_id}/status-list"),
}
NO_CONTENT = {
    ("POST", "/v1/auth/activate"),
    ("POST", "/v1/auth/logout"),
    ("PUT", "/xapi/statements"),
    ("PUT", "/xapi/links/learners"),
    ("PUT", "/xapi/links/courses"),
    ("DELETE", "/v1/learners/{account}/lms-links"),
}
# The 201 routes that create something other than a ledger entry.
NOT_APPENDED = {"/v1/learners", "/xapi/links/codes", "/v1/learners/{account}/lms-links"}
# The POST routes that log nothing (every other POST logs a statement).
NOT_LOGGED = {
    ("POST", "/v1/auth/token"),
    ("POST", "/v1/auth/activate"),
    ("POST", "/v1/auth/logout"),
    ("POST", "/v1/learners/lookup"),
    ("POST", "/witness/add-checkpoint"),
    ("POST", "/v1/learners/{account}/link-codes"),
    ("POST", "/xapi/links/codes"),
    ("POST", "/v1/learners/{account}/lms-links"),
}


def openapi_path(path: str) -> str:
    """A route's path as OpenAPI writes it (``{path}`` for ``{path:path}``)."""
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


@pytest.fixture
def document(app_bank: Bank) -> dict[str, Any]:  # noqa: F811  (the fixture imported above)
    found: dict[str, Any] = create_app(app_bank).openapi()
    return found


def test_every_route_is_in_the_document(
    app_bank: Bank,  # noqa: F811  (the fixture imported above)
    document: dict[str, Any],
) -> None:
    documented = {(method, path) for method, path, _ in operations(document)}
    assert documented == {(m, openapi_path(p)) for m, p in api_routes(app_bank)}


def test_every_success_has_a_schema_or_a_media_type(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        successes = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
        assert successes, (method, path)
        for status, response in successes.items():
            content = response.get("content", {})
            if (method, path) in NO_CONTENT:
                assert status == "204"
                assert content == {}
                continue
            if (method, path) in NOT_JSON:
                assert list(content) == [NOT_JSON[(method, path)]]
                assert content[NOT_JSON[(method, path)]]["schema"]["type"] == "string"
                continue
            if (method, path) in VERIFIABLE_CREDENTIALS:
                assert list(content) == ["application/vc+ld+json"]
                assert "$ref" in content["application/vc+ld+json"]["schema"]
                continue
            schema = content["application/json"]["schema"]
            # a model, a list of models, or (xAPI) the list of statement ids
            target = schema.get("items", schema)
            assert "$ref" in target or target.get("type") == "string", (method, path, schema)


def test_the_signed_writes_document_the_re_post(document: dict[str, Any]) -> None:
    """201 for a new entry and 200 (the original receipt) for a re-post, both AppendedOut."""
    writes = [
        (method, path, operation)
        for method, path, operation in operations(document)
        if "201" in operation["responses"] and path not in NOT_APPENDED
    ]
    assert len(writes) >= 15
    for method, path, operation in writes:
        for status in ("200", "201"):
            schema = operation["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/AppendedOut"}, (method, path)


def test_every_problem_is_documented_as_problem_details(document: dict[str, Any]) -> None:
    roles_of = {(m, openapi_path(p)): roles for (m, p), roles in ROUTE_ROLES.items()}
    for method, path, operation in operations(document):
        responses = operation["responses"]
        problems = {int(s) for s in responses if s[0] in "45"}
        expected = {422}
        if roles_of[(method, path)]:
            expected |= {401, 403}
        if "{" in path:
            expected.add(404)
        if "requestBody" in operation:
            expected.add(413)
        if method == "POST" and (method, path) not in NOT_LOGGED:
            expected |= {403, 404, 409, 413, 422, 503}
        if path.startswith("/xapi/"):  # xAPI answers 400 where the rest answers 422
            expected = (expected - {422}) | {400}
            assert 422 not in problems, (method, path)
        assert expected <= problems, (method, path, sorted(expected - problems))
        for status in problems:
            if (method, path, status) in NOT_PROBLEMS:
                continue
            content = responses[str(status)]["content"]
            assert content == {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}, (method, path)
            assert responses[str(status)]["description"]
        # public routes ask for no token; the others for the bearer token
        assert ("security" in operation) == bool(roles_of[(method, path)]), (method, path)
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas  # FastAPI's own 422 shape is never sent
    problem = schemas["ProblemDetails"]
    assert problem["required"] == ["type", "title", "status", "detail"]
    assert {"field", "errors", "problems"} <= set(problem["properties"])
    assert problem["additionalProperties"] is True


def test_the_login_and_activation_document_their_refusals(document: dict[str, Any]) -> None:
    login = document["paths"]["/v1/auth/token"]["post"]["responses"]
    assert {"400", "401", "403", "422"} <= set(login)
    activation = document["paths"]["/v1/auth/activate"]["post"]["responses"]
    assert {"401", "403", "422"} <= set(activation)


def test_every_answer_matches_the_document(
    world: World,  # noqa: F811  (the fixture imported above)
    client: ASGIClient,
    subtests: Any,
) -> None:
    """What the role matrix sends: allowed callers get their success (201/200 for signed
    writes, with valid signatures), the others 401 or 403; each answer is checked against
    the document (status, content type, body schema, headers)."""
    schema = schemathesis.openapi.from_dict(create_app(world.bank).openapi())
    for caller in CALLERS:
        with subtests.test(caller=caller):
            for method, path in api_routes(world.bank):
                call = world.build(method, path, caller)
                r = client.request(
                    method,
                    call.url,
                    token=world.token(caller, call),
                    json=call.json,
                    data=call.data,
                    headers=call.headers or {},
                )
                operation = schema[openapi_path(path)][method]
                operation.Case().validate_response(
                    r, checks=CHECKS, transport_kwargs={"base_url": str(r.request.url.join("/"))}
                )
