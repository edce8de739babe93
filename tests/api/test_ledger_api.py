"""The ledger over HTTP: tlog-tiles reads, the JSON API, and refusals that write nothing."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from creditbank.bank import Bank
from creditbank.core.entry import SignedStatement, sign_statement
from creditbank.core.keys import KeyPair
from creditbank.core.tlog import merkle, tiles
from creditbank.core.verify import (
    verify_checkpoint,
    verify_consistency,
    verify_inclusion,
    verify_receipt,
)
from creditbank.ledger import store
from tests.api.conftest import ASGIClient
from tests.factories import b64, notice, register, token_for


def payload(signed: SignedStatement) -> dict[str, Any]:
    return {
        "statement": dict(signed.statement),
        "key_id": signed.key_id,
        "signature": b64(signed.signature),
    }


def tree_size(bank: Bank) -> int:
    with bank.engine.connect() as conn:
        return store.tree_size(conn)


@pytest.fixture
def provider(bank: Bank, client: ASGIClient) -> KeyPair:
    key = register(bank, "prov-a")
    client.token = token_for(bank, "prov-a")
    return key


def test_post_entry_returns_a_verifying_receipt(
    client: ASGIClient, bank: Bank, provider: KeyPair
) -> None:
    r = client.post("/v1/ledger/entries", json=payload(notice("prov-a", provider, sid="n1")))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["index"] == 3
    assert body["duplicate"] is False
    key = client.get("/v1/ledger/key").text.strip()
    assert key == bank.verifier_key
    verified = verify_receipt(body["receipt"], key)
    assert verified.entry_bytes == base64.b64decode(body["entry"])
    # the same statement again: 200 and the original receipt
    again = client.post("/v1/ledger/entries", json=payload(notice("prov-a", provider, sid="n1")))
    assert again.status_code == 200
    assert again.json()["receipt"] == body["receipt"]


def test_entry_and_receipt_endpoints(client: ASGIClient, bank: Bank, provider: KeyPair) -> None:
    client.post("/v1/ledger/entries", json=payload(notice("prov-a", provider)))
    r = client.get("/v1/ledger/entries/3")
    assert r.status_code == 200
    view = r.json()
    data = base64.b64decode(view["canonical"])
    assert json.loads(data) == view["entry"]
    assert base64.b64decode(view["leaf_hash"]) == merkle.leaf_hash(data)
    receipt = client.get("/v1/ledger/entries/3/receipt")
    assert receipt.headers["content-disposition"].endswith('.tlog-proof"')
    assert verify_receipt(receipt.text, bank.verifier_key).entry_bytes == data
    assert client.get("/v1/ledger/entries/99").status_code == 404
    assert client.get("/v1/ledger/entries/-1").status_code == 422


def test_proof_endpoints_verify_against_checkpoints(
    client: ASGIClient, bank: Bank, provider: KeyPair
) -> None:
    for _ in range(7):
        client.post("/v1/ledger/entries", json=payload(notice("prov-a", provider)))
    size = tree_size(bank)
    cp = verify_checkpoint(client.get("/tlog/checkpoint").text, bank.verifier_key)
    assert cp.size == size
    for index in range(size):
        proof = client.get(
            "/v1/ledger/proofs/inclusion", params={"index": index, "size": size}
        ).json()
        verify_inclusion(
            index,
            size,
            base64.b64decode(proof["leaf_hash"]),
            [base64.b64decode(h) for h in proof["hashes"]],
            cp.root_hash,
        )
    for first in range(size + 1):
        proof = client.get(
            "/v1/ledger/proofs/consistency", params={"first": first, "second": size}
        ).json()
        verify_consistency(
            first,
            size,
            [base64.b64decode(h) for h in proof["hashes"]],
            base64.b64decode(proof["first_root_hash"]),
            cp.root_hash,
        )
    bad = client.get("/v1/ledger/proofs/inclusion", params={"index": 0, "size": size + 5})
    assert bad.status_code == 422
    assert bad.json()["field"] == "size"
    bad = client.get("/v1/ledger/proofs/consistency", params={"first": size, "second": 1})
    assert bad.status_code == 422
    assert bad.json()["field"] == "first"


def test_tiles_serve_the_tree_and_the_entries(
    client: ASGIClient, bank: Bank, provider: KeyPair
) -> None:
    bank.ledger.append_many([notice("prov-a", provider) for _ in range(300)])
    size = tree_size(bank)  # 303: one full level-0 tile and a partial one
    with bank.engine.connect() as conn:
        entries = store.entries_range(conn, 0, size)
    leaves = [merkle.leaf_hash(e) for e in entries]

    full = client.get("/tlog/tile/0/000")
    assert full.status_code == 200
    assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert full.content == b"".join(leaves[:256])

    partial = client.get(f"/tlog/tile/0/001.p/{size - 256}")
    assert partial.content == b"".join(leaves[256:size])
    assert partial.headers["cache-control"] == "no-cache"

    level1 = client.get("/tlog/tile/1/000.p/1")
    assert level1.content == merkle.root_from_leaves(leaves[:256])

    bundle = client.get("/tlog/tile/entries/000")
    assert tiles.decode_bundle(bundle.content) == entries[:256]
    assert (
        tiles.decode_bundle(client.get(f"/tlog/tile/entries/001.p/{size - 256}").content)
        == entries[256:]
    )

    assert client.get("/tlog/tile/0/001").status_code == 404  # not full yet
    assert client.get("/tlog/tile/0/002.p/3").status_code == 404
    assert client.get("/tlog/tile/0/01").status_code == 422
    assert client.get("/tlog/tile/0/000.p/256").status_code == 422


def _problem(r: httpx.Response, status: int, field: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status
    assert body["field"] == field
    assert body["type"]
    assert body["title"]
    assert body["detail"]


def test_bad_input_gets_a_problem_and_writes_nothing(
    client: ASGIClient, bank: Bank, provider: KeyPair
) -> None:
    stranger = KeyPair.generate("stranger")
    client.post(
        "/v1/ledger/entries", json=payload(notice("prov-a", provider, sid="taken", text="one"))
    )
    before = tree_size(bank)
    good = notice("prov-a", provider)

    cases: list[tuple[Any, int, str]] = [
        (
            payload(sign_statement(dict(good.statement, body={"text": "x" * 66000}), provider)),
            413,
            "statement.body",
        ),
        ({**payload(good), "signature": b64(bytes(64))}, 422, "signature"),
        ({**payload(good), "signature": "not base64!"}, 422, "signature"),
        (payload(sign_statement(good.statement, stranger)), 422, "key_id"),
        (payload(notice("prov-a", provider, sid="taken", text="two")), 409, "statement.id"),
        ({"statement": dict(good.statement)}, 422, "key_id"),
        (
            {**payload(good), "statement": dict(good.statement, body={"n": 1.5})},
            422,
            "statement.body.n",
        ),
    ]
    for body, status, field in cases:
        _problem(client.post("/v1/ledger/entries", json=body), status, field)
    r = client.post(
        "/v1/ledger/entries", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    assert r.json()["field"] == "body"
    r = client.post(
        "/v1/ledger/entries",
        content=b"x" * (5 * 1024 * 1024),
        headers={"content-type": "application/json"},
    )
    _problem(r, 413, "body")
    assert tree_size(bank) == before


def test_revoked_key_is_refused_over_http(
    client: ASGIClient, bank: Bank, provider: KeyPair
) -> None:
    new = KeyPair.generate("prov-a")
    for statement, key in (
        (
            {
                "kind": "key.added",
                "actor": "prov-a",
                "id": "k1",
                "body": {"actor_id": "prov-a", "public_key": b64(new.public_key)},
            },
            provider,
        ),
        (
            {
                "kind": "key.revoked",
                "actor": "prov-a",
                "id": "k2",
                "body": {"actor_id": "prov-a", "key_id": provider.key_id, "reason": "lost laptop"},
            },
            new,
        ),
    ):
        assert (
            client.post(
                "/v1/ledger/entries", json=payload(sign_statement(statement, key))
            ).status_code
            == 201
        )
    before = tree_size(bank)
    _problem(
        client.post("/v1/ledger/entries", json=payload(notice("prov-a", provider))), 403, "key_id"
    )
    assert tree_size(bank) == before


def test_openapi_lists_the_interfaces(client: ASGIClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/tlog/checkpoint",
        "/tlog/tile/{path}",
        "/v1/ledger/key",
        "/v1/ledger/entries",
        "/v1/ledger/entries/{index}",
        "/v1/ledger/entries/{index}/receipt",
        "/v1/ledger/proofs/inclusion",
        "/v1/ledger/proofs/consistency",
    ):
        assert path in paths
