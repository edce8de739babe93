"""`creditbank serve --workers 2`: two server processes on one database, one sequence."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from creditbank.bank import Bank
from creditbank.core.verify import verify_receipt
from creditbank.ledger import audit, store
from creditbank.registry import default_handlers
from creditbank.tooling.bench.common import server
from tests.factories import notice, register, token_for


@pytest.mark.slow
def test_two_worker_processes_share_one_sequence(bank: Bank) -> None:
    key = register(bank, "prov-a")
    token = token_for(bank, "prov-a")
    statements = [notice("prov-a", key) for _ in range(120)]
    with server(bank.settings, workers=2) as base, httpx.Client(base_url=base, timeout=60) as http:

        def post(i: int) -> dict[str, object]:
            s = statements[i]
            r = http.post(
                "/v1/ledger/entries",
                json={
                    "statement": dict(s.statement),
                    "key_id": s.key_id,
                    "signature": base64.b64encode(s.signature).decode(),
                },
                headers={"Authorization": f"Bearer {token}"},
            )
            assert r.status_code == 201, r.text
            body: dict[str, object] = r.json()
            return body

        with ThreadPoolExecutor(12) as pool:
            results = list(pool.map(post, range(len(statements))))
    indexes = sorted(int(str(r["index"])) for r in results)
    assert indexes == list(range(3, 3 + len(statements)))
    for r in results:
        assert verify_receipt(str(r["receipt"]), bank.verifier_key).index == r["index"]
    with bank.engine.connect() as conn:
        assert store.tree_size(conn) == 3 + len(statements)
    report = audit.audit(bank.engine, bank.verifier_key, bank.origin, default_handlers())
    assert report.ok, report.problem
