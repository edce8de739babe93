"""Bitstring Status List encoding (W3C Bitstring Status List v1.0)."""

from __future__ import annotations

import base64
import gzip

import pytest

from creditbank.core.credentials import status
from creditbank.core.errors import InvalidInput


def raw(encoded: str) -> bytes:
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


@pytest.mark.parametrize(
    ("count", "bits"),
    [(0, 131_072), (1, 131_072), (131_072, 131_072), (131_073, 262_144)],
    ids=["none", "one", "full", "one-more"],
)
def test_a_list_is_whole_16_kib_blocks(count: int, bits: int) -> None:
    assert status.list_bits(count) == bits


def test_bit_zero_is_the_left_most_bit_of_the_first_byte() -> None:
    encoded = status.encode_list([0, 9, 131_071], 131_072)
    assert encoded.startswith("u")
    data = raw(encoded)
    assert len(data) == 16_384
    assert data[0] == 0x80
    assert data[1] == 0x40
    assert data[-1] == 0x01
    assert [i for i in (0, 1, 8, 9, 10, 131_070, 131_071) if status.bit_at(encoded, i)] == [
        0,
        9,
        131_071,
    ]


def test_the_same_list_is_the_same_bytes() -> None:
    assert status.encode_list([5], 131_072) == status.encode_list([5], 131_072)


def test_bad_lists_and_indexes_are_refused() -> None:
    encoded = status.encode_list([], 131_072)
    with pytest.raises(InvalidInput):
        status.bit_at(encoded, 131_072)
    with pytest.raises(InvalidInput):
        status.bit_at("z" + encoded[1:], 0)
    with pytest.raises(InvalidInput):
        status.bit_at("uAAAA", 0)
    with pytest.raises(InvalidInput):
        status.encode_list([131_072], 131_072)
