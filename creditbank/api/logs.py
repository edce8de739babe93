"""Server logs: one readable line or one JSON object per event on standard error, for
the bank's own loggers and uvicorn's, set up once per process (``creditbank serve`` hands
:func:`logging_config` to uvicorn, which applies it in every worker).

What a line may hold is decided where it is logged: request lines carry the request id,
method, route template (never the raw path or query, which can name a learner),
status, duration and the organisation acting; never a token or personal data.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

FIELDS = "fields"
"""The ``extra`` key under which a log call passes its structured fields."""

REQUEST_LOGGER = "creditbank.http"


def _time(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message and the call's fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,  # which of the server's processes
        }
        fields = getattr(record, FIELDS, None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """One readable line: time, level, logger, message, then the fields as key=value."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"{_time(record)} {record.levelname:<7} {record.name}: {record.getMessage()}"
        fields = getattr(record, FIELDS, None)
        if isinstance(fields, dict) and fields:
            text += " " + " ".join(f"{k}={v}" for k, v in fields.items() if v is not None)
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the bank's and uvicorn's loggers."""
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    handler = {"class": "logging.StreamHandler", "formatter": "bank", "stream": "ext://sys.stderr"}
    own = {"handlers": ["stderr"], "level": level.upper(), "propagate": False}
    quiet = {"handlers": ["stderr"], "level": "WARNING", "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"bank": {"()": formatter}},
        "handlers": {"stderr": handler},
        "loggers": {
            "creditbank": own,
            # the start-up line, whatever the level
            "creditbank.serve": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn": quiet,
            "uvicorn.error": quiet,
            # the bank logs each request itself (with its id and route): uvicorn's own off
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def configure_logging(log_format: str, level: str) -> None:
    """Apply :func:`logging_config` to this process."""
    import logging.config

    logging.config.dictConfig(logging_config(log_format, level))
