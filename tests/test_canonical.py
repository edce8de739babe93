"""canonical_object (the entry wrapper) equals a full RFC 8785 pass over the object."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditbank.canonical import canonical_bytes, canonical_object
from creditbank.errors import InvalidInput

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
