"""`creditbank credential export|verify` and `creditbank standards export --format case`.

``export`` writes a certificate's Open Badges 3.0 credential: from the bank in
``--data-dir`` (the bank's host) or from ``--server`` (the public route); with ``--key``
a certifying body signs it with its own key file, on its own machine. ``verify`` checks a
credential or a transcript offline: the proof against the issuer's DID document, the
status list, and with ``--log-key`` the ledger evidence. The DID documents and status
lists come from files (``--did``, ``--status-list``), a server (``--server``) or the bank
in ``--data-dir``, in that order.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import httpx
import typer
from rich.markup import escape
from rich.table import Table

from creditbank.bank import open_bank
from creditbank.cli.catalogue import PROJECT_ROOT, Root, standards_app
from creditbank.cli.common import (
    AsJson,
    DatabaseUrl,
    DataDir,
    cli_errors,
    fail,
    log_verifier_key,
    make_settings,
    out_console,
)
from creditbank.core.credentials.badge import sign_as_certifier
from creditbank.core.credentials.ids import BankIds, did_document_path, did_of
from creditbank.core.credentials.verify import (
    CredentialVerdict,
    issuer_id,
    verify_credential,
    verify_transcript,
)
from creditbank.core.errors import InvalidInput
from creditbank.core.keys import read_key_file
from creditbank.credentials import service
from creditbank.standards.catalogue import load_catalogue

credential_app = typer.Typer(
    help="Certificates as Open Badges 3.0 credentials (W3C VC 2.0): export and verify.",
    no_args_is_help=True,
)

Server = Annotated[
    str | None, typer.Option("--server", help="A bank's base URL (else the bank in --data-dir).")
]
STYLE = {"valid": "bold green", "revoked": "bold yellow", "invalid": "bold red"}


def _get(server: str, path: str) -> dict[str, Any]:
    url = server.rstrip("/") + path
    try:
        response = httpx.get(url, timeout=30)
    except httpx.HTTPError as exc:
        raise fail(f"[red]error:[/red] cannot reach {escape(url)}: {escape(str(exc))}") from exc
    if response.status_code != 200:
        raise fail(f"[red]error:[/red] {escape(url)} answered {response.status_code}")
    found: dict[str, Any] = response.json()
    return found


def _read_json(path: Path, field: str) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", field=field) from exc
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path} is not JSON: {exc}", field=field) from exc
    if not isinstance(value, dict):
        raise InvalidInput(f"{path} is not a JSON object", field=field)
    return value


def _write(document: dict[str, Any], out: Path | None) -> None:
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    out_console().print(f"wrote {escape(str(out))}", highlight=False)


@credential_app.command("export")
@cli_errors
def export(
    number: Annotated[str, typer.Argument(help="The certificate number, e.g. DAN5-2026-000001.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here (default: stdout).")
    ] = None,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help="A certifying body's key file: sign the credential with the body's own "
            "ledger key (instead of the bank's key the bank signs with).",
        ),
    ] = None,
    with_name: Annotated[
        bool,
        typer.Option("--with-name", help="Add the learner's name (at the learner's request)."),
    ] = False,
    server: Server = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Export a certificate as an Open Badges 3.0 credential (JSON-LD, eddsa-rdfc-2022).

    Example: creditbank credential export DAN5-2026-000001 --out DAN5-2026-000001.json
    """
    from creditbank.certificates.verification import check_number

    check_number(number)
    if server is not None:
        if with_name:
            raise InvalidInput(
                "--with-name reads the learner's name from the bank in --data-dir; over "
                "HTTP the learner asks GET /v1/learners/{account}/certificates/{number}/"
                "credential?include_name=true",
                field="with_name",
            )
        credential = _get(server, f"/v1/certificates/{number}/credential")
    else:
        bank = open_bank(make_settings(data_dir, database_url))
        try:
            credential = service.certificate_credential_of(bank, number, with_name=with_name)
        finally:
            bank.close()
    if key is not None:
        credential = sign_as_certifier(credential, read_key_file(key), datetime.now(UTC))
    _write(credential, out)


def _statuses(document: dict[str, Any]) -> list[str]:
    """The status list URLs a credential (or a transcript's credentials) names."""
    inner = document.get("credentialSubject", {}).get("verifiableCredential") or []
    found = []
    for credential in [document, *inner]:
        status = credential.get("credentialStatus") if isinstance(credential, dict) else None
        if isinstance(status, dict) and isinstance(status.get("statusListCredential"), str):
            found.append(status["statusListCredential"])
    return sorted(set(found))


def _issuers(document: dict[str, Any]) -> list[str]:
    inner = document.get("credentialSubject", {}).get("verifiableCredential") or []
    return sorted({did_of(issuer_id(c)) for c in [document, *inner] if isinstance(c, dict)})


def _gather(
    document: dict[str, Any],
    did_files: list[Path],
    status_files: list[Path],
    server: str | None,
    data_dir: Path | None,
    database_url: str | None,
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The DID documents (DID -> document) and status lists (URL -> credential)."""
    dids = {d["id"]: d for d in (_read_json(p, "did") for p in did_files)}
    lists = {s["id"]: s for s in (_read_json(p, "status_list") for p in status_files)}
    wanted_dids = [d for d in _issuers(document) if d not in dids]
    wanted_lists = [u for u in _statuses(document) if u not in lists]
    if not wanted_dids and not wanted_lists:
        return dids, lists
    if server is not None:
        for did in wanted_dids:
            dids[did] = _get(server, did_document_path(did))
        for url in wanted_lists:
            lists[url] = _get(server, urlsplit(url).path)
        return dids, lists
    bank = open_bank(make_settings(data_dir, database_url))
    try:
        for did in wanted_dids:
            actor = did.split(":certifiers:", 1)[1] if ":certifiers:" in did else None
            dids[did] = service.did_document_of(bank, actor)
        for url in wanted_lists:
            actor = urlsplit(url).path.split("/")[3]
            lists[url] = service.status_list_of(bank, actor)
    finally:
        bank.close()
    return dids, lists


def _show(verdict: CredentialVerdict) -> None:
    console = out_console()
    table = Table(title="checks")
    for column in ("check", "result", "detail"):
        table.add_column(column, overflow="fold")
    for check in verdict.checks:
        result = "[green]ok[/green]" if check.ok else "[red]FAILED[/red]"
        table.add_row(escape(check.check), result, escape(check.detail))
    console.print(table)
    if not verdict.evidence_checked:
        console.print("ledger evidence: not checked (give --log-key to check it offline)")
    console.print(f"verdict: [{STYLE[verdict.status]}]{verdict.status.upper()}[/]", highlight=False)


@credential_app.command("verify")
@cli_errors
def verify(
    file: Annotated[Path, typer.Argument(help="A credential or transcript (JSON-LD) file.")],
    log_key: Annotated[
        str | None,
        typer.Option(
            "--log-key",
            help="The log's verifier key string, or @FILE: also check the ledger evidence "
            "(the receipts in the credential) offline.",
        ),
    ] = None,
    did: Annotated[
        list[Path] | None, typer.Option("--did", help="A DID document file (repeatable).")
    ] = None,
    status_list: Annotated[
        list[Path] | None,
        typer.Option("--status-list", help="A status list credential file (repeatable)."),
    ] = None,
    server: Server = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Verify a credential: its proof, its status and (with --log-key) its ledger
    evidence. Exits 0 only when it is valid.

    Example: creditbank credential verify DAN5-2026-000001.json --log-key @log.vkey
    """
    document = _read_json(file, "file")
    key = None if log_key is None else log_verifier_key(log_key, data_dir)
    dids, lists = _gather(document, did or [], status_list or [], server, data_dir, database_url)
    now = datetime.now(UTC)
    check = (
        verify_transcript if "ClrCredential" in (document.get("type") or []) else verify_credential
    )
    verdict = check(document, dids=dids, status_lists=lists, log_key=key, now=now)
    if as_json:
        typer.echo(json.dumps(verdict.to_dict(), ensure_ascii=False))
    else:
        _show(verdict)
    if not verdict.valid:
        raise typer.Exit(1)


@standards_app.command("export")
@cli_errors
def export_standards(
    directory: Annotated[
        Path, typer.Argument(help="Where to write one CFPackage file per standard.")
    ],
    format_: Annotated[
        str, typer.Option("--format", help="The format: case (1EdTech CASE 1.0).")
    ] = "case",
    root: Root = PROJECT_ROOT,
    host: Annotated[
        str | None,
        typer.Option("--host", help="The bank's public host for the URIs (default: the origin's)."),
    ] = None,
    creator: Annotated[
        str, typer.Option("--creator", help="The CFDocuments' creator.")
    ] = "creditbank",
    data_dir: DataDir = None,
) -> None:
    """Write the standards as CASE packages (stable UUIDs: re-exports keep them).

    Example: creditbank standards export case-packages --format case
    """
    if format_ != "case":
        raise InvalidInput(f"unknown format {format_!r}; the one format is 'case'", field="format")
    host = host or BankIds.from_origin(make_settings(data_dir).origin).host
    catalogue = load_catalogue(root)
    written = service.export_case(catalogue.standards, directory, host, creator, datetime.now(UTC))
    out_console().print(f"wrote {len(written)} CFPackage files to {escape(str(directory))}")
