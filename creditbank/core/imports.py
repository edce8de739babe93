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


@dataclass(frozen=True)
class Row:
    """One input row: its line number, and a statement or the reason there is none."""

    line: int
    raw: str
    statement: dict[str, Any] | None
    problem: str | None = None


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


def read_rows(text: str, provider: str, *, fmt: str) -> Iterator[Row]:
    """Rows of a JSON Lines (``jsonl``) or CSV (``csv``) export, in order."""
    if fmt == "jsonl":
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line, parse_float=lambda v: v)  # keep decimals as text
                if not isinstance(record, dict):
                    raise ValueError("a line must hold one JSON object")
                yield Row(n, line, _statement(provider, record))
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
                yield Row(line_no, raw, _statement(provider, dict(record)))
            except ValueError as exc:
                yield Row(line_no, raw, None, str(exc))
    else:
        raise ValueError(f"unknown format {fmt!r}: use jsonl or csv")
