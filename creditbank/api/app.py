"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI

from creditbank import __version__
from creditbank.api import access, catalogue, credits, ledger, tlog, verification, xapi
from creditbank.api import certificates as certificates_api
from creditbank.api import credentials as credentials_api
from creditbank.api import federation as federation_api
from creditbank.api import money as money_api
from creditbank.api import operations as operations_api
from creditbank.api.limits import BodyGuard
from creditbank.api.metrics import Metrics, process_exited
from creditbank.api.multiproc import SEQUENCER_ENV, SEQUENCER_KEY_ENV
from creditbank.api.openapi import document_problems
from creditbank.api.policy import authorize
from creditbank.api.problems import install_problem_handlers
from creditbank.api.telemetry import Telemetry
from creditbank.bank import Bank
from creditbank.federation.cosigner import start_cosigning
from creditbank.federation.recognitions import start_rechecking
from creditbank.web import routes as web_routes


class BankAPI(FastAPI):
    """FastAPI with the bank's OpenAPI document: every route's problem responses and
    security derived from the role table (creditbank.api.openapi), built once."""

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            self.openapi_schema = document_problems(super().openapi())
        return self.openapi_schema


def create_app(bank: Bank, *, close_bank: bool = False) -> FastAPI:
    """Build the API around an open bank; ``close_bank`` closes it at shutdown."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if bank.link is not None:  # the server's sequencer answers on this loop
            bank.link.read_on(asyncio.get_running_loop())
        # witnesses are asked to cosign in the background, never on the append path
        cosigning = start_cosigning(bank.engine, bank.settings.keys_dir)
        rechecking = start_rechecking(bank.ledger, bank.settings.keys_dir)
        yield
        for task in (cosigning, rechecking):
            if task is not None:
                task.stop()
        if close_bank:
            bank.close()
            process_exited()

    app = BankAPI(
        title="creditbank",
        version=__version__,
        summary="A vocational credit bank on a signed, append-only, verifiable ledger.",
        lifespan=lifespan,
        # /docs and /redoc are pages of creditbank.web, from local assets (offline)
        docs_url=None,
        redoc_url=None,
        # every route's roles come from one table (creditbank.api.policy)
        dependencies=[Depends(authorize)],
    )
    app.state.bank = bank
    metrics = Metrics()
    app.state.metrics = metrics
    bank.ledger.observer = metrics
    install_problem_handlers(app)
    # first: an LMS's statements are most of the traffic, and routes are tried in order
    app.include_router(xapi.router)
    app.include_router(tlog.router)
    app.include_router(ledger.router)
    app.include_router(catalogue.router)
    app.include_router(access.router)
    app.include_router(credits.router)
    app.include_router(xapi.learner_router)
    app.include_router(verification.router)
    app.include_router(certificates_api.router)
    app.include_router(money_api.router)
    app.include_router(credentials_api.router)
    app.include_router(federation_api.router)
    app.include_router(operations_api.router)
    # the web pages (portal, verification, dashboard, docs): their own session gate
    app.include_router(web_routes.router)
    # every request body is read, sized and (JSON) strictly parsed here before any route
    app.add_middleware(BodyGuard, max_bytes=bank.settings.max_request_bytes)
    # xAPI's headers on every /xapi answer, and its 400 for a bad request (outside BodyGuard)
    app.add_middleware(xapi.XapiHeaders)
    # outermost: a request id, the metrics and a log line for every request
    app.add_middleware(Telemetry, metrics=metrics)
    return app


def app_from_env() -> FastAPI:
    """The app for a server process, from the environment (``creditbank serve`` sets it):
    each worker process opens its own bank on the shared database."""
    from creditbank.api.logs import configure_logging
    from creditbank.bank import open_bank
    from creditbank.settings import load_settings

    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)
    bank = open_bank(settings)
    address = os.environ.get(SEQUENCER_ENV)
    if address:  # one of several workers: appends go to the server's sequencer
        bank.forward_appends(address, bytes.fromhex(os.environ[SEQUENCER_KEY_ENV]))
    return create_app(bank, close_bank=True)
