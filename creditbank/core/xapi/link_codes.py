"""One-time link codes (docs/xapi.md, ADR 0014): a provider vouches that an LMS account
is the learner's by giving them a code for it; the learner redeems the code to link the
account to their bank account.

A code is 60 random bits written as 12 Crockford base32 characters in three groups of
four (``7K3D-QX9M-2PHA``): typable from a letter or a screen, read back the way Crockford
says (any case, ``I``/``L`` as ``1``, ``O`` as ``0``, hyphens and spaces ignored). Only
its SHA-256 is stored. Pure: the random bytes and the clock come from the caller.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O, U
LENGTH = 12  # characters: 60 bits
GROUP = 4
RANDOM_BYTES = 8  # 64 bits drawn; the first 60 are used
VALID_FOR = timedelta(days=7)
_READ_AS = {"I": "1", "L": "1", "O": "0"}


def format_code(random: bytes) -> str:
    """The code for ``random`` (at least 8 bytes, from ``secrets.token_bytes``)."""
    if len(random) < RANDOM_BYTES:
        raise ValueError(f"a link code needs {RANDOM_BYTES} random bytes, got {len(random)}")
    bits = int.from_bytes(random[:RANDOM_BYTES], "big") >> (RANDOM_BYTES * 8 - LENGTH * 5)
    chars = "".join(ALPHABET[(bits >> (5 * (LENGTH - 1 - i))) & 31] for i in range(LENGTH))
    return "-".join(chars[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def normalize(typed: str) -> str | None:
    """The code's 12 characters as issued, from what a person typed; None when it cannot
    be a code (wrong length or a character outside the alphabet)."""
    chars = "".join(_READ_AS.get(c, c) for c in typed.upper() if c not in "- \t")
    if len(chars) != LENGTH or any(c not in ALPHABET for c in chars):
        return None
    return chars


def code_hash(code: str) -> str:
    """What is stored of a code: the SHA-256 (hex) of its normalized characters."""
    chars = normalize(code)
    if chars is None:
        raise ValueError("not a link code")
    return hashlib.sha256(chars.encode("ascii")).hexdigest()


def expires(now: datetime) -> datetime:
    """When a code issued at ``now`` stops being valid."""
    return now + VALID_FOR


def agent_of(ifi: str) -> dict[str, Any]:
    """The xAPI Agent an identifier string stands for: the inverse of
    ``creditbank.core.xapi.model``'s ``ifi()`` (``mbox:``, ``mbox_sha1sum:``, ``openid:``,
    ``account:homePage|name``; a homePage is a URL, which holds no unescaped ``|``)."""
    kind, _, value = ifi.partition(":")
    if kind == "account":
        home, _, name = value.partition("|")
        return {"objectType": "Agent", "account": {"homePage": home, "name": name}}
    if kind in ("mbox", "mbox_sha1sum", "openid"):
        return {"objectType": "Agent", kind: value}
    raise ValueError(f"not an agent identifier: {ifi!r}")
