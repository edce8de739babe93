"""A small world for credit scenarios: a published catalogue, a provider with recognized
courses, and learners with accounts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from creditbank.access.service import open_account
from creditbank.bank import Bank
from creditbank.catalogue.service import publish_catalogue
from creditbank.core.entry import format_time, sign_statement
from creditbank.core.keys import KeyPair
from creditbank.core.statements import catalogue as statements
from creditbank.ledger.sequencer import Appended
from tests.catalogue.conftest import small_catalogue
from tests.conftest import FakeClock
from tests.factories import make_person, register

# data-annotator level 5: 8.0 credits required, online share 80% (cap 6.4); units
# DAN-5-01 (max 4.5, required 1.0), DAN-5-02 (max 4.5, required 1.0), DAN-5-03 (max 3.0)
COURSES: dict[str, dict[str, Any]] = {
    "clean-online": {"unit_code": "DAN-5-01", "mode": "online", "hours": "48.0"},  # 3.0
    "label-offline": {"unit_code": "DAN-5-02", "mode": "offline", "hours": "64.0"},  # 4.0
    "speech-workplace": {"unit_code": "DAN-5-03", "mode": "workplace", "hours": "48.0"},  # 3.0
    "clean-more": {"unit_code": "DAN-5-01", "mode": "offline", "hours": "32.0"},  # 2.0
    "pf-lab": {"unit_code": "DAN-5-02", "mode": "offline", "hours": "16.0", "min_score": None},
}


@dataclass
class World:
    bank: Bank
    clock: FakeClock
    key: KeyPair
    provider: str = "prov-a"
    ids: Any = field(default_factory=lambda: iter(range(1, 10**6)))

    def learner(self) -> str:
        return open_account(self.bank, make_person(), "prov-a", self.clock()).account

    def completion(
        self,
        learner: str,
        course_id: str,
        *,
        score: int | None = 80,
        passed: bool | None = None,
        completed_at: datetime | None = None,
        cid: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "learner": learner,
            "course_id": course_id,
            "completed_at": format_time(completed_at or self.clock() - timedelta(days=1)),
            "hours_attended": "40.0",
        }
        if score is not None:
            body["score"] = score
        if passed is not None:
            body["passed"] = passed
        body.update(extra)
        return {
            "kind": "completion.recorded",
            "actor": self.provider,
            "id": cid or f"done-{next(self.ids)}",
            "body": body,
        }

    def post(self, statement: dict[str, Any]) -> Appended:
        return self.bank.ledger.append(sign_statement(statement, self.key))

    def complete(self, learner: str, course_id: str, **kw: Any) -> Appended:
        return self.post(self.completion(learner, course_id, **kw))

    def retract(self, completion_index: int, reason: str = "duplicate upload") -> Appended:
        return self.post(
            {
                "kind": "completion.retracted",
                "actor": self.provider,
                "id": f"retract-{completion_index}",
                "body": {"completion_index": completion_index, "reason": reason},
            }
        )


@pytest.fixture
def world(bank: Bank, clock: FakeClock) -> World:
    publish_catalogue(bank.ledger, small_catalogue(), bank.authority_key())
    key = register(bank, "prov-a")
    start = clock() - timedelta(days=7 * 365)
    for course_id, fields in COURSES.items():
        statement = statements.course_registration(
            "prov-a",
            course_id,
            title=course_id,
            standard_id="data-annotator",
            level=5,
            **fields,
        )
        bank.ledger.append(sign_statement(statement, key))
        bank.ledger.append(
            sign_statement(
                statements.course_recognition(
                    "prov-a",
                    course_id,
                    valid_from=start,
                    valid_until=clock() + timedelta(days=10 * 365),
                    credits="1.0" if course_id == "pf-lab" else None,
                ),
                bank.authority_key(),
            )
        )
    return World(bank, clock, key)


from tests.client.conftest import base_url  # noqa: E402, F401  (a live server on the bank)
