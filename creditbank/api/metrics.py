"""Prometheus metrics for a server, through ``prometheus-client``.

One :class:`Metrics` per app: the ledger's observer (entries per kind, batch sizes, queue
depth, commit and checkpoint latency), the HTTP middleware's figures (latency and status
by route template, authentication failures) and, read when scraped, the tree size and
the checkpoint's age. Several server processes (``creditbank serve --workers N``) share
their figures through prometheus-client's multi-process mode: ``creditbank serve`` points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory before any worker starts, each process
writes its values there, and whichever worker answers ``/metrics`` adds them up. Without
that variable (tests, an app built in-process) each app keeps its own registry.
"""

from __future__ import annotations

import logging
import os
from collections import Counter as Tally
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client import multiprocess as mp
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from creditbank.api.multiproc import MULTIPROC_ENV
from creditbank.core.authorship import KINDS
from creditbank.ledger.health import log_status
from creditbank.ledger.observer import BatchStats

CONTENT_TYPE = CONTENT_TYPE_LATEST
log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384, 65536)


def multiprocess_dir() -> str | None:
    """The shared directory of a multi-process server, if this process belongs to one
    and prometheus-client keeps its values there (it decided when first imported, see
    ``creditbank.api.multiproc``)."""
    path = os.environ.get(MULTIPROC_ENV) or None
    if path is not None and values.ValueClass is values.MutexValue:
        log.warning(
            "%s was set after prometheus-client was imported: this process's metrics "
            "are its own, not added up with other processes'",
            MULTIPROC_ENV,
        )
        return None
    return path


class Metrics:
    """The bank's metrics for one app (see the module docstring)."""

    def __init__(self) -> None:
        self.shared = multiprocess_dir() is not None
        # Shared values live in the directory's files; a private registry otherwise.
        own = None if self.shared else CollectorRegistry()
        self._registry = own
        self.entries = Counter(
            "creditbank_entries",
            "Entries logged, by kind and whether a statement's author or the rules made it.",
            ["kind", "origin"],
            registry=own,
        )
        self.batch_size = Histogram(
            "creditbank_batch_statements",
            "Statements per committed batch.",
            buckets=BATCH_BUCKETS,
            registry=own,
        )
        self.queue_depth = Gauge(
            "creditbank_sequencer_queue_depth",
            "Statements waiting for the sequencer after its last batch (summed over processes).",
            registry=own,
            multiprocess_mode="livesum",
        )
        self.commit_seconds = Histogram(
            "creditbank_commit_seconds",
            "Batch transaction time: log lock to durable commit with the checkpoint signed.",
            buckets=LATENCY_BUCKETS,
            registry=own,
        )
        self.checkpoint_seconds = Histogram(
            "creditbank_checkpoint_seconds",
            "From a batch's oldest statement queued to its receipts ready (checkpointed).",
            buckets=LATENCY_BUCKETS,
            registry=own,
        )
        self.tree_size = Gauge(
            "creditbank_tree_size",
            "Entries in the log (read from the database when scraped).",
            registry=own,
            multiprocess_mode="mostrecent",
        )
        self.checkpoint_age = Gauge(
            "creditbank_checkpoint_age_seconds",
            "Age of the latest checkpoint (read from the database when scraped).",
            registry=own,
            multiprocess_mode="mostrecent",
        )
        self.http_requests = Counter(
            "creditbank_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=own,
        )
        self.http_seconds = Histogram(
            "creditbank_http_request_seconds",
            "HTTP request time, by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=own,
        )
        self.auth_failures = Counter(
            "creditbank_auth_failures",
            "Requests refused for a missing, unknown or expired credential (401), by route.",
            ["route"],
            registry=own,
        )

    # --- the ledger's observer ----------------------------------------------------------

    def batch_committed(self, stats: BatchStats) -> None:
        """Count a committed batch (called on the sequencer thread)."""
        for kind, n in Tally(stats.kinds).items():
            row = KINDS.get(kind)
            origin = "derived" if row is not None and row.derived else "authored"
            self.entries.labels(kind, origin).inc(n)
        self.batch_size.observe(stats.statements)
        self.commit_seconds.observe(stats.commit_seconds)
        self.checkpoint_seconds.observe(stats.checkpoint_seconds)
        self.queue_depth.set(stats.waiting)

    # --- HTTP ---------------------------------------------------------------------------

    def request_done(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_seconds.labels(method, route).observe(seconds)
        if status == 401:
            self.auth_failures.labels(route).inc()

    # --- exposition ---------------------------------------------------------------------

    def exposition(self, engine: Engine, now: datetime) -> bytes:
        """The text format for a scrape, the log's size and checkpoint age read first (left
        as they were when the database does not answer: /readyz says so)."""
        try:
            status = log_status(engine)
        except SQLAlchemyError:
            log.warning("metrics: the database did not answer", exc_info=True)
            status = None
        if status is not None:
            self.tree_size.set(status.size)
            if status.checkpoint_at is not None:
                self.checkpoint_age.set(max(0.0, (now - status.checkpoint_at).total_seconds()))
        return self.render()

    def render(self) -> bytes:
        """The text format of the values as they are (every process's, when shared)."""
        if self._registry is not None:
            return generate_latest(self._registry)
        registry = CollectorRegistry()
        mp.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)


def process_exited() -> None:
    """Drop this process's live gauges from a multi-process server's sums (at shutdown)."""
    if multiprocess_dir() is not None:
        mp.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
