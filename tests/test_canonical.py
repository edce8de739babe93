"""The fast canonical paths equal rfc8785: canonical bytes, the entry wrapper
(canonical_object, encode_entry) against a full pass over the object."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from creditbank.core.canonical import canonical_bytes, canonical_object, canonical_value
from creditbank.core.entry import SCHEMA_VERSION, SignedStatement, encode_entry, format_time
from creditbank.core.errors import InvalidInput

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    st.text(),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


def holds_nul(value: Any) -> bool:
    """The naive reference: U+0000 in any string or member name."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(holds_nul(v) for v in value)
    return False


@given(
    fields=st.dictionaries(st.text(max_size=8), values, max_size=6),
    embedded=st.dictionaries(st.text(max_size=8), values, max_size=2),
)
def test_wrapping_equals_a_full_pass(fields: dict[str, Any], embedded: dict[str, Any]) -> None:
    fields = {k: v for k, v in fields.items() if k not in embedded}
    try:
        expected = canonical_bytes({**fields, **embedded})
    except InvalidInput:
        return  # lone surrogates and the like: refused either way
    raw = {name: canonical_bytes({"x": value})[5:-1] for name, value in embedded.items()}
    assert canonical_object(fields, raw) == expected


def test_floats_are_refused() -> None:
    with pytest.raises(InvalidInput):
        canonical_object({"v": 1.5}, {})


def test_lone_surrogates_are_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        canonical_object({"key_id": "\udc00"}, {})


# Keys and strings from anywhere in Unicode, lone surrogates included, and integers past
# RFC 8785's exact range: the fast path must agree with rfc8785 or refuse with it.
wide_text = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=8)
wide_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**54), max_value=2**54),
    wide_text,
    st.text(st.characters(codec="utf-8"), max_size=8),
)
wide_values = st.recursive(
    wide_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(wide_text | st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=16,
)


@given(value=st.dictionaries(wide_text | st.text(max_size=4), wide_values, max_size=6))
def test_canonical_bytes_equal_rfc8785(value: dict[str, Any]) -> None:
    """Equal to rfc8785, except that U+0000 anywhere is refused (rfc8785 accepts it)."""
    try:
        expected: bytes | None = None if holds_nul(value) else rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, ValueError):
        expected = None
    try:
        got: bytes | None = canonical_bytes(value)
    except InvalidInput:
        got = None
    assert got == expected


@given(value=wide_values)
def test_canonical_value_equals_rfc8785(value: Any) -> None:
    try:
        expected: bytes | None = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, ValueError):
        expected = None
    try:
        got: bytes | None = canonical_value(value)
    except InvalidInput:
        got = None
    assert got == expected


def test_control_characters_and_escapes_match_rfc8785() -> None:
    # U+0001 up: U+0000 is refused (test_nul_is_refused_with_its_path)
    value = {"s": "".join(chr(c) for c in range(1, 0x80)) + "\u2028\u2029\ufeff\U0001f600", "é": 1}
    assert canonical_bytes(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"body": {"title": "a\x00b"}}, "statement.body.title"),
        ({"body": {"tags": ["ok", "\x00"]}}, "statement.body.tags.1"),
        ({"body": {"ti\x00tle": "x"}}, "statement.body.ti\\u0000tle"),
        ({"body": {"n": [1, ("x", "\x00")]}}, "statement.body.n.1.1"),
        ({"body": {"名称": "a\x00"}}, "statement.body.名称"),  # non-ASCII names: via rfc8785
        ({"id": "\\\x00"}, "statement.id"),  # a backslash, then U+0000
    ],
    ids=["string", "in-a-list", "member-name", "in-a-tuple", "reference-path", "after-a-backslash"],
)
def test_nul_is_refused_with_its_path(value: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        canonical_bytes(value, field="statement")
    assert info.value.field == field
    assert "U+0000" in info.value.detail


@pytest.mark.parametrize(
    "text",
    ["\\u0000", "\\\\u0000", "u0000", "\u2400"],
    ids=["backslash-u0000", "two-backslashes-u0000", "no-backslash", "symbol-for-null"],
)
def test_what_only_looks_like_nul_is_canonical(text: str) -> None:
    """The byte search for the escape also matches an escaped backslash followed by
    "u0000"; the walk lets that pass."""
    value = {"s": text, text: [text]}
    assert canonical_bytes(value) == rfc8785.dumps(value)


def test_subclasses_take_the_reference_path() -> None:
    class Name(str):
        pass

    value = {"a": Name("x"), "b": True, "c": [1, (2, 3)]}
    assert canonical_bytes(value) == rfc8785.dumps(value)


def test_floats_are_refused_with_their_path() -> None:
    with pytest.raises(InvalidInput) as info:
        canonical_bytes({"body": {"amount": [1, 2.5]}}, field="statement")
    assert info.value.field == "statement.body.amount.1"


@given(
    statement=st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["completion.recorded", "credit.awarded", "a.b"]),
            "actor": st.sampled_from(["log", "prov-a"]),
            "id": st.text(min_size=1, max_size=20),
            "body": st.dictionaries(st.text(max_size=6), values, max_size=5),
        }
    ),
    integrated_at=st.text(max_size=30),
    key_id=st.text(min_size=1, max_size=20),
    signature=st.binary(min_size=64, max_size=64),
)
def test_entry_bytes_equal_a_full_pass(
    statement: dict[str, Any], integrated_at: str, key_id: str, signature: bytes
) -> None:
    """encode_entry joins the members in their fixed RFC 8785 order; the result is the
    canonical form of the whole entry (what replay and verifiers recompute)."""
    entry = {
        "v": SCHEMA_VERSION,
        "kind": statement["kind"],
        "statement": statement,
        "key_id": key_id,
        "sig": base64.b64encode(signature).decode(),
        "integrated_at": integrated_at,
    }
    try:
        expected = rfc8785.dumps(entry)
    except (rfc8785.CanonicalizationError, ValueError):
        return  # lone surrogates: refused before an entry is made
    signed = SignedStatement(statement, key_id, signature)
    if holds_nul(statement):
        with pytest.raises(InvalidInput):
            encode_entry(signed, integrated_at)
        return
    assert encode_entry(signed, integrated_at) == expected


offsets = st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
)


@given(
    st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=offsets)
)
def test_format_time_is_strftimes_string(t: datetime) -> None:
    """The ledger's time format, put together by hand, is the string strftime made (the
    one every entry logged so far carries), before the year 1000 as after it."""
    assert format_time(t) == t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
