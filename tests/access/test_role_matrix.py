"""The role table, walked: every route of the app against every kind of caller.

Allowed callers get past authorization (and, with the well-formed requests built here,
reach the handler and succeed); everyone else gets 401 (no token) or 403, and a refused
request writes nothing: the log, the vault, credentials, tokens and accounts stay as they
were. Learners reach only their own account.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import fastapi.routing
import httpx
import pytest
from anyio.from_thread import start_blocking_portal
from fastapi import FastAPI
from fastapi.routing import APIRoute

from creditbank.api.app import create_app
from creditbank.api.policy import ROUTE_ROLES, authorize
from creditbank.bank import Bank, init_bank
from creditbank.catalogue import service as catalogue
from creditbank.catalogue.service import publish_catalogue
from creditbank.core.entry import SignedStatement, format_time, sign_statement
from creditbank.core.keys import KeyPair
from creditbank.core.statements import catalogue as statements
from creditbank.credits import lrs, lrs_codes
from creditbank.credits.gateway import enable_xapi
from creditbank.ledger import reads
from creditbank.settings import Settings
from creditbank.web.routes import PAGE_PATHS
from tests.access.conftest import (
    PASSWORD,
    Learner,
    Orgs,
    activate_learner,
    learner_token,
    open_learner,
    problem,
    snapshot,
)
from tests.api.conftest import ASGIClient
from tests.api.test_ledger_api import payload
from tests.catalogue.conftest import small_catalogue
from tests.conftest import FakeClock
from tests.factories import make_person, notice, token_for

# Callers: the four roles, no token at all, and a token for the log operator's actor
# (issuable by `creditbank token create --actor log`), which no route lists: fail closed.
CALLERS = ["authority", "provider", "certifier", "learner", "no-token", "operator"]
ACTOR_OF = {
    "authority": "authority",
    "provider": "prov-a",
    "certifier": "cert-a",
    "operator": "log",
}

# Who may call each route, written down here from the rules (shared/spec/rules.md,
# "Actors") independently of ROUTE_ROLES, and what the route answers an allowed caller
# given the requests built below. The walk checks that the app enforces these; the table
# must say the same, so a loosened entry fails too; and a new route needs a line here.
ANYONE: frozenset[str] = frozenset(CALLERS)
ORGS = frozenset({"authority", "provider", "certifier"})
SIGNED_IN = frozenset({"authority", "provider", "certifier", "learner"})
OWN_ACCOUNT = frozenset({"learner", "authority"})  # the learner: only their own
AUTHORITY = frozenset({"authority"})
PROVIDER = frozenset({"provider"})
CERTIFIER = frozenset({"certifier"})
CERTIFIER_OR_AUTHORITY = frozenset({"certifier", "authority"})
EXPECTED: dict[tuple[str, str], tuple[frozenset[str], int]] = {
    ("GET", "/tlog/checkpoint"): (ANYONE, 200),
    ("GET", "/tlog/tile/{path:path}"): (ANYONE, 200),
    # operations: load balancers and Prometheus carry no token
    ("GET", "/healthz"): (ANYONE, 200),
    ("GET", "/readyz"): (ANYONE, 200),
    ("GET", "/metrics"): (ANYONE, 200),
    # the witness: this world's bank witnesses no log, so a well-formed request gets 404
    ("POST", "/witness/add-checkpoint"): (ANYONE, 404),
    ("GET", "/v1/federation/witness"): (ANYONE, 200),
    ("GET", "/v1/federation/split-views"): (ANYONE, 200),
    # entry 0 is no credit award: 404 (the bundle itself: tests/federation)
    ("GET", "/v1/federation/credit-bundle"): (ANYONE, 404),
    # recognition across banks: only the account holder (no agreement in this world: 404)
    ("POST", "/v1/learners/{account}/link-codes"): (frozenset({"learner"}), 200),
    ("POST", "/v1/learners/{account}/recognitions"): (frozenset({"learner"}), 404),
    ("GET", "/v1/learners/{account}/recognitions"): (OWN_ACCOUNT, 200),
    ("GET", "/v1/ledger/key"): (ANYONE, 200),
    ("GET", "/v1/ledger/entries/{index}"): (ANYONE, 200),
    ("GET", "/v1/ledger/entries/{index}/receipt"): (ANYONE, 200),
    ("GET", "/v1/ledger/proofs/inclusion"): (ANYONE, 200),
    ("GET", "/v1/ledger/proofs/consistency"): (ANYONE, 200),
    ("GET", "/v1/standards"): (ANYONE, 200),
    ("GET", "/v1/standards/{standard_id}"): (ANYONE, 200),
    ("GET", "/v1/programs"): (ANYONE, 200),
    ("GET", "/v1/providers/{provider}/courses"): (ANYONE, 200),
    ("GET", "/v1/certificates/{certificate_number}/verification"): (ANYONE, 200),
    ("POST", "/v1/auth/token"): (ANYONE, 200),
    ("POST", "/v1/auth/activate"): (ANYONE, 204),
    ("POST", "/v1/ledger/entries"): (ORGS, 201),
    ("POST", "/v1/ledger/logged"): (ORGS, 200),
    ("POST", "/v1/courses"): (PROVIDER, 201),
    ("POST", "/v1/courses/recognitions"): (AUTHORITY, 201),
    ("POST", "/v1/completions"): (PROVIDER, 201),
    ("POST", "/v1/completions/batch"): (PROVIDER, 200),
    ("POST", "/v1/completions/retractions"): (PROVIDER, 201),
    ("POST", "/xapi/statements"): (PROVIDER, 200),
    ("PUT", "/xapi/statements"): (PROVIDER, 204),
    ("GET", "/xapi/statements"): (PROVIDER, 200),
    ("GET", "/xapi/outcomes"): (PROVIDER, 200),
    ("GET", "/xapi/links"): (PROVIDER, 200),
    ("PUT", "/xapi/links/learners"): (PROVIDER, 204),
    ("PUT", "/xapi/links/courses"): (PROVIDER, 204),
    ("POST", "/xapi/links/codes"): (PROVIDER, 201),
    ("POST", "/v1/learners/{account}/lms-links"): (frozenset({"learner"}), 201),
    ("GET", "/v1/learners/{account}/lms-links"): (OWN_ACCOUNT, 200),
    ("DELETE", "/v1/learners/{account}/lms-links"): (frozenset({"learner"}), 204),
    ("GET", "/xapi/about"): (ANYONE, 200),
    ("GET", "/v1/me"): (SIGNED_IN, 200),
    ("POST", "/v1/auth/logout"): (SIGNED_IN, 204),
    ("POST", "/v1/learners"): (frozenset({"authority", "provider"}), 201),
    ("POST", "/v1/learners/lookup"): (AUTHORITY, 200),
    ("GET", "/v1/learners/{account}"): (OWN_ACCOUNT, 200),
    ("GET", "/v1/learners/{account}/export"): (OWN_ACCOUNT, 200),
    ("POST", "/v1/learners/{account}/erasure"): (OWN_ACCOUNT, 200),
    ("POST", "/v1/learners/{account}/closure"): (AUTHORITY, 200),
    ("GET", "/v1/learners/{account}/balance"): (OWN_ACCOUNT, 200),
    ("GET", "/v1/learners/{account}/progress"): (OWN_ACCOUNT, 200),
    ("GET", "/v1/learners/{account}/history"): (OWN_ACCOUNT, 200),
    ("GET", "/v1/learners/{account}/receipts/{index}"): (OWN_ACCOUNT, 200),
    # certificates and money (docs/money.md)
    ("GET", "/v1/certificates/{certificate_number}"): (ANYONE, 200),
    # credentials (docs/credentials.md)
    ("GET", "/v1/certificates/{certificate_number}/credential"): (ANYONE, 200),
    ("GET", "/v1/learners/{account}/certificates/{certificate_number}/credential"): (
        OWN_ACCOUNT,
        200,
    ),
    ("GET", "/v1/learners/{account}/transcript"): (OWN_ACCOUNT, 200),
    ("GET", "/v1/certifiers/{actor_id}/status-list"): (ANYONE, 200),
    ("GET", "/.well-known/did.json"): (ANYONE, 200),
    ("GET", "/certifiers/{actor_id}/did.json"): (ANYONE, 200),
    ("GET", "/ims/case/v1p0/CFDocuments"): (ANYONE, 200),
    ("GET", "/ims/case/v1p0/CFPackages/{sourcedId}"): (ANYONE, 200),
    ("GET", "/ims/case/v1p0/CFItems/{sourcedId}"): (ANYONE, 200),
    ("POST", "/v1/learners/{account}/applications"): (OWN_ACCOUNT, 201),
    ("GET", "/v1/learners/{account}/applications"): (OWN_ACCOUNT, 200),
    ("GET", "/v1/applications"): (CERTIFIER_OR_AUTHORITY, 200),
    ("GET", "/v1/applications/{index}"): (CERTIFIER_OR_AUTHORITY, 200),
    ("POST", "/v1/assessments"): (CERTIFIER, 201),
    ("POST", "/v1/certificates"): (CERTIFIER, 201),
    ("POST", "/v1/certificates/revocations"): (CERTIFIER_OR_AUTHORITY, 201),
    ("GET", "/v1/learners/{account}/rewards"): (OWN_ACCOUNT, 200),
    ("GET", "/v1/rewards"): (AUTHORITY, 200),
    ("POST", "/v1/rewards/payments"): (AUTHORITY, 201),
    ("POST", "/v1/budgets"): (AUTHORITY, 201),
    ("GET", "/v1/programs/{program_id}/budgets"): (AUTHORITY, 200),
    ("GET", "/v1/providers/{provider}/subsidies"): (frozenset({"authority", "provider"}), 200),
    ("GET", "/v1/subsidies"): (AUTHORITY, 200),
    ("POST", "/v1/subsidies/claims"): (PROVIDER, 201),
    ("POST", "/v1/subsidies/approvals"): (AUTHORITY, 201),
    ("POST", "/v1/subsidies/rejections"): (AUTHORITY, 201),
    ("POST", "/v1/subsidies/payments"): (AUTHORITY, 201),
    ("GET", "/v1/reports/{year}"): (AUTHORITY, 200),
    ("GET", "/v1/reports/{year}.csv"): (AUTHORITY, 200),
}

_ids = itertools.count()


@dataclass
class Call:
    url: str
    json: Any = None
    data: dict[str, str] | None = None
    account: str | None = None  # the learner account the call is about, if any
    headers: dict[str, str] | None = None
    content: str | None = None  # a body that is neither JSON nor a form (tlog-witness)


@dataclass
class World:
    """A bank with a published catalogue, the organisations, and a learner (the subject)
    whose account the read routes name and who has a password."""

    bank: Bank
    orgs: Orgs
    subject: Learner
    keys: dict[str, KeyPair]
    certificate_number: str | None = None
    money_flow: Any = None  # tests.api.certflow.Flow, set up on first use
    application: int | None = None  # a pending data-annotator application, made on first use

    def statement_author(self, caller: str) -> tuple[str, KeyPair]:
        """An organisation signs as itself; others send a provider's well-formed statement."""
        actor = ACTOR_OF.get(caller)
        if actor in self.keys:
            return actor, self.keys[actor]
        return "prov-a", self.keys["prov-a"]

    def build(self, method: str, path: str, caller: str) -> Call:
        """A valid-looking request to the route for this caller."""
        n = next(_ids)
        builders: dict[tuple[str, str], Callable[[], Call]] = {
            ("GET", "/tlog/checkpoint"): lambda: Call("/tlog/checkpoint"),
            ("GET", "/tlog/tile/{path:path}"): lambda: Call("/tlog/tile/0/000.p/1"),
            ("GET", "/healthz"): lambda: Call("/healthz"),
            ("GET", "/readyz"): lambda: Call("/readyz"),
            ("GET", "/metrics"): lambda: Call("/metrics"),
            ("GET", "/v1/ledger/key"): lambda: Call("/v1/ledger/key"),
            ("POST", "/witness/add-checkpoint"): lambda: Call(
                "/witness/add-checkpoint",
                content=f"old 0\n\n{reads.checkpoint_note(self.bank.engine)}",
            ),
            ("GET", "/v1/federation/witness"): lambda: Call("/v1/federation/witness"),
            ("GET", "/v1/federation/split-views"): lambda: Call("/v1/federation/split-views"),
            ("GET", "/v1/federation/credit-bundle"): lambda: Call(
                "/v1/federation/credit-bundle?awards=0"
            ),
            ("POST", "/v1/learners/{account}/link-codes"): lambda: Call(
                f"/v1/learners/{self.subject.account}/link-codes",
                json={"home_origin": "peer.example/ledger", "home_account": "CB00000000000"},
                account=self.subject.account,
            ),
            ("POST", "/v1/learners/{account}/recognitions"): lambda: Call(
                f"/v1/learners/{self.subject.account}/recognitions",
                json={
                    "agreement_id": "no-such-agreement",
                    "record": "certificate",
                    "certificate_number": "DAN5-2026-000001",
                    "bundle": {},
                    "link_code": "x",
                },
                account=self.subject.account,
            ),
            ("GET", "/v1/ledger/entries/{index}"): lambda: Call("/v1/ledger/entries/0"),
            ("GET", "/v1/ledger/entries/{index}/receipt"): lambda: Call(
                "/v1/ledger/entries/0/receipt"
            ),
            ("GET", "/v1/ledger/proofs/inclusion"): lambda: Call(
                "/v1/ledger/proofs/inclusion?index=0"
            ),
            ("GET", "/v1/ledger/proofs/consistency"): lambda: Call(
                "/v1/ledger/proofs/consistency?first=1"
            ),
            ("GET", "/v1/standards"): lambda: Call("/v1/standards?level=5"),
            ("GET", "/v1/standards/{standard_id}"): lambda: Call("/v1/standards/data-annotator"),
            ("GET", "/v1/programs"): lambda: Call("/v1/programs"),
            ("GET", "/v1/providers/{provider}/courses"): lambda: Call(
                "/v1/providers/prov-a/courses"
            ),
            ("GET", "/v1/certificates/{certificate_number}/verification"): lambda: Call(
                f"/v1/certificates/{self._certificate()}/verification"
            ),
            ("POST", "/v1/auth/token"): lambda: Call(
                "/v1/auth/token", data={"username": self.subject.account, "password": PASSWORD}
            ),
            ("POST", "/v1/auth/activate"): self._activation,
            ("POST", "/v1/ledger/entries"): lambda: Call(
                "/v1/ledger/entries", json=payload(notice(*self.statement_author(caller)))
            ),
            ("POST", "/v1/ledger/logged"): lambda: Call(
                "/v1/ledger/logged", json={"ids": [f"done-{n}", "never-logged"]}
            ),
            ("POST", "/v1/courses"): lambda: Call(
                "/v1/courses", json=payload(sign_statement(course(f"c{n}"), self.keys["prov-a"]))
            ),
            ("POST", "/v1/courses/recognitions"): lambda: Call(
                "/v1/courses/recognitions",
                json=payload(sign_statement(self._new_course(f"c{n}"), self.orgs.authority)),
            ),
            ("POST", "/v1/completions"): lambda: Call(
                "/v1/completions", json=payload(self._completion(f"done-{n}"))
            ),
            ("POST", "/v1/completions/batch"): lambda: Call(
                "/v1/completions/batch",
                json={"statements": [payload(self._completion(f"done-{n}"))]},
            ),
            ("POST", "/v1/completions/retractions"): lambda: Call(
                "/v1/completions/retractions",
                json=payload(self._retraction(f"done-{n}")),
            ),
            ("POST", "/xapi/statements"): lambda: Call(
                "/xapi/statements",
                json=self._xapi(n),
                headers={"X-Experience-API-Version": "1.0.3"},
            ),
            ("PUT", "/xapi/statements"): lambda: Call(
                f"/xapi/statements?statementId={uuid.UUID(int=n + 1)}",
                json=self._xapi(n),
                headers={"X-Experience-API-Version": "1.0.3"},
            ),
            ("GET", "/xapi/statements"): lambda: Call(
                "/xapi/statements", headers={"X-Experience-API-Version": "1.0.3"}
            ),
            ("GET", "/xapi/outcomes"): lambda: Call(
                "/xapi/outcomes?statementId="
                + lrs.store_statements(self.bank, "prov-a", self._xapi(n), "1.0.3")[0]
            ),
            ("GET", "/xapi/links"): lambda: Call("/xapi/links"),
            ("PUT", "/xapi/links/learners"): lambda: Call(
                "/xapi/links/learners",
                json={
                    "agent": {"mbox": f"mailto:l{n}@example.cn"},
                    "learner": self.subject.account,
                },
            ),
            ("PUT", "/xapi/links/courses"): lambda: Call(
                "/xapi/links/courses",
                json={"activity": f"https://lms.example.cn/c/{n}", "course_id": "c-base"},
            ),
            ("POST", "/xapi/links/codes"): lambda: Call(
                "/xapi/links/codes", json={"agent": {"mbox": f"mailto:c{n}@example.cn"}}
            ),
            ("POST", "/v1/learners/{account}/lms-links"): lambda: self._lms_code(n),
            ("DELETE", "/v1/learners/{account}/lms-links"): lambda: self._lms_link(n),
            ("GET", "/xapi/about"): lambda: Call("/xapi/about"),
            ("GET", "/v1/me"): lambda: Call("/v1/me"),
            ("POST", "/v1/auth/logout"): lambda: Call("/v1/auth/logout"),
            ("POST", "/v1/learners"): lambda: Call(
                "/v1/learners", json=make_person().model_dump(mode="json")
            ),
            ("POST", "/v1/learners/lookup"): lambda: Call(
                "/v1/learners/lookup",
                json={"id_type": "resident_id", "id_number": self.subject.person.id_number},
            ),
            **{
                route: (lambda p=route[1]: self._subject(p))
                for route in EXPECTED
                if route[0] == "GET" and "{account}" in route[1]
            },
            # destructive: each call gets a fresh account (the learner: its own)
            ("POST", "/v1/learners/{account}/erasure"): lambda: self._fresh("erasure"),
            ("POST", "/v1/learners/{account}/closure"): lambda: self._fresh(
                "closure", json={"reason": "moved abroad"}
            ),
            **self._money_builders(caller),
            **self._credential_builders(),
        }
        return builders[(method, path)]()

    def _credential_builders(self) -> dict[tuple[str, str], Callable[[], Call]]:
        """The credential routes: the world's certificate, cert-a, data-annotator's CASE."""
        from creditbank.certificates.service import certificate_view
        from creditbank.core.credentials.case import document_id, level_id
        from tests.catalogue.conftest import CATALOGUE

        standard = CATALOGUE.standard("data-annotator")
        assert standard is not None

        def own_credential() -> Call:
            number = self._certificate()
            learner = certificate_view(self.bank.engine, number)["learner"]
            url = f"/v1/learners/{learner}/certificates/{number}/credential?include_name=true"
            return Call(url, account=learner)

        return {
            ("GET", "/v1/certificates/{certificate_number}/credential"): lambda: Call(
                f"/v1/certificates/{self._certificate()}/credential"
            ),
            ("GET", "/v1/learners/{account}/certificates/{certificate_number}/credential"): (
                own_credential
            ),
            ("GET", "/v1/certifiers/{actor_id}/status-list"): lambda: Call(
                "/v1/certifiers/cert-a/status-list"
            ),
            ("GET", "/.well-known/did.json"): lambda: Call("/.well-known/did.json"),
            ("GET", "/certifiers/{actor_id}/did.json"): lambda: Call("/certifiers/cert-a/did.json"),
            ("GET", "/ims/case/v1p0/CFDocuments"): lambda: Call("/ims/case/v1p0/CFDocuments"),
            ("GET", "/ims/case/v1p0/CFPackages/{sourcedId}"): lambda: Call(
                f"/ims/case/v1p0/CFPackages/{document_id(standard)}"
            ),
            ("GET", "/ims/case/v1p0/CFItems/{sourcedId}"): lambda: Call(
                f"/ims/case/v1p0/CFItems/{level_id(standard, 5)}"
            ),
        }

    def _flow(self) -> Any:
        """The certificate story's helpers (tests.api.certflow) on this bank: prov-a's
        courses for data-annotator level 5, cert-a accredited for it."""
        if self.money_flow is None:
            from tests.api.certflow import Flow

            self.money_flow = Flow(self.bank, self.keys)
            self.money_flow.setup_courses()
        return self.money_flow

    def _money_builders(self, caller: str) -> dict[tuple[str, str], Callable[[], Call]]:
        """Applications, certificates, rewards, budgets, subsidies and reports: each write
        gets the fresh state it needs (an eligible learner, an application, a certificate,
        a claimed part, ...)."""

        def signed(statement: dict[str, Any]) -> dict[str, Any]:
            return payload(sign_statement(statement, self.keys[statement["actor"]]))

        def application() -> Call:
            learner, _ = self._flow().eligible_learner()
            body = {"standard_id": "data-annotator", "level": 5}
            return Call(f"/v1/learners/{learner}/applications", json=body, account=learner)

        def assessment() -> Call:
            flow = self._flow()
            learner, _ = flow.eligible_learner()
            return Call("/v1/assessments", json=signed(flow.assessment(flow.apply(learner))))

        def issuance() -> Call:
            flow = self._flow()
            learner, awards, applied = flow.assessed()
            return Call("/v1/certificates", json=signed(flow.issuance(learner, awards, applied)))

        def revocation() -> Call:
            flow = self._flow()
            actor = "authority" if caller == "authority" else "cert-a"
            statement = flow.revocation(flow.certify().number, actor=actor)
            return Call("/v1/certificates/revocations", json=signed(statement))

        def reward_payment() -> Call:
            flow = self._flow()
            reward = flow.certify().reward(self.bank)
            return Call("/v1/rewards/payments", json=signed(flow.reward_payment(reward)))

        def part(state: str) -> int:
            """A new entitlement whose prov-a part is open, claimed or approved."""
            flow = self._flow()
            entitlement = int(flow.certify().entitlement(self.bank))
            if state != "open":
                flow.sign(flow.claim(entitlement, "prov-a"))
            if state == "approved":
                flow.sign(flow.decision("subsidy.approved", entitlement, "prov-a"))
            return entitlement

        def decision(url: str, kind: str, state: str, **extra: str) -> Callable[[], Call]:
            return lambda: Call(
                url, json=signed(self._flow().decision(kind, part(state), "prov-a", **extra))
            )

        def application_index() -> int:
            if self.application is None:
                learner, _ = self._flow().eligible_learner()
                self.application = self._flow().apply(learner)
            return self.application

        return {
            ("GET", "/v1/certificates/{certificate_number}"): lambda: Call(
                f"/v1/certificates/{self._certificate()}"
            ),
            ("POST", "/v1/learners/{account}/applications"): application,
            ("GET", "/v1/applications"): lambda: Call("/v1/applications?status=pending"),
            ("GET", "/v1/applications/{index}"): lambda: Call(
                f"/v1/applications/{application_index()}"
            ),
            ("POST", "/v1/assessments"): assessment,
            ("POST", "/v1/certificates"): issuance,
            ("POST", "/v1/certificates/revocations"): revocation,
            ("GET", "/v1/rewards"): lambda: Call("/v1/rewards?status=granted"),
            ("POST", "/v1/rewards/payments"): reward_payment,
            ("POST", "/v1/budgets"): lambda: Call(
                "/v1/budgets", json=signed(self._flow().budget("subsidy", 72_000_000_000))
            ),
            ("GET", "/v1/programs/{program_id}/budgets"): lambda: Call(
                "/v1/programs/beijing-ai-2026/budgets"
            ),
            ("GET", "/v1/providers/{provider}/subsidies"): lambda: Call(
                "/v1/providers/prov-a/subsidies"
            ),
            ("GET", "/v1/subsidies"): lambda: Call("/v1/subsidies?program_id=beijing-ai-2026"),
            ("POST", "/v1/subsidies/claims"): lambda: Call(
                "/v1/subsidies/claims", json=signed(self._flow().claim(part("open"), "prov-a"))
            ),
            ("POST", "/v1/subsidies/approvals"): decision(
                "/v1/subsidies/approvals", "subsidy.approved", "claimed"
            ),
            ("POST", "/v1/subsidies/rejections"): decision(
                "/v1/subsidies/rejections", "subsidy.rejected", "claimed", reason="no records"
            ),
            ("POST", "/v1/subsidies/payments"): decision(
                "/v1/subsidies/payments", "subsidy.paid", "approved", payment_reference="P-1"
            ),
            ("GET", "/v1/reports/{year}"): lambda: Call("/v1/reports/2026"),
            ("GET", "/v1/reports/{year}.csv"): lambda: Call("/v1/reports/2026.csv"),
        }

    def _certificate(self) -> str:
        """A certificate to verify, issued on first use (courses, an accredited body and
        an eligible learner, through the certificate tests' helpers)."""
        if self.certificate_number is None:
            from tests.credits.test_verification import certificate_in

            self.certificate_number = certificate_in(self.bank, self.keys["prov-a"])
        return self.certificate_number

    def _new_course(self, course_id: str) -> dict[str, Any]:
        """Registers a course of prov-a's; the authority's recognition of it, unsigned."""
        catalogue.append_signed(self.bank.ledger, course(course_id), self.keys["prov-a"])
        return recognition(self.bank, course_id)

    def _completion(self, cid: str) -> SignedStatement:
        """prov-a's completion of its recognized course by the subject."""
        completed = self.bank.ledger.clock() - timedelta(hours=1)
        statement = {
            "kind": "completion.recorded",
            "actor": "prov-a",
            "id": cid,
            "body": {
                "learner": self.subject.account,
                "course_id": "c-base",
                "completed_at": format_time(completed),
                "score": 90,
                "hours_attended": "32.0",
            },
        }
        return sign_statement(statement, self.keys["prov-a"])

    def _xapi(self, n: int) -> dict[str, Any]:
        """An LMS's xAPI statement: the subject passed prov-a's recognized course."""
        return {
            "id": str(uuid.UUID(int=n + 1)),
            "actor": {
                "account": {"homePage": "https://lms.example.cn", "name": self.subject.account}
            },
            "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"},
            "object": {"id": "https://lms.example.cn/courses/c-base"},
            "result": {"score": {"scaled": 0.9}, "duration": "PT32H"},
        }

    def _lms_code(self, n: int) -> Call:
        """prov-a's link code for an LMS account, redeemed into the subject's account."""
        agent = {"mbox": f"mailto:r{n}@example.cn"}
        code = lrs_codes.issue_code(self.bank, "prov-a", agent)["code"]
        url = f"/v1/learners/{self.subject.account}/lms-links"
        return Call(url, json={"provider": "prov-a", "code": code}, account=self.subject.account)

    def _lms_link(self, n: int) -> Call:
        """An LMS account linked to the subject, for the subject to remove."""
        agent = {"mbox": f"mailto:d{n}@example.cn"}
        lrs.link_learner(self.bank, "prov-a", agent, self.subject.account)
        query = urlencode({"provider": "prov-a", "agent": json.dumps(agent)})
        url = f"/v1/learners/{self.subject.account}/lms-links?{query}"
        return Call(url, account=self.subject.account)

    def _retraction(self, cid: str) -> SignedStatement:
        """prov-a retracting a completion it has just logged."""
        index = self.bank.ledger.append(self._completion(cid)).index
        statement = {
            "kind": "completion.retracted",
            "actor": "prov-a",
            "id": f"retract-{cid}",
            "body": {"completion_index": index, "reason": "uploaded twice"},
        }
        return sign_statement(statement, self.keys["prov-a"])

    def _activation(self) -> Call:
        fresh = open_learner(self.bank)
        body = {
            "account": fresh.account,
            "activation_code": fresh.activation_code,
            "id_number": fresh.person.id_number,
            "password": PASSWORD,
        }
        return Call("/v1/auth/activate", json=body)

    def _subject(self, path: str) -> Call:
        """A read about the subject's account (for the learner caller: its own)."""
        account, index = self.subject.account, str(self.subject.index)
        return Call(path.replace("{account}", account).replace("{index}", index), account=account)

    def _fresh(self, action: str, json: Any = None) -> Call:
        account = open_learner(self.bank).account
        return Call(f"/v1/learners/{account}/{action}", json=json, account=account)

    def token(self, caller: str, call: Call) -> str | None:
        """A fresh token per request (logout revokes the one it carries)."""
        if caller == "no-token":
            return None
        if caller == "learner":
            return learner_token(self.bank, call.account or self.subject.account)
        return token_for(self.bank, ACTOR_OF[caller])


def course(course_id: str) -> dict[str, Any]:
    return statements.course_registration(
        "prov-a",
        course_id,
        title="Image annotation basics",
        standard_id="data-annotator",
        level=5,
        unit_code="DAN-5-02",
        mode="online",
        hours="32.0",
    )


def recognition(bank: Bank, course_id: str) -> dict[str, Any]:
    now = bank.ledger.clock()
    return statements.course_recognition(
        "prov-a",
        course_id,
        valid_from=now - timedelta(days=30),
        valid_until=now + timedelta(days=365),
    )


@pytest.fixture
def world(bank: Bank, orgs: Orgs) -> World:
    publish_catalogue(bank.ledger, small_catalogue("data-annotator"), orgs.authority)
    catalogue.append_signed(bank.ledger, course("c-base"), orgs.provider)
    catalogue.append_signed(bank.ledger, recognition(bank, "c-base"), orgs.authority)
    subject = open_learner(bank)
    # the subject's own password (Argon2): the login route is called with it
    activate_learner(bank, subject)
    enable_xapi(bank, orgs.provider)  # the LMS route signs with prov-a's gateway key
    keys = {
        "authority": orgs.authority,
        "prov-a": orgs.provider,
        "cert-a": orgs.certifier,
    }
    return World(bank, orgs, subject, keys)


def route_contexts(app: FastAPI) -> list[Any]:
    """Every route of the app, however FastAPI nests them. Since FastAPI 0.137
    ``app.routes`` holds one opaque entry per included router, so a plain walk over it
    finds no APIRoute at all and every check below would pass vacuously."""
    iter_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    return list(iter_contexts(app.routes)) if iter_contexts else list(app.routes)


def api_routes(bank: Bank) -> list[tuple[str, str]]:
    return sorted(
        (method, ctx.path)
        for ctx in route_contexts(create_app(bank))
        if isinstance(getattr(ctx, "original_route", ctx), APIRoute)
        for method in ctx.methods
    )


@pytest.fixture
def app_bank(tmp_path: Path, clock: FakeClock) -> Iterator[Bank]:
    """A bank for the tests that only need the app's routes (one engine is enough)."""
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'b.db'}")
    bank = init_bank(settings, clock=clock)
    try:
        yield bank
    finally:
        bank.close()


def test_the_role_table_and_the_app_list_the_same_routes(app_bank: Bank) -> None:
    routes = api_routes(app_bank)
    assert len(routes) >= len(ROUTE_ROLES), "the route walk found too few routes"
    assert len(routes) == len(set(routes))
    missing = sorted(set(routes) - set(ROUTE_ROLES))
    stale = sorted(set(ROUTE_ROLES) - set(routes))
    assert missing == [], f"routes without an access policy: {missing}"
    assert stale == [], f"policies for routes that do not exist: {stale}"
    assert set(EXPECTED) == set(routes), "every route needs a line in EXPECTED"
    for ctx in route_contexts(create_app(app_bank)):
        original = getattr(ctx, "original_route", ctx)
        if isinstance(original, APIRoute):
            # authorize looks the policy up by the APIRoute's own path: an include-time
            # prefix would make the two differ (and the route fail closed)
            assert ctx.path == original.path
            # every API route runs the one authorization dependency
            assert authorize in [d.dependency for d in ctx.dependencies], ctx.path
        else:
            # only the OpenAPI document and the web pages (creditbank.web: their own
            # session gate, ADR 0015) sit outside the table
            assert ctx.path in {"/openapi.json", *PAGE_PATHS}, ctx.path
    roles = {"authority", "provider", "certifier", "learner"}
    assert all(r <= roles for r in ROUTE_ROLES.values())


def test_a_route_missing_from_the_table_is_refused(app_bank: Bank) -> None:
    app = create_app(app_bank)

    @app.get("/v1/unlisted")
    def unlisted() -> dict[str, str]:
        return {"secret": "should not be reachable"}

    with start_blocking_portal() as portal:
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bank.test"
        )
        try:
            unlisted_client = ASGIClient(portal, http)
            for token in (None, token_for(app_bank, "authority")):
                body = problem(unlisted_client.get("/v1/unlisted", token=token), 403)
                assert "no access policy" in body["detail"]
        finally:
            portal.call(http.aclose)


def test_the_role_table_says_what_the_rules_say() -> None:
    assert set(ROUTE_ROLES) == set(EXPECTED)
    for route, roles in ROUTE_ROLES.items():
        assert (roles or ANYONE) == EXPECTED[route][0], route


def _allowed(method: str, path: str, caller: str) -> bool:
    return caller in EXPECTED[(method, path)][0]


def test_every_caller_against_every_route(world: World, client: ASGIClient, subtests: Any) -> None:
    routes = api_routes(world.bank)
    for caller in CALLERS:
        with subtests.test(caller=caller):
            failures: list[str] = []
            for method, path in routes:
                failures += _check(world, client, caller, method, path)
            assert failures == []


def _check(world: World, client: ASGIClient, caller: str, method: str, path: str) -> list[str]:
    """One caller against one route: what went wrong, if anything."""
    call = world.build(method, path, caller)
    token = world.token(caller, call)
    label = f"{caller} {method} {path}"
    if _allowed(method, path, caller):
        r = client.request(
            method,
            call.url,
            token=token,
            json=call.json,
            data=call.data,
            headers=call.headers or {},
            **({} if call.content is None else {"content": call.content}),
        )
        if r.status_code != EXPECTED[(method, path)][1]:
            return [f"{label}: allowed, got {r.status_code} {r.text[:200]}"]
        return []
    failures = []
    before = snapshot(world.bank)
    expected = 401 if token is None else 403
    variants: list[dict[str, Any]] = [
        {"json": call.json, "data": call.data, "headers": call.headers or {}}
    ]
    if method == "POST":
        variants.append({})  # no body at all: refused by role, not by validation
    for kwargs in variants:
        r = client.request(method, call.url, token=token, **kwargs)
        if r.status_code != expected:
            failures.append(f"{label}: refused, expected {expected}, got {r.status_code}")
            continue
        slug = "unauthenticated" if expected == 401 else "forbidden"
        if r.json().get("type") != f"https://creditbank.local/problems/{slug}":
            failures.append(f"{label}: not the authorization problem: {r.text[:200]}")
        if expected == 401 and r.headers.get("www-authenticate") != "Bearer":
            failures.append(f"{label}: 401 without WWW-Authenticate: Bearer")
    if snapshot(world.bank) != before:
        failures.append(f"{label}: a refused request wrote something")
    return failures


# every route a learner may call about an account (their own)
LEARNER_ACCOUNT_ROUTES = sorted(
    route
    for route, (callers, _) in EXPECTED.items()
    if "{account}" in route[1] and "learner" in callers
)


def test_a_learner_cannot_reach_another_learners_account(
    bank: Bank, client: ASGIClient, subtests: Any
) -> None:
    assert len(LEARNER_ACCOUNT_ROUTES) >= 3
    me, other = open_learner(bank), open_learner(bank)
    token = learner_token(bank, me.account)
    for method, path in LEARNER_ACCOUNT_ROUTES:
        with subtests.test(route=f"{method} {path}"):
            url = path.replace("{account}", other.account).replace("{index}", str(other.index))
            before = snapshot(bank)
            r = client.request(method, url, token=token)
            assert "only their own account" in problem(r, 403, "account")["detail"]
            assert snapshot(bank) == before
    # the other learner's personal data is still there, and still theirs
    export = client.get(
        f"/v1/learners/{other.account}/export", token=token_for(bank, "authority")
    ).json()
    assert export["personal_data"]["name"] == other.person.name
    assert export["account"]["status"] == "open"


def test_a_body_that_is_not_json_is_refused_before_anything_runs(
    bank: Bank, client: ASGIClient, orgs: Orgs
) -> None:
    """FastAPI decodes JSON before any dependency: such a request gets 422 even without a
    token, but neither authorization nor the handler runs and nothing is written."""
    tokens = (None, token_for(bank, "cert-a"))
    before = snapshot(bank)
    for token in tokens:
        r = client.post(
            "/v1/learners",
            content=b"{not json",
            headers={"content-type": "application/json"},
            token=token,
        )
        assert "JSON decode error" in problem(r, 422)["detail"]
    assert snapshot(bank) == before
