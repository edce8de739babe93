"""tlog-proof v1 receipts: layout and strict parsing (verification is in test_verify)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.core.errors import VerificationError
from creditbank.core.tlog.receipt import (
    RECEIPT_EXTENSION,
    RECEIPT_HEADER,
    Receipt,
    format_receipt,
    format_receipts,
    parse_receipt,
)

# The example of c2sp.org/tlog-proof, verbatim (its signatures are elided with "[...]",
# which parsing leaves alone: the checkpoint is only checked when it is verified).
SPEC_EXAMPLE = """\
c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
index 73894
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=

example.com/fancylog
109482
sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=

— example.com/fancylog hI2DJw[...]1roloI=
— witness1.example mJirIklj[...]qY9v2B/5bg==
— witness2.example TnKKVHLX[...]xwYwrSjgow==
— witness3.example S4X82uH5[...]3oEcROGLFQ==
"""

CHECKPOINT = "log.example\n5\n" + base64.b64encode(b"\x07" * 32).decode() + "\n\n\u2014 log x\n"
H1, H2 = hashlib.sha256(b"1").digest(), hashlib.sha256(b"2").digest()
B1, B2 = base64.b64encode(H1).decode(), base64.b64encode(H2).decode()


def test_constants() -> None:
    assert RECEIPT_HEADER == "c2sp.org/tlog-proof@v1"
    assert RECEIPT_EXTENSION == ".tlog-proof"


def test_spec_example_parses() -> None:
    r = parse_receipt(SPEC_EXAMPLE)
    assert r.index == 73894
    assert r.extra == base64.b64decode("YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ")
    assert r.extra.startswith(b"age-v1.2.1-darwin-arm64.tar.gz")
    assert len(r.proof) == 5
    assert r.proof[0] == base64.b64decode("gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=")
    assert r.checkpoint_note.startswith("example.com/fancylog\n109482\n")
    assert r.checkpoint_note.endswith("3oEcROGLFQ==\n")
    assert format_receipt(r) == SPEC_EXAMPLE


def test_layout_with_and_without_extra() -> None:
    with_extra = Receipt(3, (H1, H2), CHECKPOINT, b"{}")
    assert format_receipt(with_extra) == (
        f"c2sp.org/tlog-proof@v1\nextra e30=\nindex 3\n{B1}\n{B2}\n\n{CHECKPOINT}"
    )
    without = Receipt(0, (), CHECKPOINT, None)
    assert format_receipt(without) == f"c2sp.org/tlog-proof@v1\nindex 0\n\n{CHECKPOINT}"


@settings(max_examples=100, database=None)
@given(
    index=st.integers(0, 2**63 - 2),
    proof=st.lists(st.binary(min_size=32, max_size=32), max_size=63),
    extra=st.none() | st.binary(max_size=300),
)
def test_round_trip(index: int, proof: list[bytes], extra: bytes | None) -> None:
    r = Receipt(index, tuple(proof), CHECKPOINT, extra)
    assert parse_receipt(format_receipt(r)) == r


def _receipt(head: str, checkpoint: str = CHECKPOINT) -> str:
    return head + "\n" + checkpoint


@pytest.mark.parametrize(
    "text",
    [
        _receipt("c2sp.org/tlog-proof@v2\nindex 3\n"),
        _receipt("C2SP.org/tlog-proof@v1\nindex 3\n"),
        _receipt("c2sp.org/tlog-proof@v1\n"),
        _receipt("c2sp.org/tlog-proof@v1\nindex 03\n"),
        _receipt("c2sp.org/tlog-proof@v1\nindex -3\n"),
        _receipt("c2sp.org/tlog-proof@v1\nindex  3\n"),
        _receipt("c2sp.org/tlog-proof@v1\nindex 3 \n"),
        _receipt("c2sp.org/tlog-proof@v1\nindex\n"),
        _receipt(f"c2sp.org/tlog-proof@v1\nindex {2**63}\n"),
        _receipt("c2sp.org/tlog-proof@v1\nindex 3\nextra e30=\n"),
        _receipt("c2sp.org/tlog-proof@v1\nextra e30\nindex 3\n"),
        _receipt("c2sp.org/tlog-proof@v1\nextra e30=\nextra e30=\nindex 3\n"),
        _receipt("c2sp.org/tlog-proof@v1\nextra=e30=\nindex 3\n"),
        _receipt(f"c2sp.org/tlog-proof@v1\nindex 3\n{B1[:-1]}\n"),
        _receipt(f"c2sp.org/tlog-proof@v1\nindex 3\n{base64.b64encode(H1[:16]).decode()}\n"),
        _receipt(f"c2sp.org/tlog-proof@v1\nindex 3\n{H1.hex()}\n"),
        _receipt("c2sp.org/tlog-proof@v1\nindex 3\n" + f"{B1}\n" * 64),
        _receipt("c2sp.org/tlog-proof@v1\r\nindex 3\n"),
        _receipt("c2sp.org/tlog-proof@v1\nindex 3\n", ""),
        _receipt("c2sp.org/tlog-proof@v1\nindex 3\n", "\n" + CHECKPOINT),
        _receipt("c2sp.org/tlog-proof@v1\nindex 3\n", CHECKPOINT.rstrip("\n")),
        f"c2sp.org/tlog-proof@v1\nindex 3\n{B1}\n",
        "",
    ],
    ids=[
        "wrong-version",
        "wrong-case",
        "no-index",
        "index-leading-zero",
        "index-negative",
        "index-double-space",
        "index-trailing-space",
        "index-empty",
        "index-too-large",
        "extra-after-index",
        "extra-bad-base64",
        "two-extras",
        "extra-no-space",
        "proof-bad-base64",
        "proof-short-hash",
        "proof-hex",
        "proof-too-long",
        "crlf",
        "no-checkpoint",
        "two-blank-lines",
        "checkpoint-no-final-newline",
        "no-blank-line",
        "empty",
    ],
)
def test_malformed_receipts_rejected(text: str) -> None:
    with pytest.raises(VerificationError):
        parse_receipt(text)


@pytest.mark.parametrize(
    ("index", "proof", "checkpoint"),
    [(-1, (), CHECKPOINT), (0, (H1[:31],), CHECKPOINT), (0, (), "no newline")],
    ids=["negative-index", "short-hash", "bad-checkpoint"],
)
def test_invalid_receipt_values_refused(
    index: int, proof: tuple[bytes, ...], checkpoint: str
) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 -- each case fails for its own reason
        Receipt(index, proof, checkpoint, None)


def test_formatting_many_equals_one_at_a_time() -> None:
    """format_receipts (a batch's receipts, shared proof hashes encoded once) gives
    format_receipt's text for each."""
    shared = [bytes([i]) * 32 for i in range(1, 6)]
    note = parse_receipt(SPEC_EXAMPLE).checkpoint_note
    receipts = [
        Receipt(7, (bytes([200]) * 32, *shared), note, b"entry seven"),
        Receipt(8, (bytes([201]) * 32, *shared), note, None),
        Receipt(9, (), note, b""),
    ]
    assert format_receipts(receipts) == [format_receipt(r) for r in receipts]
