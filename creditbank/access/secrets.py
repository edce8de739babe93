"""Bearer tokens and passwords.

Tokens are 256-bit random strings shown once; the database keeps only their SHA-256 (a
fast hash is right for high-entropy secrets). Passwords are hashed with Argon2id.
"""

from __future__ import annotations

import functools
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

TOKEN_PREFIX = "cbt_"  # noqa: S105  (a public prefix that marks creditbank tokens, not a secret)
_hasher = PasswordHasher()


def new_token() -> tuple[str, str, str]:
    """(token, token id, token hash): the id is public, the token is shown once."""
    token_id = secrets.token_hex(6)
    token = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
    return token, token_id, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_code() -> tuple[str, str]:
    """(activation code, its hash): a one-time code for a learner to set a password."""
    code = secrets.token_urlsafe(12)
    return code, token_hash(code)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@functools.cache
def _unmatchable_hash() -> str:
    """An Argon2 hash, with the hasher's own parameters, of a random password nobody
    knows (made on first use rather than at import: hashing takes a noticeable while)."""
    return _hasher.hash(secrets.token_urlsafe(32))


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches the Argon2 hash ``stored``. Without a hash (an unknown,
    locked or closed account, or one with no password yet) it does the same work against
    a hash that matches nothing and answers False, so a refused login takes as long
    whatever the reason, and its timing does not tell which accounts exist."""
    try:
        return _hasher.verify(stored or _unmatchable_hash(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
