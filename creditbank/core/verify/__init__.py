"""Offline verification, for certifying bodies, employers and other banks.

``log`` holds the primitives that prove something is in the log (checkpoints, inclusion
and consistency proofs, receipts, author signatures). For a certificate bundle, ``bundle``
applies them (what the bundle proves is in the log, with the key chain from the trust
root), ``policy`` judges the proven entries by the bank's rules, and ``certificate``
composes the two into a verdict; ``result`` is the frozen check result they share. All
import only the standard library, ``cryptography``, ``rfc8785`` and the rest of
:mod:`creditbank.core`, so they can be vendored alone.
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
