"""`creditbank bench ...`: the benchmarks (tooling: creditbank.tooling.bench), imported
only when one runs."""

from __future__ import annotations

from typing import Annotated

import typer

from creditbank.cli.common import DatabaseUrl, DataDir, cli_errors, out_console

bench_app = typer.Typer(
    help="Benchmarks (figures and ratios against baselines measured in the same run)."
)


@bench_app.command("ledger")
@cli_errors
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
    """Append rate (batched and HTTP), proof latency at 1k and 1M, audit rate."""
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
def bench_ingest(
    learners: Annotated[int, typer.Option(min=1000, help="Learner accounts.")] = 100_000,
    completions: Annotated[int, typer.Option(min=1000, help="Completions to import.")] = 1_000_000,
    http_completions: Annotated[
        int, typer.Option(help="Completions sent as HTTP batches.")
    ] = 20_000,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Bulk and HTTP import rates, balance/progress latency at scale, rebuild rate."""
    from creditbank.cli.catalogue import PROJECT_ROOT
    from creditbank.tooling.bench.ingest import run_ingest_bench

    run_ingest_bench(
        learners=learners,
        completions=completions,
        http_completions=http_completions,
        data_dir=data_dir,
        database_url=database_url,
        root=PROJECT_ROOT,
        console=out_console(),
    )
