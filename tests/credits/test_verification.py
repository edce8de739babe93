"""Certificate verification: the bundle the API serves and the offline verifier's verdict
on it, for valid, revoked and tampered certificates, over HTTP on both engines."""

from __future__ import annotations

import base64
import copy
import json
import re
from datetime import timedelta
from typing import Any

import pytest

from creditbank.bank import Bank
from creditbank.certificates.handlers import CERTIFICATE_NUMBER as HANDLER_NUMBER_PATTERN
from creditbank.certificates.verification import certificate_bundle
from creditbank.client import ApiError, CreditBankClient
from creditbank.core.canonical import canonical_bytes
from creditbank.core.entry import (
    SignedStatement,
    encode_derived,
    encode_entry,
    sign_statement,
)
from creditbank.core.errors import Forbidden, InvalidInput, NotFound
from creditbank.core.keys import KeyPair
from creditbank.core.statements import catalogue as statements
from creditbank.core.tlog import merkle
from creditbank.core.tlog.checkpoint import Checkpoint, parse_checkpoint, sign_checkpoint
from creditbank.core.tlog.note import note_text
from creditbank.core.tlog.receipt import Receipt, format_receipt, parse_receipt
from creditbank.core.verify.certificate import (
    CERTIFICATE_NUMBER,
    CHECKS,
    Verdict,
    verify_certificate,
)
from creditbank.ledger import store
from creditbank.ledger.tree import receipt_for
from tests.conftest import FakeClock
from tests.credits.conftest import COURSES, World
from tests.credits.test_certificates import (
    apply,
    assess,
    certifier,
    eligible_learner,
    issue,
    revoke,
)
from tests.factories import b64, post_notice

NUMBER = "DAN5-2026-000001"


# --- helpers: certificates through the certificate tests' own helpers -----------------


def certify(world: World, number: str = NUMBER, actor: str = "cert-a") -> tuple[KeyPair, str]:
    """An accredited body certifies an eligible learner; returns its key and the learner."""
    key = certifier(world, actor, ["data-annotator"])
    learner, awards = eligible_learner(world)
    issue(world, key, actor, learner, awards, number=number)
    return key, learner


def more_activity(world: World) -> None:
    """Later entries, so the certificate's receipts sit on older checkpoints."""
    other = world.learner()
    world.complete(other, "clean-online")
    world.complete(other, "label-offline")


def certificate_in(bank: Bank, provider_key: KeyPair, number: str = NUMBER) -> str:
    """Issue a certificate on a bank that has published data-annotator and registered
    prov-a (``provider_key``), as the credits world does (used by the role matrix)."""
    clock = bank.ledger.clock
    assert isinstance(clock, FakeClock)
    start = clock() - timedelta(days=7 * 365)
    for course_id, fields in COURSES.items():
        registration = statements.course_registration(
            "prov-a", course_id, title=course_id, standard_id="data-annotator", level=5, **fields
        )
        bank.ledger.append(sign_statement(registration, provider_key))
        recognition = statements.course_recognition(
            "prov-a",
            course_id,
            valid_from=start,
            valid_until=clock() + timedelta(days=10 * 365),
            credits="1.0" if course_id == "pf-lab" else None,
        )
        bank.ledger.append(sign_statement(recognition, bank.authority_key()))
    certify(World(bank, clock, provider_key), number, actor="cert-verify")
    return number


def bundle_of(world: World, number: str = NUMBER) -> dict[str, Any]:
    return certificate_bundle(world.bank.engine, number)


def verdict_of(world: World, bundle: dict[str, Any], number: str = NUMBER) -> Verdict:
    return verify_certificate(bundle, world.bank.verifier_key, number=number)


def failed(verdict: Verdict) -> dict[str, str]:
    """The failed checks and their details."""
    return {c["check"]: c["detail"] for c in verdict.checks if not c["ok"]}


def item(bundle: dict[str, Any], role: str, nth: int = 0) -> dict[str, Any]:
    found: dict[str, Any] = [e for e in bundle["entries"] if e["role"] == role][nth]
    return found


def entry_of(receipt: str) -> dict[str, Any]:
    extra = parse_receipt(receipt).extra
    assert extra is not None
    value: dict[str, Any] = json.loads(extra)
    return value


def with_extra(receipt: str, data: bytes) -> str:
    r = parse_receipt(receipt)
    return format_receipt(Receipt(r.index, r.proof, r.checkpoint_note, data))


def resign(entry: dict[str, Any], key: KeyPair, **body: Any) -> bytes:
    """The entry's statement with ``body`` changes, signed anew by ``key`` (its author's
    key, or another), re-encoded as the log would."""
    statement = copy.deepcopy(entry["statement"])
    statement["body"].update(body)
    signed: SignedStatement = sign_statement(statement, key)
    return encode_entry(signed, entry["integrated_at"])


def forged_log(world: World, bundle: dict[str, Any], replace: dict[int, bytes]) -> None:
    """Rewrite ``bundle`` onto a log where the entries in ``replace`` differ, with a fresh
    tree and a checkpoint signed by the log key itself: every proof and signature checks
    out, so only the verifier's checks on content can catch what was changed."""
    with world.bank.engine.connect() as conn:
        leaves = [data for _, data, _ in store.iter_entries(conn)]
    for index, data in replace.items():
        leaves[index] = data
    hashes = [merkle.leaf_hash(d) for d in leaves]
    size = len(leaves)
    checkpoint = Checkpoint(world.bank.origin, size, merkle.root_from_leaves(hashes))
    note = sign_checkpoint(checkpoint, world.bank.origin, world.bank.log_key.private_key)
    for e in bundle["entries"]:
        proof = tuple(
            merkle.root_from_leaves(hashes[start:end])
            for start, end in merkle.inclusion_proof_ranges(e["index"], size)
        )
        e["receipt"] = format_receipt(Receipt(e["index"], proof, note, leaves[e["index"]]))
    bundle["checkpoint"] = note
    bundle["consistency"] = []


# --- the bundle and the verdict ---------------------------------------------------------


def test_a_valid_certificate_verifies_over_http(world: World, client: Any) -> None:
    _, learner = certify(world)
    more_activity(world)
    r = client.get(f"/v1/certificates/{NUMBER}/verification")  # no token: public
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["verdict"]["status"] == "valid"
    assert body["verdict"]["valid"] is True
    assert body["verdict"]["revoked"] is False
    assert [c["check"] for c in body["verdict"]["checks"]] == list(CHECKS)
    assert all(c["ok"] for c in body["verdict"]["checks"]), body["verdict"]["problems"]
    cert = body["certificate"]
    assert (cert["certificate_number"], cert["learner"], cert["issuer"], cert["status"]) == (
        NUMBER,
        learner,
        "cert-a",
        "active",
    )
    assert body["verdict"]["certificate"]["learner"] == learner
    roles = sorted(e["role"] for e in body["entries"])
    kinds = {e["index"]: e["kind"] for e in body["entries"]}
    assert roles.count("certificate") == 1
    assert roles.count("award") == 3
    assert roles.count("completion") == 3
    assert roles.count("application") == roles.count("assessment") == 1
    assert "revocation" not in roles
    # the trust root, the certifier's and the provider's registrations
    assert kinds[0] == "actor.registered"
    keys = [e for e in body["entries"] if e["role"] == "key"]
    registered = {entry_of(e["receipt"])["statement"]["body"]["actor_id"] for e in keys}
    assert registered == {"authority", "cert-a", "prov-a"}
    # original receipts, brought to the latest checkpoint by consistency proofs
    latest = int(body["checkpoint"].splitlines()[1])
    assert body["consistency"]
    assert all(p["second"] == latest and p["first"] < latest for p in body["consistency"])
    # a verifier re-running it with the key it trusts reaches the same verdict
    local = verify_certificate(body, world.bank.verifier_key, number=NUMBER)
    assert local.valid
    assert local.to_dict() == body["verdict"]


def test_the_verdict_needs_the_right_log_key(world: World) -> None:
    certify(world)
    bundle = bundle_of(world)
    impostor = KeyPair.generate(world.bank.origin)  # same name, another key
    verdict = verify_certificate(bundle, impostor.verifier_key, number=NUMBER)
    assert not verdict.valid
    assert {"checkpoint", "receipt_signatures"} <= set(failed(verdict))


def test_a_revoked_certificate_is_revoked_not_valid(world: World, client: Any) -> None:
    key, _ = certify(world)
    revoke(world, key, "cert-a", NUMBER)
    more_activity(world)
    body = client.get(f"/v1/certificates/{NUMBER}/verification").json()
    verdict = body["verdict"]
    assert (verdict["valid"], verdict["revoked"], verdict["status"]) == (False, True, "revoked")
    assert all(c["ok"] for c in verdict["checks"]), verdict["problems"]
    assert body["certificate"]["status"] == "revoked"
    assert body["certificate"]["revocation_reason"] == "assessment irregularity"
    revocation = item(body, "revocation")
    assert revocation["kind"] == "certificate.revoked"
    assert verdict["certificate"]["revoked_index"] == revocation["index"]
    assert verdict["certificate"]["revoked_by"] == "cert-a"


def test_revocation_by_the_authority_brings_the_authoritys_key(world: World) -> None:
    certify(world)
    revoke(world, world.bank.authority_key(), "authority", NUMBER)
    bundle = bundle_of(world)
    verdict = verdict_of(world, bundle)
    assert (verdict.valid, verdict.revoked, verdict.status) == (False, True, "revoked")
    assert failed(verdict) == {}
    assert verdict.certificate is not None
    assert verdict.certificate["revoked_by"] == "authority"
    assert item(bundle, "key")["index"] == 0  # the authority's self-registration


def test_a_rotated_issuer_key_is_traced_to_its_registration(world: World) -> None:
    old = certifier(world, "cert-a", ["data-annotator"])
    new = KeyPair.generate("cert-a")
    world.bank.ledger.append(
        sign_statement(
            {
                "kind": "key.added",
                "actor": "cert-a",
                "id": "rotate-1",
                "body": {"actor_id": "cert-a", "public_key": b64(new.public_key)},
            },
            old,
        )
    )
    learner, awards = eligible_learner(world)
    issue(world, new, "cert-a", learner, awards)
    bundle = bundle_of(world)
    kinds = {e["kind"] for e in bundle["entries"] if e["role"] == "key"}
    assert {"actor.registered", "key.added"} <= kinds
    verdict = verdict_of(world, bundle)
    assert verdict.valid, verdict.problems


def test_a_key_revoked_after_issuance_leaves_the_certificate_valid(world: World) -> None:
    old, _ = certify(world)
    new = KeyPair.generate("cert-a")
    for sid, kind, body, key in (
        ("rotate-1", "key.added", {"public_key": b64(new.public_key)}, old),
        ("revoke-old", "key.revoked", {"key_id": old.key_id, "reason": "rotated"}, new),
    ):
        world.bank.ledger.append(
            sign_statement(
                {
                    "kind": kind,
                    "actor": "cert-a",
                    "id": sid,
                    "body": {"actor_id": "cert-a", **body},
                },
                key,
            )
        )
    bundle = bundle_of(world)
    revocations = [e for e in bundle["entries"] if e["kind"] == "key.revoked"]
    assert [e["role"] for e in revocations] == ["key"]
    verdict = verdict_of(world, bundle)
    assert verdict.valid, verdict.problems
    # an entry signed with the old key after its revocation is caught
    later = post_notice(world.bank, "cert-a", new, text="later")
    bundle["entries"].append({"index": later.index, "kind": "notice.published", "role": "x"})
    forged_log(world, bundle, {later.index: resign(json.loads(later.entry), old)})
    assert failed(verdict_of(world, bundle)) == {
        "keys": f"entry {later.index} (notice.published) is signed by key {old.key_id}, "
        f"revoked at {revocations[0]['index']}"
    }


# --- tampering: each fails the check that guards it ----------------------------------


def test_a_changed_entry_byte_fails_inclusion(world: World) -> None:
    certify(world)
    more_activity(world)
    bundle = bundle_of(world)
    completion = item(bundle, "completion")
    data = parse_receipt(completion["receipt"]).extra
    assert data is not None
    tampered = data.replace(b'"score":80', b'"score":90')
    assert tampered != data
    completion["receipt"] = with_extra(completion["receipt"], tampered)
    verdict = verdict_of(world, bundle)
    assert not verdict.valid
    problems = failed(verdict)
    assert f"entry {completion['index']}: inclusion proof does not match" in problems["inclusion"]
    assert "receipt_signatures" not in problems


def test_a_dropped_award_is_missing(world: World) -> None:
    certify(world)
    bundle = bundle_of(world)
    award = item(bundle, "award", 1)
    bundle["entries"].remove(award)
    verdict = verdict_of(world, bundle)
    assert not verdict.valid
    assert failed(verdict) == {
        "awards": f"listed award {award['index']} is not in the bundle (or not proven)"
    }


def test_a_receipt_on_a_forged_checkpoint_fails_its_signature(world: World) -> None:
    certify(world)
    more_activity(world)
    bundle = bundle_of(world)
    award = item(bundle, "award")
    receipt = parse_receipt(award["receipt"])
    real = parse_checkpoint(note_text(receipt.checkpoint_note))
    forger = KeyPair.generate(world.bank.origin)
    forged = sign_checkpoint(real, world.bank.origin, forger.private_key)
    award["receipt"] = format_receipt(Receipt(receipt.index, receipt.proof, forged, receipt.extra))
    verdict = verdict_of(world, bundle)
    assert not verdict.valid
    problems = failed(verdict)
    assert (
        f"entry {award['index']}: the receipt's checkpoint does not verify"
        in (problems["receipt_signatures"])
    )
    assert "no signature from a known key" in problems["receipt_signatures"]
    # nothing on that receipt is proven any more: the listed award is missing
    assert "awards" in problems
    # a forged latest checkpoint fails the same way
    bundle = bundle_of(world)
    bundle["checkpoint"] = forged
    assert "checkpoint" in failed(verdict_of(world, bundle))


def test_an_award_of_another_learner_is_refused(world: World) -> None:
    other = world.learner()
    theirs = world.complete(other, "speech-workplace").derived[0]
    key, _ = certify(world)
    bundle = bundle_of(world)
    cert = item(bundle, "certificate")
    entry = entry_of(cert["receipt"])
    awards = entry["statement"]["body"]["awards"]
    # substituted in place: the receipt proves another index
    substituted = copy.deepcopy(bundle)
    listed = next(e for e in substituted["entries"] if e["index"] == awards[-1])
    listed["receipt"] = receipt_at(world, theirs)
    problems = failed(verdict_of(world, substituted))
    assert f"the receipt proves index {theirs} instead" in problems["inclusion"]
    assert f"listed award {awards[-1]} is not in the bundle" in problems["awards"]
    # a certificate that lists it, signed by the body and logged: every proof and
    # signature verifies, and the content checks still refuse it
    swapped = sorted([*awards[:-1], theirs])
    their_completion = entry_of(receipt_at(world, theirs))["statement"]["body"]["completion_index"]
    bundle["entries"] += [
        {"index": theirs, "kind": "credit.awarded", "role": "award"},
        {"index": their_completion, "kind": "completion.recorded", "role": "completion"},
    ]
    forged_log(world, bundle, {cert["index"]: resign(entry, key, awards=swapped)})
    bundle["certificate"]["awards"] = swapped
    problems = failed(verdict_of(world, bundle))
    assert set(problems) == {"awards", "completions"}, problems
    assert f"award {theirs} is for learner {other!r}" in problems["awards"]
    assert f"completion {their_completion} is for {other!r}" in problems["completions"]


def receipt_at(world: World, index: int) -> str:
    with world.bank.engine.connect() as conn:
        return receipt_for(conn, index)


def test_an_entry_signed_by_someone_else_fails_its_author_signature(world: World) -> None:
    certify(world)
    other = certifier(world, "cert-b", ["data-annotator"])
    bundle = bundle_of(world)
    cert = item(bundle, "certificate")
    entry = entry_of(cert["receipt"])
    forged_log(world, bundle, {cert["index"]: resign(entry, other)})
    verdict = verdict_of(world, bundle)
    problems = failed(verdict)
    # cert-b's key is not even in the bundle: nothing vouches for it
    assert set(problems) == {"author_signatures"}, problems
    assert f"entry {cert['index']} (certificate.issued)" in problems["author_signatures"]


def test_a_derived_award_is_proven_by_inclusion_not_by_a_signature(world: World) -> None:
    """An award is the log's own unsigned decision: the verdict accepts it by inclusion
    and the rules' checks. The same award signed by the log key (the form a forger with
    the key would use) is refused, as is one that names another source."""
    certify(world)
    bundle = bundle_of(world)
    assert verdict_of(world, bundle).valid
    award = item(bundle, "award")
    entry = entry_of(award["receipt"])
    assert "sig" not in entry
    assert "key_id" not in entry
    signed = encode_entry(
        sign_statement(entry["statement"], world.bank.log_key), entry["integrated_at"]
    )
    forged = copy.deepcopy(bundle)
    forged_log(world, forged, {award["index"]: signed})
    problems = failed(verdict_of(world, forged))
    assert set(problems) == {"author_signatures"}, problems
    assert "carries no signature" in problems["author_signatures"]
    statement = copy.deepcopy(entry["statement"])
    statement["body"]["derived_from"] = [0]
    moved = encode_derived(canonical_bytes(statement), entry["kind"], entry["integrated_at"])
    forged_log(world, bundle, {award["index"]: moved})
    problems = failed(verdict_of(world, bundle))
    assert set(problems) == {"completions"}, problems
    assert "not derived from its completion" in problems["completions"]


def test_the_application_and_its_passed_assessment_are_required(world: World) -> None:
    key, _ = certify(world)
    bundle = bundle_of(world)
    application = item(bundle, "application")
    assert application["kind"] == "certificate.applied"
    assessment = item(bundle, "assessment")
    bundle["entries"].remove(assessment)
    assert failed(verdict_of(world, bundle)) == {
        "application": f"no assessment of application {application['index']} in the bundle"
    }
    # a certificate stating a better score than the body's assessment recorded
    bundle = bundle_of(world)
    cert = item(bundle, "certificate")
    entry = entry_of(cert["receipt"])
    stated = {"result": "passed", "score": 99}
    forged_log(world, bundle, {cert["index"]: resign(entry, key, assessment=stated)})
    bundle["certificate"]["assessment"] = stated
    assert failed(verdict_of(world, bundle)) == {
        "application": "the certificate states score 99, the assessment 86"
    }


def test_a_summary_that_disagrees_with_the_entries_fails(world: World) -> None:
    certify(world)
    bundle = bundle_of(world)
    bundle["certificate"]["level"] = 4
    assert failed(verdict_of(world, bundle)) == {
        "summary": "the summary says level 4, the entries 5"
    }
    # claiming revoked without the revocation entry is caught too
    bundle = bundle_of(world)
    bundle["certificate"]["status"] = "revoked"
    assert set(failed(verdict_of(world, bundle))) == {"summary"}


def test_a_hidden_revocation_with_the_summary_kept_is_caught(world: World) -> None:
    key, _ = certify(world)
    revoke(world, key, "cert-a", NUMBER)
    bundle = bundle_of(world)
    bundle["entries"].remove(item(bundle, "revocation"))
    verdict = verdict_of(world, bundle)
    assert not verdict.revoked
    assert not verdict.valid
    assert "status 'revoked', the entries 'active'" in failed(verdict)["summary"]


def test_a_bad_consistency_proof_fails_consistency(world: World) -> None:
    certify(world)
    more_activity(world)
    bundle = bundle_of(world)
    first = bundle["consistency"][0]
    first["hashes"][0] = base64.b64encode(b"\x00" * 32).decode()
    problems = failed(verdict_of(world, bundle))
    assert set(problems) == {"consistency"}
    assert f"checkpoint of size {first['first']}" in problems["consistency"]
    bundle = bundle_of(world)
    bundle["consistency"] = []
    assert "no consistency proof" in failed(verdict_of(world, bundle))["consistency"]


@pytest.mark.parametrize(
    "bundle",
    [
        None,
        {},
        {"entries": "x", "checkpoint": 3, "certificate": []},
        {"entries": [1, {"index": True}, {"index": 0, "receipt": "garbage"}]},
        {"entries": [{"index": 0, "receipt": "c2sp.org/tlog-proof@v1\nindex 0\n\nx\n"}]},
        {"consistency": [{"first": "a"}], "entries": [None]},
    ],
    ids=["none", "empty", "wrong-types", "junk-entries", "bad-checkpoint", "junk-proofs"],
)
def test_bad_bundle_data_fails_checks_and_never_raises(world: World, bundle: Any) -> None:
    verdict = verify_certificate(bundle, world.bank.verifier_key, number=NUMBER)
    assert not verdict.valid
    assert verdict.status == "invalid"
    assert [c["check"] for c in verdict.checks] == list(CHECKS)
    assert verdict.problems


def test_the_verifier_checks_the_number_it_was_asked_about(world: World) -> None:
    certify(world)
    bundle = bundle_of(world)
    problems = failed(verify_certificate(bundle, world.bank.verifier_key, number="DAN5-OTHER-1"))
    assert problems["certificate"] == "no proven certificate.issued entry names DAN5-OTHER-1"


# --- the API's answers --------------------------------------------------------------


def test_an_unknown_number_is_404_and_a_malformed_one_422(world: World, client: Any) -> None:
    r = client.get("/v1/certificates/DAN5-2026-999999/verification")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == "certificate_number"
    assert "no certificate DAN5-2026-999999" in r.json()["detail"]
    for bad in ("dan5-2026-000001", "AB", "-DAN5-2026", "DAN5%202026"):
        r = client.get(f"/v1/certificates/{bad}/verification")
        assert r.status_code == 422, bad
        assert r.json()["field"] == "certificate_number"
    with pytest.raises(NotFound):
        certificate_bundle(world.bank.engine, "DAN5-2026-999999")
    with pytest.raises(InvalidInput):
        certificate_bundle(world.bank.engine, "DAN5-2026-000001\n")


def test_the_sdk_fetches_the_bundle_for_a_local_verdict(world: World, base_url: str) -> None:
    certify(world)
    with CreditBankClient(base_url) as sdk:  # no token: the route is public
        bundle = sdk.certificate_verification(NUMBER)
        with pytest.raises(ApiError) as err:
            sdk.certificate_verification("DAN5-2026-999999")
    assert err.value.status == 404
    assert err.value.field == "certificate_number"
    verdict = verify_certificate(bundle, world.bank.verifier_key, number=NUMBER)
    assert verdict.valid, verdict.problems


def test_the_pure_verifier_agrees_with_the_handlers_on_numbers() -> None:
    assert CERTIFICATE_NUMBER == HANDLER_NUMBER_PATTERN
    assert re.fullmatch(CERTIFICATE_NUMBER, NUMBER)


def accredit(world: World, actor: str, standards: list[str], ref: str) -> int:
    """The authority sets ``actor``'s accreditation (``actor.accredited``)."""
    return world.bank.ledger.append(
        sign_statement(
            {
                "kind": "actor.accredited",
                "actor": "authority",
                "id": ref,
                "body": {"actor_id": actor, "standards": standards},
            },
            world.bank.authority_key(),
        )
    ).index


def test_an_accreditation_changed_on_the_ledger_is_what_the_verifier_checks(
    world: World,
) -> None:
    key = certifier(world, "cert-a", ["ai-ethics-reviewer"])  # not data-annotator yet
    learner, awards = eligible_learner(world)
    application = apply(world, learner)
    with pytest.raises(Forbidden):
        assess(world, key, "cert-a", application)
    changed = accredit(world, "cert-a", ["data-annotator"], "acc-1")
    assess(world, key, "cert-a", application)
    issue(world, key, "cert-a", learner, awards, application, number="DAN5-2026-000011")
    bundle = bundle_of(world, "DAN5-2026-000011")
    roles = {e["index"]: e["role"] for e in bundle["entries"]}
    assert roles[changed] == "accreditation"
    verdict = verdict_of(world, bundle, "DAN5-2026-000011")
    assert verdict.valid, verdict.problems
    # without the accreditation entry the registration's list is all a verifier sees
    bundle["entries"] = [e for e in bundle["entries"] if e["index"] != changed]
    verdict = verdict_of(world, bundle, "DAN5-2026-000011")
    assert not verdict.valid
    assert any("not accredited for data-annotator" in p for p in verdict.problems)
    # withdrawn later: what it issued before stays valid; it cannot issue again
    accredit(world, "cert-a", [], "acc-2")
    assert verdict_of(world, bundle_of(world, "DAN5-2026-000011"), "DAN5-2026-000011").valid
    learner2, _ = eligible_learner(world)
    with pytest.raises(Forbidden):
        assess(world, key, "cert-a", apply(world, learner2))


def test_only_the_authority_accredits_and_only_certifying_bodies(world: World) -> None:
    key = certifier(world, "cert-a", ["data-annotator"])
    statement = {
        "kind": "actor.accredited",
        "actor": "cert-a",
        "id": "self-accredit",
        "body": {"actor_id": "cert-a", "standards": ["data-annotator", "ai-ethics-reviewer"]},
    }
    with pytest.raises(Forbidden):
        world.bank.ledger.append(sign_statement(statement, key))
    with pytest.raises(InvalidInput, match="only certifying bodies"):
        accredit(world, "prov-a", ["data-annotator"], "acc-prov")
