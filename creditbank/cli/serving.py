"""What `creditbank serve` sets up around uvicorn: the shared metrics directory of its
worker processes, their one sequencer, and the logging, announced by one start-up line."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from typing import Any

from creditbank.api.logs import FIELDS, configure_logging, logging_config
from creditbank.api.multiproc import MULTIPROC_ENV, SEQUENCER_ENV, SEQUENCER_KEY_ENV
from creditbank.cli.supervisor import OwnSocketWorkers, listening_sockets
from creditbank.core.errors import InvalidInput
from creditbank.settings import Settings, without_password

log = logging.getLogger("creditbank.serve")

APP = "creditbank.api.app:app_from_env"  # each worker builds its app from the environment
BACKLOG = 2048  # connections queued per listening socket (uvicorn's default)


def bind(host: str, port: int, workers: int) -> list[socket.socket] | None:
    """With several workers, a listening socket for each (creditbank.cli.supervisor),
    bound before anything starts so that a port in use is refused at once; None for
    one worker (uvicorn binds its own)."""
    if workers < 2:
        return None
    try:
        return listening_sockets(host, port, workers, BACKLOG)
    except OSError as exc:
        raise InvalidInput(
            f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port",
            field="port",
        ) from exc


def run_server(
    sockets: list[socket.socket] | None,
    *,
    host: str,
    port: int,
    workers: int,
    log_config: dict[str, Any],
) -> None:
    """Serve until SIGINT or SIGTERM: in this process (one worker), or in ``workers``
    processes on ``sockets``."""
    import uvicorn

    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "backlog": BACKLOG,
        "log_level": "warning",
        "log_config": log_config,
        "proxy_headers": False,
        "server_header": False,
    }
    if sockets is None:
        uvicorn.run(APP, **options)
    else:
        OwnSocketWorkers(uvicorn.Config(APP, **options), sockets).run()


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


@contextlib.contextmanager
def one_sequencer(settings: Settings, workers: int) -> Iterator[None]:
    """With several workers, the log's sequencer runs here, in the supervising process,
    and every worker forwards its appends to it (ADR 0023): the socket, in a directory
    only this user can enter, and a fresh key are handed to the workers through their
    environment. Closed after uvicorn has stopped the workers, then the bank, which
    commits what is still queued. One worker sequences in its own process."""
    if workers < 2:
        yield
        return
    from creditbank.api.metrics import Metrics, process_exited
    from creditbank.bank import open_bank

    path = tempfile.mkdtemp(prefix="creditbank-sequencer-")  # mode 0700
    address = os.path.join(path, "sequencer.sock")
    authkey = os.urandom(32)
    bank = open_bank(settings)
    bank.ledger.observer = Metrics()  # batch figures, in the workers' shared metrics
    host = bank.host_sequencer(address, authkey)
    os.environ[SEQUENCER_ENV], os.environ[SEQUENCER_KEY_ENV] = address, authkey.hex()
    try:
        yield
    finally:
        os.environ.pop(SEQUENCER_ENV, None)
        os.environ.pop(SEQUENCER_KEY_ENV, None)
        host.close()
        bank.close()
        process_exited()
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
