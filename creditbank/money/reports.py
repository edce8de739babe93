"""The authority's report of a program year (rules.md: Reports for the authority), read
from the projections, so it is a function of the ledger alone.

The year is a calendar year in Asia/Shanghai time, governed by its program
(``money.store.program_for_year``; no program: ``NotFound``). The report is as of the log's
latest entry (``as_of``: its integrated time), not of the reader's clock. Figures:

- ``targets``: *certified trainees*, the distinct learners holding a non-revoked
  certificate issued in the year, against the program's ``certified_trainees_target``;
  *advanced certificates*, the non-revoked certificates of levels 3, 2 and 1 issued in the
  year, against ``advanced_certificates_target``. ``percent`` is actual / target x 100 as a
  decimal string with two places, rounded half up (None when the target is 0).
- ``certificates``: the certificates issued in the year, in total and by standard, level
  and month (``YYYY-MM`` in Asia/Shanghai; all twelve months, zero-filled); ``issued``
  counts them all, ``revoked`` those of them revoked since (at any time up to ``as_of``),
  ``active`` the rest. So ``revoked`` is a property of the year's cohort, not a count of
  revocations logged in that month.
- ``credits_by_mode``: credits (decimal strings, one place) of the awards whose
  ``completed_at`` falls in the year and that are valid at ``as_of`` (not revoked, not
  expired), by mode (online, offline, workplace) and in total.
- ``rewards``: the program's rewards, count and fen per status (granted, pending_budget,
  paid, clawback_due, cancelled), and its reward budget, what the budget covers
  (granted, paid and clawback_due) and what remains.
- ``subsidies``: the program's subsidy parts, count and fen per status (open, claimed,
  approved, rejected, paid, clawback_due, cancelled), and its subsidy budget, what it
  covers (approved, paid, clawback_due) and what remains.
- ``providers``, per provider: ``completions_posted`` (its completions whose completed_at
  falls in the year), ``completions_awarded`` and ``credits_awarded`` (the awards counted
  in ``credits_by_mode`` that came from its completions), ``learners_certified`` (distinct
  learners counted in certified trainees whose certificate rests on at least one of its
  awards) and ``subsidy_fen`` per part status.

``to_csv`` flattens a report into one CSV (see its docstring and docs/money.md).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from creditbank.core.entry import format_time, parse_time
from creditbank.core.errors import NotFound
from creditbank.core.rules import money as rules
from creditbank.core.standards.model import format_credits
from creditbank.db import tables
from creditbank.ledger import store
from creditbank.money import store as money_store
from creditbank.money.service import PART_STATUSES, REWARD_STATUSES

ADVANCED_LEVELS = (3, 2, 1)
MODES = ("online", "offline", "workplace")
CSV_COLUMNS = ("section", "key", "subkey", "value")


def percent(actual: int, target: int) -> str | None:
    """actual / target x 100 with two decimal places, rounded half up, exactly."""
    if target <= 0:
        return None
    hundredths = (actual * 20000 + target) // (2 * target)
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def year_bounds(year: int) -> tuple[str, str]:
    """The ledger's time strings bounding a year in Asia/Shanghai: [start, end)."""
    start = datetime(year, 1, 1, tzinfo=rules.PROGRAM_TIMEZONE)
    end = datetime(year + 1, 1, 1, tzinfo=rules.PROGRAM_TIMEZONE)
    return format_time(start), format_time(end)


def _counts() -> dict[str, int]:
    return {"issued": 0, "revoked": 0, "active": 0}


def _tally(bucket: dict[str, int], revoked: bool) -> None:
    bucket["issued"] += 1
    bucket["revoked" if revoked else "active"] += 1


def _by_status(
    conn: Connection, table: Any, program_id: str, statuses: tuple[str, ...]
) -> dict[str, dict[str, int]]:
    out = {s: {"count": 0, "amount_fen": 0} for s in statuses}
    for row in conn.execute(
        select(table.c.status, table.c.amount_fen).where(table.c.program_id == program_id)
    ):
        bucket = out.setdefault(str(row.status), {"count": 0, "amount_fen": 0})
        bucket["count"] += 1
        bucket["amount_fen"] += int(row.amount_fen)
    return out


def report(engine: Engine, year: int) -> dict[str, Any]:
    """The year's report (see the module docstring for every figure)."""
    start, end = year_bounds(year)
    c, a, done, p = tables.certificates, tables.awards, tables.completions, tables.subsidy_parts
    with engine.connect() as conn:
        found = money_store.program_for_year(conn, year)
        if found is None:
            raise NotFound(f"no program governs {year}", field="year")
        state = store.read_state(conn)
        as_of_text = state.integrated_at if state is not None else start
        as_of = parse_time(as_of_text, field="as_of")
        certificates = conn.execute(
            select(
                c.c.learner,
                c.c.standard_id,
                c.c.level,
                c.c.issued_at,
                c.c.awards,
                c.c.revoked_index,
            )
            .where(c.c.issued_at >= start, c.c.issued_at < end)
            .order_by(c.c.issued_index)
        ).all()
        awards = conn.execute(
            select(
                a.c.provider, a.c.mode, a.c.credits_tenths, a.c.expires_at, a.c.revoked_index
            ).where(a.c.completed_at >= start, a.c.completed_at < end)
        ).all()
        posted = Counter(
            str(r.provider)
            for r in conn.execute(
                select(done.c.provider).where(
                    done.c.completed_at >= start, done.c.completed_at < end
                )
            )
        )
        rewards = _by_status(conn, tables.rewards, found.id, REWARD_STATUSES)
        parts = _by_status(conn, p, found.id, PART_STATUSES)
        part_fen: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(PART_STATUSES, 0))
        for row in conn.execute(
            select(p.c.provider, p.c.status, p.c.amount_fen).where(p.c.program_id == found.id)
        ):
            part_fen[str(row.provider)][str(row.status)] += int(row.amount_fen)
        budget = {k: money_store.budget(conn, found, k) for k in ("reward", "subsidy")}
        committed = {k: money_store.committed(conn, found.id, k) for k in ("reward", "subsidy")}
        resting = [json.loads(r.awards) for r in certificates if r.revoked_index is None]
        award_providers = _providers_of(conn, sorted({i for ids in resting for i in ids}))

    total = _counts()
    by_standard: dict[str, dict[str, int]] = {}
    by_level: dict[str, dict[str, int]] = {str(lv): _counts() for lv in (5, 4, 3, 2, 1)}
    by_month = {f"{year:04d}-{m:02d}": _counts() for m in range(1, 13)}
    certified: set[str] = set()
    advanced = 0
    certified_by_provider: dict[str, set[str]] = defaultdict(set)
    for r in certificates:
        revoked = r.revoked_index is not None
        _tally(total, revoked)
        _tally(by_standard.setdefault(r.standard_id, _counts()), revoked)
        _tally(by_level.setdefault(str(r.level), _counts()), revoked)
        month = rules.program_month(parse_time(r.issued_at, field="issued_at"))
        _tally(by_month.setdefault(month, _counts()), revoked)
        if revoked:
            continue
        certified.add(r.learner)
        advanced += r.level in ADVANCED_LEVELS
        for index in json.loads(r.awards):
            provider = award_providers.get(int(index))
            if provider is not None:
                certified_by_provider[provider].add(r.learner)

    modes = dict.fromkeys(MODES, 0)
    credited: dict[str, list[int]] = defaultdict(list)
    for aw in awards:
        if aw.revoked_index is not None or parse_time(aw.expires_at, field="expires_at") <= as_of:
            continue
        modes[aw.mode] = modes.get(aw.mode, 0) + int(aw.credits_tenths)
        credited[str(aw.provider)].append(int(aw.credits_tenths))

    providers = sorted(set(posted) | set(credited) | set(part_fen) | set(certified_by_provider))
    return {
        "year": year,
        "timezone": str(rules.PROGRAM_TIMEZONE),
        "as_of": as_of_text,
        "program": {"id": found.id, "version": found.version},
        "targets": {
            "certified_trainees": {
                "actual": len(certified),
                "target": found.certified_trainees_target,
                "percent": percent(len(certified), found.certified_trainees_target),
            },
            "advanced_certificates": {
                "actual": advanced,
                "target": found.advanced_certificates_target,
                "percent": percent(advanced, found.advanced_certificates_target),
            },
        },
        "certificates": {
            "total": total,
            "by_standard": dict(sorted(by_standard.items())),
            "by_level": by_level,
            "by_month": dict(sorted(by_month.items())),
        },
        "credits_by_mode": {
            **{mode: format_credits(n) for mode, n in modes.items()},
            "total": format_credits(sum(modes.values())),
        },
        "rewards": {
            "budget_fen": budget["reward"],
            "committed_fen": committed["reward"],
            "remaining_fen": budget["reward"] - committed["reward"],
            "by_status": rewards,
        },
        "subsidies": {
            "budget_fen": budget["subsidy"],
            "committed_fen": committed["subsidy"],
            "remaining_fen": budget["subsidy"] - committed["subsidy"],
            "by_status": parts,
        },
        "providers": {
            provider: {
                "completions_posted": posted.get(provider, 0),
                "completions_awarded": len(credited.get(provider, [])),
                "credits_awarded": format_credits(sum(credited.get(provider, []))),
                "learners_certified": len(certified_by_provider.get(provider, set())),
                "subsidy_fen": dict(part_fen[provider])
                if provider in part_fen
                else dict.fromkeys(PART_STATUSES, 0),
            }
            for provider in providers
        },
    }


def _providers_of(conn: Connection, award_indexes: list[int]) -> dict[int, str]:
    """The provider of each award (in chunks, to stay within bind-parameter limits)."""
    a = tables.awards
    out: dict[int, str] = {}
    for i in range(0, len(award_indexes), 500):
        chunk = award_indexes[i : i + 500]
        for row in conn.execute(select(a.c.idx, a.c.provider).where(a.c.idx.in_(chunk))):
            out[int(row.idx)] = str(row.provider)
    return out


def rows(found: dict[str, Any]) -> Iterator[tuple[str, str, str, str]]:
    """A report as (section, key, subkey, value) rows, every value a string:

    ==========================  =======================  ===============================
    section                     key                      subkey
    ==========================  =======================  ===============================
    report                      year, timezone, as_of,   (empty)
                                program_id,
                                program_version
    targets                     certified_trainees,      actual, target, percent
                                advanced_certificates
    certificates                total                    issued, revoked, active
    certificates_by_standard    standard id              issued, revoked, active
    certificates_by_level       level (5 ... 1)          issued, revoked, active
    certificates_by_month       YYYY-MM                  issued, revoked, active
    credits_by_mode             online, offline,         credits
                                workplace, total
    rewards / subsidies         budget, committed,       amount_fen
                                remaining
    rewards / subsidies         a status                 count, amount_fen
    providers                   provider id              completions_posted,
                                                         completions_awarded,
                                                         credits_awarded,
                                                         learners_certified,
                                                         subsidy_<status>_fen
    ==========================  =======================  ===============================
    """
    yield "report", "year", "", str(found["year"])
    yield "report", "timezone", "", found["timezone"]
    yield "report", "as_of", "", found["as_of"]
    yield "report", "program_id", "", found["program"]["id"]
    yield "report", "program_version", "", found["program"]["version"]
    for name, target in found["targets"].items():
        for subkey in ("actual", "target", "percent"):
            value = target[subkey]
            yield "targets", name, subkey, "" if value is None else str(value)
    certificates = found["certificates"]
    for subkey, n in certificates["total"].items():
        yield "certificates", "total", subkey, str(n)
    for section in ("by_standard", "by_level", "by_month"):
        for key, counts in certificates[section].items():
            for subkey, n in counts.items():
                yield f"certificates_{section}", key, subkey, str(n)
    for mode, credits in found["credits_by_mode"].items():
        yield "credits_by_mode", mode, "credits", credits
    for section in ("rewards", "subsidies"):
        money = found[section]
        for key in ("budget", "committed", "remaining"):
            yield section, key, "amount_fen", str(money[f"{key}_fen"])
        for status, figures in money["by_status"].items():
            yield section, status, "count", str(figures["count"])
            yield section, status, "amount_fen", str(figures["amount_fen"])
    for provider, figures in found["providers"].items():
        for subkey in (
            "completions_posted",
            "completions_awarded",
            "credits_awarded",
            "learners_certified",
        ):
            yield "providers", provider, subkey, str(figures[subkey])
        for status, fen in figures["subsidy_fen"].items():
            yield "providers", provider, f"subsidy_{status}_fen", str(fen)


def to_csv(found: dict[str, Any]) -> str:
    """The report as one flat CSV with the header ``section,key,subkey,value`` (see
    ``rows``): a spreadsheet pivots it on section and key against subkey. Lines end in
    CRLF (RFC 4180)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(rows(found))
    return out.getvalue()
