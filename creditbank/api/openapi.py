"""The OpenAPI document, completed in one place: every problem a route can answer is
documented as ``application/problem+json`` with the ProblemDetails schema, derived from
the route's method, path and roles (creditbank.api.policy.ROUTE_ROLES), so no route lists
its refusals by hand. Routes that need a token declare the OAuth2 password flow's bearer
token as their security requirement (``authorize`` reads the header itself); routes anyone
may call declare none.

What each route can answer:

- 401 and 403: a route that needs a token (wrong or no token; a role or an account it
  may not reach);
- 404: a route with path parameters (what they name may not exist);
- 413: a route that takes a body (larger than ``max_request_bytes``);
- 422: every route (a parameter or body that is not valid; a NUL anywhere in the URL);
- 403, 404, 409, 413, 422 and 503: a route that logs a statement (the rules may refuse
  it, its id may be taken, the sequencer may not take writes);
- and the few refusals the table below adds (a login's wrong password, a lookup that
  finds nobody).

5xx other than 503 are not documented: any is a bug.
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Any

from creditbank.access.tokens import Role
from creditbank.api.policy import ROUTE_ROLES, SECURITY_SCHEME, TOKEN_URL
from creditbank.api.problems import PROBLEM_JSON
from creditbank.api.schemas.problems import ProblemDetails

REF_PREFIX = "#/components/schemas/"
_PROBLEM_REF = {"$ref": f"{REF_PREFIX}ProblemDetails"}
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

# The POST routes that do not log a statement (every other POST does).
NOT_LOGGED: frozenset[tuple[str, str]] = frozenset(
    {
        ("POST", "/v1/auth/token"),
        ("POST", "/v1/auth/activate"),
        ("POST", "/v1/auth/logout"),
        ("POST", "/v1/learners/lookup"),
        # the witness (tlog-witness) stores its own state, not a statement
        ("POST", "/witness/add-checkpoint"),
        # a link code is signed for the learner, not logged
        ("POST", "/v1/learners/{account}/link-codes"),
        # an LMS account's link (off the ledger, as the LRS's other links)
        ("POST", "/xapi/links/codes"),
        ("POST", "/v1/learners/{account}/lms-links"),
    }
)
LOGGING = frozenset({403, 404, 409, 413, 422, 503})

# Refusals the method, path and roles do not tell.
EXTRA: dict[tuple[str, str], frozenset[int]] = {
    # a wrong password (401), a locked account (403), a form that does not parse (400)
    ("POST", "/v1/auth/token"): frozenset({400, 401, 403}),
    # a wrong or used code or ID number (401), activation locked (403)
    ("POST", "/v1/auth/activate"): frozenset({401, 403}),
    ("POST", "/v1/learners/lookup"): frozenset({404}),
    # tlog-witness: a malformed request (400), a checkpoint the log did not sign (403),
    # a log this witness does not witness (404); its 409 is the spec's text/x.tlog.size
    ("POST", "/witness/add-checkpoint"): frozenset({400, 403, 404}),
    # an index that is no credit award
    ("GET", "/v1/federation/credit-bundle"): frozenset({404}),
    # a database without a checkpoint (the log was never initialized)
    ("GET", "/tlog/checkpoint"): frozenset({404}),
    # not ready: the database, the sequencer or the checkpoint's age (creditbank.api.operations)
    ("GET", "/readyz"): frozenset({503}),
    # the xAPI LRS (creditbank.api.xapi): a statement id reused with other content, a
    # statement or link target that does not exist
    ("PUT", "/xapi/statements"): frozenset({409, 503}),
    ("GET", "/xapi/statements"): frozenset({404}),
    ("GET", "/xapi/outcomes"): frozenset({404}),
    ("PUT", "/xapi/links/learners"): frozenset({404}),
    ("PUT", "/xapi/links/courses"): frozenset({404}),
}
XAPI_PREFIX = "/xapi/"
"""Where xAPI's 400 stands for the rest of the API's 422 (creditbank.api.xapi)."""
_XAPI_400 = (
    "Not valid xAPI, a parameter that is not, or no supported X-Experience-API-Version; "
    "the problem names the property."
)

_WHY: dict[int, str] = {
    400: "The form body cannot be parsed.",
    401: "No bearer token, or one that is wrong, expired or revoked; or wrong credentials.",
    404: "What the request names does not exist.",
    409: "A conflict with what is logged: an id reused for another statement, an account "
    "or an open application that already exists.",
    413: "The body, or the entry it makes, is too large.",
    422: "A parameter or the body is not valid, or a rule of the bank refuses it; the "
    "problem names the field.",
    503: "The ledger cannot take writes right now; retry later.",
}
_FORBIDDEN_BY_ROLE = (
    "Not allowed: this route is for {who} (a learner reaches only their own account, "
    "a provider only its own records)."
)
_FORBIDDEN_BY_RULES = " Or the statement's author, key or the rules do not allow it."
_LOCKED = "Too many failures: the account is locked for a while."


def _roles_key(path: str) -> str:
    """An OpenAPI path as the role table writes it: ``{path}`` for ``{path:path}``."""
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


_TABLE: dict[tuple[str, str], frozenset[Role]] = {
    (method, _roles_key(path)): roles for (method, path), roles in ROUTE_ROLES.items()
}


def logs(method: str, path: str) -> bool:
    """Whether the route ``method path`` logs a statement (through the sequencer)."""
    return method == "POST" and (method, path) not in NOT_LOGGED


def problem_statuses(method: str, path: str, roles: frozenset[Role], *, has_body: bool) -> set[int]:
    """The problem statuses of the route ``method path`` (an OpenAPI path)."""
    found = {422}
    if roles:
        found |= {401, 403}
    if "{" in path:
        found.add(404)
    if has_body:
        found.add(413)
    if logs(method, path):
        found |= LOGGING
    found |= EXTRA.get((method, path), frozenset())
    if path.startswith(XAPI_PREFIX):
        found = (found - {422}) | {400}
    return found


def _description(status: int, roles: frozenset[Role], *, logging: bool) -> str:
    if status != 403:
        return _WHY.get(status, HTTPStatus(status).phrase)
    if not roles:
        return _LOCKED
    forbidden = _FORBIDDEN_BY_ROLE.format(who=", ".join(sorted(roles)))
    return forbidden + _FORBIDDEN_BY_RULES if logging else forbidden


def document_problems(document: dict[str, Any]) -> dict[str, Any]:
    """Complete a FastAPI OpenAPI ``document`` in place (and return it): the problem
    responses of every operation, the ProblemDetails schema, and the bearer token's
    security requirement on the routes that need one. FastAPI's own 422
    (``HTTPValidationError``, application/json) is replaced: the API answers every refusal
    as a problem."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    components.setdefault("securitySchemes", {})[SECURITY_SCHEME] = {
        "type": "oauth2",
        "flows": {"password": {"scopes": {}, "tokenUrl": TOKEN_URL}},
    }
    schemas["ProblemDetails"] = ProblemDetails.model_json_schema(
        ref_template=REF_PREFIX + "{model}"
    )
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            key = (method.upper(), path)
            roles = _TABLE.get(key, frozenset())
            if roles:
                operation["security"] = [{SECURITY_SCHEME: []}]
            else:
                operation.pop("security", None)
            responses = operation.setdefault("responses", {})
            if path.startswith(XAPI_PREFIX):
                responses.pop("422", None)  # FastAPI's; the LRS answers 400 instead
            has_body = "requestBody" in operation
            for status in sorted(problem_statuses(*key, roles, has_body=has_body)):
                description = (
                    _XAPI_400
                    if status == 400 and path.startswith(XAPI_PREFIX)
                    else _description(status, roles, logging=logs(*key))
                )
                responses[str(status)] = {
                    "description": description,
                    "content": {PROBLEM_JSON: {"schema": dict(_PROBLEM_REF)}},
                }
    text = json.dumps(document.get("paths", {}))
    for unused in ("HTTPValidationError", "ValidationError"):
        if f'"{REF_PREFIX}{unused}"' not in text and unused in schemas:
            del schemas[unused]
    return document
