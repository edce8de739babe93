"""The request log: one JSON object a line with the request id the response carries, the
route template, status, duration and acting organisation; never a token, a raw path or
a learner's account."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from creditbank.access.service import open_account
from creditbank.access.tokens import create_token
from creditbank.api.logs import REQUEST_LOGGER, JsonFormatter, TextFormatter, logging_config
from creditbank.bank import Bank
from creditbank.tooling.factories import person, register, token_for


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """What the request logger writes, as JSON lines."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(REQUEST_LOGGER)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield out
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def records(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_each_request_logs_one_json_line_matching_its_response(
    client: Any, bank: Bank, lines: io.StringIO
) -> None:
    register(bank, "prov-log")
    token = token_for(bank, "prov-log")
    r = client.get("/v1/providers/prov-log/subsidies", token=token)
    assert r.status_code == 200
    (line,) = records(lines)
    assert line["request_id"] == r.headers["X-Request-ID"]
    assert line["route"] == "/v1/providers/{provider}/subsidies"
    assert line["method"] == "GET"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["actor"] == "prov-log"
    assert line["level"] == "info"
    assert token not in lines.getvalue()


def test_learners_and_refusals_are_logged_without_account_or_token(
    client: Any, bank: Bank, lines: io.StringIO
) -> None:
    opened = open_account(bank, person(901), "authority", bank.ledger.clock())
    account = opened.account
    token, _, _ = create_token(
        bank.engine,
        role="learner",
        account=account,
        label="t",
        now=bank.ledger.clock(),
        ttl=timedelta(hours=1),
    )
    assert client.get(f"/v1/learners/{account}/balance", token=token).status_code == 200
    assert client.get(f"/v1/learners/{account}/balance", token="wrong-token").status_code == 401
    first, second = records(lines)
    assert first["actor"] == "learner"
    assert first["route"] == "/v1/learners/{account}/balance"
    assert second["status"] == 401
    assert second["actor"] is None
    text = lines.getvalue()
    assert account not in text
    assert token not in text
    assert "wrong-token" not in text


def test_the_text_format_is_one_readable_line() -> None:
    record = logging.LogRecord(
        "creditbank.http", logging.INFO, __file__, 1, "GET %s", ("/x",), None
    )
    record.fields = {"status": 200, "actor": None}
    line = TextFormatter().format(record)
    assert "\n" not in line
    assert line.endswith("INFO    creditbank.http: GET /x status=200")


def test_the_config_sends_uvicorns_loggers_and_the_banks_through_one_formatter() -> None:
    config = logging_config("json", "warning")
    assert config["formatters"]["bank"]["()"] is JsonFormatter
    assert config["loggers"]["creditbank"]["level"] == "WARNING"
    assert config["loggers"]["creditbank.serve"]["level"] == "INFO"  # the start-up line
    assert config["loggers"]["uvicorn.error"]["handlers"] == ["stderr"]
