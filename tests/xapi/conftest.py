"""An LRS world: the credits world (prov-a with recognised courses, learners) with xAPI
enabled for prov-a, its token, and helpers to send statements as an LMS does."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import pytest

from creditbank.credits.gateway import enable_xapi
from tests.client.conftest import base_url  # noqa: F401  (a live server on the bank)
from tests.credits.conftest import World, world  # noqa: F401  (the fixture)
from tests.factories import token_for

ADL = "http://adlnet.gov/expapi/verbs/"
LMS = "http://localhost:18000"


@dataclass
class Lrs:
    world: World
    client: Any
    token: str

    def headers(self, version: str = "1.0.3", basic: bool = False) -> dict[str, str]:
        if basic:
            secret = base64.b64encode(f"prov-a:{self.token}".encode()).decode()
            auth = f"Basic {secret}"
        else:
            auth = f"Bearer {self.token}"
        return {"X-Experience-API-Version": version, "Authorization": auth}

    def post(self, body: Any, version: str = "1.0.3", basic: bool = False) -> Any:
        return self.client.request(
            "POST", "/xapi/statements", json=body, headers=self.headers(version, basic)
        )

    def get(self, version: str = "1.0.3", **params: str) -> Any:
        return self.client.request(
            "GET", "/xapi/statements", params=params, headers=self.headers(version)
        )

    def outcome(self, sid: str) -> dict[str, Any]:
        r = self.client.request(
            "GET", "/xapi/outcomes", params={"statementId": sid}, headers=self.headers()
        )
        assert r.status_code == 200, r.text
        return dict(r.json()[0])

    def link_learner(self, agent: dict[str, Any], learner: str) -> None:
        r = self.client.request(
            "PUT",
            "/xapi/links/learners",
            json={"agent": agent, "learner": learner},
            headers=self.headers(),
        )
        assert r.status_code == 204, r.text

    def link_course(self, activity: str, course_id: str) -> None:
        r = self.client.request(
            "PUT",
            "/xapi/links/courses",
            json={"activity": activity, "course_id": course_id},
            headers=self.headers(),
        )
        assert r.status_code == 204, r.text


@pytest.fixture
def lrs(world: World, client: Any) -> Lrs:  # noqa: F811
    enable_xapi(world.bank, world.key)
    return Lrs(world, client, token_for(world.bank, "prov-a"))


def completed(
    learner: str, course: str = "clean-online", verb: str = "completed", **extra: Any
) -> dict[str, Any]:
    """A completion statement with the bank's account number as the LMS account."""
    s: dict[str, Any] = {
        "actor": {"objectType": "Agent", "account": {"homePage": LMS, "name": learner}},
        "verb": {"id": ADL + verb, "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": f"{LMS}/courses/{course}"},
        "result": {
            "score": {"scaled": 0.85},
            "success": True,
            "completion": True,
            "duration": "PT40H",
        },
        "timestamp": "2026-11-20T10:00:00Z",
    }
    s.update(extra)
    return s
