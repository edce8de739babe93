"""The one place that turns values into the bytes that get signed or hashed.

Entries and statements are serialized with RFC 8785 (JSON Canonicalization Scheme), so any
verifier in any language reproduces the exact bytes. Floats are refused outright: amounts,
credits and scores are integers or decimal strings on the ledger.

``rfc8785`` is pure Python and was the largest single cost of an append. Without floats,
RFC 8785 output for the values the ledger holds equals the standard library's C JSON
encoder with sorted keys, no whitespace and no ASCII escaping, as long as every object key
is ASCII (RFC 8785 sorts by UTF-16 code units, Python by code points; they agree below
U+10000) and every integer is within IEEE 754's exact range. ``canonical_bytes`` checks
exactly that in one walk and otherwise hands the value to ``rfc8785``; a property test
compares both on arbitrary values.

No string of a statement may hold U+0000: PostgreSQL text cannot store it (a statement
holding one failed deep in a batch commit), so every statement is refused here, on every
engine, naming the member. Both encoders write U+0000 as the six bytes ``\\u0000``, so
one byte search on the output is the whole cost for clean statements.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import rfc8785

from creditbank.core.errors import InvalidInput

_SCALARS = (str, int, bool, type(None))
_INT_MAX = 2**53 - 1
_NUL_ESCAPED = b"\\u0000"  # U+0000 as both encoders write it inside a JSON string
_encode = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
).encode
_encode_str: Any = json.encoder.encode_basestring  # the C escaper where available


class _NotPlain(Exception):
    """The value holds something the fast path does not cover; use rfc8785."""


def _check_plain(value: Any) -> None:
    """Raise _NotPlain unless ``value`` is made of dicts with ASCII string keys, lists,
    tuples, strings, booleans, None and integers in RFC 8785's exact range (exact types:
    subclasses, floats and anything else go to the reference path)."""
    t = type(value)
    if t is str or t is bool or value is None:
        return
    if t is int:
        if not -_INT_MAX <= value <= _INT_MAX:
            raise _NotPlain
        return
    if t is dict:
        for key, item in value.items():
            if type(key) is not str or not key.isascii():
                raise _NotPlain
            if type(item) is not str:
                _check_plain(item)
        return
    if t is list or t is tuple:
        for item in value:
            if type(item) is not str:
                _check_plain(item)
        return
    raise _NotPlain


def _fast(value: Any) -> bytes:
    """RFC 8785 bytes through the C encoder; raises _NotPlain (see above) or
    UnicodeEncodeError (a lone surrogate, which RFC 8785 refuses too)."""
    _check_plain(value)
    return _encode(value).encode("utf-8")


def _unencodable(exc: UnicodeEncodeError, field: str) -> InvalidInput:
    return InvalidInput(
        f"value cannot be canonicalized: input contains non-UTF-8 codepoints ({exc.reason})",
        field=field or "body",
    )


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


def _reference(value: Any, field: str) -> bytes:
    """RFC 8785 bytes through ``rfc8785``, floats refused first with their path."""
    _reject_floats(value, field)
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise InvalidInput(f"value cannot be canonicalized: {exc}", field=field or "body") from exc


def _nul_path(value: object, path: str) -> str | None:
    """Dotted path of the first member name or string in ``value`` holding U+0000."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = str(key)
            if "\x00" in name:  # the name itself: show where, escaped as JSON writes it
                name = name.replace("\x00", "\\u0000")
                return f"{path}.{name}" if path else name
            found = _nul_path(item, f"{path}.{name}" if path else name)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = _nul_path(item, f"{path}.{i}" if path else str(i))
            if found is not None:
                return found
    return None


def refuse_nul(value: object, field: str = "") -> None:
    """Raise InvalidInput naming (as a dotted path under ``field``) the first member name
    or string in ``value`` that holds U+0000, which PostgreSQL text cannot store."""
    path = _nul_path(value, field)
    if path is not None:
        raise InvalidInput("strings may not contain U+0000 (NUL)", field=path or "body")


def canonical_bytes(value: Mapping[str, Any], *, field: str = "") -> bytes:
    """RFC 8785 bytes of a JSON object; raises InvalidInput for floats, U+0000 in any
    string or member name, or non-JSON values, naming the offending member as a dotted
    path under ``field``."""
    data: bytes | None
    try:
        data = _fast(value)
    except _NotPlain:
        data = None
    except UnicodeEncodeError as exc:
        raise _unencodable(exc, field) from exc
    if data is None:
        data = _reference(value, field)
    if _NUL_ESCAPED in data:
        # Rare, so only now walk the value for the member; the search can also match an
        # escaped backslash followed by "u0000" (``\\u0000``), which the walk lets pass.
        refuse_nul(value, field)
    return data


@lru_cache(maxsize=4096)
def canonical_scalar(value: str | int) -> bytes:
    """RFC 8785 bytes of a string or integer: cached, as entry members repeat (kinds,
    key ids, one integration time per batch)."""
    return canonical_value(value)


def _utf16_order(key: str) -> bytes:
    return key.encode("utf-16-be")


def canonical_object(fields: Mapping[str, Any], embedded: Mapping[str, bytes]) -> bytes:
    """RFC 8785 bytes of an object whose ``embedded`` members are already canonical bytes.

    Lets the log wrap a statement it has already canonicalized (to hash and verify it)
    without serializing it again. Every member name and value is serialized on its own;
    this function only puts them in RFC 8785's order (3.2.3: names sorted by their UTF-16
    code units) and joins them, so the result equals ``canonical_bytes`` of the whole
    object (a property test checks it).
    """
    _reject_floats(fields, "")
    members = dict(embedded)
    try:
        for name, value in fields.items():
            if name in members:
                raise ValueError(f"member {name!r} is both a field and embedded")
            scalar = isinstance(value, str | int) and not isinstance(value, bool)
            members[name] = canonical_scalar(value) if scalar else canonical_value(value)
        return (
            b"{"
            + b",".join(
                canonical_scalar(k) + b":" + members[k] for k in sorted(members, key=_utf16_order)
            )
            + b"}"
        )
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise InvalidInput(f"value cannot be canonicalized: {exc}", field="body") from exc


def canonical_value(value: Any) -> bytes:
    """RFC 8785 bytes of any JSON value (floats refused)."""
    try:
        return _fast(value)
    except _NotPlain:
        pass
    except UnicodeEncodeError as exc:
        raise _unencodable(exc, "") from exc
    return _reference(value, "")
