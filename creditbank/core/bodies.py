"""Parsing statement bodies into typed models, with errors that name the field."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.functional_validators import AfterValidator

from creditbank.core.entry import SignedStatement
from creditbank.core.errors import InvalidInput


class Body(BaseModel):
    """Base of every statement body: frozen, strict about unknown fields and floats."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


B = TypeVar("B", bound=Body)


def parse_body(model: type[B], signed: SignedStatement) -> B:
    """Validate ``signed.body`` as ``model``; the error names ``statement.body.<field>``.

    The result is kept on the statement (bodies are frozen), as a handler's ``check``
    and ``apply`` both parse the same body.
    """
    parsed: dict[type[Body], Body] = signed.__dict__.setdefault("_bodies", {})
    hit = parsed.get(model)
    if hit is not None:
        return hit  # type: ignore[return-value]  # stored under its own model
    try:
        body = model.model_validate(dict(signed.body))
    except ValidationError as exc:
        err = exc.errors()[0]
        path = ".".join(str(p) for p in err["loc"])
        field = "statement.body" + (f".{path}" if path else "")
        raise InvalidInput(f"{field}: {err['msg']}", field=field) from exc
    parsed[model] = body
    return body


def _ed25519_public_key(value: str) -> str:
    try:
        raw = base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise ValueError("public_key must be base64") from exc
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return value


PublicKeyB64 = Annotated[str, AfterValidator(_ed25519_public_key)]
