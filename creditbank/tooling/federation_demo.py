"""`creditbank demo --federation`: two banks, Tianjin and Beijing, that witness each other
and recognise each other's records (docs/federation.md).

Two data dirs, two databases, two HTTP servers on localhost. Each bank's witness cosigns
the other's checkpoints in the background. A learner certified at level 5 in Tianjin
links their Tianjin account to their Beijing one with a link code, has the certificate
recognised in Beijing (verified offline there, under a checkpoint cosigned by Beijing's
witness), completes Beijing's level-4 units, becomes eligible (the recognised level 5 is
the prerequisite) and is certified. An employer verifies the Beijing certificate with the
Tianjin witness's key and a quorum of 1. Both audits re-derive everything.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import uvicorn
from rich.console import Console

from creditbank.access.service import open_account
from creditbank.access.tokens import create_token
from creditbank.api.app import create_app
from creditbank.bank import Bank, audit_bank, init_bank
from creditbank.catalogue.service import publish_catalogue
from creditbank.certificates.handlers import resting_awards
from creditbank.core.entry import format_time, sign_statement
from creditbank.core.errors import VerificationError
from creditbank.core.keys import KeyPair
from creditbank.core.tlog.witness import witness_verifier_key
from creditbank.core.verify import verify_checkpoint
from creditbank.core.verify.certificate import verify_certificate
from creditbank.core.verify.witnessed import with_witness_check
from creditbank.federation import config as federation_config
from creditbank.ledger import reads, store
from creditbank.settings import Settings
from creditbank.standards.catalogue import load_catalogue
from creditbank.tooling.demo import _fresh_dir, demo_person
from creditbank.tooling.factories import register, register_course

STANDARD = "industrial-robot-operator"
"""Its level 4 requires the level-5 certificate: the recognised one will do."""
CERTIFIER = "skills-cert"
PROVIDER = "robot-academy"
WAIT_SECONDS = 60.0
"""How long the demo waits for a witness's cosignature before it gives up."""


@dataclass
class DemoBank:
    name: str
    bank: Bank
    url: str
    witness: KeyPair
    keys: dict[str, KeyPair]

    @property
    def witness_key(self) -> str:
        return witness_verifier_key(self.witness.name, self.witness.public_key)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _served(bank: Bank, port: int) -> Iterator[None]:
    """The bank's API on ``port`` (its background tasks start with it), until leaving."""
    config = uvicorn.Config(
        create_app(bank), host="127.0.0.1", port=port, log_level="warning", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the server on port {port} did not start")
            time.sleep(0.02)
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _init(data_dir: Path, name: str) -> tuple[Bank, KeyPair]:
    settings = Settings(data_dir=data_dir / name, origin=f"{name}.example/ledger")
    bank = init_bank(settings)
    witness = federation_config.create_witness_key(settings.keys_dir, f"{name}.example/witness")
    return bank, witness


def _setup(bank: Bank, root: Path, level_no: int) -> dict[str, KeyPair]:
    """The catalogue, a provider with one course per unit of the level, a certifier."""
    keys = {"authority": bank.authority_key()}
    keys[PROVIDER] = register(bank, PROVIDER, "provider", "Robot Academy")
    keys[CERTIFIER] = register(bank, CERTIFIER, "certifier", "Skills Centre", [STANDARD])
    catalogue = load_catalogue(root)
    publish_catalogue(bank.ledger, catalogue, keys["authority"])
    standard = catalogue.standard(STANDARD)
    assert standard is not None
    level = standard.level(level_no)
    assert level is not None
    now = bank.ledger.clock()
    for unit in level.units:
        register_course(
            bank,
            PROVIDER,
            keys[PROVIDER],
            f"course-{unit.code.lower()}",
            title=f"{unit.title_en} (workshop)",
            standard_id=STANDARD,
            level=level_no,
            unit_code=unit.code,
            mode="offline",
            hours=f"{unit.max_credits_tenths * 16 // 10}.0",
            valid_from=now - timedelta(days=90),
            valid_until=now + timedelta(days=3 * 365),
            authority=keys["authority"],
        )
    return keys


def _complete_level(b: DemoBank, learner: str, level_no: int, root: Path) -> list[str]:
    """The learner completes every unit's course of the level; the kinds derived."""
    standard = load_catalogue(root).standard(STANDARD)
    assert standard is not None
    level = standard.level(level_no)
    assert level is not None
    derived: list[str] = []
    for n, unit in enumerate(level.units):
        statement = {
            "kind": "completion.recorded",
            "actor": PROVIDER,
            "id": f"done-{learner}-{unit.code}",
            "body": {
                "learner": learner,
                "course_id": f"course-{unit.code.lower()}",
                "completed_at": format_time(b.bank.ledger.clock() - timedelta(hours=n + 1)),
                "score": 88,
                "hours_attended": "40.0",
            },
        }
        appended = b.bank.ledger.append(sign_statement(statement, b.keys[PROVIDER]))
        derived += [reads.entry_view(b.bank.engine, i)["entry"]["kind"] for i in appended.derived]
    return derived


def _certify(b: DemoBank, learner: str, level_no: int, number: str) -> None:
    """Apply (the operator logs it), assess and issue."""
    applied = b.bank.ledger.submit_operator(
        "certificate.applied",
        f"apply-{learner}-{level_no}",
        {"learner": learner, "standard_id": STANDARD, "level": level_no},
    ).result(timeout=60)
    for statement in (
        {
            "kind": "assessment.recorded",
            "actor": CERTIFIER,
            "id": f"assess-{applied.index}",
            "body": {"application_index": applied.index, "result": "passed", "score": 90},
        },
        {
            "kind": "certificate.issued",
            "actor": CERTIFIER,
            "id": f"issue-{number}",
            "body": {
                "certificate_number": number,
                "learner": learner,
                "standard_id": STANDARD,
                "level": level_no,
                "application_index": applied.index,
                "awards": _awards(b.bank, learner, level_no),
                "assessment": {"result": "passed", "score": 90},
            },
        },
    ):
        b.bank.ledger.append(sign_statement(statement, b.keys[CERTIFIER]))


def _awards(bank: Bank, learner: str, level_no: int) -> list[int]:
    with bank.engine.connect() as conn:
        return resting_awards(conn, learner, STANDARD, level_no, bank.ledger.clock())


def _token(bank: Bank, account: str) -> dict[str, str]:
    """A learner's session (as login gives one)."""
    token, _, _ = create_token(
        bank.engine,
        role="learner",
        account=account,
        label="demo login",
        now=bank.ledger.clock(),
        ttl=timedelta(minutes=30),
    )
    return {"Authorization": f"Bearer {token}"}


def _wait_cosigned(log: DemoBank, witness: DemoBank) -> int:
    """Wait until ``log``'s served checkpoint covers its whole tree and carries the
    cosignature of ``witness``'s witness; its size."""
    with log.bank.engine.connect() as conn:
        size = store.tree_size(conn)
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        note = httpx.get(f"{log.url}/tlog/checkpoint", timeout=10).text
        try:
            cp = verify_checkpoint(note, log.bank.verifier_key, witness_keys=[witness.witness_key])
        except VerificationError:
            cp = None
        if cp is not None and cp.size >= size:
            return cp.size
        time.sleep(0.1)
    raise RuntimeError(f"{witness.name}'s witness did not cosign {log.name}'s checkpoint")


def _ok(console: Console, text: str) -> None:
    console.print(f"[green]✓[/green] {text}", highlight=False)


def run_federation_demo(data_dir: Path, *, root: Path, console: Console) -> bool:
    """Run the two-bank scenario under ``data_dir`` (recreated); True if it all checks."""
    _fresh_dir(data_dir)
    tj_bank, tj_witness = _init(data_dir, "tianjin")
    bj_bank, bj_witness = _init(data_dir, "beijing")
    ports = {"tianjin": _free_port(), "beijing": _free_port()}
    tj = DemoBank("tianjin", tj_bank, f"http://127.0.0.1:{ports['tianjin']}", tj_witness, {})
    bj = DemoBank("beijing", bj_bank, f"http://127.0.0.1:{ports['beijing']}", bj_witness, {})
    try:
        # each bank witnesses the other's log and asks the other's witness to cosign its own
        for me, other in ((tj, bj), (bj, tj)):
            keys_dir = me.bank.settings.keys_dir
            federation_config.add_peer_log(keys_dir, other.bank.origin, other.bank.verifier_key)
            federation_config.add_cosigner(keys_dir, f"{other.url}/witness", other.witness_key)
            federation_config.add_peer_bank(keys_dir, other.bank.origin, other.url)
        with _served(tj.bank, ports["tianjin"]), _served(bj.bank, ports["beijing"]):
            return _scenario(tj, bj, root, console)
    finally:
        tj.bank.close()
        bj.bank.close()


def _scenario(tj: DemoBank, bj: DemoBank, root: Path, console: Console) -> bool:
    console.print(f"Tianjin bank {tj.url} ({tj.bank.origin}), witness {tj.witness.name}")
    console.print(f"Beijing bank {bj.url} ({bj.bank.origin}), witness {bj.witness.name}")
    tj.keys = _setup(tj.bank, root, 5)
    bj.keys = _setup(bj.bank, root, 4)
    # 1. Tianjin: a learner completes level 5 and is certified
    tj_learner = open_account(tj.bank, demo_person(1), "authority", tj.bank.ledger.clock())
    _complete_level(tj, tj_learner.account, 5, root)
    tj_number = "IRO5-2026-000001"
    _certify(tj, tj_learner.account, 5, tj_number)
    _ok(console, f"Tianjin certified {tj_learner.account} at {STANDARD} level 5: {tj_number}")
    # 2. Beijing agrees to recognise Tianjin's records, trusting its own witness of them
    now = bj.bank.ledger.clock()
    agreement = {
        "kind": "recognition.agreed",
        "actor": "authority",
        "id": "agree-tianjin",
        "body": {
            "agreement_id": "tianjin-2026",
            "peer": {
                "origin": tj.bank.origin,
                "log_key": tj.bank.verifier_key,
                "witness_keys": [bj.witness_key],
                "quorum": 1,
            },
            "mapping": [],
            "valid_from": format_time(now - timedelta(days=1)),
            "valid_until": format_time(now + timedelta(days=3 * 365)),
        },
    }
    bj.bank.ledger.append(sign_statement(agreement, bj.bank.authority_key()))
    _ok(console, "Beijing's authority logged recognition.agreed for Tianjin (quorum 1)")
    size = _wait_cosigned(tj, bj)
    _ok(console, f"Tianjin's checkpoint (size {size}) is cosigned by Beijing's witness")
    # 3. the learner, signed in at both banks, links the accounts and presents the cert
    bj_learner = open_account(bj.bank, demo_person(1), "authority", bj.bank.ledger.clock())
    code = httpx.post(
        f"{tj.url}/v1/learners/{tj_learner.account}/link-codes",
        json={"home_origin": bj.bank.origin, "home_account": bj_learner.account},
        headers=_token(tj.bank, tj_learner.account),
        timeout=30,
    )
    code.raise_for_status()
    bundle = httpx.get(f"{tj.url}/v1/certificates/{tj_number}/verification", timeout=30).json()
    presented = httpx.post(
        f"{bj.url}/v1/learners/{bj_learner.account}/recognitions",
        json={
            "agreement_id": "tianjin-2026",
            "record": "certificate",
            "certificate_number": tj_number,
            "bundle": bundle,
            "link_code": code.json()["link_code"],
        },
        headers=_token(bj.bank, bj_learner.account),
        timeout=60,
    )
    if presented.status_code != 201:
        console.print(f"[red]recognition refused:[/red] {presented.text}")
        return False
    _ok(console, f"Beijing recognised {tj_number} for {bj_learner.account} (derived by the rules)")
    # 4. Beijing: level-4 units, eligibility (the recognised level 5 is the prerequisite)
    derived = _complete_level(bj, bj_learner.account, 4, root)
    if "eligibility.reached" not in derived:
        console.print("[red]the learner did not become eligible for level 4[/red]")
        return False
    _ok(console, "the learner completed Beijing's level-4 units: eligibility.reached")
    bj_number = "IRO4-2026-000001"
    _certify(bj, bj_learner.account, 4, bj_number)
    _ok(console, f"Beijing certified the learner at level 4: {bj_number}")
    # 5. an employer verifies the Beijing certificate, trusting the Tianjin witness
    _wait_cosigned(bj, tj)
    bj_bundle = httpx.get(f"{bj.url}/v1/certificates/{bj_number}/verification", timeout=30).json()
    verdict = verify_certificate(bj_bundle, bj.bank.verifier_key, number=bj_number)
    verdict = with_witness_check(verdict, bj_bundle, bj.bank.verifier_key, [tj.witness_key], 1)
    console.print(
        f"employer: creditbank verify-certificate {bj_number} --server {bj.url} "
        f"--key {bj.bank.verifier_key} --witness {tj.witness_key} --quorum 1",
        highlight=False,
        soft_wrap=True,
    )
    if not verdict.valid:
        console.print(f"[red]verdict {verdict.status}:[/red] {'; '.join(verdict.problems)}")
        return False
    _ok(console, f"verdict VALID, cosigned by the Tianjin witness ({len(verdict.checks)} checks)")
    # 6. both audits re-derive every decision, the recognition included
    ok = True
    for b in (tj, bj):
        report = audit_bank(b.bank)
        if report.ok:
            _ok(console, f"{b.name} audit OK: {report.entries} entries")
        else:
            console.print(f"[red]{b.name} audit FAILED:[/red] {report.problem}")
            ok = False
    splits = httpx.get(f"{tj.url}/v1/federation/split-views", timeout=10).json()
    splits += httpx.get(f"{bj.url}/v1/federation/split-views", timeout=10).json()
    _ok(console, f"split views reported by the witnesses: {len(splits)}")
    return ok and not splits
