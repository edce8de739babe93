"""Reading completion exports (JSON Lines or CSV) into completion statements.

Pure: text rows in, statements or per-row problems out. Columns / keys: ``completion_id``
(the provider's id: the idempotency key), ``learner``, ``course_id``, ``completed_at``
(RFC 3339), ``score`` (0-100, optional), ``passed`` (true/false, optional),
``hours_attended`` (one decimal), ``evidence_sha256`` (optional).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

COLUMNS = (
    "completion_id",
    "learner",
    "course_id",
    "completed_at",
    "score",
    "passed",
    "hours_attended",
    "evidence_sha256",
)


REQUIRED = ("completion_id", "learner", "course_id", "completed_at", "hours_attended")


def columns_of(text: str, *, fmt: str) -> list[str]:
    """The columns of an export: a CSV's header, or every key a JSON Lines object uses (in
    order of first use); lines that are not JSON objects are left to the per-row check."""
    if fmt == "csv":
        return next(csv.reader(io.StringIO(text)), [])
    if fmt != "jsonl":
        raise ValueError(f"unknown format {fmt!r}: use jsonl or csv")
    seen: dict[str, None] = {}
    for line in text.splitlines():
        try:
            record = json.loads(line, parse_float=lambda v: v)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            seen.update(dict.fromkeys(str(k) for k in record))
    return list(seen)


def check_columns(columns: list[str], *, ignore: frozenset[str] = frozenset()) -> None:
    """Refuse an export whose columns the bank does not know, or that lacks a required one,
    once for the whole file (not row by row). ``ignore`` names extra columns to drop."""
    unknown = [c for c in columns if c not in COLUMNS and c not in ignore]
    missing = [c for c in REQUIRED if c not in columns]
    problems = []
    if unknown:
        problems.append(
            f"unknown columns {', '.join(unknown)} (drop them, or pass --ignore-columns "
            f"{','.join(unknown)})"
        )
    if missing:
        problems.append(f"missing columns {', '.join(missing)}")
    if problems:
        problems.append(f"the columns are {', '.join(COLUMNS)}")
        raise ValueError("; ".join(problems))


@dataclass(frozen=True)
class Row:
    """One input row: its line number, and a statement or the reason there is none."""

    line: int
    raw: str
    statement: dict[str, Any] | None
    problem: str | None = None


def _without(record: dict[str, Any], ignore: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ignore} if ignore else record


def _statement(provider: str, record: dict[str, Any]) -> dict[str, Any]:
    unknown = set(record) - set(COLUMNS)
    if unknown:
        raise ValueError(f"unknown columns {sorted(unknown)}")
    missing = [
        c
        for c in ("completion_id", "learner", "course_id", "completed_at", "hours_attended")
        if not record.get(c)
    ]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    body: dict[str, Any] = {
        "learner": str(record["learner"]).strip(),
        "course_id": str(record["course_id"]).strip(),
        "completed_at": str(record["completed_at"]).strip(),
        "hours_attended": str(record["hours_attended"]).strip(),
    }
    score = record.get("score")
    if score not in (None, ""):
        if isinstance(score, bool) or not str(score).strip().isdigit():
            raise ValueError(f"score must be a whole number 0-100, not {score!r}")
        body["score"] = int(str(score).strip())
    passed = record.get("passed")
    if passed not in (None, ""):
        text = str(passed).strip().lower()
        if text not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(f"passed must be true or false, not {passed!r}")
        body["passed"] = text in ("true", "1", "yes")
    if record.get("evidence_sha256"):
        body["evidence_sha256"] = str(record["evidence_sha256"]).strip().lower()
    return {
        "kind": "completion.recorded",
        "actor": provider,
        "id": str(record["completion_id"]).strip(),
        "body": body,
    }


def read_rows(
    text: str, provider: str, *, fmt: str, ignore: frozenset[str] = frozenset()
) -> Iterator[Row]:
    """Rows of a JSON Lines (``jsonl``) or CSV (``csv``) export, in order; the columns in
    ``ignore`` are dropped from every row."""
    if fmt == "jsonl":
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line, parse_float=lambda v: v)  # keep decimals as text
                if not isinstance(record, dict):
                    raise ValueError("a line must hold one JSON object")
                yield Row(n, line, _statement(provider, _without(record, ignore)))
            except (json.JSONDecodeError, ValueError) as exc:
                yield Row(n, line, None, str(exc))
    elif fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        for record in reader:
            line_no = reader.line_num
            raw = ",".join("" if v is None else str(v) for v in record.values())
            try:
                if None in record:
                    raise ValueError("more values than columns")
                yield Row(line_no, raw, _statement(provider, _without(dict(record), ignore)))
            except ValueError as exc:
                yield Row(line_no, raw, None, str(exc))
    else:
        raise ValueError(f"unknown format {fmt!r}: use jsonl or csv")
