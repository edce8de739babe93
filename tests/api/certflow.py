"""The certificate story as test helpers, on any bank: courses that make a learner
eligible for data-annotator level 5, and the statements of applying, assessing, issuing,
revoking, paying and claiming (signed here or left for a client to sign).

data-annotator level 5 asks 8.0 credits (online share 80%) with DAN-5-01 and DAN-5-02
required; the three courses below give 3.0 online (DAN-5-01), 4.0 offline (DAN-5-02) and
3.0 workplace (DAN-5-03) credits: 10.0, eligible.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from creditbank.access.service import open_account
from creditbank.bank import Bank
from creditbank.core.entry import format_time, sign_statement
from creditbank.core.keys import KeyPair
from creditbank.core.statements import catalogue as statements
from creditbank.ledger.sequencer import Appended
from tests.factories import b64, make_person

_ids = itertools.count(1)

# course id -> unit, mode, hours (credits = hours / 16)
COURSES: dict[str, tuple[str, str, str]] = {
    "fl-online": ("DAN-5-01", "online", "48.0"),  # 3.0
    "fl-offline": ("DAN-5-02", "offline", "64.0"),  # 4.0
    "fl-workplace": ("DAN-5-03", "workplace", "48.0"),  # 3.0
}


def register_certifier(bank: Bank, actor_id: str, standards: list[str]) -> KeyPair:
    key = KeyPair.generate(actor_id)
    bank.ledger.append(
        sign_statement(
            {
                "kind": "actor.registered",
                "actor": "authority",
                "id": f"cf-register-{actor_id}",
                "body": {
                    "actor_id": actor_id,
                    "role": "certifier",
                    "name": actor_id,
                    "public_key": b64(key.public_key),
                    "standards": standards,
                },
            },
            bank.authority_key(),
        )
    )
    return key


@dataclass
class Flow:
    """``keys`` maps actor ids to their keys; ``course_providers`` which provider gives
    each course (default: ``provider``)."""

    bank: Bank
    keys: dict[str, KeyPair]
    provider: str = "prov-a"
    certifier: str = "cert-a"
    course_providers: dict[str, str] = field(default_factory=dict)

    def provider_of(self, course_id: str) -> str:
        return self.course_providers.get(course_id, self.provider)

    def setup_courses(self) -> None:
        now = self.bank.ledger.clock()
        for course_id, (unit, mode, hours) in COURSES.items():
            provider = self.provider_of(course_id)
            registration = statements.course_registration(
                provider,
                course_id,
                title=course_id,
                standard_id="data-annotator",
                level=5,
                unit_code=unit,
                mode=mode,
                hours=hours,
            )
            self.bank.ledger.append(sign_statement(registration, self.keys[provider]))
            recognition = statements.course_recognition(
                provider,
                course_id,
                valid_from=now - timedelta(days=365),
                valid_until=now + timedelta(days=3650),
            )
            self.bank.ledger.append(sign_statement(recognition, self.bank.authority_key()))

    def learner(self) -> str:
        return open_account(self.bank, make_person(), "authority", self.bank.ledger.clock()).account

    def complete(self, learner: str, course_id: str, **body: Any) -> Appended:
        provider = self.provider_of(course_id)
        statement = {
            "kind": "completion.recorded",
            "actor": provider,
            "id": f"cf-done-{next(_ids)}",
            "body": {
                "learner": learner,
                "course_id": course_id,
                "completed_at": format_time(self.bank.ledger.clock() - timedelta(days=1)),
                "score": 80,
                "hours_attended": "40.0",
                **body,
            },
        }
        return self.bank.ledger.append(sign_statement(statement, self.keys[provider]))

    def eligible_learner(self) -> tuple[str, list[int]]:
        """A new learner eligible for data-annotator level 5, and their award indexes."""
        learner = self.learner()
        awards = [self.complete(learner, c).derived[0] for c in COURSES]
        return learner, sorted(awards)

    def sign(self, statement: dict[str, Any]) -> Appended:
        return self.bank.ledger.append(sign_statement(statement, self.keys[statement["actor"]]))

    def apply(self, learner: str, standard_id: str = "data-annotator", level: int = 5) -> int:
        """The learner's application, as the API logs it (an operator statement)."""
        body = {"learner": learner, "standard_id": standard_id, "level": level}
        future = self.bank.ledger.submit_operator(
            "certificate.applied", f"cf-apply-{next(_ids)}", body
        )
        return int(future.result(timeout=30).index)

    def assessment(
        self, application: int, result: str = "passed", score: int | None = 86
    ) -> dict[str, Any]:
        return {
            "kind": "assessment.recorded",
            "actor": self.certifier,
            "id": f"cf-assess-{application}-{next(_ids)}",
            "body": {"application_index": application, "result": result, "score": score},
        }

    def issuance(
        self, learner: str, awards: list[int], application: int, number: str | None = None
    ) -> dict[str, Any]:
        number = number or f"DAN5-2026-{next(_ids):06d}"
        return {
            "kind": "certificate.issued",
            "actor": self.certifier,
            "id": f"cf-issue-{number}",
            "body": {
                "certificate_number": number,
                "learner": learner,
                "standard_id": "data-annotator",
                "level": 5,
                "application_index": application,
                "awards": awards,
                "assessment": {"result": "passed", "score": 86},
            },
        }

    def assessed(self) -> tuple[str, list[int], int]:
        """An eligible learner whose application the certifier assessed as passed."""
        learner, awards = self.eligible_learner()
        application = self.apply(learner)
        self.sign(self.assessment(application))
        return learner, awards, application

    def certify(self, number: str | None = None) -> Certified:
        """A new eligible learner, applied, assessed and certified."""
        learner, awards, application = self.assessed()
        statement = self.issuance(learner, awards, application, number)
        issued = self.sign(statement)
        return Certified(learner, statement["body"]["certificate_number"], issued, awards)

    def revocation(self, number: str, actor: str | None = None) -> dict[str, Any]:
        return {
            "kind": "certificate.revoked",
            "actor": actor or self.certifier,
            "id": f"cf-revoke-{number}-{next(_ids)}",
            "body": {"certificate_number": number, "reason": "assessment irregularity"},
        }

    def reward_payment(self, reward_index: int, reference: str | None = None) -> dict[str, Any]:
        return {
            "kind": "reward.paid",
            "actor": "authority",
            "id": f"cf-pay-reward-{reward_index}-{next(_ids)}",
            "body": {
                "reward_index": reward_index,
                "payment_reference": reference or f"BANK-{next(_ids)}",
            },
        }

    def budget(self, kind: str, amount_fen: int, program_id: str = "beijing-ai-2026") -> Any:
        return {
            "kind": "budget.set",
            "actor": "authority",
            "id": f"cf-budget-{kind}-{next(_ids)}",
            "body": {"program_id": program_id, "kind": kind, "amount_fen": amount_fen},
        }

    def claim(self, entitlement: int, provider: str | None = None) -> dict[str, Any]:
        return {
            "kind": "subsidy.claimed",
            "actor": provider or self.provider,
            "id": f"cf-claim-{entitlement}-{next(_ids)}",
            "body": {"entitlement_index": entitlement},
        }

    def decision(
        self, kind: str, entitlement: int, provider: str | None = None, **extra: str
    ) -> dict[str, Any]:
        """``subsidy.approved`` / ``subsidy.rejected`` (reason=) / ``subsidy.paid``
        (payment_reference=) by the authority."""
        return {
            "kind": kind,
            "actor": "authority",
            "id": f"cf-{kind}-{entitlement}-{next(_ids)}",
            "body": {"entitlement_index": entitlement, "provider": provider or self.provider}
            | extra,
        }


@dataclass(frozen=True)
class Certified:
    learner: str
    number: str
    issued: Appended
    awards: list[int]

    def derived(self, bank: Bank, kind: str) -> int:
        """The index of the issuance's derived entry of ``kind``."""
        from creditbank.ledger import reads

        for index in self.issued.derived:
            if reads.entry_view(bank.engine, index)["entry"]["kind"] == kind:
                return index
        raise AssertionError(f"no {kind} derived from {self.issued.index}")

    def reward(self, bank: Bank) -> int:
        return self.derived(bank, "reward.granted")

    def entitlement(self, bank: Bank) -> int:
        return self.derived(bank, "subsidy.entitled")


def money_world(bank: Bank) -> Flow:
    """The small catalogue (with the 2026 and 2027 programs) published; providers prov-a
    and prov-b (prov-b gives the workplace course); certifying bodies cert-a
    (data-annotator) and cert-b (ai-ethics-reviewer); the courses recognized."""
    from creditbank.catalogue.service import publish_catalogue
    from tests.catalogue.conftest import small_catalogue
    from tests.factories import register

    publish_catalogue(bank.ledger, small_catalogue(), bank.authority_key())
    keys = {
        "authority": bank.authority_key(),
        "prov-a": register(bank, "prov-a"),
        "prov-b": register(bank, "prov-b"),
        "cert-a": register_certifier(bank, "cert-a", ["data-annotator"]),
        "cert-b": register_certifier(bank, "cert-b", ["ai-ethics-reviewer"]),
    }
    flow = Flow(bank, keys, course_providers={"fl-workplace": "prov-b"})
    flow.setup_courses()
    return flow
