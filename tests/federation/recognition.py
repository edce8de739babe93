"""The recognition story on a served pair of banks: Tianjin certifies (or credits) a
learner, Beijing agrees to recognise Tianjin's records, and the learner presents them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from creditbank.core.entry import format_time, sign_statement
from creditbank.federation.service import cosign_now
from creditbank.ledger.sequencer import Appended
from tests.access.conftest import learner_token
from tests.api.certflow import Flow, money_world
from tests.federation.conftest import Pair

_ids = itertools.count(1)


@dataclass
class Federated:
    pair: Pair
    tianjin: Flow
    beijing: Flow
    agreement_id: str

    def agree(self, *, mapping: list[dict[str, Any]] | None = None, quorum: int = 1) -> str:
        """Beijing's authority agrees to recognise Tianjin's records, trusting Beijing's
        own witness of Tianjin's log (quorum 1 by default)."""
        bj, tj = self.pair.beijing, self.pair.tianjin
        now = bj.bank.ledger.clock()
        agreement_id = f"tianjin-{next(_ids)}"
        statement = {
            "kind": "recognition.agreed",
            "actor": "authority",
            "id": f"agree-{agreement_id}",
            "body": {
                "agreement_id": agreement_id,
                "peer": {
                    "origin": tj.bank.origin,
                    "log_key": tj.bank.verifier_key,
                    "witness_keys": [bj.witness_key],
                    "quorum": quorum,
                },
                "mapping": mapping or [],
                "valid_from": format_time(now - timedelta(days=1)),
                "valid_until": format_time(now + timedelta(days=365)),
            },
        }
        bj.bank.ledger.append(sign_statement(statement, bj.bank.authority_key()))
        self.agreement_id = agreement_id
        return agreement_id

    def link_code(self, tj_learner: str, bj_learner: str) -> str:
        """The link code Tianjin signs for its signed-in learner, for ``bj_learner``."""
        tj, bj = self.pair.tianjin, self.pair.beijing
        r = httpx.post(
            f"{tj.url}/v1/learners/{tj_learner}/link-codes",
            json={"home_origin": bj.bank.origin, "home_account": bj_learner},
            headers={"Authorization": f"Bearer {learner_token(tj.bank, tj_learner)}"},
        )
        assert r.status_code == 200, r.text
        code: str = r.json()["link_code"]
        return code

    def witnessed(self) -> None:
        """Tianjin's latest checkpoint cosigned by Beijing's witness."""
        [result] = cosign_now(self.pair.tianjin.bank.engine, self.pair.tianjin.keys_dir)
        assert result.cosigned, result.problem

    def certificate_bundle(self, number: str) -> dict[str, Any]:
        r = httpx.get(f"{self.pair.tianjin.url}/v1/certificates/{number}/verification")
        assert r.status_code == 200, r.text
        found: dict[str, Any] = r.json()
        return found

    def credit_bundle(self, awards: list[int]) -> dict[str, Any]:
        query = "&".join(f"awards={a}" for a in awards)
        r = httpx.get(f"{self.pair.tianjin.url}/v1/federation/credit-bundle?{query}")
        assert r.status_code == 200, r.text
        found: dict[str, Any] = r.json()
        return found

    def present(self, bj_learner: str, request: dict[str, Any]) -> httpx.Response:
        bj = self.pair.beijing
        return httpx.post(
            f"{bj.url}/v1/learners/{bj_learner}/recognitions",
            json={"agreement_id": self.agreement_id, **request},
            headers={"Authorization": f"Bearer {learner_token(bj.bank, bj_learner)}"},
            timeout=60,
        )

    def present_certificate(
        self, number: str, tj_learner: str, bj_learner: str, code: str | None = None
    ) -> httpx.Response:
        return self.present(
            bj_learner,
            {
                "record": "certificate",
                "certificate_number": number,
                "bundle": self.certificate_bundle(number),
                "link_code": code or self.link_code(tj_learner, bj_learner),
            },
        )


def federate(pair: Pair) -> Federated:
    """Both banks with the small catalogue, providers and certifying bodies."""
    return Federated(pair, money_world(pair.tianjin.bank), money_world(pair.beijing.bank), "")


def revoke(flow: Flow, number: str) -> Appended:
    return flow.sign(flow.revocation(number))
