"""`creditbank`: the command-line interface."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from creditbank.bank import audit_bank, init_bank, open_bank
from creditbank.cli.actors import actor_app
from creditbank.cli.bench import bench_app
from creditbank.cli.catalogue import course_app, standards_app
from creditbank.cli.common import (
    AsJson,
    DatabaseUrl,
    DataDir,
    cli_errors,
    echo_json,
    err_console,
    fail,
    log_verifier_key,
    make_settings,
    out_console,
)
from creditbank.cli.credentials import credential_app  # also adds `standards export`
from creditbank.cli.federation import federation_app
from creditbank.cli.money import reward_app, subsidy_app
from creditbank.cli.tiles import tiles_app
from creditbank.cli.tokens import token_app
from creditbank.cli.witnesses import Quorum, WitnessKeys, witness_policy
from creditbank.cli.xapi import xapi_app
from creditbank.federation.config import load_config as load_federation_config
from creditbank.ledger import audit as audit_mod
from creditbank.registry import default_handlers

app = typer.Typer(
    help="creditbank: a vocational credit bank on a signed, append-only, verifiable ledger. "
    "Training providers post completions, the rules turn them into credits, certifying "
    "bodies issue certificates, and rewards and subsidies follow; anyone can verify and "
    "audit the log. Start with `creditbank demo`, or `creditbank init` for a real bank; "
    "docs/operations.md walks through a day. Example: creditbank demo --serve",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(bench_app, name="bench")
app.add_typer(standards_app, name="standards")
app.add_typer(course_app, name="course")
app.add_typer(token_app, name="token")
app.add_typer(xapi_app, name="xapi")
app.add_typer(actor_app, name="actor")
app.add_typer(reward_app, name="reward")
app.add_typer(subsidy_app, name="subsidy")
app.add_typer(federation_app, name="federation")
app.add_typer(tiles_app, name="tiles")
app.add_typer(credential_app, name="credential")


@app.command()
@cli_errors
def init(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    origin: Annotated[str | None, typer.Option(help="The log's origin line.")] = None,
) -> None:
    """Create the data dir, database, log key and authority key, and log the trust root.

    Example: creditbank init --data-dir /srv/creditbank --database-url postgresql+psycopg://bank@db/bank
    """
    settings = make_settings(data_dir, database_url, origin=origin)
    bank = init_bank(settings)
    console = out_console()
    try:
        console.print(f"initialized ledger in {settings.data_dir}")
        console.print(f"origin: {settings.origin}")
        console.print(f"verifier key: {bank.verifier_key}", highlight=False, soft_wrap=True)
    finally:
        bank.close()


@app.command()
@cli_errors
def key(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Print the log's verifier key string (C2SP signed-note).

    Example: creditbank key --data-dir /srv/creditbank > log.vkey
    """
    bank = open_bank(make_settings(data_dir, database_url))
    try:
        print(bank.verifier_key)
    finally:
        bank.close()


@app.command()
@cli_errors
def serve(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Server processes sharing the port and database.")
    ] = 1,
) -> None:
    """Serve the HTTP API. With ``--workers N`` (one per core) the workers share the
    HTTP work and this process sequences their appends; separate commands may serve one
    database too: the log's lock keeps a single sequence.

    Example: creditbank serve --data-dir /srv/creditbank --host 0.0.0.0 --port 8000 --workers 2
    """
    import os

    from creditbank.cli.serving import announce, bind, metrics_dir, one_sequencer, run_server

    settings = make_settings(data_dir, database_url)
    bank = open_bank(settings)  # fail here, clearly, if there is no ledger
    origin = bank.origin
    bank.close()
    load_federation_config(settings.keys_dir)  # and here on a broken federation.toml
    sockets = bind(host, port, workers)  # and here on a port in use (several workers)
    # Each worker process builds its app from these (see creditbank.api.app.app_from_env).
    os.environ["CREDITBANK_DATA_DIR"] = str(settings.data_dir.resolve())
    if settings.database_url:
        os.environ["CREDITBANK_DATABASE_URL"] = settings.database_url
    with metrics_dir(), one_sequencer(settings, workers):
        log_config = announce(settings, host=host, port=port, workers=workers, origin=origin)
        run_server(sockets, host=host, port=port, workers=workers, log_config=log_config)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.completed:,.0f} entries"),
        TimeRemainingColumn(),
        console=err_console(),
        transient=True,
    )


@app.command()
def routes(as_json: AsJson = False) -> None:
    """List every HTTP route and the roles that may call it (the one access table).

    Needs no ledger: it reads the code's table, so it takes no --data-dir or
    --database-url.

    Example: creditbank routes --json
    """
    from rich.table import Table

    from creditbank.api.policy import ROUTE_ROLES

    ordered = sorted(ROUTE_ROLES.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    if as_json:
        echo_json([{"method": m, "path": p, "roles": sorted(roles)} for (m, p), roles in ordered])
        return
    table = Table(title="routes and roles")
    for col in ("method", "path", "roles"):
        table.add_column(col, overflow="fold")
    for (method, path), roles in ordered:
        table.add_row(method, path, ", ".join(sorted(roles)) or "anyone")
    out_console().print(table)


@app.command()
def kinds(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per kind.")] = False,
) -> None:
    """List every entry kind, how it enters the log and who may author it (the one
    authorship table; derived kinds come only from the rules).

    Example: creditbank kinds --json
    """
    import json

    from rich.table import Table

    from creditbank.core.authorship import KINDS

    if as_json:
        for kind, row in KINDS.items():
            line = {"kind": kind, "way": row.way, "roles": list(row.roles), "note": row.note}
            typer.echo(json.dumps(line, ensure_ascii=False))
        return
    table = Table(title="entry kinds and their authors")
    for col in ("kind", "enters as", "authors", "what"):
        table.add_column(col, overflow="fold")
    for kind, row in KINDS.items():
        authors = "the rules (never accepted)" if row.derived else ", ".join(row.roles)
        table.add_row(kind, row.way, authors, row.note)
    out_console().print(table)


@app.command()
@cli_errors
def audit(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Re-read the whole log and check every hash, signature, checkpoint and projection.

    Example: creditbank audit --data-dir /srv/creditbank
    """
    bank = open_bank(make_settings(data_dir, database_url))
    try:
        with _progress() as progress:
            task = progress.add_task("auditing", total=None)
            report = audit_bank(
                bank, lambda done, total: progress.update(task, completed=done, total=total)
            )
    finally:
        bank.close()
    if not report.ok:
        where = "" if report.first_bad_index is None else f" at index {report.first_bad_index}"
        raise fail(f"[red]audit FAILED{where}:[/red] {escape(report.problem or '')}")
    rate = report.entries / report.seconds if report.seconds else 0.0
    out_console().print(
        f"audit OK: {report.entries:,} entries, {report.checkpoints:,} checkpoints, "
        f"{report.seconds:.2f}s ({rate:,.0f} entries/s)"
    )


@app.command()
@cli_errors
def rebuild(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Recompute every projection (balances, eligibility, claims, ...) from the log alone.

    Example: creditbank rebuild --data-dir /srv/creditbank
    """
    import time

    bank = open_bank(make_settings(data_dir, database_url))
    try:
        started = time.perf_counter()
        count = audit_mod.rebuild(bank.engine, default_handlers())
        seconds = time.perf_counter() - started
    finally:
        bank.close()
    out_console().print(f"rebuilt projections from {count:,} entries in {seconds:.2f}s")


@app.command()
@cli_errors
def verify(
    receipt: Annotated[Path, typer.Argument(help="A .tlog-proof receipt file.")],
    key: Annotated[
        str | None,
        typer.Option(
            "--key",
            help="The log's verifier key string, or @FILE (default: the "
            "key of the ledger in --data-dir).",
        ),
    ] = None,
    data_dir: DataDir = None,
    witness: WitnessKeys = None,
    quorum: Quorum = None,
) -> None:
    """Verify a receipt offline: the checkpoint's signature and the entry's inclusion
    (and, with --witness, that at least --quorum of those witnesses cosigned it).

    (Authorship needs the key registry: see creditbank.core.verify.verify_entry_signature.)

    Example: creditbank verify entry-42.tlog-proof --key @log.vkey
    """
    from creditbank.core.errors import InvalidInput
    from creditbank.core.verify import verify_receipt

    key_text = log_verifier_key(key, data_dir)
    witnesses, needed = witness_policy(witness, quorum)
    try:
        text = receipt.read_text()
    except OSError as exc:
        raise InvalidInput(f"cannot read {receipt}: {exc.strerror}", field="receipt") from exc
    result = verify_receipt(text, key_text, witness_keys=witnesses, witness_quorum=needed)
    out_console().print(
        f"OK: entry {result.index} ({result.entry.get('kind')}) is in the log "
        f"{result.checkpoint.origin} at tree size {result.checkpoint.size}",
        highlight=False,
    )


from creditbank.cli.certificates import verify_certificate_command as _verify_cert  # noqa: E402
from creditbank.cli.credits import balance as _balance  # noqa: E402  (registers the command)
from creditbank.cli.demo import demo as _demo  # noqa: E402  (the tooling's demo)
from creditbank.cli.importer import import_completions as _import  # noqa: E402
from creditbank.cli.reports import report as _report  # noqa: E402  (registers the command)

app.command("demo")(_demo)
app.command("balance")(_balance)
app.command("import")(_import)
app.command("report")(_report)
app.command("verify-certificate")(_verify_cert)
