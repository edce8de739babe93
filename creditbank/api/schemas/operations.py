"""Response models of the operations routes: liveness and readiness."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from creditbank.api.schemas.base import Public


class HealthPublic(Public):
    status: Literal["ok"] = Field(description="The process answers.")


class ReadyPublic(Public):
    status: Literal["ready"]
    database: bool = Field(description="The database answered a query on the log's state.")
    sequencer: bool = Field(description="The sequencer takes appends.")
    tree_size: int | None = Field(description="Entries in the log.")
    checkpoint_age_seconds: float | None = Field(
        description="Age of the latest checkpoint (null for a log without one)."
    )
