"""The one place that turns values into the bytes that get signed or hashed.

Entries and statements are serialized with RFC 8785 (JSON Canonicalization Scheme), so any
verifier in any language reproduces the exact bytes. Floats are refused outright: amounts,
credits and scores are integers or decimal strings on the ledger.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
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


@lru_cache(maxsize=4096)
def _scalar(value: str | int) -> bytes:
    """rfc8785's bytes for a string or integer: cached, as entry members repeat (kinds,
    key ids, one integration time per batch)."""
    return rfc8785.dumps(value)


def _utf16_order(key: str) -> bytes:
    return key.encode("utf-16-be")


def canonical_object(fields: Mapping[str, Any], embedded: Mapping[str, bytes]) -> bytes:
    """RFC 8785 bytes of an object whose ``embedded`` members are already canonical bytes.

    Lets the log wrap a statement it has already canonicalized (to hash and verify it)
    without serializing it again. Every member name and value is serialized by
    ``rfc8785``; this function only puts them in RFC 8785's order (3.2.3: names sorted by
    their UTF-16 code units) and joins them, so the result equals ``canonical_bytes`` of
    the whole object (a property test checks it).
    """
    _reject_floats(fields, "")
    members = dict(embedded)
    try:
        for name, value in fields.items():
            if name in members:
                raise ValueError(f"member {name!r} is both a field and embedded")
            scalar = isinstance(value, str | int) and not isinstance(value, bool)
            members[name] = _scalar(value) if scalar else canonical_value(value)
        return (
            b"{"
            + b",".join(_scalar(k) + b":" + members[k] for k in sorted(members, key=_utf16_order))
            + b"}"
        )
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise InvalidInput(f"value cannot be canonicalized: {exc}", field="body") from exc


def canonical_value(value: Any) -> bytes:
    """RFC 8785 bytes of any JSON value (floats refused)."""
    _reject_floats(value, "")
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise InvalidInput(f"value cannot be canonicalized: {exc}", field="body") from exc
