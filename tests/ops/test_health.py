"""/healthz, /readyz and /metrics: public, cheap, and telling the truth about the bank."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine

from creditbank.api.metrics import Metrics
from creditbank.bank import Bank
from creditbank.ledger.observer import BatchStats
from creditbank.tooling.factories import register, token_for
from tests.conftest import FakeClock


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The exposition as {(sample name, sorted labels): value}."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def test_healthz_answers_without_a_token_and_echoes_a_request_id(client: Any) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}
    assert len(r.headers["X-Request-ID"]) == 32


@pytest.mark.parametrize(
    ("sent", "echoed"),
    [("abc-123.X_y:z", True), ("has space", False), ("x" * 65, False)],
    ids=["plain", "space", "too-long"],
)
def test_a_sane_request_id_from_the_caller_is_kept(client: Any, sent: str, echoed: bool) -> None:
    r = client.get("/healthz", headers={"X-Request-ID": sent})
    assert (r.headers["X-Request-ID"] == sent) is echoed


def test_readyz_reports_the_database_sequencer_and_checkpoint(client: Any, bank: Bank) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready"
    assert body["database"] is True
    assert body["sequencer"] is True
    assert body["tree_size"] == 2  # the trust root: the authority and the log operator
    assert body["checkpoint_age_seconds"] >= 0


def test_readyz_refuses_an_old_checkpoint_when_an_age_is_set(
    client: Any, bank: Bank, clock: FakeClock
) -> None:
    bank.settings = bank.settings.model_copy(update={"ready_max_checkpoint_age": 60.0})
    assert client.get("/readyz").status_code == 200
    clock.advance(seconds=61)
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert "no checkpoint in the last 60 s" in r.json()["detail"]
    register(bank, "prov-fresh")  # a write signs a new checkpoint
    assert client.get("/readyz").status_code == 200


def test_readyz_refuses_when_the_sequencer_stopped(client: Any, bank: Bank) -> None:
    bank.ledger.close()
    r = client.get("/readyz")
    assert r.status_code == 503
    assert "sequencer is not running" in r.json()["detail"]
    assert client.get("/healthz").status_code == 200  # alive, only not ready


def test_metrics_count_entries_by_kind_and_origin(client: Any, bank: Bank) -> None:
    before = client.get("/metrics").text
    register(bank, "prov-m")
    after = client.get("/metrics")
    assert after.status_code == 200
    assert after.headers["content-type"].startswith("text/plain")
    text = after.text
    name = "creditbank_entries_total"
    labels = {"kind": "actor.registered", "origin": "authored"}
    assert value(text, name, **labels) == value(before, name, **labels) + 1
    assert value(text, "creditbank_tree_size") == 3
    assert value(text, "creditbank_batch_statements_count") >= 1
    assert value(text, "creditbank_commit_seconds_count") >= 1
    assert value(text, "creditbank_checkpoint_seconds_count") >= 1


def test_the_observer_tells_derived_entries_from_authored_ones() -> None:
    metrics = Metrics()
    metrics.batch_committed(
        BatchStats(
            statements=2,
            kinds=("completion.recorded", "credit.awarded", "completion.recorded"),
            commit_seconds=0.01,
            checkpoint_seconds=0.02,
            waiting=7,
        )
    )
    text = generate(metrics)
    name = "creditbank_entries_total"
    assert value(text, name, kind="completion.recorded", origin="authored") == 2
    assert value(text, name, kind="credit.awarded", origin="derived") == 1
    assert value(text, "creditbank_sequencer_queue_depth") == 7
    assert value(text, "creditbank_batch_statements_sum") == 2


def generate(metrics: Metrics) -> str:
    return metrics.render().decode()


def test_http_metrics_use_the_route_template_and_count_auth_failures(
    client: Any, bank: Bank
) -> None:
    register(bank, "prov-h")
    token = token_for(bank, "prov-h")
    assert client.get("/v1/providers/prov-h/subsidies", token=token).status_code == 200
    assert client.get("/v1/me").status_code == 401
    assert client.get("/v1/me", token="not-a-token").status_code == 401
    assert client.get("/no/such/route").status_code == 404
    text = client.get("/metrics").text
    route = "/v1/providers/{provider}/subsidies"
    assert value(text, "creditbank_http_requests_total", method="GET", route=route, status="200")
    assert value(text, "creditbank_http_request_seconds_count", method="GET", route=route) == 1
    assert value(text, "creditbank_auth_failures_total", route="/v1/me") == 2
    assert value(
        text, "creditbank_http_requests_total", method="GET", route="unmatched", status="404"
    )
    assert "prov-h/subsidies" not in text  # raw paths never become labels
    assert token not in text


def test_an_unreachable_database_is_not_ready_but_still_scraped(
    client: Any, bank: Bank, tmp_path: Path
) -> None:
    engine = bank.engine
    bank.engine = create_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'bank.db'}")
    try:
        ready = client.get("/readyz")
        scraped = client.get("/metrics")
    finally:
        bank.engine.dispose()
        bank.engine = engine
    assert ready.status_code == 503
    assert "database unreachable: OperationalError" in ready.json()["detail"]
    assert scraped.status_code == 200
    assert "creditbank_http_requests_total" in scraped.text
