"""The one place that turns values into the bytes that get signed or hashed.

Entries and statements are serialized with RFC 8785 (JSON Canonicalization Scheme), so any
verifier in any language reproduces the exact bytes. Floats are refused outright: amounts,
credits and scores are integers or decimal strings on the ledger.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import rfc8785

from creditbank.errors import InvalidInput

_SCALARS = (str, int, bool, type(None))


def _reject_floats(value: object, path: str) -> None:
    if type(value) in _SCALARS:
        return
    if isinstance(value, float):
        raise InvalidInput(
            "floats are not allowed on the ledger: send integers or decimal strings",
            field=path or "body",
        )
    if isinstance(value, Mapping):
        for key, item in value.items():
            if type(item) not in _SCALARS:
                _reject_floats(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            if type(item) not in _SCALARS:
                _reject_floats(item, f"{path}.{i}" if path else str(i))


def canonical_bytes(value: Mapping[str, Any], *, field: str = "") -> bytes:
    """RFC 8785 bytes of a JSON object; raises InvalidInput for floats or non-JSON values,
    naming the offending member as a dotted path under ``field``."""
    _reject_floats(value, field)
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise InvalidInput(f"value cannot be canonicalized: {exc}", field=field or "body") from exc


def canonical_object(fields: Mapping[str, Any], embedded: Mapping[str, bytes]) -> bytes:
    """RFC 8785 bytes of an object whose ``embedded`` members are already canonical bytes.

    Lets the log wrap a statement it has already canonicalized (to hash and verify it)
    without serializing it a second time; the result equals ``canonical_bytes`` of the
    whole object.
    """
    _reject_floats(fields, "")
    # Canonicalize once with a placeholder per embedded member, then splice the bytes in.
    # A placeholder cannot collide with string content: quotes inside strings are escaped.
    placeholders = {name: f"\x00embedded:{name}" for name in embedded}
    data = canonical_bytes({**fields, **placeholders})
    for name, raw in embedded.items():
        marker = rfc8785.dumps(placeholders[name])
        if data.count(marker) != 1:
            raise ValueError(f"embedded member {name!r} collides with another value")
        data = data.replace(marker, raw)
    return data


def parse_json_object(data: bytes, *, field: str = "body") -> dict[str, Any]:
    """Parse bytes as one JSON object, with a clear error naming ``field`` otherwise."""
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"not valid JSON: {exc}", field=field) from exc
    if not isinstance(value, dict):
        raise InvalidInput("expected a JSON object", field=field)
    return value
