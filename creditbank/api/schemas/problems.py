"""The one shape of every refusal: RFC 9457 problem details (`application/problem+json`),
as creditbank.api.problems and creditbank.core.errors build them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Members a problem carries when they apply. Declared for the document only: the bodies are
# passed through unchanged (a declared optional member would otherwise be sent as null).
_OPTIONAL_MEMBERS: dict[str, Any] = {
    "field": {
        "type": "string",
        "description": "The input at fault, as a dotted path (`statement.body.learner`, "
        "`statements[2].verb.id`), `body` for the body as a whole.",
    },
    "errors": {
        "type": "array",
        "description": "Every invalid member of the request (422 invalid-input).",
        "items": {
            "type": "object",
            "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            "required": ["field", "message"],
        },
    },
    "problems": {
        "type": "array",
        "description": "One problem per refused item (xAPI statements), each with its "
        "`statement` position.",
        "items": {"type": "object"},
    },
    "index": {"type": "integer", "description": "The ledger entry the conflict is with."},
    "expected": {"description": "What the rule expected instead of what was sent."},
    "account": {"type": "string", "description": "The account the conflict is with."},
    "locked_until": {"type": "string", "description": "When a locked account opens again."},
}


def _document_optional_members(schema: dict[str, Any]) -> None:
    schema["properties"].update(_OPTIONAL_MEMBERS)


class ProblemDetails(BaseModel):
    """An RFC 9457 problem: what went wrong, and the field at fault when one is."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_document_optional_members)

    type: str = Field(description="A URI naming the kind of problem.")
    title: str = Field(description="The kind of problem, for people.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="This occurrence, for people.")
