"""The authority's daily work on actors, as the CLI does it: register (accredit) an
organisation, rotate, revoke and recover keys, and list actors with their keys.

Each write builds the signed statements of the existing kinds (``actor.registered``,
``key.added``, ``key.revoked``, ``key.recovered``; see ``creditbank.ledger.actors``) and
appends them through the bank's ledger, which owns the transaction and refuses what the
key powers do not allow. A key file this creates is written (0600, never over an existing
file) before its key is logged and removed again if the log refuses it, so a refusal
leaves neither an entry nor an orphan key.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from creditbank.core.entry import ACTOR_RE, sign_statement
from creditbank.core.errors import (
    Conflict,
    CreditBankError,
    InvalidInput,
    VerificationError,
)
from creditbank.core.keys import KeyPair, write_key_file
from creditbank.core.tlog.note import parse_signer_key, parse_verifier_key
from creditbank.core.verify import author_key_id
from creditbank.db import tables
from creditbank.ledger.actors import AUTHORITY
from creditbank.ledger.sequencer import NOT_ALONE, Appended
from creditbank.ports import BankServices


@dataclass(frozen=True)
class KeyView:
    key_id: str
    added_index: int
    revoked_index: int | None

    @property
    def status(self) -> str:
        return "active" if self.revoked_index is None else "revoked"


@dataclass(frozen=True)
class ActorView:
    id: str
    role: str
    name: str
    status: str
    registered_index: int
    standards: tuple[str, ...]
    keys: tuple[KeyView, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "role": self.role,
            "name": self.name,
            "status": self.status,
            "registered_index": self.registered_index,
            "standards": list(self.standards),
            "keys": [
                {
                    "key_id": k.key_id,
                    "status": k.status,
                    "added_index": k.added_index,
                    "revoked_index": k.revoked_index,
                }
                for k in self.keys
            ],
        }


def read_public_key(value: str) -> bytes:
    """A 32-byte Ed25519 public key from ``--public-key``: a file holding a signer key, a
    verifier key string or base64, or the base64 itself. A signer key file is accepted so
    that an organisation can hand over the key it generated; only its public half is used."""
    path = Path(value)
    text = value
    if path.is_file():
        try:
            text = path.read_text().strip()
        except OSError as exc:
            raise InvalidInput(f"cannot read {path}: {exc.strerror}", field="public_key") from exc
    try:
        if text.startswith("PRIVATE+KEY+"):
            signer = parse_signer_key(text)
            return KeyPair(signer.name, signer.private_key).public_key
        if "+" in text and not text.endswith("="):
            return parse_verifier_key(text).public_key
        raw = base64.b64decode(text, validate=True)
    except (VerificationError, binascii.Error, ValueError) as exc:
        raise InvalidInput(
            f"{value!r} is not a key file or a base64 Ed25519 public key", field="public_key"
        ) from exc
    if len(raw) != 32:
        raise InvalidInput(f"an Ed25519 public key is 32 bytes, not {len(raw)}", field="public_key")
    return raw


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _append(
    bank: BankServices, statements: Sequence[dict[str, Any]], keys: Sequence[KeyPair]
) -> list[Appended]:
    """Log the statements all or nothing (each signed with its key)."""
    signed = [sign_statement(s, k) for s, k in zip(statements, keys, strict=True)]
    results = bank.ledger.append_many(signed, atomic=True)
    # The refusal that caused it, not the "refused with the others" of its batch-mates.
    errors = [r for r in results if isinstance(r, CreditBankError)]
    if errors:
        raise next((e for e in errors if e is not NOT_ALONE), errors[0])
    return [r for r in results if isinstance(r, Appended)]


def _with_new_key_file(
    bank: BankServices,
    path: Path,
    key: KeyPair,
    statements: Sequence[dict[str, Any]],
    keys: Sequence[KeyPair],
) -> list[Appended]:
    write_key_file(path, key)  # refuses to overwrite
    try:
        return _append(bank, statements, keys)
    except BaseException:
        path.unlink()  # not logged: keep no orphan key
        raise


def _check_actor_id(actor_id: str) -> None:
    if not ACTOR_RE.match(actor_id):
        raise InvalidInput(
            "an actor id is 2-64 lowercase letters, digits or hyphens", field="actor_id"
        )


def register_actor(
    bank: BankServices,
    authority: KeyPair,
    actor_id: str,
    *,
    role: str,
    name: str,
    public_key: bytes | None = None,
    generate_to: Path | None = None,
    standards: Sequence[str] = (),
) -> tuple[int, str]:
    """Register (accredit) a provider or certifying body with its first key, signed by the
    authority: the given public key, or a new key pair written to ``generate_to`` for an
    organisation that has none yet. Returns (entry index, key id)."""
    _check_actor_id(actor_id)
    if role not in ("provider", "certifier"):
        raise InvalidInput("the role is provider or certifier", field="role")
    if (public_key is None) == (generate_to is None):
        raise InvalidInput("give either a public key or a file to generate one", field="public_key")
    new = KeyPair.generate(actor_id) if generate_to is not None else None
    raw = new.public_key if new is not None else public_key
    assert raw is not None
    statement = {
        "kind": "actor.registered",
        "actor": AUTHORITY,
        # Per key: a second registration of the id reaches the handler's "already
        # registered" instead of an idempotency-key clash.
        "id": f"register-{actor_id}-{author_key_id(raw)[:16]}",
        "body": {
            "actor_id": actor_id,
            "role": role,
            "name": name,
            "public_key": _b64(raw),
            "standards": sorted(set(standards)),
        },
    }
    if new is not None and generate_to is not None:
        [done] = _with_new_key_file(bank, generate_to, new, [statement], [authority])
    else:
        [done] = _append(bank, [statement], [authority])
    if done.duplicate:
        raise Conflict(
            f"actor {actor_id} is already registered (index {done.index})", field="actor_id"
        )
    return done.index, author_key_id(raw)


def accredit(
    bank: BankServices, authority: KeyPair, actor_id: str, standards: Sequence[str]
) -> int:
    """Set the standards a certifying body is accredited for from now on (the whole list),
    signed by the authority (``actor.accredited``). Returns the entry's index."""
    _check_actor_id(actor_id)
    wanted = sorted(set(standards))
    statement = {
        "kind": "actor.accredited",
        "actor": AUTHORITY,
        # one entry per change: the same list set again later is a new entry, not a repost
        "id": f"accredit-{actor_id}-{bank.ledger.clock():%Y%m%dT%H%M%S%f}",
        "body": {"actor_id": actor_id, "standards": wanted},
    }
    [done] = _append(bank, [statement], [authority])
    return done.index


def rotate_key(
    bank: BankServices,
    actor_id: str,
    old_key: KeyPair,
    new_key_path: Path | None,
    *,
    default_dir: Path,
) -> tuple[str, list[int]]:
    """The actor's own rotation: add a new key signed with the current one (``key.added``),
    then revoke the current one signed with the new (``key.revoked``), in one batch, all
    or nothing. The new key goes to ``new_key_path`` (default: ``ID-<key id>.key`` in
    ``default_dir``). Returns the new key id and the two entries' indexes."""
    _check_actor_id(actor_id)
    new = KeyPair.generate(actor_id)
    if new_key_path is None:
        new_key_path = default_dir / f"{actor_id}-{new.key_id[:12]}.key"
    statements = [
        {
            "kind": "key.added",
            "actor": actor_id,
            "id": f"key-added-{new.key_id}",
            "body": {"actor_id": actor_id, "public_key": _b64(new.public_key)},
        },
        {
            "kind": "key.revoked",
            "actor": actor_id,
            "id": f"key-revoked-{old_key.key_id}",
            "body": {"actor_id": actor_id, "key_id": old_key.key_id, "reason": "rotation"},
        },
    ]
    done = _with_new_key_file(bank, new_key_path, new, statements, [old_key, new])
    return new.key_id, [d.index for d in done]


def revoke_key(
    bank: BankServices, authority: KeyPair, actor_id: str, key_id: str, reason: str
) -> int:
    """The authority revokes one key of an actor (a compromise); what the key signed
    before stays valid. Returns the entry's index."""
    [done] = _append(
        bank,
        [
            {
                "kind": "key.revoked",
                "actor": AUTHORITY,
                "id": f"key-revoked-{key_id}",
                "body": {"actor_id": actor_id, "key_id": key_id, "reason": reason},
            }
        ],
        [authority],
    )
    return done.index


def recover_key(
    bank: BankServices, authority: KeyPair, actor_id: str, reason: str, new_key_path: Path
) -> tuple[str, int]:
    """The authority registers a recovery key (``key.recovered``) for an actor with no
    active key left, written to ``new_key_path`` for the organisation. Returns the new key
    id and the entry's index."""
    _check_actor_id(actor_id)
    new = KeyPair.generate(actor_id)
    [done] = _with_new_key_file(
        bank,
        new_key_path,
        new,
        [
            {
                "kind": "key.recovered",
                "actor": AUTHORITY,
                "id": f"key-recovered-{new.key_id}",
                "body": {
                    "actor_id": actor_id,
                    "public_key": _b64(new.public_key),
                    "reason": reason,
                },
            }
        ],
        [authority],
    )
    return new.key_id, done.index


def list_actors(engine: Engine, role: str | None = None) -> list[ActorView]:
    """Actors in registration order, with their accreditation and every key."""
    a, k, s = tables.actors, tables.actor_keys, tables.certifier_standards
    with engine.connect() as conn:
        query = select(a).order_by(a.c.registered_index)
        if role is not None:
            query = query.where(a.c.role == role)
        actors = conn.execute(query).all()
        keys = conn.execute(select(k).order_by(k.c.added_index, k.c.key_id)).all()
        standards = conn.execute(select(s).order_by(s.c.standard_id)).all()
    return [
        ActorView(
            row.id,
            row.role,
            row.name,
            row.status,
            row.registered_index,
            tuple(r.standard_id for r in standards if r.actor_id == row.id),
            tuple(
                KeyView(r.key_id, r.added_index, r.revoked_index)
                for r in keys
                if r.actor_id == row.id
            ),
        )
        for row in actors
    ]
