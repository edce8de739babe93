"""What the learner's pages show, shaped from the read models (credits.service.balance
and progress): only presentation, never a rule. Every number here is one the read model
gives, or a sum or difference of them for display; whether a level is reached, what is
missing and what the online cap is come from the rules, through the read model."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class LevelView:
    """One level in progress: the bar, and what is missing in words."""

    standard_id: str
    level: int
    eligible: bool
    counted: str
    required: str
    percent: int
    missing_lines: tuple[str, ...]


def credits_per_standard(units: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, str, str]]:
    """(standard, active, expired, revoked) credits, summed over the balance's units."""
    totals: dict[str, list[Decimal]] = {}
    for u in units:
        bucket = totals.setdefault(u["standard_id"], [Decimal(0)] * 3)
        for i, name in enumerate(("active", "expired", "revoked")):
            bucket[i] += Decimal(u[name])
    return [(s, str(a), str(e), str(r)) for s, (a, e, r) in sorted(totals.items())]


def levels_in_progress(
    levels: Sequence[Mapping[str, Any]], t: Callable[..., str]
) -> list[LevelView]:
    """The levels the learner holds credits toward (any counted, or eligible), each with
    its bar and the missing credits and units in words."""
    shown = []
    for p in levels:
        counted, required = Decimal(p["counted"]), Decimal(p["required"])
        online, cap = Decimal(p["online"]), Decimal(p["online_cap"])
        if counted == 0 and online == 0 and not p["eligible"]:
            continue
        lines: list[str] = []
        if not p["eligible"]:
            if Decimal(p["missing"]) > 0:
                lines.append(t("missing_total", missing=p["missing"]))
            lines.extend(
                t("missing_unit", unit=code, credits=n)
                for code, n in sorted(p["missing_units"].items())
            )
            if p["needs_lower_level_certificate"]:
                lines.append(t("needs_lower"))
        if online > cap:
            lines.append(t("online_uncounted", cap=p["online_cap"], extra=str(online - cap)))
        percent = 100 if required == 0 else min(100, int(counted * 100 / required))
        shown.append(
            LevelView(
                p["standard_id"],
                p["level"],
                p["eligible"],
                p["counted"],
                p["required"],
                percent,
                tuple(lines),
            )
        )
    return shown
