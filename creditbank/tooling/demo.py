"""The demo scenario behind `creditbank demo`: the whole story on the embedded default,
end to end, told through the ledger and the services (see demo_money for its second
half). Tooling: it builds its world with creditbank.tooling.factories, as the tests do."""

from __future__ import annotations

import random
import shutil
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from creditbank.access.service import PersonIn, open_accounts
from creditbank.bank import Bank, audit_bank, init_bank
from creditbank.catalogue.service import list_courses, publish_catalogue
from creditbank.certificates.verification import certificate_bundle
from creditbank.cli.reports import print_report
from creditbank.core.entry import format_time, sign_statement
from creditbank.core.errors import Conflict
from creditbank.core.keys import KeyPair
from creditbank.core.rules.money import program_year
from creditbank.core.standards.model import format_credits, parse_credits
from creditbank.core.verify import verify_receipt
from creditbank.core.verify.certificate import verify_certificate
from creditbank.credits import service as credit_service
from creditbank.db.engine import make_engine
from creditbank.db.migrate import upgrade
from creditbank.ledger import reads, store
from creditbank.ledger.actors import AUTHORITY
from creditbank.ledger.sequencer import Appended
from creditbank.money import reports
from creditbank.settings import Settings
from creditbank.standards.catalogue import load_catalogue
from creditbank.tooling.demo_money import Certified, certify, pay_and_subsidize, revoke_one
from creditbank.tooling.factories import (
    append_all,
    b64,
    completion,
    register,
    register_course,
    resident_id,
)

MARKER = ".creditbank-demo"
DEMO_LEARNERS = 300


def demo_person(i: int) -> PersonIn:
    """Made-up personal data (valid in form only) for the demo's learner ``i``."""
    surnames, given = (
        "王李张刘陈杨黄赵吴周徐孙",
        ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "杰", "涛", "明", "霞"],
    )
    return PersonIn(
        name=surnames[i % 12] + given[(i * 5) % 12],
        id_type="resident_id",
        id_number=resident_id(i, birth=f"{1990 + i % 10}0{1 + i % 9}1{i % 10}", region="110108"),
        phone=f"+86 139{i:08d}",
    )


# Learner profiles: which courses they take (provider, course); scores are drawn per course.
PROFILES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    # blended: the online MOOC, the offline lab and a workplace placement
    (
        "blended",
        (
            ("xuetangx", "annotation-mooc"),
            ("bj-ai-training", "annotation-lab"),
            ("bj-ai-training", "speech-placement"),
        ),
    ),
    (
        "blended-university",
        (
            ("xuetangx", "annotation-mooc"),
            ("bj-ai-training", "annotation-lab"),
            ("tsinghua-ce", "speech-practicum"),
        ),
    ),
    # online only: 9.0 credits, but only 6.4 count (80% online share cap)
    (
        "online-only",
        (
            ("xuetangx", "annotation-mooc"),
            ("xuetangx", "labelling-mooc"),
            ("xuetangx", "speech-mooc"),
        ),
    ),
    # not yet enough: 7.0 credits, unit DAN-5-03 missing
    ("in-progress", (("xuetangx", "annotation-mooc"), ("bj-ai-training", "annotation-lab"))),
)
PROFILE_WEIGHTS = (50, 20, 15, 15)
SCORES = (45, 55, 62, 68, 74, 79, 83, 88, 91, 95)  # 2 of 10 fail (minimum 60)


def _learners_and_completions(
    bank: Bank, keys: dict[str, KeyPair], rng: random.Random, console: Console
) -> tuple[list[str], int]:
    """Open accounts, post completions (some failing, some retracted, some online-capped),
    print what they earned; returns the learners and an award whose receipt we verify."""
    now = bank.ledger.clock()
    learners = [
        opened.account
        for opened in open_accounts(
            bank, (demo_person(i) for i in range(DEMO_LEARNERS)), "bj-ai-training", now
        )
    ]
    statements: list[tuple[dict[str, Any], KeyPair]] = []
    profiles: Counter[str] = Counter()
    for learner in learners:
        name, plan = rng.choices(PROFILES, weights=PROFILE_WEIGHTS)[0]
        profiles[name] += 1
        for provider, course_id in plan:
            completed_at = now - timedelta(days=rng.randrange(1, 60), minutes=rng.randrange(600))
            statement = completion(
                provider,
                f"{course_id}/{learner}",
                learner,
                course_id,
                completed_at,
                score=rng.choice(SCORES),
                hours_attended="48.0",
            )
            statements.append((statement, keys[provider]))
    posted = append_all(bank, statements)
    awarded = [(a, s) for a, s in zip(posted, statements, strict=True) if a.derived]
    # a provider finds unsigned attendance sheets and retracts a few of its completions
    retracted = [a for a, s in awarded if s[0]["actor"] == "bj-ai-training"][
        : max(1, len(learners) // 60)
    ]
    append_all(
        bank,
        [
            (
                {
                    "kind": "completion.retracted",
                    "actor": "bj-ai-training",
                    "id": f"retract-{a.index}",
                    "body": {
                        "completion_index": a.index,
                        "reason": "attendance sheet was not signed",
                    },
                },
                keys["bj-ai-training"],
            )
            for a in retracted
        ],
    )
    outcomes = credit_service.completion_outcomes(bank.engine)
    table = Table(title=f"{len(learners)} learners, {len(statements)} completions")
    table.add_column("learner profile", overflow="fold")
    table.add_column("learners", justify="right", overflow="fold")
    for name, count in sorted(profiles.items()):
        table.add_row(name, str(count))
    for outcome, count in sorted(outcomes.items()):
        table.add_row(f"completions: {outcome}", str(count))
    table.add_row("completions retracted (awards revoked)", str(len(retracted)))
    console.print(table)
    _print_learners(bank, learners[:8], console)
    return learners, awarded[0][0].derived[0]


def _print_learners(bank: Bank, learners: list[str], console: Console) -> None:
    table = Table(
        title="some learners: credits and progress (data-annotator level 5: 8.0 required)"
    )
    for col in ("account", "active credits", "online", "counted", "eligible", "missing units"):
        table.add_column(col, overflow="fold")
    clock = bank.ledger.clock()
    for learner in learners:
        held = credit_service.balance(bank.engine, learner, clock)
        level5 = next(
            (
                p
                for p in credit_service.progress(bank.engine, learner, clock)["levels"]
                if p["level"] == 5
            ),
            None,
        )
        online = sum(parse_credits(u["active_online"]) for u in held["units"])
        table.add_row(
            learner,
            held["total_active"],
            format_credits(online),
            level5["counted"] if level5 else "0.0",
            "yes" if level5 and level5["eligible"] else "no",
            ", ".join(level5["missing_units"]) if level5 and level5["missing_units"] else "-",
        )
    console.print(table)


def _check_dir(path: Path) -> None:
    """Refuse a directory the demo did not make (it is about to be replaced)."""
    if path.exists() and not (path / MARKER).exists():
        raise Conflict(
            f"{path} exists and was not made by the demo; pass another --data-dir",
            field="data_dir",
        )


def _check_database_empty(engine: Engine) -> None:
    """Refuse a database that already holds a ledger before the data dir is replaced: the
    demo never empties a database, and its keys must not be deleted from under it."""
    upgrade(engine)
    with engine.connect() as conn:
        if store.read_state(conn) is not None:
            raise Conflict(
                "the database already holds a ledger; the demo needs an empty one "
                "(it never empties a database)",
                field="database_url",
            )


def _fresh_dir(path: Path) -> None:
    _check_dir(path)
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(mode=0o700, parents=True)
    (path / MARKER).write_text("made by `creditbank demo`; safe to delete\n")


def _append(bank: Bank, statement: dict[str, object], key: KeyPair) -> Appended:
    return bank.ledger.append(sign_statement(statement, key))


class DemoClock:
    """The demo's simulated clock: a programme year's autumn in a few seconds. It moves
    only forward (with each call, by a microsecond, and by whole days when told to)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now

    def advance(self, days: int) -> None:
        self.now += timedelta(days=days)


DEMO_START = datetime(2026, 10, 20, 1, 0, tzinfo=UTC)  # 09:00 in Beijing

ACTORS = {
    "xuetangx": ("provider", "XuetangX online platform"),
    "bj-ai-training": ("provider", "Beijing AI Training Enterprise Co."),
    "tsinghua-ce": ("provider", "Tsinghua University continuing education"),
    "bj-skills-cert": ("certifier", "Beijing Vocational Skills Certification Centre"),
}
ACCREDITED = {"bj-skills-cert": ["data-annotator", "ai-ethics-reviewer", "large-model-trainer"]}
# provider, course, title, standard, level, unit, mode, hours
COURSES: tuple[tuple[str, str, str, str, int | None, str | None, str, str], ...] = (
    (
        "xuetangx",
        "annotation-mooc",
        "Data annotation (MOOC)",
        "data-annotator",
        5,
        "DAN-5-01",
        "online",
        "48.0",
    ),
    (
        "xuetangx",
        "labelling-mooc",
        "Image labelling (MOOC)",
        "data-annotator",
        5,
        "DAN-5-02",
        "online",
        "48.0",
    ),
    (
        "xuetangx",
        "speech-mooc",
        "Speech transcription (MOOC)",
        "data-annotator",
        5,
        "DAN-5-03",
        "online",
        "48.0",
    ),
    (
        "bj-ai-training",
        "annotation-lab",
        "Image annotation lab",
        "data-annotator",
        5,
        "DAN-5-02",
        "offline",
        "64.0",
    ),
    (
        "bj-ai-training",
        "speech-placement",
        "Speech labelling placement",
        "data-annotator",
        5,
        "DAN-5-03",
        "workplace",
        "48.0",
    ),
    (
        "tsinghua-ce",
        "speech-practicum",
        "Speech data practicum",
        "data-annotator",
        5,
        "DAN-5-03",
        "workplace",
        "48.0",
    ),
    (
        "xuetangx",
        "llm-fundamentals",
        "Large-model fundamentals (MOOC)",
        "large-model-trainer",
        None,
        None,
        "online",
        "48.0",
    ),
    (
        "bj-ai-training",
        "ethics-casework",
        "AI ethics casework",
        "ai-ethics-reviewer",
        None,
        None,
        "workplace",
        "48.0",
    ),
)


def _setup(bank: Bank, keys: dict[str, KeyPair], root: Path, console: Console) -> None:
    """Accredit the actors, publish the catalogue and programs, recognize the courses."""
    authority = keys[AUTHORITY]
    for actor_id, (role, name) in ACTORS.items():
        keys[actor_id] = register(bank, actor_id, role, name, ACCREDITED.get(actor_id))
    catalogue = load_catalogue(root)
    published = publish_catalogue(bank.ledger, catalogue, authority)
    console.print(
        f"published {len(catalogue.standards)} standards and {len(catalogue.programs)} "
        f"programs ({len(published.published)} entries)"
    )
    now = bank.ledger.clock()
    for provider, course_id, title, standard_id, level_no, unit, mode, hours in COURSES:
        standard = catalogue.standard(standard_id)
        assert standard is not None
        level = standard.level(level_no) if level_no else standard.levels[0]
        assert level is not None
        register_course(
            bank,
            provider,
            keys[provider],
            course_id,
            title=title,
            standard_id=standard_id,
            level=level.level,
            unit_code=unit or level.units[0].code,
            mode=mode,
            hours=hours,
            valid_from=now - timedelta(days=90),
            valid_until=now + timedelta(days=3 * 365),
            authority=authority,
        )
    course_table = Table(title="recognized courses")
    for col in ("provider", "course", "standard", "level", "unit", "mode", "credits", "status"):
        course_table.add_column(col, overflow="fold")
    for provider in ("xuetangx", "bj-ai-training", "tsinghua-ce"):
        for c in list_courses(bank.engine, provider, bank.ledger.clock()):
            course_table.add_row(
                provider,
                c["course_id"],
                c["standard_id"],
                str(c["level"]),
                c["unit_code"],
                c["mode"],
                c["credits"] or "-",
                c["status"],
            )
    console.print(course_table)


def _rotate_key(bank: Bank, keys: dict[str, KeyPair]) -> None:
    """Key rotation: add a new key, revoke the old one; the old key's statements stay valid."""
    new_key = KeyPair.generate("xuetangx")
    _append(
        bank,
        {
            "kind": "key.added",
            "actor": "xuetangx",
            "id": "rotate-1",
            "body": {"actor_id": "xuetangx", "public_key": b64(new_key.public_key)},
        },
        keys["xuetangx"],
    )
    _append(
        bank,
        {
            "kind": "key.revoked",
            "actor": "xuetangx",
            "id": "revoke-1",
            "body": {
                "actor_id": "xuetangx",
                "key_id": keys["xuetangx"].key_id,
                "reason": "scheduled rotation",
            },
        },
        new_key,
    )
    keys["xuetangx"] = new_key


def _verify(
    bank: Bank,
    data_dir: Path,
    award_index: int,
    revoked: Certified,
    certified: list[Certified],
    console: Console,
) -> None:
    """A receipt verified offline, and two certificates checked as an employer would."""
    receipt_path = data_dir / f"entry-{award_index}.tlog-proof"
    receipt_path.write_text(reads.receipt(bank.engine, award_index))
    verified = verify_receipt(receipt_path.read_text(), bank.verifier_key)
    console.print(
        f"receipt {receipt_path} verifies offline: entry {verified.index} "
        f"({verified.entry['kind']}) at tree size {verified.checkpoint.size}"
    )
    valid = next(c for c in certified if c.number != revoked.number)
    for cert in (valid, revoked):
        verdict = verify_certificate(
            certificate_bundle(bank.engine, cert.number), bank.verifier_key, number=cert.number
        )
        console.print(
            f"certificate {cert.number}: {verdict.status.upper()} "
            f"({sum(1 for c in verdict.checks if c['ok'])}/{len(verdict.checks)} checks pass)"
        )


def run_demo(
    data_dir: Path, *, root: Path, console: Console, database_url: str | None = None
) -> bool:
    """The whole story on a simulated autumn in a fresh ``data_dir`` (see `creditbank
    demo`), printed to ``console``; true when the closing audit passes. ``root`` holds the
    standards/ and programs the story publishes. The ledger goes to ``database_url`` (an
    empty database) when given, else to SQLite in ``data_dir``."""
    _check_dir(data_dir)
    settings = (  # without the option, $CREDITBANK_DATABASE_URL or SQLite in the data dir
        Settings(data_dir=data_dir)
        if database_url is None
        else Settings(data_dir=data_dir, database_url=database_url)
    )
    engine = None
    if settings.database_url is not None:
        engine = make_engine(settings.database_url)
        try:
            _check_database_empty(engine)
        except BaseException:
            engine.dispose()
            raise
    _fresh_dir(data_dir)
    clock = DemoClock(DEMO_START)
    bank = init_bank(settings, clock=clock, engine=engine)
    rng = random.Random(2026)  # noqa: S311  (a reproducible demo, not a secret)
    try:
        keys: dict[str, KeyPair] = {AUTHORITY: bank.authority_key()}
        console.rule("creditbank demo")
        console.print(f"ledger: {settings.data_dir}  origin: {bank.origin}")
        console.print(f"verifier key: {bank.verifier_key}", highlight=False, soft_wrap=True)
        console.print(f"simulated clock from {format_time(DEMO_START)}")
        _setup(bank, keys, root, console)
        _, award_index = _learners_and_completions(bank, keys, rng, console)
        _rotate_key(bank, keys)
        clock.advance(14)
        console.rule("certificates")
        certified = certify(bank, keys, clock.advance, rng, console)
        console.rule("rewards and subsidies")
        pay_and_subsidize(bank, keys, clock.advance, console)
        clock.advance(4)
        revoked = revoke_one(bank, keys, certified, console)
        console.rule("report")
        year = program_year(clock.now)
        figures = reports.report(bank.engine, year)
        print_report(figures, console)
        csv_path = data_dir / f"report-{year}.csv"
        csv_path.write_text(reports.to_csv(figures))
        console.print(f"report written to {csv_path}")
        console.rule("verification")
        _verify(bank, data_dir, award_index, revoked, certified, console)
        report = audit_bank(bank)
        if not report.ok:
            console.print(f"audit FAILED: {report.problem}")
            return False
        console.print(f"audit OK: {report.entries} entries, {report.checkpoints} checkpoints")
        console.print(
            f"\ncheckpoint:\n{reads.checkpoint_note(bank.engine)}", highlight=False, soft_wrap=True
        )
        return True
    finally:
        bank.close()
