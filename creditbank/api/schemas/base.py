"""The base of every response model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Public(BaseModel):
    """A response body: exactly the members declared (``additionalProperties: false``)."""

    model_config = ConfigDict(extra="forbid")
