"""The responses that are not JSON, each declaring its media type so the OpenAPI document
says what the route sends (receipts and the checkpoint as text, tiles as bytes, the
report as CSV). Starlette adds ``charset=utf-8`` to the text types."""

from __future__ import annotations

from typing import Any

from fastapi.responses import PlainTextResponse, Response

__all__ = ["ALSO_CSV", "BINARY", "CsvResponse", "OctetStreamResponse", "PlainTextResponse"]


class CsvResponse(Response):
    media_type = "text/csv"


class OctetStreamResponse(Response):
    media_type = "application/octet-stream"


BINARY: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/octet-stream": {"schema": {"format": "binary"}}}}
}
"""The ``responses`` of a route that sends bytes (merged into its ``type: string``)."""

ALSO_CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}
"""The ``responses`` of a JSON route that also answers CSV (``?format=csv``)."""
