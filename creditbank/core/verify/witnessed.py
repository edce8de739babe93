"""The witness policy of a verifier: at least N of the witnesses it trusts cosigned the
checkpoint a bundle or receipt is judged against (c2sp.org/tlog-cosignature).

A log could show one history to an employer and another to everyone else; a checkpoint
cosigned by witnesses the employer trusts is one those witnesses also saw, consistent with
all they saw before. Like the rest of :mod:`creditbank.core.verify`, this is pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from creditbank.core.errors import VerificationError
from creditbank.core.tlog.note import SIG_COSIGNATURE_V1, Verifier, parse_verifier_key
from creditbank.core.verify.certificate import Verdict
from creditbank.core.verify.log import verify_checkpoint
from creditbank.core.verify.result import CheckResult, run_check

__all__ = ["WITNESS_CHECK", "check_witnesses", "parse_witness_policy", "with_witness_check"]

WITNESS_CHECK = "witnesses"


def parse_witness_policy(keys: Sequence[str], quorum: int | None) -> tuple[list[Verifier], int]:
    """The witness keys (cosigner, type 0x04) and the quorum: by default all of them.
    Raises VerificationError naming what is wrong."""
    verifiers = [parse_verifier_key(k) for k in keys]
    for v in verifiers:
        if v.sig_type != SIG_COSIGNATURE_V1:
            raise VerificationError(f"witness key {v.name} is not a cosignature/v1 (type 0x04) key")
    if len({(v.name, v.key_id) for v in verifiers}) != len(verifiers):
        raise VerificationError("a witness key is given twice")
    n = len(verifiers) if quorum is None else quorum
    if not 0 <= n <= len(verifiers):
        raise VerificationError(
            f"quorum {n} is not in 0..{len(verifiers)} (the number of witness keys given)"
        )
    return verifiers, n


def check_witnesses(
    note: object, verifier_key: str, witness_keys: Sequence[str], quorum: int
) -> CheckResult:
    """The ``witnesses`` check: the checkpoint ``note`` is signed by the log and cosigned
    by at least ``quorum`` of ``witness_keys``."""
    if not isinstance(note, str):
        return CheckResult.failed(WITNESS_CHECK, "there is no checkpoint to check")
    try:
        cp = verify_checkpoint(note, verifier_key, witness_keys=witness_keys, witness_quorum=quorum)
    except (VerificationError, ValueError) as exc:
        return CheckResult.failed(WITNESS_CHECK, str(exc))
    return CheckResult(
        WITNESS_CHECK,
        f"the checkpoint (tree size {cp.size}) is cosigned by at least {quorum} of the "
        f"{len(witness_keys)} trusted witnesses",
    )


def with_witness_check(
    verdict: Verdict, bundle: object, verifier_key: str, witness_keys: Sequence[str], quorum: int
) -> Verdict:
    """``verdict`` with the ``witnesses`` check on the bundle's latest checkpoint added;
    a failure makes it invalid."""
    note = bundle.get("checkpoint") if isinstance(bundle, Mapping) else None
    result = run_check(
        WITNESS_CHECK, lambda: check_witnesses(note, verifier_key, witness_keys, quorum)
    )
    problems = [*verdict.problems, *(f"{WITNESS_CHECK}: {p}" for p in result.problems)]
    return replace(
        verdict,
        valid=verdict.valid and result.ok,
        checks=[*verdict.checks, result.to_dict()],
        problems=problems,
    )
