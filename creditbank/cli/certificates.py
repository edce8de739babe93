"""`creditbank verify-certificate NUMBER`: check a certificate against a bank, offline.

The bundle comes from the server through the client SDK; the verdict is computed here by
:func:`creditbank.core.verify.certificate.verify_certificate` with the log key the caller
trusts (``--key``, or the ledger in ``--data-dir``), never the server's own verdict.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from creditbank.cli.common import (
    DataDir,
    check_server,
    cli_errors,
    log_verifier_key,
    out_console,
)
from creditbank.cli.witnesses import Quorum, WitnessKeys, witness_policy
from creditbank.client import CreditBankClient
from creditbank.core.verify import parse_verifier_key
from creditbank.core.verify.certificate import Verdict, verify_certificate
from creditbank.core.verify.witnessed import with_witness_check

DEFAULT_SERVER = "http://127.0.0.1:8000"
VERDICT_STYLE = {"valid": "bold green", "revoked": "bold yellow", "invalid": "bold red"}


def _fetch(server: str, key: str, number: str) -> dict[str, Any]:
    # the bank's refusals and connection errors become one line in cli_errors
    with CreditBankClient(check_server(server), verifier_key=key) as client:
        return client.certificate_verification(number)


def _show(number: str, bundle: dict[str, Any], verdict: Verdict, console: Console) -> None:
    facts = verdict.certificate
    verified = facts is not None
    if facts is None:  # show what the server claims, marked as such
        summary = bundle.get("certificate")
        facts = summary if isinstance(summary, dict) else {}
    if verified:
        console.print(f"[bold]certificate {escape(number)}[/bold]", highlight=False)
    else:
        console.print(
            f"[bold]certificate {escape(number)}[/bold] [red](the server's summary, NOT "
            "verified: no certificate entry checked out)[/red]",
            highlight=False,
        )
    table = Table(show_header=False)
    table.add_column("field", style="bold", overflow="fold")
    table.add_column("value", overflow="fold")
    assessment = facts.get("assessment")
    rows = [
        ("learner", facts.get("learner")),
        ("standard", facts.get("standard_id")),
        ("level", facts.get("level")),
        ("issued by", facts.get("issuer")),
        ("issued at", f"{facts.get('issued_at')} (entry {facts.get('issued_index')})"),
        (
            "assessment",
            ", ".join(f"{k} {v}" for k, v in assessment.items() if v is not None)
            if isinstance(assessment, dict)
            else assessment,
        ),
        ("awards", ", ".join(str(a) for a in facts.get("awards") or []) or "-"),
    ]
    if facts.get("revoked_index") is not None:
        rows.append(
            ("revoked", f"entry {facts.get('revoked_index')}: {facts.get('revocation_reason')}")
        )
    if verdict.tree_size is not None:
        rows.append(("checked as of", f"tree size {verdict.tree_size}"))
    for name, value in rows:
        table.add_row(name, escape(str(value)))
    console.print(table)
    checks = Table(title="checks")
    for col in ("check", "result", "detail"):
        checks.add_column(col, overflow="fold")
    for check in verdict.checks:
        result = "[green]ok[/green]" if check["ok"] else "[red]FAILED[/red]"
        checks.add_row(check["check"], result, escape(str(check["detail"])))
    console.print(checks)
    status = verdict.status
    console.print(f"verdict: [{VERDICT_STYLE[status]}]{status.upper()}[/]", highlight=False)


@cli_errors
def verify_certificate_command(
    number: Annotated[str, typer.Argument(help="The certificate number, e.g. DAN5-2026-000001.")],
    server: Annotated[str, typer.Option("--server", help="The bank's base URL.")] = DEFAULT_SERVER,
    key: Annotated[
        str | None,
        typer.Option(
            "--key",
            help="The log's verifier key string, or @FILE (default: the key of the "
            "ledger in --data-dir).",
        ),
    ] = None,
    data_dir: DataDir = None,
    witness: WitnessKeys = None,
    quorum: Quorum = None,
) -> None:
    """Verify a certificate: fetch its bundle from the server and check it here, offline,
    with the log key you trust (and, with --witness, that the checkpoint is cosigned by
    at least --quorum of the witnesses you trust). Exits 0 only when it is valid.

    Example: creditbank verify-certificate DAN5-2026-000001 --server https://bank.example
    --key @log.vkey
    """
    key_text = log_verifier_key(key, data_dir)
    parse_verifier_key(key_text)  # a bad key is the caller's error, before any request
    witnesses, needed = witness_policy(witness, quorum)
    bundle = _fetch(server, key_text, number)
    verdict = verify_certificate(bundle, key_text, number=number)
    if witnesses:
        verdict = with_witness_check(verdict, bundle, key_text, witnesses, needed)
    _show(number, bundle, verdict, out_console())
    if not verdict.valid:
        raise typer.Exit(1)
