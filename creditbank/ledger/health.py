"""Is this server fit to take traffic? The readiness checks behind ``/readyz``: the
database answers, the sequencer takes appends, and (when an age is configured) the latest
checkpoint is recent. One small query; no lock taken."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from creditbank.core.entry import parse_time
from creditbank.ledger import store


@dataclass(frozen=True)
class LogStatus:
    """The log's size and when its latest checkpoint was signed (None: empty log)."""

    size: int
    checkpoint_at: datetime | None


@dataclass(frozen=True)
class Readiness:
    ready: bool
    database: bool
    sequencer: bool
    tree_size: int | None
    checkpoint_age: float | None
    problems: tuple[str, ...]


def log_status(engine: Engine) -> LogStatus | None:
    """The log's status; None when the database holds no ledger. Database errors
    propagate (see :func:`readiness`)."""
    with engine.connect() as conn:
        state = store.read_state(conn)
    if state is None:
        return None
    at = parse_time(state.integrated_at, field="integrated_at") if state.size else None
    return LogStatus(state.size, at)


def readiness(
    engine: Engine, *, sequencer_running: bool, now: datetime, max_checkpoint_age: float | None
) -> Readiness:
    """Each check's outcome, and the problems in words (none when ready)."""
    problems: list[str] = []
    try:
        status = log_status(engine)
        database = True
    except SQLAlchemyError as exc:
        status, database = None, False
        problems.append(f"database unreachable: {type(exc).__name__}")
    if database and status is None:
        problems.append("the database holds no ledger")
    if not sequencer_running:
        problems.append("the sequencer is not running")
    age = None
    if status is not None and status.checkpoint_at is not None:
        age = max(0.0, (now - status.checkpoint_at).total_seconds())
    if max_checkpoint_age is not None and (age is None or age > max_checkpoint_age):
        problems.append(f"no checkpoint in the last {max_checkpoint_age:g} s")
    size = None if status is None else status.size
    return Readiness(not problems, database, sequencer_running, size, age, tuple(problems))
