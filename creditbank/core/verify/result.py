"""What every check of a certificate bundle returns: a frozen :class:`CheckResult`.

Checks report outcomes as data, like python-tuf's ``VerificationResult``: a check that
finds problems returns them, it does not raise. :func:`guarded` (and :func:`run_check`
on it) is the one place that turns an unexpected exception from bad bundle data into a
failed check, so that the verifier never raises on what a server hands it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard, TypeVar

__all__ = ["CheckResult", "guarded", "is_int", "run_check"]

_T = TypeVar("_T")

MAX_DETAIL_PROBLEMS = 5
"""How many problems a failed check's ``detail`` spells out (all are in ``problems``)."""


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome. ``ok`` when it found no problem; ``detail`` is then what it
    established, else its first problems joined. ``problems`` are one line each."""

    check: str
    established: str
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def detail(self) -> str:
        if self.ok:
            return self.established
        shown = self.problems[:MAX_DETAIL_PROBLEMS]
        more = len(self.problems) - len(shown)
        return "; ".join(shown) + (f"; and {more} more" if more else "")

    @classmethod
    def failed(cls, check: str, *problems: str) -> CheckResult:
        """A check that stopped at ``problems``, with nothing established."""
        return cls(check, "", problems)

    def to_dict(self) -> dict[str, Any]:
        """The verdict's row: ``{"check", "ok", "detail"}``."""
        return {"check": self.check, "ok": self.ok, "detail": self.detail}


def guarded(step: Callable[[], _T], failed: Callable[[str], _T]) -> _T:
    """``step()``; if bad bundle data made it raise, ``failed(problem)`` instead: what a
    check that also yields data (the latest checkpoint, the proven entries) returns."""
    try:
        return step()
    except Exception as exc:  # bad bundle data must fail a check, never escape
        return failed(f"could not be checked: {type(exc).__name__}: {exc}")


def run_check(check: str, step: Callable[[], CheckResult]) -> CheckResult:
    """``step()``, or a failed ``check`` if bad bundle data made it raise."""
    return guarded(step, lambda problem: CheckResult.failed(check, problem))


def is_int(value: object) -> TypeGuard[int]:
    """A JSON integer (an entry index, a tree size), not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)
