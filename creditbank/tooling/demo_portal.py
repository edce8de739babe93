"""Sign-ins for the demo's web portal (`creditbank demo --serve`, and the browser tests):
a few of the demo's learners, picked by where they stand, get a password the way a learner
sets one (a fresh activation code from the authority, then activation with their ID
number)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from creditbank.access.service import activate, lookup_account, reissue_activation
from creditbank.bank import Bank
from creditbank.certificates.service import learner_applications
from creditbank.credits import service as credit_service
from creditbank.tooling.demo import DEMO_LEARNERS, demo_person

DEMO_PASSWORD = "demo-portal-2026"  # noqa: S105  (the demo's, printed for anyone to use)


@dataclass(frozen=True)
class DemoLogin:
    """A demo learner who can sign in: ``kind`` says where they stand."""

    kind: str  # "eligible" (failed an assessment, may apply again), "in-progress",
    # "online-capped" or "certified"
    account: str
    password: str
    certificate_number: str | None = None


def _kind(bank: Bank, account: str, now: datetime) -> tuple[str | None, str | None]:
    applications = learner_applications(bank.engine, account)
    issued = [a["certificate_number"] for a in applications if a["certificate_number"]]
    if issued:
        return "certified", issued[0]
    if any(a["status"] in ("pending", "assessed") for a in applications):
        return None, None  # under assessment: not a story of its own
    levels = credit_service.progress(bank.engine, account, now)["levels"]
    level5 = [p for p in levels if p["level"] == 5]
    if not level5:
        return None, None
    p = level5[0]
    if p["eligible"]:
        return "eligible", None
    if float(p["online"]) > float(p["online_cap"]):
        return "online-capped", None
    if p["missing_units"] and float(p["counted"]) > 0:
        return "in-progress", None
    return None, None


def demo_logins(bank: Bank, password: str = DEMO_PASSWORD) -> list[DemoLogin]:
    """One learner of each kind (the first found in the demo's order), each activated
    with ``password``."""
    now = bank.ledger.clock()
    found: dict[str, DemoLogin] = {}
    for i in range(DEMO_LEARNERS):
        person = demo_person(i)
        account = lookup_account(bank, person.id_type, person.id_number)
        kind, number = _kind(bank, account, now)
        if kind is None or kind in found:
            continue
        code = reissue_activation(bank, account, now)
        activate(bank, account, code, person.id_number, password, now)
        found[kind] = DemoLogin(kind, account, password, number)
        if len(found) == 4:
            break
    return sorted(found.values(), key=lambda login: login.kind)
