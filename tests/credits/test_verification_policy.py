"""The bank's policy checks of the certificate verifier, fed hand-made proven entries:
each pure check alone, without a log, a bundle or a signature."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from creditbank.core.tlog.checkpoint import Checkpoint
from creditbank.core.verify.bundle import ProvenEntry
from creditbank.core.verify.policy import (
    NO_CERTIFICATE,
    POLICY_CHECKS,
    certificate_facts,
    check_application,
    check_awards,
    check_certificate,
    check_completions,
    check_issuer,
    check_revocation,
    check_summary,
    claims_revocation,
    find_certificate,
    find_revocation,
)
from creditbank.core.verify.result import CheckResult, run_check

NUMBER = "DAN5-2026-000001"
LEARNER = "CB49698753585"
STANDARD = "data-annotator"
TREE_SIZE = 20
CHECKPOINT = Checkpoint("creditbank.test/ledger", TREE_SIZE, b"\x00" * 32)

Entries = dict[int, ProvenEntry]


def proven(index: int, kind: str, actor: str, **body: Any) -> ProvenEntry:
    statement = {"kind": kind, "actor": actor, "id": f"s-{index}", "body": body}
    entry = {"v": 1, "kind": kind, "integrated_at": f"2026-01-01T00:00:{index:02d}Z"}
    return ProvenEntry(index, {**entry, "statement": statement}, CHECKPOINT)


def certified() -> Entries:
    """What a bundle of a valid certificate proves: the trust root, a provider and an
    accredited certifying body, one completion and its award, the application, its
    passed assessment, and the certificate."""
    facts = {"learner": LEARNER, "standard_id": STANDARD, "level": 5}
    entries = [
        proven(0, "actor.registered", "authority", actor_id="authority", role="authority"),
        proven(1, "actor.registered", "authority", actor_id="prov-a", role="provider"),
        proven(
            2,
            "actor.registered",
            "authority",
            actor_id="cert-a",
            role="certifier",
            standards=[STANDARD],
        ),
        proven(3, "completion.recorded", "prov-a", learner=LEARNER, course_id="c1"),
        proven(
            4,
            "credit.awarded",
            "log",
            **facts,
            provider="prov-a",
            course_id="c1",
            completion_index=3,
            derived_from=[3],
        ),
        proven(5, "certificate.applied", "log", **facts),
        proven(
            6,
            "assessment.recorded",
            "cert-a",
            application_index=5,
            result="passed",
            score=86,
        ),
        proven(
            7,
            "certificate.issued",
            "cert-a",
            **facts,
            certificate_number=NUMBER,
            awards=[4],
            assessment={"result": "passed", "score": 86},
            application_index=5,
        ),
    ]
    return {e.index: e for e in entries}


def changed(entries: Entries, index: int, *, actor: str | None = None, **body: Any) -> Entries:
    """``entries`` with entry ``index``'s body (and author) changed."""
    entry = copy.deepcopy(entries[index].entry)
    entry["statement"]["body"].update(body)
    if actor is not None:
        entry["statement"]["actor"] = actor
    return {**entries, index: dataclasses.replace(entries[index], entry=entry)}


def judge(entries: Entries, number: str = NUMBER) -> dict[str, CheckResult]:
    """Every policy check over ``entries``, as the verifier composes them."""
    cert = find_certificate(entries, number)
    revocation = find_revocation(entries, number, cert, TREE_SIZE)
    summary = {
        **(certificate_facts(cert, revocation) or {}),
        "status": "active" if revocation is None else "revoked",
    }
    results = (
        check_certificate(entries, number),
        check_issuer(entries, cert, "authority"),
        check_awards(entries, cert),
        check_completions(entries, cert),
        check_application(entries, cert),
        check_revocation(
            cert,
            revocation,
            number=number,
            tree_size=TREE_SIZE,
            authority="authority",
            claimed=False,
        ),
        check_summary(summary, cert, revocation, number),
    )
    return {r.check: r for r in results}


def problems(entries: Entries) -> dict[str, tuple[str, ...]]:
    return {name: r.problems for name, r in judge(entries).items() if not r.ok}


def test_proven_entries_of_a_valid_certificate_pass_every_check() -> None:
    results = judge(certified())
    assert list(results) == list(POLICY_CHECKS)
    assert {name: r.ok for name, r in results.items()} == dict.fromkeys(POLICY_CHECKS, True)
    assert results["completions"].detail == (
        "each of the 1 awards rests on a completion.recorded of the learner by the awarding "
        "course's provider, and was derived from it"
    )
    assert results["revocation"].detail == (
        f"no revocation of {NUMBER} in the bundle (as of tree size {TREE_SIZE})"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda e: changed(e, 4, derived_from=[0]),
            {"completions": ("award 4: not derived from its completion 3",)},
        ),
        (
            lambda e: changed(e, 4, derived_from=[3, 0]),
            {"completions": ("award 4: not derived from its completion 3",)},
        ),
        (
            lambda e: changed(e, 3, actor="prov-b"),
            {"completions": ("award 4: completion 3 is by prov-b, the award names prov-a",)},
        ),
        (
            lambda e: changed(e, 3, course_id="c2"),
            {"completions": ("award 4: completion 3 is of another course",)},
        ),
        (
            lambda e: changed(e, 3, learner="CB-OTHER"),
            {"completions": (f"award 4: completion 3 is for 'CB-OTHER', not {LEARNER!r}",)},
        ),
        (
            lambda e: changed(e, 4, completion_index=5, derived_from=[5]),
            {
                "completions": (
                    "award 4: entry 5 (certificate.applied) is not a completion.recorded",
                )
            },
        ),
        (
            lambda e: changed(e, 4, level=4),
            {"awards": ("award 4 is for level 4, the certificate's is 5",)},
        ),
        (
            lambda e: changed(e, 7, awards=[4, 4]),
            {"awards": ("the certificate lists an award twice",)},
        ),
        (
            lambda e: changed(e, 2, role="provider"),
            {"issuer": ("the issuer cert-a is registered as provider",)},
        ),
        (
            lambda e: changed(e, 2, standards=["welder"]),
            {"issuer": (f"the issuer cert-a is not accredited for {STANDARD}",)},
        ),
        (
            lambda e: changed(e, 2, actor="prov-a"),
            {"issuer": ("cert-a was registered by prov-a, not the authority",)},
        ),
        (
            lambda e: changed(e, 6, actor="cert-b"),
            {"application": ("the application was assessed by cert-b, not the issuer",)},
        ),
        (
            lambda e: changed(e, 6, result="failed"),
            {
                "application": (
                    "the application was assessed as 'failed'",
                    "the certificate states result 'passed', the assessment 'failed'",
                )
            },
        ),
        (
            lambda e: changed(e, 6, application_index=1),
            {"application": ("no assessment of application 5 in the bundle",)},
        ),
    ],
    ids=[
        "award-derived-from-another-entry",
        "award-derived-from-more-than-its-completion",
        "completion-by-another-provider",
        "completion-of-another-course",
        "completion-of-another-learner",
        "completion-index-names-no-completion",
        "award-for-another-level",
        "award-listed-twice",
        "issuer-registered-as-provider",
        "issuer-not-accredited",
        "issuer-registered-by-another",
        "assessed-by-another-body",
        "assessed-as-failed",
        "assessment-of-another-application",
    ],
)
def test_a_proven_fact_that_breaks_a_rule_fails_exactly_its_check(
    change: Callable[[Entries], Entries], expected: dict[str, tuple[str, ...]]
) -> None:
    assert problems(change(certified())) == expected


def test_an_award_logged_after_its_certificate_and_a_late_completion() -> None:
    entries = certified()
    late = proven(9, "completion.recorded", "prov-a", learner=LEARNER, course_id="c1")
    entries = changed({**entries, 9: late}, 4, completion_index=9, derived_from=[9])
    assert problems(entries) == {"completions": ("award 4: its completion 9 was logged after it",)}
    moved = {**certified(), 8: dataclasses.replace(certified()[4], index=8)}
    entries = changed(moved, 7, awards=[8])
    assert check_awards(entries, find_certificate(entries, NUMBER)).problems == (
        "award 8 was logged after the certificate",
    )


def test_the_certificate_must_be_named_once_by_a_well_formed_number() -> None:
    entries = certified()
    assert find_certificate(entries, "bad") is None
    assert check_certificate(entries, "bad").problems == ("'bad' is not a certificate number",)
    assert check_certificate(entries, "DAN5-OTHER-1").problems == (
        "no proven certificate.issued entry names DAN5-OTHER-1",
    )
    twice = {**entries, 8: dataclasses.replace(entries[7], index=8)}
    assert check_certificate(twice, NUMBER).problems == (
        f"2 certificate.issued entries name {NUMBER}",
    )
    assert find_certificate(twice, NUMBER) == entries[7]  # the first is judged


@pytest.mark.parametrize(
    "check",
    [check_issuer, check_awards, check_completions, check_application],
    ids=lambda f: f.__name__,
)
def test_without_a_certificate_a_check_has_nothing_to_judge(
    check: Callable[..., CheckResult],
) -> None:
    args = (certified(), None, "authority") if check is check_issuer else (certified(), None)
    assert check(*args).problems == (NO_CERTIFICATE,)


def test_revocation_is_judged_against_the_certificate_and_the_latest_checkpoint() -> None:
    entries = certified()
    cert = entries[7]
    rev = proven(8, "certificate.revoked", "cert-a", certificate_number=NUMBER, reason="fraud")
    entries[8] = rev

    def revocation(
        found: ProvenEntry | None, *, tree_size: int | None = TREE_SIZE, claimed: bool = True
    ) -> CheckResult:
        return check_revocation(
            cert,
            found,
            number=NUMBER,
            tree_size=tree_size,
            authority="authority",
            claimed=claimed,
        )

    assert find_revocation(entries, NUMBER, cert, TREE_SIZE) == rev
    assert revocation(rev).detail == (
        f"revoked at entry 8 by cert-a: fraud (as of tree size {TREE_SIZE})"
    )
    # without a verified latest checkpoint there is nothing to judge it against
    assert find_revocation(entries, NUMBER, cert, None) is None
    assert revocation(None, tree_size=None).problems == (
        "no verified latest checkpoint to judge revocation against",
    )
    # listed (a receipt carries it) but not proven
    assert claims_revocation((rev.entry,), NUMBER)
    assert not claims_revocation((rev.entry,), "DAN5-OTHER-1")
    assert revocation(None).problems == (
        "a revocation of this certificate is listed but not proven",
    )
    assert revocation(None, claimed=False).ok
    # by someone else, or before the certificate
    other = changed(entries, 8, actor="prov-a")[8]
    assert revocation(other).problems == (
        "revoked by prov-a, neither the issuer nor the authority",
    )
    early = dataclasses.replace(rev, index=6)
    assert revocation(early).problems == ("the revocation 6 precedes the certificate",)
    assert revocation(changed(entries, 8, actor="authority")[8]).ok


def test_the_summary_is_compared_with_the_facts_of_the_entries() -> None:
    entries = certified()
    cert = entries[7]
    facts = certificate_facts(cert, None)
    assert facts is not None
    assert (facts["issuer"], facts["issued_index"], facts["revoked_index"]) == ("cert-a", 7, None)
    summary = {**facts, "status": "active"}
    assert check_summary(summary, cert, None, NUMBER).ok
    assert check_summary(None, cert, None, NUMBER).problems == (
        "the bundle has no certificate summary",
    )
    assert check_summary(summary, None, None, NUMBER).problems == (NO_CERTIFICATE,)
    # a summary claiming revocation with no proven revocation, and an extra None in the
    # assessment (which the comparison ignores)
    claimed = {**summary, "status": "revoked", "assessment": {**facts["assessment"], "x": None}}
    assert check_summary(claimed, cert, None, NUMBER).problems == (
        "the summary says status 'revoked', the entries 'active'",
    )


def test_a_failed_check_reports_its_first_problems_and_counts_the_rest() -> None:
    result = CheckResult("awards", "never shown", tuple(f"p{i}" for i in range(7)))
    assert not result.ok
    assert result.detail == "p0; p1; p2; p3; p4; and 2 more"
    assert result.to_dict() == {"check": "awards", "ok": False, "detail": result.detail}
    assert CheckResult("awards", "fine").to_dict() == {
        "check": "awards",
        "ok": True,
        "detail": "fine",
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.problems = ()  # type: ignore[misc]


def test_bad_data_that_makes_a_check_raise_fails_that_check() -> None:
    def broken() -> CheckResult:
        raise KeyError("actor_id")

    assert run_check("issuer", broken).problems == ("could not be checked: KeyError: 'actor_id'",)
