"""What `creditbank serve` sets up around uvicorn: the shared metrics directory of its
worker processes and the logging, announced by one start-up line."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

from creditbank.api.logs import FIELDS, configure_logging, logging_config
from creditbank.api.multiproc import MULTIPROC_ENV
from creditbank.settings import Settings, without_password

log = logging.getLogger("creditbank.serve")


@contextlib.contextmanager
def metrics_dir() -> Iterator[str]:
    """A fresh directory for prometheus-client's multi-process mode, named in the
    environment before any worker starts (and imports prometheus-client), removed when
    the server stops: values from an earlier run must not be added to this one's."""
    path = tempfile.mkdtemp(prefix="creditbank-metrics-")
    previous = os.environ.get(MULTIPROC_ENV)
    os.environ[MULTIPROC_ENV] = path
    try:
        yield path
    finally:
        if previous is None:
            os.environ.pop(MULTIPROC_ENV, None)
        else:
            os.environ[MULTIPROC_ENV] = previous
        shutil.rmtree(path, ignore_errors=True)


def announce(
    settings: Settings, *, host: str, port: int, workers: int, origin: str
) -> dict[str, Any]:
    """Set up this process's logging, log the start-up line (where the server listens,
    the database without its password, the log's origin) and return the logging config
    for uvicorn to apply in each worker."""
    config = logging_config(settings.log_format, settings.log_level)
    configure_logging(settings.log_format, settings.log_level)
    database = without_password(settings.resolved_database_url)
    log.info(
        "creditbank serving http://%s:%d with %d worker(s); database %s; origin %s",
        host,
        port,
        workers,
        database,
        origin,
        extra={
            FIELDS: {
                "event": "start",
                "listen": f"http://{host}:{port}",
                "workers": workers,
                "database": database,
                "origin": origin,
                "pid": os.getpid(),
            }
        },
    )
    return config
