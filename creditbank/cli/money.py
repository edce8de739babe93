"""`creditbank reward ...` and `creditbank subsidy ...`: the authority's payment runs and a
provider's claims, against a running bank through the client SDK, each statement signed
here with the signer's own key file (the bank never holds it)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from creditbank.cli.common import (
    AsJson,
    check_server,
    cli_errors,
    echo_json,
    out_console,
    table,
)
from creditbank.cli.reports import yuan
from creditbank.client import Appended, CreditBankClient
from creditbank.core.errors import InvalidInput
from creditbank.core.keys import read_key_file
from creditbank.core.statements import money as statements

reward_app = typer.Typer(
    help="Rewards: list them and record their payment (the authority).", no_args_is_help=True
)
subsidy_app = typer.Typer(
    help="Subsidies: providers claim their parts; the authority approves, rejects and pays.",
    no_args_is_help=True,
)

Server = Annotated[
    str,
    typer.Option(envvar="CREDITBANK_SERVER", help="The bank's base URL, e.g. http://host:8000."),
]
Token = Annotated[
    str, typer.Option(envvar="CREDITBANK_TOKEN", help="Your bearer token ($CREDITBANK_TOKEN).")
]
Key = Annotated[
    Path, typer.Option(help="Your signing key file (its name is your actor id).")
]


@contextmanager
def _client(server: str, token: str, key: Path | None = None) -> Iterator[CreditBankClient]:
    signer = None if key is None else read_key_file(key)
    with CreditBankClient(
        check_server(server),
        token=token,
        key=signer,
        actor=None if signer is None else signer.name,
    ) as client:
        yield client


def _done(what: str, appended: Appended) -> None:
    again = " (already recorded: the first receipt)" if appended.duplicate else ""
    out_console().print(f"{what}: entry {appended.index}{again}", highlight=False, soft_wrap=True)


@reward_app.command("list")
@cli_errors
def list_rewards(
    server: Server,
    token: Token,
    status: Annotated[
        str | None, typer.Option(help="granted, pending_budget, paid, cancelled, clawback_due.")
    ] = None,
    program: Annotated[str | None, typer.Option(help="Only this program's rewards.")] = None,
    as_json: AsJson = False,
) -> None:
    """Rewards, oldest first (waiting ones in their queue order), every page.

    Example: creditbank reward list --status granted --server http://127.0.0.1:8000
    """
    with _client(server, token) as client:
        rewards = list(client.rewards(program_id=program, status=status))
    if as_json:
        echo_json(rewards)
        return
    shown = table("rewards", "index", "learner", "certificate", "yuan", "status")
    for r in rewards:
        shown.add_row(
            str(r["index"]), r["learner"], r["certificate_number"], yuan(r["amount_fen"]),
            r["status"],
        )  # fmt: skip
    out_console().print(shown)


def _payments(file: Path, key_column: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows of a payments CSV (the finance system's export): the columns ``key_column``
    and ``payment_reference``; checked whole before anything is sent."""
    try:
        with file.open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
            columns = set(rows[0]) if rows else set()
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}: {exc.strerror}", field="file") from exc
    missing = [c for c in (*key_column, "payment_reference") if c not in columns]
    if missing:
        raise InvalidInput(f"{file} lacks the columns {', '.join(missing)}", field="file")
    for n, row in enumerate(rows, start=2):
        if not all((row.get(c) or "").strip() for c in (*key_column, "payment_reference")):
            raise InvalidInput(f"{file} line {n}: an empty value", field="file")
        if not row[key_column[0]].strip().isdigit():
            raise InvalidInput(f"{file} line {n}: {key_column[0]} is not an index", field="file")
    return rows


@reward_app.command("pay")
@cli_errors
def pay_rewards(
    server: Server,
    token: Token,
    key: Key,
    index: Annotated[int | None, typer.Argument(help="The reward's index.")] = None,
    reference: Annotated[
        str | None, typer.Option(help="The bank transfer's reference for INDEX.")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(help="Or a CSV of payments: reward_index, payment_reference."),
    ] = None,
) -> None:
    """Record reward payments (reward.paid), one by INDEX or a payment run from a CSV.
    Safe to repeat: a payment already recorded answers with its first receipt.

    Example: creditbank reward pay 123 --reference BJHRSS-R-2026-000001 --key authority.key
    """
    payments = _one_or_file(index, reference, file, ("reward_index",))
    with _client(server, token, key) as client:
        signer = client.actor or ""
        for row in payments:
            idx = int(row["reward_index"])
            done = client.pay_reward(
                statements.reward_payment(signer, idx, row["payment_reference"].strip())
            )
            _done(f"reward {idx} paid", done)


def _one_or_file(
    index: int | None, reference: str | None, file: Path | None, key_column: tuple[str, ...]
) -> list[dict[str, str]]:
    if file is not None:
        if index is not None or reference is not None:
            raise InvalidInput("give INDEX with --reference, or --file, not both", field="file")
        return _payments(file, key_column)
    if index is None or reference is None:
        raise InvalidInput("give INDEX and --reference, or --file", field="reference")
    return [{key_column[0]: str(index), "payment_reference": reference}]


@subsidy_app.command("list")
@cli_errors
def list_subsidies(
    server: Server,
    token: Token,
    provider: Annotated[
        str | None, typer.Option(help="One provider's parts (a provider: its own).")
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(help="open, claimed, approved, rejected, paid, cancelled, clawback_due."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Subsidy parts (a trainee's subsidy split between the providers that trained them),
    oldest first, every page.

    Example: creditbank subsidy list --provider acme --status open --server http://127.0.0.1:8000
    """
    with _client(server, token) as client:
        parts = list(client.subsidies(provider, status=status))
    if as_json:
        echo_json(parts)
        return
    shown = table("subsidy parts", "entitlement", "provider", "learner", "yuan", "status")
    for p in parts:
        shown.add_row(
            str(p["entitlement_index"]), p["provider"], p["learner"], yuan(p["amount_fen"]),
            p["status"],
        )  # fmt: skip
    out_console().print(shown)


EntitlementArg = Annotated[int, typer.Argument(help="The entitlement's index.")]


@subsidy_app.command("claim")
@cli_errors
def claim(server: Server, token: Token, key: Key, entitlement: EntitlementArg) -> None:
    """A provider claims its own part of an entitlement (subsidy.claimed).

    Example: creditbank subsidy claim 456 --key acme.key --server http://127.0.0.1:8000
    """
    with _client(server, token, key) as client:
        provider = client.actor or ""
        _done(
            f"{provider}'s part of {entitlement} claimed",
            client.claim_subsidy(statements.subsidy_claim(provider, entitlement)),
        )


ProviderOpt = Annotated[str, typer.Option(help="Whose part.")]


@subsidy_app.command("approve")
@cli_errors
def approve(
    server: Server, token: Token, key: Key, entitlement: EntitlementArg, provider: ProviderOpt
) -> None:
    """The authority approves a claimed part within the subsidy budget (subsidy.approved).

    Example: creditbank subsidy approve 456 --provider acme --key authority.key
    """
    with _client(server, token, key) as client:
        decision = statements.subsidy_decision(client.actor or "", entitlement, provider)
        _done(f"{provider}'s part of {entitlement} approved", client.approve_subsidy(decision))


@subsidy_app.command("reject")
@cli_errors
def reject(
    server: Server,
    token: Token,
    key: Key,
    entitlement: EntitlementArg,
    provider: ProviderOpt,
    reason: Annotated[str, typer.Option(help="Why, as the provider will read it.")],
) -> None:
    """The authority rejects a claimed part, with the reason (subsidy.rejected).

    Example: creditbank subsidy reject 456 --provider acme --reason "attendance incomplete"
    --key authority.key
    """
    with _client(server, token, key) as client:
        decision = statements.subsidy_decision(
            client.actor or "", entitlement, provider, reject_because=reason
        )
        _done(f"{provider}'s part of {entitlement} rejected", client.reject_subsidy(decision))


@subsidy_app.command("pay")
@cli_errors
def pay_subsidies(
    server: Server,
    token: Token,
    key: Key,
    entitlement: Annotated[int | None, typer.Argument(help="The entitlement's index.")] = None,
    provider: Annotated[str | None, typer.Option(help="Whose part (with ENTITLEMENT).")] = None,
    reference: Annotated[str | None, typer.Option(help="The transfer's reference.")] = None,
    file: Annotated[
        Path | None,
        typer.Option(help="Or a CSV: entitlement_index, provider, payment_reference."),
    ] = None,
) -> None:
    """Record payments of approved parts (subsidy.paid), one or a payment run from a CSV.
    Safe to repeat: a payment already recorded answers with its first receipt.

    Example: creditbank subsidy pay --file subsidy-run.csv --key authority.key
    """
    rows = _one_or_file(entitlement, reference, file, ("entitlement_index", "provider"))
    if file is None:
        if provider is None:
            raise InvalidInput("give --provider with ENTITLEMENT", field="provider")
        rows[0]["provider"] = provider
    with _client(server, token, key) as client:
        for row in rows:
            idx, whose = int(row["entitlement_index"]), row["provider"].strip()
            payment = statements.subsidy_payment(
                client.actor or "", idx, whose, row["payment_reference"].strip()
            )
            _done(f"{whose}'s part of {idx} paid", client.pay_subsidy(payment))
