"""`creditbank demo`: the whole story on the embedded default, end to end."""

from __future__ import annotations

import base64
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from creditbank.bank import Bank, init_bank
from creditbank.catalogue.service import (
    course_recognition,
    course_registration,
    list_courses,
    publish_catalogue,
)
from creditbank.cli.catalogue import PROJECT_ROOT
from creditbank.cli.common import cli_errors, console, make_settings
from creditbank.errors import Conflict
from creditbank.keys import KeyPair
from creditbank.ledger import audit as audit_mod
from creditbank.ledger import reads
from creditbank.ledger.actors import AUTHORITY
from creditbank.ledger.entry import sign_statement
from creditbank.ledger.registry import default_handlers
from creditbank.ledger.sequencer import Appended
from creditbank.standards.catalogue import load_catalogue
from creditbank.verify import verify_receipt

MARKER = ".creditbank-demo"


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
            (
                "xuetangx",
                "llm-fundamentals",
                "Large-model fundamentals (MOOC)",
                "large-model-trainer",
                "online",
            ),
            (
                "bj-ai-training",
                "annotation-lab",
                "Image annotation lab",
                "data-annotator",
                "offline",
            ),
            (
                "bj-ai-training",
                "ethics-casework",
                "AI ethics casework",
                "ai-ethics-reviewer",
                "workplace",
            ),
        ]
        for provider, course_id, title, standard_id, mode in courses:
            standard = catalogue.standard(standard_id)
            assert standard is not None
            level = standard.levels[0]
            _append(
                bank,
                course_registration(
                    provider,
                    course_id,
                    title=title,
                    standard_id=standard_id,
                    level=level.level,
                    unit_code=level.units[0].code,
                    mode=mode,
                    hours="48.0",
                ),
                keys[provider],
            )
            _append(
                bank,
                course_recognition(
                    provider, course_id, valid_from=now, valid_until=now + timedelta(days=3 * 365)
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
        receipt_entry = _append(
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
            if entry["kind"] in ("standard.published", "program.published"):
                continue  # summarized above
            table.add_row(
                str(i), entry["kind"], entry["statement"]["actor"], entry["integrated_at"]
            )
        console.print(table)
        receipt_path = data_dir / f"entry-{receipt_entry.index}.tlog-proof"
        receipt_path.write_text(reads.receipt(bank.engine, receipt_entry.index))
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
