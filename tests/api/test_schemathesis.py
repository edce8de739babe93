"""The API against its own OpenAPI document, fuzzed with schemathesis: every operation,
called by every kind of caller (the four roles and no token), answers nothing the
document does not promise: no 5xx, no status code or content type it does not list, no
body that does not match the schema documented for that status.

The bank is populated once per module and engine, much as the role matrix's world is (a
published catalogue, an authority, a provider with a recognized course and an xAPI
gateway key, certifying bodies, a learner with a password and an issued certificate).
Generated path parameters are sometimes replaced by things that exist in it, so that
successes are checked too, not only refusals; and the fuzzed statements of an
organisation are signed with its own key, so that they reach the sequencer and the rules.
Generation is deterministic (a fixed seed, Hypothesis derandomized) and bounded
(MAX_EXAMPLES fuzzed cases per operation and caller, besides the coverage phase's).
tests/api/test_openapi.py checks the successes fuzzing cannot make (signed writes the
rules accept) against the same document.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import create_engine, text

from creditbank.api.app import create_app
from creditbank.bank import Bank, init_bank
from creditbank.catalogue import service as catalogue
from creditbank.catalogue.service import publish_catalogue
from creditbank.core.entry import sign_statement
from creditbank.core.errors import CreditBankError
from creditbank.core.keys import KeyPair
from creditbank.credits.gateway import enable_xapi
from creditbank.settings import Settings
from tests.access.conftest import activate_learner, learner_token, open_learner
from tests.access.test_role_matrix import course, recognition
from tests.catalogue.conftest import small_catalogue
from tests.conftest import PG_URL, FakeClock, PrivacyScan, scanned
from tests.factories import b64, register, token_for

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 4
"""Fuzzed cases per operation and caller (on top of the schema's examples)."""
SEED = 20261122
CALLERS = ("authority", "provider", "certifier", "learner", "anonymous")
ACTOR_OF = {"authority": "authority", "provider": "prov-a", "certifier": "cert-a"}
# The kind each signed-write route takes.
KIND_OF = {
    "/v1/ledger/entries": None,
    "/v1/courses": "course.registered",
    "/v1/courses/recognitions": "course.recognized",
    "/v1/completions": "completion.recorded",
    "/v1/completions/retractions": "completion.retracted",
    "/v1/assessments": "assessment.recorded",
    "/v1/certificates": "certificate.issued",
    "/v1/certificates/revocations": "certificate.revoked",
    "/v1/rewards/payments": "reward.paid",
    "/v1/budgets": "budget.set",
    "/v1/subsidies/claims": "subsidy.claimed",
    "/v1/subsidies/approvals": "subsidy.approved",
    "/v1/subsidies/rejections": "subsidy.rejected",
    "/v1/subsidies/payments": "subsidy.paid",
}
CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


class FuzzWorld:
    """A bank with something behind every kind of path parameter."""

    def __init__(self, bank: Bank) -> None:
        self.bank = bank
        orgs = {
            "authority": bank.authority_key(),
            "prov-a": register(bank, "prov-a"),
            "cert-a": register(bank, "cert-a", role="certifier", standards=["data-annotator"]),
        }
        self.keys = {caller: orgs[actor] for caller, actor in ACTOR_OF.items()}
        publish_catalogue(bank.ledger, small_catalogue("data-annotator"), orgs["authority"])
        catalogue.append_signed(bank.ledger, course("c-base"), orgs["prov-a"])
        catalogue.append_signed(bank.ledger, recognition(bank, "c-base"), orgs["authority"])
        enable_xapi(bank, orgs["prov-a"])
        self.learner = open_learner(bank)
        activate_learner(bank, self.learner)
        self.doomed = open_learner(bank)  # the one erasure and closure may reach
        from tests.credits.test_verification import certificate_in

        self.certificate = certificate_in(bank, orgs["prov-a"])
        # what generated path parameters may be replaced with: things that exist
        self.existing: dict[str, list[Any]] = {
            "account": [self.learner.account],
            "index": [0, self.learner.index],
            "certificate_number": [self.certificate],
            "standard_id": ["data-annotator"],
            "provider": ["prov-a"],
            "program_id": sorted({p.id for p in small_catalogue().programs}),
            "year": [self.bank.ledger.clock().year],
            "path": ["0/000.p/1", "entries/000.p/1"],
        }

    def token(self, caller: str) -> str | None:
        """A fresh token per request: a logout revokes the one it carries."""
        if caller == "anonymous":
            return None
        if caller == "learner":
            return learner_token(self.bank, self.learner.account)
        return token_for(self.bank, ACTOR_OF[caller])

    def signed_bodies(self, caller: str, path: str, body: Any) -> Any:
        """The generated body with its statements made well formed and signed by the
        caller's own key (as the caller's actor, of the route's kind), so that they get
        past the signature check into the sequencer and the rules. (Unsigned ones are
        sent by the coverage phase, which no hook changes.)"""
        key = self.keys.get(caller)
        if key is None or not isinstance(body, dict):
            return body
        if isinstance(body.get("statements"), list):
            items = [_signed(item, key, "completion.recorded") for item in body["statements"]]
            return {**body, "statements": items}
        return _signed(body, key, KIND_OF.get(path))

    def existing_parameters(
        self, path: str, parameters: dict[str, Any] | None
    ) -> st.SearchStrategy[Any]:
        """The generated parameters, or ones naming what exists in the bank (erasure and
        closure only ever reach the doomed learner: the others keep theirs for the rest)."""
        if not parameters:
            return st.just(parameters)
        known = {k: self.existing[k] for k in parameters if k in self.existing}
        if path.endswith(("/erasure", "/closure")):
            known["account"] = [self.doomed.account]
        if not known:
            return st.just(parameters)
        return st.one_of(
            st.just(parameters),
            st.fixed_dictionaries({k: st.sampled_from(v) for k, v in known.items()}).map(
                lambda chosen: {**parameters, **chosen}
            ),
        )


def _signed(item: Any, key: KeyPair, kind: str | None) -> Any:
    """``item`` (a StatementIn body) signed by ``key``, if it can be signed at all."""
    if not isinstance(item, dict) or not isinstance(item.get("statement"), dict):
        return item
    generated = item["statement"]
    statement = {
        **generated,
        "kind": kind or generated.get("kind"),
        "actor": key.name,
        "id": str(generated.get("id", "fuzz")),
        "body": generated.get("body") if isinstance(generated.get("body"), dict) else {},
    }
    try:
        signed = sign_statement(statement, key)
    except CreditBankError:  # what no key can sign (a NUL, a number RFC 8785 refuses)
        return item
    return {
        **item,
        "statement": statement,
        "key_id": key.key_id,
        "signature": b64(signed.signature),
    }


def _database_url(kind: str, tmp: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'bank.db'}"
        return
    if not PG_URL:
        pytest.skip("CREDITBANK_TEST_DATABASE_URL is not set")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        sep = "&" if "?" in PG_URL else "?"
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def fuzz_world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    privacy_scan: PrivacyScan,
) -> Iterator[FuzzWorld]:
    """One populated bank per module and engine (what the fuzzing writes goes through the
    privacy scan as well)."""
    tmp = tmp_path_factory.mktemp("fuzz")
    for url in _database_url(request.param, tmp):
        settings_ = Settings(data_dir=tmp / "data", database_url=url, batch_max_wait_ms=1)
        clock = FakeClock(datetime(2026, 11, 22, 8, 0, tzinfo=UTC))
        with scanned(init_bank(settings_, clock=clock), privacy_scan) as bank:
            yield FuzzWorld(bank)


@pytest.fixture(scope="module", params=CALLERS)
def caller(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def api_schema(fuzz_world: FuzzWorld, caller: str) -> schemathesis.BaseSchema:
    """The app's own OpenAPI document, loaded by schemathesis against the app."""
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True},
            # methods no route has are the router's 405s, not an operation's answers
            "phases": {"coverage": {"unexpected-methods": []}, "stateful": {"enabled": False}},
        }
    )
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", create_app(fuzz_world.bank), config=config
    )

    def flatmap_path_parameters(
        context: schemathesis.HookContext, parameters: dict[str, Any] | None
    ) -> st.SearchStrategy[Any]:
        path = "" if context.operation is None else context.operation.path
        return fuzz_world.existing_parameters(path, parameters)

    def map_body(context: schemathesis.HookContext, body: Any) -> Any:
        path = "" if context.operation is None else context.operation.path
        return fuzz_world.signed_bodies(caller, path, body)

    schema.hook(flatmap_path_parameters)
    schema.hook(map_body)
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32 renames the test per operation through ``node._nodeid``, which
    pytest 9 no longer has (``nodeid`` is read-only): give it one to write."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(
    case: schemathesis.Case, fuzz_world: FuzzWorld, caller: str
) -> None:
    token = fuzz_world.token(caller)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    case.call_and_validate(headers=headers, checks=CHECKS)
