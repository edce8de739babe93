"""`creditbank demo`: the whole story on the embedded default, end to end."""

from __future__ import annotations

import base64
import random
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from creditbank.access.service import PersonIn, open_account
from creditbank.bank import Bank, init_bank
from creditbank.catalogue.service import list_courses, publish_catalogue
from creditbank.catalogue.statements import course_recognition, course_registration
from creditbank.cli.catalogue import PROJECT_ROOT
from creditbank.cli.common import cli_errors, console, make_settings
from creditbank.credits import service as credit_service
from creditbank.errors import Conflict
from creditbank.keys import KeyPair
from creditbank.ledger import audit as audit_mod
from creditbank.ledger import reads
from creditbank.ledger.actors import AUTHORITY
from creditbank.ledger.entry import format_time, sign_statement
from creditbank.ledger.registry import default_handlers
from creditbank.ledger.sequencer import Appended
from creditbank.standards.catalogue import load_catalogue
from creditbank.standards.model import format_credits, parse_credits
from creditbank.verify import verify_receipt

MARKER = ".creditbank-demo"
SHOWN_KINDS = (
    "actor.registered",
    "course.registered",
    "course.recognized",
    "notice.published",
    "key.added",
    "key.revoked",
)
DEMO_LEARNERS = 12


def _demo_person(i: int) -> PersonIn:
    """Made-up personal data (valid in form only) for the demo's learners."""
    surnames, given = (
        "王李张刘陈杨黄赵吴周徐孙",
        ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "杰", "涛", "明", "霞"],
    )
    body = f"110108{1990 + i % 10}0{1 + i % 9}1{i % 10}{i:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return PersonIn(
        name=surnames[i % 12] + given[(i * 5) % 12],
        id_type="resident_id",
        id_number=body + check,
        phone=f"+86 139{i:08d}",
    )


def _learners_and_completions(bank: Bank, keys: dict[str, KeyPair], now: datetime) -> int:
    """Open accounts, post completions (some failing, one retracted, some online-capped),
    print balances and progress; returns the index of an award whose receipt we verify."""
    rng = random.Random(2026)  # noqa: S311  (a reproducible demo, not a secret)
    plan = [
        ("xuetangx", "annotation-mooc"),
        ("bj-ai-training", "annotation-lab"),
        ("bj-ai-training", "speech-placement"),
    ]
    learners = [
        open_account(bank, _demo_person(i), "bj-ai-training", now).account
        for i in range(DEMO_LEARNERS)
    ]
    award_index = -1
    retract_from: tuple[str, int] | None = None
    for n, learner in enumerate(learners):
        for provider, course_id in plan if n % 3 else plan[:1]:  # every third learner: online only
            score = rng.choice([45, 58, 66, 72, 81, 88, 93, 97])
            done = _append(
                bank,
                {
                    "kind": "completion.recorded",
                    "actor": provider,
                    "id": f"{course_id}/{learner}",
                    "body": {
                        "learner": learner,
                        "course_id": course_id,
                        "completed_at": format_time(now - timedelta(days=rng.randrange(1, 60))),
                        "score": score,
                        "hours_attended": "40.0",
                    },
                },
                keys[provider],
            )
            if done.derived:
                award_index = done.derived[0]
                if retract_from is None and provider == "bj-ai-training":
                    retract_from = (provider, done.index)
    if retract_from is not None:
        provider, index = retract_from
        _append(
            bank,
            {
                "kind": "completion.retracted",
                "actor": provider,
                "id": f"retract-{index}",
                "body": {"completion_index": index, "reason": "attendance sheet was not signed"},
            },
            keys[provider],
        )
    table = Table(title="learners: credits and progress (data-annotator level 5: 8.0 required)")
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
    return award_index


def _fresh_dir(path: Path) -> None:
    if path.exists():
        if not (path / MARKER).exists():
            raise Conflict(
                f"{path} exists and was not made by the demo; pass another --data-dir",
                field="data_dir",
            )
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / MARKER).write_text("made by `creditbank demo`; safe to delete\n")


def _append(bank: Bank, statement: dict[str, object], key: KeyPair) -> Appended:
    return bank.ledger.append(sign_statement(statement, key))


@cli_errors
def demo(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Where the demo ledger goes (recreated each run).")
    ] = Path("./creditbank-demo"),
) -> None:
    """Create a ledger, accredit actors, log signed statements, verify a receipt, audit."""
    _fresh_dir(data_dir)
    settings = make_settings(data_dir)
    bank = init_bank(settings)
    try:
        authority = bank.authority_key()
        console.rule("creditbank demo")
        console.print(f"ledger: {settings.data_dir}  origin: {bank.origin}")
        console.print(f"verifier key: {bank.verifier_key}", highlight=False, soft_wrap=True)
        actors = {
            "xuetangx": ("provider", "XuetangX online platform"),
            "bj-ai-training": ("provider", "Beijing AI Training Enterprise Co."),
            "bj-skills-cert": ("certifier", "Beijing Vocational Skills Certification Centre"),
        }
        accredited = {
            "bj-skills-cert": ["data-annotator", "ai-ethics-reviewer", "large-model-trainer"]
        }
        keys: dict[str, KeyPair] = {}
        for actor_id, (role, name) in actors.items():
            keys[actor_id] = KeyPair.generate(actor_id)
            _append(
                bank,
                {
                    "kind": "actor.registered",
                    "actor": AUTHORITY,
                    "id": f"register-{actor_id}",
                    "body": {
                        "actor_id": actor_id,
                        "role": role,
                        "name": name,
                        "public_key": base64.b64encode(keys[actor_id].public_key).decode(),
                        **({"standards": accredited[actor_id]} if actor_id in accredited else {}),
                    },
                },
                authority,
            )
        catalogue = load_catalogue(PROJECT_ROOT)
        published = publish_catalogue(bank.ledger, catalogue, authority)
        console.print(
            f"published {len(catalogue.standards)} standards and {len(catalogue.programs)} "
            f"programs ({len(published.published)} entries)"
        )
        now = bank.ledger.clock()
        courses = [
            # provider, course, title, standard, level, unit, mode, hours
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
        ]
        for provider, course_id, title, standard_id, level_no, unit, mode, hours in courses:
            standard = catalogue.standard(standard_id)
            assert standard is not None
            level = standard.level(level_no) if level_no else standard.levels[0]
            assert level is not None
            _append(
                bank,
                course_registration(
                    provider,
                    course_id,
                    title=title,
                    standard_id=standard_id,
                    level=level.level,
                    unit_code=unit or level.units[0].code,
                    mode=mode,
                    hours=hours,
                ),
                keys[provider],
            )
            _append(
                bank,
                course_recognition(
                    provider,
                    course_id,
                    valid_from=now - timedelta(days=90),
                    valid_until=now + timedelta(days=3 * 365),
                ),
                authority,
            )
        course_table = Table(title="recognized courses")
        for col in ("provider", "course", "standard", "level", "unit", "mode", "credits", "status"):
            course_table.add_column(col, overflow="fold")
        for provider in ("xuetangx", "bj-ai-training"):
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
        award_receipt = _learners_and_completions(bank, keys, now)
        _append(
            bank,
            {
                "kind": "notice.published",
                "actor": "xuetangx",
                "id": "notice-1",
                "body": {"text": "Course catalogue for the 2026 AI skills programme is open."},
            },
            keys["xuetangx"],
        )
        # Key rotation: add a new key, revoke the old one; the old key's statements stay valid.
        new_key = KeyPair.generate("xuetangx")
        _append(
            bank,
            {
                "kind": "key.added",
                "actor": "xuetangx",
                "id": "rotate-1",
                "body": {
                    "actor_id": "xuetangx",
                    "public_key": base64.b64encode(new_key.public_key).decode(),
                },
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
        table = Table(title="ledger entries")
        for col in ("index", "kind", "actor", "integrated at"):
            table.add_column(col, overflow="fold")
        size = int(reads.checkpoint_note(bank.engine).splitlines()[1])
        for i in range(size):
            entry = reads.entry_view(bank.engine, i)["entry"]
            if entry["kind"] not in SHOWN_KINDS:
                continue  # catalogue and credit entries are summarized above
            table.add_row(
                str(i), entry["kind"], entry["statement"]["actor"], entry["integrated_at"]
            )
        console.print(table)
        receipt_path = data_dir / f"entry-{award_receipt}.tlog-proof"
        receipt_path.write_text(reads.receipt(bank.engine, award_receipt))
        verified = verify_receipt(receipt_path.read_text(), bank.verifier_key)
        console.print(
            f"receipt {receipt_path} verifies offline: entry {verified.index} "
            f"({verified.entry['kind']}) at tree size {verified.checkpoint.size}"
        )
        report = audit_mod.audit(bank.engine, bank.verifier_key, bank.origin, default_handlers())
        if not report.ok:
            raise typer.Exit(1)
        console.print(f"audit OK: {report.entries} entries, {report.checkpoints} checkpoints")
        console.print(
            f"\ncheckpoint:\n{reads.checkpoint_note(bank.engine)}", highlight=False, soft_wrap=True
        )
    finally:
        bank.close()
