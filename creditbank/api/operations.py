"""Operations routes for load balancers and dashboards: ``/healthz`` (the process
answers), ``/readyz`` (the database answers, the sequencer runs, the latest checkpoint is
recent enough) and ``/metrics`` (Prometheus). Public, cheap, and outside ``/v1``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from creditbank.api.deps import BankDep
from creditbank.api.metrics import CONTENT_TYPE, Metrics
from creditbank.api.schemas.operations import HealthPublic, ReadyPublic
from creditbank.core.errors import Unavailable
from creditbank.ledger.health import readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> HealthPublic:
    """Liveness: answers while the process does; touches nothing else."""
    return HealthPublic(status="ok")


@router.get("/readyz")
def readyz(bank: BankDep) -> ReadyPublic:
    """Readiness: 200 when the database answers, the sequencer takes appends and (with
    ``ready_max_checkpoint_age`` set) the latest checkpoint is recent; else 503 naming
    what is wrong."""
    now = bank.ledger.clock()
    result = readiness(
        bank.engine,
        sequencer_running=bank.ledger.running,
        now=now,
        max_checkpoint_age=bank.settings.ready_max_checkpoint_age,
    )
    if not result.ready:
        raise Unavailable("not ready: " + "; ".join(result.problems))
    return ReadyPublic(
        status="ready",
        database=result.database,
        sequencer=result.sequencer,
        tree_size=result.tree_size,
        checkpoint_age_seconds=result.checkpoint_age,
    )


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(request: Request, bank: BankDep) -> PlainTextResponse:
    """Prometheus metrics in the text exposition format (version 0.0.4), the figures of
    every server process added up; see docs/operations-production.md."""
    registry: Metrics = request.app.state.metrics
    body = registry.exposition(bank.engine, bank.ledger.clock())
    return PlainTextResponse(body, media_type=CONTENT_TYPE)
