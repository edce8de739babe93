"""`creditbank bench ...`: the benchmarks (tooling: creditbank.tooling.bench), imported
only when one runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from creditbank.cli.common import DatabaseUrl, DataDir, cli_errors, out_console
from creditbank.cli.processes import stops_processes

bench_app = typer.Typer(
    help="Benchmarks (figures and ratios against baselines measured in the same run)."
)


@bench_app.command("ledger")
@cli_errors
@stops_processes
def bench_ledger(
    entries: Annotated[
        int, typer.Option("--entries", min=100, help="Signed entries to append.")
    ] = 20000,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    http_entries: Annotated[int, typer.Option(help="Entries to post through HTTP.")] = 5000,
    proof_tree: Annotated[int, typer.Option(help="Large tree size for proof latency.")] = 1_000_000,
    http_workers: Annotated[int, typer.Option(help="Server processes for the HTTP figures.")] = 2,
) -> None:
    """Append rate (batched and HTTP), proof latency at 1k and 1M, audit rate.

    Example: creditbank bench ledger --entries 100000 --data-dir /tmp/bench-ledger
    """
    from creditbank.tooling.bench.ledger import run_ledger_bench

    run_ledger_bench(
        entries=entries,
        data_dir=data_dir,
        database_url=database_url,
        http_entries=http_entries,
        proof_tree=proof_tree,
        console=out_console(),
        http_workers=http_workers,
    )


@bench_app.command("ingest")
@cli_errors
@stops_processes
def bench_ingest(
    learners: Annotated[int, typer.Option(min=1000, help="Learner accounts.")] = 100_000,
    completions: Annotated[int, typer.Option(min=1000, help="Completions to import.")] = 1_000_000,
    http_completions: Annotated[
        int, typer.Option(help="Completions sent as HTTP batches.")
    ] = 20_000,
    rebuild: Annotated[
        bool, typer.Option(help="Also time `creditbank rebuild` over everything logged.")
    ] = True,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Bulk and HTTP import rates, balance/progress latency at scale, rebuild rate.

    Example: creditbank bench ingest --learners 20000 --completions 100000
    """
    from creditbank.cli.catalogue import PROJECT_ROOT
    from creditbank.tooling.bench.ingest import run_ingest_bench

    run_ingest_bench(
        learners=learners,
        completions=completions,
        http_completions=http_completions,
        rebuild=rebuild,
        data_dir=data_dir,
        database_url=database_url,
        root=PROJECT_ROOT,
        console=out_console(),
    )


@bench_app.command("soak")
@cli_errors
@stops_processes
def bench_soak(
    minutes: Annotated[
        float, typer.Option(min=0.05, help="How long the load runs (fractions allowed).")
    ] = 30.0,
    interval: Annotated[float, typer.Option(min=1.0, help="Seconds per reported interval.")] = 60.0,
    rate: Annotated[float, typer.Option(min=1.0, help="Requests started per second.")] = 60.0,
    clients: Annotated[int, typer.Option(min=1, help="Requests in flight at most.")] = 16,
    learners: Annotated[int, typer.Option(min=100, help="Learner accounts.")] = 2000,
    completions: Annotated[
        int, typer.Option(min=1000, help="Completions logged before the load starts.")
    ] = 20_000,
    workers: Annotated[int, typer.Option(min=1, max=8, help="Server processes.")] = 2,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the report to this JSON file.")
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """A steady mixed load on two API processes: providers posting completions, learners
    reading balances and progress, verifiers fetching tiles and certificate bundles.
    Reports throughput, p50/p99 per operation and interval, the server's /metrics, errors
    (exit code 1 if any) and every process's memory.

    Example: creditbank bench soak --minutes 30 --database-url postgresql+psycopg://pg/soak
    """
    import json

    from creditbank.cli.catalogue import PROJECT_ROOT
    from creditbank.cli.common import fail
    from creditbank.tooling.bench.soak import run_soak

    report = run_soak(
        seconds=minutes * 60,
        interval=interval,
        rate=rate,
        clients=clients,
        learners=learners,
        completions=completions,
        data_dir=data_dir,
        database_url=database_url,
        root=PROJECT_ROOT,
        console=out_console(),
        workers=workers,
    )
    if json_path is not None:
        json_path.write_text(json.dumps(report.to_json(), indent=2) + "\n")
    if not report.ok:
        raise fail(f"[red]soak FAILED:[/red] {report.errors} errors")


@bench_app.command("xapi")
@cli_errors
def bench_xapi(
    statements: Annotated[
        int, typer.Option(min=100, help="Statements per one-per-request run.")
    ] = 3000,
    batched: Annotated[
        int, typer.Option(min=100, help="Statements sent in batches of 100.")
    ] = 20000,
    learners: Annotated[int, typer.Option(min=10, help="Learner accounts.")] = 2000,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    workers: Annotated[
        int,
        typer.Option(min=1, max=8, help="Server processes (one per core)."),
    ] = 2,
    ralph: Annotated[
        str, typer.Option(help="Ralph LRS's `ralph` command, measured beside when found.")
    ] = "ralph",
) -> None:
    """The LRS: completions one per request (8 and 32 clients) and in batches of 100,
    beside the signed completion route and Ralph LRS (when installed).

    Example: creditbank bench xapi --statements 2000 --ralph /opt/ralph/bin/ralph
    """
    from creditbank.cli.catalogue import PROJECT_ROOT
    from creditbank.tooling.bench.xapi import run_xapi_bench

    run_xapi_bench(
        statements=statements,
        batched=batched,
        learners=learners,
        data_dir=data_dir,
        database_url=database_url,
        root=PROJECT_ROOT,
        console=out_console(),
        workers=workers,
        ralph=ralph,
    )
