"""`creditbank standards ...` and `creditbank course ...`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from creditbank.bank import open_bank
from creditbank.catalogue import service
from creditbank.cli.common import (
    AsJson,
    DatabaseUrl,
    DataDir,
    cli_errors,
    echo_json,
    err_console,
    make_settings,
    out_console,
)
from creditbank.core.entry import format_time, parse_time
from creditbank.core.errors import InvalidInput
from creditbank.core.keys import read_key_file
from creditbank.core.standards.model import Area
from creditbank.core.statements import catalogue as statements
from creditbank.standards.catalogue import load_catalogue, validate_catalogue

PROJECT_ROOT = Path(__file__).resolve().parents[2]

standards_app = typer.Typer(
    help="The competency standards and programs (standards/).", no_args_is_help=True
)
course_app = typer.Typer(
    help="Courses: registration by providers, recognition by the authority.", no_args_is_help=True
)

Root = Annotated[Path, typer.Option("--root", help="Project directory holding standards/.")]


@standards_app.command("validate")
@cli_errors
def validate(root: Root = PROJECT_ROOT) -> None:
    """Check every standard and program file; list each problem (file, field, reason).

    Example: creditbank standards validate --root .
    """
    problems = validate_catalogue(root)
    err = err_console()
    for p in problems:
        err.print(str(p), highlight=False, soft_wrap=True)
    if problems:
        err.print(f"[red]{len(problems)} problem(s)[/red]")
        raise typer.Exit(1)
    catalogue = load_catalogue(root)
    out_console().print(
        f"OK: {len(catalogue.standards)} standards, {len(catalogue.programs)} programs"
    )


@standards_app.command("list")
@cli_errors
def list_(
    root: Root = PROJECT_ROOT,
    occupation: Annotated[
        str | None, typer.Option(help="Occupation code or its leading part.")
    ] = None,
    level: Annotated[int | None, typer.Option(min=1, max=5)] = None,
    area: Annotated[Area | None, typer.Option()] = None,
    as_json: AsJson = False,
) -> None:
    """List the standards in standards/ (filters: occupation, level, area).

    Example: creditbank standards list --level 5 --area data --json
    """
    catalogue = load_catalogue(root)
    found = catalogue.find(occupation=occupation, level=level, area=area)
    if as_json:
        echo_json(
            [
                {
                    "id": s.id,
                    "version": s.version,
                    "title_zh": s.title_zh,
                    "title_en": s.title_en,
                    "occupation_code": s.occupation_code,
                    "levels": list(s.level_numbers),
                    "areas": list(s.areas),
                }
                for s in found
            ]
        )
        return
    table = Table(title="AI vocational competency standards")
    for col in ("id", "version", "title", "occupation", "levels", "areas"):
        table.add_column(col, overflow="fold")
    for s in found:
        table.add_row(
            s.id,
            s.version,
            f"{s.title_zh} / {s.title_en}",
            s.occupation_code or "-",
            ",".join(str(n) for n in s.level_numbers),
            ",".join(s.areas),
        )
    console = out_console()
    console.print(table)
    console.print(f"{len(found)} of {len(catalogue.standards)} standards")


@standards_app.command("show")
@cli_errors
def show(standard_id: str, root: Root = PROJECT_ROOT) -> None:
    """Print one standard as JSON.

    Example: creditbank standards show data-annotator
    """
    standard = load_catalogue(root).standard(standard_id)
    if standard is None:
        raise InvalidInput(
            f"no standard {standard_id} in {root / 'standards'}", field="standard_id"
        )
    print(json.dumps(standard.model_dump(mode="json"), ensure_ascii=False, indent=2))


@standards_app.command("publish")
@cli_errors
def publish(
    root: Root = PROJECT_ROOT, data_dir: DataDir = None, database_url: DatabaseUrl = None
) -> None:
    """Log each new standard and program version (unchanged ones are a no-op).

    Example: creditbank standards publish --root . --data-dir /srv/creditbank
    """
    catalogue = load_catalogue(root)
    bank = open_bank(make_settings(data_dir, database_url))
    try:
        report = service.publish_catalogue(bank.ledger, catalogue, bank.authority_key())
    finally:
        bank.close()
    out_console().print(f"published {len(report.published)}, unchanged {len(report.unchanged)}")
    err = err_console()
    for name, reason in report.refused:
        err.print(f"[red]refused[/red] {name}: {escape(reason)}", highlight=False, soft_wrap=True)
    if report.refused:
        raise typer.Exit(1)


@course_app.command("register")
@cli_errors
def register(
    provider: Annotated[str, typer.Option(help="The provider's actor id.")],
    key: Annotated[Path, typer.Option(help="The provider's key file.")],
    course_id: Annotated[str, typer.Option(help="Provider-unique course id.")],
    title: Annotated[str, typer.Option()],
    standard: Annotated[str, typer.Option(help="Standard id.")],
    level: Annotated[int, typer.Option()],
    unit: Annotated[str, typer.Option(help="Unit code.")],
    mode: Annotated[str, typer.Option(help="online, offline or workplace.")],
    hours: Annotated[str, typer.Option(help="Study hours, one decimal, e.g. 32.0.")],
    min_score: Annotated[int | None, typer.Option(help="Passing score 0-100.")] = 60,
    pass_fail: Annotated[bool, typer.Option(help="Pass/fail only (no minimum score).")] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Register a course, signed with the provider's key.

    Example: creditbank course register --provider acme --key acme.key --course-id clean-101
    --title "Data cleaning" --standard data-annotator --level 5 --unit DAN-5-01 --mode online
    --hours 48.0
    """
    statement = statements.course_registration(
        provider,
        course_id,
        title=title,
        standard_id=standard,
        level=level,
        unit_code=unit,
        mode=mode,
        hours=hours,
        min_score=None if pass_fail else min_score,
    )
    bank = open_bank(make_settings(data_dir, database_url))
    try:
        result = service.append_signed(bank.ledger, statement, read_key_file(key))
    finally:
        bank.close()
    out_console().print(f"registered {provider}/{course_id} at index {result.index}")


@course_app.command("recognize")
@cli_errors
def recognize(
    provider: Annotated[str, typer.Option()],
    course_id: Annotated[str, typer.Option()],
    credits: Annotated[
        str | None, typer.Option(help="Credits, e.g. 2.0 (default hours/16).")
    ] = None,
    valid_from: Annotated[str | None, typer.Option(help="RFC 3339 (default now).")] = None,
    valid_until: Annotated[
        str | None,
        typer.Option(
            help=f"RFC 3339 (default {service.RECOGNITION_YEARS} years after --valid-from, "
            "i.e. from now when that is not given)."
        ),
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Recognize a provider's course as the authority.

    A window already over (its end, given or default, before now) is refused with nothing
    written; one ending within 30 days gets a warning on standard error.

    Example: creditbank course recognize --provider acme --course-id clean-101 --credits 3.0
    """
    start = parse_time(valid_from, field="valid_from") if valid_from else None
    end = parse_time(valid_until, field="valid_until") if valid_until else None
    bank = open_bank(make_settings(data_dir, database_url))
    try:
        result = service.recognize_course(
            bank.ledger,
            bank.authority_key(),
            provider,
            course_id,
            datetime.now(UTC),
            credits=credits,
            valid_from=start,
            valid_until=end,
        )
    finally:
        bank.close()
    window = result.window
    if window.ends_soon:
        err_console().print(
            f"[yellow]warning:[/yellow] this recognition ends {format_time(window.valid_until)}, "
            "within 30 days",
            highlight=False,
            soft_wrap=True,
        )
    out_console().print(
        f"recognized {provider}/{course_id} at index {result.appended.index}, "
        f"{format_time(window.valid_from)} to {format_time(window.valid_until)}",
        highlight=False,
        soft_wrap=True,
    )


@course_app.command("list")
@cli_errors
def list_courses(
    provider_arg: Annotated[
        str | None,
        typer.Argument(
            metavar="[PROVIDER]", help="Deprecated: use --provider (goes in the next release)."
        ),
    ] = None,
    provider: Annotated[
        str | None, typer.Option("--provider", help="The provider's actor id.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per course.")] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """A provider's courses and their recognition status.

    Example: creditbank course list --provider bj-ai-training
    """
    if provider_arg is not None:
        if provider is not None and provider != provider_arg:
            raise InvalidInput(
                f"two providers given: {provider_arg} and --provider {provider}", field="provider"
            )
        err_console().print(
            "[yellow]warning:[/yellow] `course list PROVIDER` is deprecated; use "
            f"`course list --provider {escape(provider_arg)}`",
            highlight=False,
            soft_wrap=True,
        )
        provider = provider_arg
    if provider is None:
        raise InvalidInput("give the provider: course list --provider ID", field="provider")
    bank = open_bank(make_settings(data_dir, database_url))
    try:
        courses = service.list_courses(bank.engine, provider, datetime.now(UTC))
    finally:
        bank.close()
    if as_json:
        for c in courses:
            typer.echo(json.dumps(c, ensure_ascii=False))
        return
    table = Table(title=f"courses of {provider}")
    for col in (
        "course",
        "title",
        "standard",
        "level",
        "unit",
        "mode",
        "hours",
        "status",
        "credits",
    ):
        table.add_column(col, overflow="fold")
    for c in courses:
        table.add_row(
            c["course_id"],
            c["title"],
            c["standard_id"],
            str(c["level"]),
            c["unit_code"],
            c["mode"],
            c["hours"],
            c["status"],
            c["credits"] or "-",
        )
    out_console().print(table)
