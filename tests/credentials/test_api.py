"""The credential routes over HTTP: media types, who may call them, the problems."""

from __future__ import annotations

import json
from typing import Any

import jsonschema

from creditbank.access.service import export_account
from creditbank.bank import Bank
from creditbank.core.credentials.case import document_id, level_id
from creditbank.core.credentials.verify import verify_credential, verify_transcript
from creditbank.tooling.factories import token_for
from tests.access.conftest import learner_token
from tests.api.certflow import Certified, Flow
from tests.credentials.conftest import schema
from tests.credentials.samples import data_annotator

VC = "application/vc+ld+json"


def fetched(client: Any, url: str, **kwargs: Any) -> dict[str, Any]:
    r = client.get(url, **kwargs)
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


def test_anyone_verifies_a_credential_with_what_the_bank_serves(
    bank: Bank, client: Any, certified: Certified
) -> None:
    r = client.get(f"/v1/certificates/{certified.number}/credential")
    assert r.status_code == 200
    assert r.headers["content-type"] == VC
    credential = r.json()
    did = fetched(client, "/certifiers/cert-a/did.json")
    status_list = client.get("/v1/certifiers/cert-a/status-list")
    assert status_list.headers["content-type"] == VC
    verdict = verify_credential(
        credential,
        dids={did["id"]: did},
        status_lists={status_list.json()["id"]: status_list.json()},
        log_key=fetched_key(client),
        now=bank.ledger.clock(),
    )
    assert verdict.valid, verdict.to_dict()
    assert fetched(client, "/.well-known/did.json")["id"] == "did:web:creditbank.local"


def fetched_key(client: Any) -> str:
    return str(client.get("/v1/ledger/key").text.strip())


def test_bad_and_unknown_names_are_problems(client: Any, certified: Certified) -> None:
    for url, status, field in (
        ("/v1/certificates/DAN5-2026-999999/credential", 404, "certificate_number"),
        ("/v1/certificates/bad number/credential", 422, "certificate_number"),
        ("/v1/certifiers/prov-a/status-list", 404, "actor_id"),
        ("/v1/certifiers/Bad_Actor/status-list", 422, "actor_id"),
        ("/certifiers/nobody/did.json", 404, "actor_id"),
        ("/ims/case/v1p0/CFPackages/not-a-uuid", 422, "sourcedId"),
        ("/ims/case/v1p0/CFItems/00000000-0000-5000-8000-000000000000", 404, "sourcedId"),
    ):
        r = client.get(url)
        assert r.status_code == status, (url, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["field"] == field, url


def test_only_the_learner_or_the_authority_adds_the_name(
    bank: Bank, client: Any, flow: Flow, certified: Certified
) -> None:
    url = f"/v1/learners/{certified.learner}/certificates/{certified.number}/credential"
    name = export_account(bank, certified.learner)["personal_data"]["name"]
    own = learner_token(bank, certified.learner)
    plain = client.get(url, token=own)
    assert plain.status_code == 200
    assert name not in plain.text
    named = client.get(url + "?include_name=true", token=own)
    assert named.headers["content-type"] == VC
    assert name in named.text
    assert (
        client.get(url + "?include_name=true", token=token_for(bank, "authority")).status_code
        == 200
    )
    other = flow.learner()
    assert client.get(url, token=learner_token(bank, other)).status_code == 403
    assert client.get(url, token=token_for(bank, "cert-a")).status_code == 403
    assert client.get(url).status_code == 401
    # the learner's route for a certificate that is not theirs
    theirs = f"/v1/learners/{other}/certificates/{certified.number}/credential"
    assert client.get(theirs, token=learner_token(bank, other)).status_code == 404


def test_the_transcript_is_the_learners_and_verifies(
    bank: Bank, client: Any, flow: Flow, certified: Certified
) -> None:
    url = f"/v1/learners/{certified.learner}/transcript"
    r = client.get(url, token=learner_token(bank, certified.learner))
    assert r.status_code == 200
    assert r.headers["content-type"] == VC
    transcript = r.json()
    dids = {
        d["id"]: d
        for d in (
            fetched(client, "/.well-known/did.json"),
            fetched(client, "/certifiers/cert-a/did.json"),
        )
    }
    lists = {
        "https://creditbank.local/v1/certifiers/cert-a/status-list": fetched(
            client, "/v1/certifiers/cert-a/status-list"
        )
    }
    verdict = verify_transcript(
        transcript, dids=dids, status_lists=lists, log_key=None, now=bank.ledger.clock()
    )
    assert verdict.valid, verdict.to_dict()
    assert client.get(url, token=learner_token(bank, flow.learner())).status_code == 403
    assert client.get(url, token=token_for(bank, "prov-a")).status_code == 403
    assert client.get(url, token=token_for(bank, "authority")).status_code == 200


def test_the_case_routes_serve_the_published_standards(client: Any, flow: Flow) -> None:
    documents = fetched(client, "/ims/case/v1p0/CFDocuments")["CFDocuments"]
    standard = data_annotator()
    ids = [d["identifier"] for d in documents]
    assert document_id(standard) in ids
    package = fetched(client, f"/ims/case/v1p0/CFPackages/{document_id(standard)}")
    validator = jsonschema.Draft201909Validator(schema("case_v1p1_cfpackage.json"))
    assert [e.message for e in validator.iter_errors(package)] == []
    item = fetched(client, f"/ims/case/v1p0/CFItems/{level_id(standard, 5)}")
    assert item["humanCodingScheme"] == "data-annotator/5"
    assert item["CFDocumentURI"]["identifier"] == document_id(standard)
    assert json.dumps(item, ensure_ascii=False).count("数据标注员") >= 1


def test_a_new_publication_shows_in_the_case_documents(bank: Bank, client: Any) -> None:
    from creditbank.catalogue.service import publish_catalogue
    from tests.catalogue.conftest import small_catalogue

    publish_catalogue(bank.ledger, small_catalogue("data-annotator"), bank.authority_key())
    first = fetched(client, "/ims/case/v1p0/CFDocuments")["CFDocuments"]
    assert [d["extensions"]["standardId"] for d in first] == ["data-annotator"]
    publish_catalogue(
        bank.ledger, small_catalogue("data-annotator", "ai-agent-developer"), bank.authority_key()
    )
    second = fetched(client, "/ims/case/v1p0/CFDocuments")["CFDocuments"]
    assert [d["extensions"]["standardId"] for d in second] == [
        "ai-agent-developer",
        "data-annotator",
    ]
