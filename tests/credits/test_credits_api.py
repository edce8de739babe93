"""Completions and credits over HTTP: one, a batch, refusals, and the learner's reads."""

from __future__ import annotations

from datetime import timedelta

from creditbank.access.tokens import create_token
from creditbank.core.entry import sign_statement
from creditbank.core.verify import verify_receipt
from tests.api.conftest import ASGIClient
from tests.api.test_ledger_api import payload
from tests.credits.conftest import World
from tests.credits.test_engine import size
from tests.factories import token_for


def learner_token(world: World, account: str) -> str:
    token, _, _ = create_token(
        world.bank.engine,
        role="learner",
        account=account,
        label="test",
        now=world.clock(),
        ttl=timedelta(hours=1),
    )
    return token


def test_post_one_completion_and_read_credits(client: ASGIClient, world: World) -> None:
    client.token = token_for(world.bank, "prov-a")
    learner = world.learner()
    r = client.post(
        "/v1/completions",
        json=payload(sign_statement(world.completion(learner, "label-offline"), world.key)),
    )
    assert r.status_code == 201, r.text
    done = r.json()
    assert len(done["derived"]) == 1
    mine = learner_token(world, learner)
    balance = client.get(f"/v1/learners/{learner}/balance", token=mine).json()
    assert balance["total_active"] == "4.0"
    assert balance["units"][0]["unit_code"] == "DAN-5-02"
    progress = client.get(f"/v1/learners/{learner}/progress", token=mine).json()
    level5 = next(p for p in progress["levels"] if p["level"] == 5)
    assert level5["eligible"] is False
    assert level5["counted"] == "4.0"
    assert level5["missing"] == "4.0"
    assert level5["missing_units"] == {"DAN-5-01": "1.0"}
    history = client.get(f"/v1/learners/{learner}/history", token=mine).json()
    assert history["completions"][0]["outcome"] == "awarded"
    award = history["awards"][0]
    assert verify_receipt(award["receipt"], world.bank.verifier_key).index == award["index"]
    receipt = client.get(f"/v1/learners/{learner}/receipts/{award['index']}", token=mine)
    assert receipt.status_code == 200
    assert receipt.headers["content-disposition"].endswith('.tlog-proof"')
    # not in this learner's history
    assert client.get(f"/v1/learners/{learner}/receipts/0", token=mine).status_code == 404
    other = world.learner()
    assert client.get(f"/v1/learners/{other}/balance", token=mine).status_code == 403
    assert client.get(f"/v1/learners/{learner}/balance").status_code == 403  # a provider


def test_batch_results_per_item(client: ASGIClient, world: World) -> None:
    client.token = token_for(world.bank, "prov-a")
    learner = world.learner()
    good = [
        world.completion(learner, course)
        for course in ("clean-online", "label-offline", "speech-workplace")
    ]
    bad_course = world.completion(learner, "nope")
    bad_score = world.completion(learner, "clean-online", score=150)
    items = [
        payload(sign_statement(s, world.key))
        for s in (good[0], bad_course, good[1], bad_score, good[2])
    ]
    r = client.post("/v1/completions/batch", json={"statements": items})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["accepted"], body["rejected"]) == (3, 2)
    oks = [res["ok"] for res in body["results"]]
    assert oks == [True, False, True, False, True]
    assert body["results"][1]["problem"]["field"] == "statement.body.course_id"
    assert body["results"][3]["problem"]["field"] == "statement.body.score"
    indexes = [res["index"] for res in body["results"] if res["ok"]]
    assert indexes == sorted(indexes)


def test_batch_limits_write_nothing(client: ASGIClient, world: World) -> None:
    client.token = token_for(world.bank, "prov-a")
    learner = world.learner()
    before = size(world)
    one = payload(sign_statement(world.completion(learner, "clean-online"), world.key))
    r = client.post("/v1/completions/batch", json={"statements": [one] * 1001})
    assert r.status_code == 422
    assert r.json()["field"] == "statements"
    r = client.post(
        "/v1/completions/batch",
        content=b'{"statements": [' + b" " * (10 * 1024 * 1024) + b"]}",
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413
    assert size(world) == before


def test_retraction_over_http(client: ASGIClient, world: World) -> None:
    client.token = token_for(world.bank, "prov-a")
    learner = world.learner()
    done = world.complete(learner, "clean-online")
    retraction = {
        "kind": "completion.retracted",
        "actor": "prov-a",
        "id": "retract-1",
        "body": {"completion_index": done.index, "reason": "uploaded twice"},
    }
    r = client.post(
        "/v1/completions/retractions", json=payload(sign_statement(retraction, world.key))
    )
    assert r.status_code == 201, r.text
    mine = learner_token(world, learner)
    balance = client.get(f"/v1/learners/{learner}/balance", token=mine).json()
    assert balance["total_active"] == "0.0"
    assert balance["units"][0]["revoked"] == "3.0"
