"""Offline verification, for certifying bodies, employers and other banks.

``log`` proves that something is in the log (checkpoints, inclusion and consistency
proofs, receipts, author signatures); ``certificate`` checks a certificate bundle against
the bank's policy on top of those proofs. Both import only the standard library,
``cryptography``, ``rfc8785`` and the rest of :mod:`creditbank.core`, so they can be
vendored alone.
"""

from creditbank.core.verify.log import (
    ENTRY_VERSION,
    Checkpoint,
    VerificationError,
    VerifiedEntry,
    Verifier,
    author_key_id,
    parse_entry,
    parse_verifier_key,
    verify_checkpoint,
    verify_checkpoint_consistency,
    verify_consistency,
    verify_entry_inclusion,
    verify_entry_signature,
    verify_inclusion,
    verify_receipt,
)

__all__ = [
    "ENTRY_VERSION",
    "Checkpoint",
    "VerificationError",
    "VerifiedEntry",
    "Verifier",
    "author_key_id",
    "parse_entry",
    "parse_verifier_key",
    "verify_checkpoint",
    "verify_checkpoint_consistency",
    "verify_consistency",
    "verify_entry_inclusion",
    "verify_entry_signature",
    "verify_inclusion",
    "verify_receipt",
]
