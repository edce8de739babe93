"""`creditbank actor ...`: the authority's daily work on actors (registering providers and
certifying bodies, revoking and recovering keys) and an actor's own key rotation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from creditbank.bank import Bank, open_bank
from creditbank.cli.common import DatabaseUrl, DataDir, cli_errors, make_settings, out_console
from creditbank.core.keys import KeyPair, read_key_file
from creditbank.ledger import actor_service as service

actor_app = typer.Typer(
    help="Actors and their keys: register, list, rotate, revoke, recover.", no_args_is_help=True
)

AuthorityKey = Annotated[
    Path | None,
    typer.Option(
        "--authority-key",
        help="The authority's signing key file (default: keys/authority.key in the data dir).",
    ),
]
Reason = Annotated[str, typer.Option(help="Why (logged with the entry).")]


def _standards(text: str | None) -> list[str]:
    return [s.strip() for s in (text or "").split(",") if s.strip()]


def _authority(bank: Bank, path: Path | None) -> KeyPair:
    return bank.authority_key() if path is None else read_key_file(path)


def _open(data_dir: Path | None, database_url: str | None) -> Bank:
    return open_bank(make_settings(data_dir, database_url))


@actor_app.command("register")
@cli_errors
def register(
    actor_id: Annotated[str, typer.Argument(metavar="ID", help="The new actor's id.")],
    role: Annotated[Literal["provider", "certifier"], typer.Option(help="What it is.")],
    name: Annotated[str, typer.Option(help="The organisation's name.")],
    public_key: Annotated[
        str | None,
        typer.Option(help="Its first public key: a key file (signer or verifier key) or base64."),
    ] = None,
    generate_key: Annotated[
        Path | None,
        typer.Option(
            "--generate-key",
            metavar="OUT",
            help="Instead: create its key pair and write it to OUT (0600, never overwritten).",
        ),
    ] = None,
    standards: Annotated[
        str | None,
        typer.Option(help="For a certifier: the standards it is accredited for, S1,S2."),
    ] = None,
    authority_key: AuthorityKey = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Register (accredit) a provider or certifying body with its first key, signed by the
    authority. Accreditation for standards is fixed here.

    Example: creditbank actor register cb-weld --role certifier --name "Welding Board"
    --generate-key cb-weld.key --standards weld-1,weld-2
    """
    raw = None if public_key is None else service.read_public_key(public_key)
    bank = _open(data_dir, database_url)
    try:
        index, key_id = service.register_actor(
            bank,
            _authority(bank, authority_key),
            actor_id,
            role=role,
            name=name,
            public_key=raw,
            generate_to=generate_key,
            standards=_standards(standards),
        )
    finally:
        bank.close()
    where = f", key file {generate_key}" if generate_key is not None else ""
    out_console().print(
        f"registered {actor_id} ({role}) at index {index}: key {key_id}{where}",
        highlight=False,
        soft_wrap=True,
    )


@actor_app.command("accredit")
@cli_errors
def accredit(
    actor_id: Annotated[str, typer.Argument(metavar="ID", help="The certifying body.")],
    standards: Annotated[
        str, typer.Option(help="Every standard it is accredited for from now on, S1,S2.")
    ],
    authority_key: AuthorityKey = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Set a certifying body's accreditation from now on (the whole list; signed by the
    authority as actor.accredited). Certificates issued before keep theirs.

    Example: creditbank actor accredit cb-weld --standards weld-1,weld-3
    """
    bank = _open(data_dir, database_url)
    try:
        index = service.accredit(
            bank, _authority(bank, authority_key), actor_id, _standards(standards)
        )
    finally:
        bank.close()
    out_console().print(
        f"accredited {actor_id} for {', '.join(sorted(_standards(standards))) or 'no standard'} "
        f"at index {index}",
        highlight=False,
        soft_wrap=True,
    )


@actor_app.command("list")
@cli_errors
def list_(
    role: Annotated[
        Literal["authority", "operator", "provider", "certifier"] | None,
        typer.Option(help="Only actors of this role."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per actor.")] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Actors with their role, status, registration index, accreditation and keys.

    Example: creditbank actor list --role provider --json
    """
    bank = _open(data_dir, database_url)
    try:
        actors = service.list_actors(bank.engine, role)
    finally:
        bank.close()
    if as_json:
        for actor in actors:
            typer.echo(json.dumps(actor.to_json(), ensure_ascii=False))
        return
    table = Table(title="actors")
    for col in ("id", "role", "status", "registered", "keys"):
        table.add_column(col, overflow="fold")
    for a in actors:
        keys = "\n".join(f"{k.key_id[:16]} {k.status}" for k in a.keys) or "-"
        role_text = a.role + (f" ({', '.join(a.standards)})" if a.standards else "")
        table.add_row(a.id, role_text, a.status, str(a.registered_index), keys)
    out_console().print(table)


@actor_app.command("rotate-key")
@cli_errors
def rotate_key(
    actor_id: Annotated[str, typer.Argument(metavar="ID", help="The actor rotating its key.")],
    key: Annotated[Path, typer.Option("--key", help="The actor's current key file.")],
    new_key: Annotated[
        Path | None,
        typer.Option(
            "--new-key",
            metavar="OUT",
            help="Where to write the new key (0600; default ID-<key id>.key beside --key).",
        ),
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """The actor's own rotation: add a new key signed with the current one, then revoke
    the current one with the new. What the old key signed stays valid.

    Example: creditbank actor rotate-key prov-a --key prov-a.key --new-key prov-a-2026.key
    """
    old = read_key_file(key)
    bank = _open(data_dir, database_url)
    try:
        key_id, indexes = service.rotate_key(bank, actor_id, old, new_key, default_dir=key.parent)
    finally:
        bank.close()
    out_console().print(
        f"{actor_id}: new key {key_id} (entries {indexes[0]}, {indexes[1]}); revoked {old.key_id}",
        highlight=False,
        soft_wrap=True,
    )


@actor_app.command("revoke-key")
@cli_errors
def revoke_key(
    actor_id: Annotated[str, typer.Argument(metavar="ID", help="The key's actor.")],
    key_id: Annotated[str, typer.Argument(metavar="KEY_ID", help="The key to revoke.")],
    reason: Reason,
    authority_key: AuthorityKey = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """The authority revokes an actor's key (a compromise); what it signed before stays
    valid.

    Example: creditbank actor revoke-key prov-a 3f9c... --reason "laptop stolen"
    """
    bank = _open(data_dir, database_url)
    try:
        index = service.revoke_key(bank, _authority(bank, authority_key), actor_id, key_id, reason)
    finally:
        bank.close()
    out_console().print(
        f"revoked {actor_id}'s key {key_id} at index {index}", highlight=False, soft_wrap=True
    )


@actor_app.command("recover-key")
@cli_errors
def recover_key(
    actor_id: Annotated[str, typer.Argument(metavar="ID", help="The actor with no active key.")],
    reason: Reason,
    new_key: Annotated[
        Path,
        typer.Option("--new-key", metavar="OUT", help="Where to write the recovery key (0600)."),
    ],
    authority_key: AuthorityKey = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """The authority registers a recovery key for an actor whose keys are all revoked (a
    public key.recovered entry); refused while the actor has an active key.

    Example: creditbank actor recover-key prov-a --reason "keys lost" --new-key prov-a.key
    """
    bank = _open(data_dir, database_url)
    try:
        key_id, index = service.recover_key(
            bank, _authority(bank, authority_key), actor_id, reason, new_key
        )
    finally:
        bank.close()
    out_console().print(
        f"{actor_id}: recovery key {key_id} at index {index} in {new_key}",
        highlight=False,
        soft_wrap=True,
    )
