"""Credentials read from the ledger's projections: certificates as Open Badges 3.0
credentials, the status lists, the DID documents, transcripts (CLR 2.0) and the
standards as CASE packages. The documents are built by ``creditbank.core.credentials``;
here they get their facts and the bank's credential key.

The bank holds no certifying body's private key, so what it serves in a body's name is
signed with the bank's own credential key, listed as ``#bank`` in the body's DID
document (ADR 0016); a body signs a credential with its own ledger key with its own
tooling (``creditbank credential export --key``, :func:`resign`). The bank's key is a
file in the keys directory, made on first use.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, func, select

from creditbank.access.vault import MasterKey, Sealed, unseal
from creditbank.core.credentials import case, did, status
from creditbank.core.credentials.badge import CertificateFacts, certificate_credential, vc_time
from creditbank.core.credentials.ids import BankIds
from creditbank.core.credentials.proof import add_proof
from creditbank.core.credentials.transcript import (
    AwardFacts,
    award_credential,
    transcript_credential,
)
from creditbank.core.entry import AUTHORITY, parse_time
from creditbank.core.errors import NotFound
from creditbank.core.keys import KeyPair, read_key_file, write_key_file
from creditbank.core.standards.model import Standard, semver_key
from creditbank.db import tables
from creditbank.ledger import store
from creditbank.ledger.tree import receipt_for

KEY_FILE = "credentials.key"


class CredentialSettings(Protocol):
    @property
    def origin(self) -> str: ...

    @property
    def keys_dir(self) -> Path: ...


class CredentialBank(Protocol):
    """What the credentials need of a running bank (``creditbank.bank.Bank`` has it)."""

    @property
    def engine(self) -> Engine: ...

    @property
    def settings(self) -> CredentialSettings: ...

    @property
    def master_key(self) -> MasterKey: ...


def bank_ids(bank: CredentialBank) -> BankIds:
    return BankIds.from_origin(bank.settings.origin)


def issuing_key(bank: CredentialBank) -> KeyPair:
    """The bank's credential key (``keys/credentials.key``), made the first time. Made
    whole beside the final name and linked into place, so a process racing another (or
    reading while it writes) sees no key or the whole key, and the first one wins."""
    path = bank.settings.keys_dir / KEY_FILE
    if not path.exists():
        draft = path.with_name(f".{KEY_FILE}.{os.getpid()}.{uuid.uuid4().hex}")
        write_key_file(draft, KeyPair.generate("credentials"))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            draft.unlink()
    return read_key_file(path)


# --- reads ---------------------------------------------------------------------------


@contextmanager
def _reading(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        yield conn


def _entry_time(conn: Connection, index: int) -> str:
    entry = json.loads(store.entry_data(conn, index))
    return str(entry["integrated_at"])


def _leaf_hash(conn: Connection, index: int) -> bytes:
    e = tables.log_entries
    found: bytes = conn.execute(select(e.c.leaf_hash).where(e.c.idx == index)).scalar_one()
    return found


def _standard_before(conn: Connection, standard_id: str, index: int) -> Standard:
    """The newest version of a standard published before entry ``index``."""
    t = tables.published_standards
    rows = conn.execute(
        select(t.c.version, t.c.document).where(
            t.c.standard_id == standard_id, t.c.published_index < index
        )
    ).all()
    if not rows:
        raise NotFound(f"standard {standard_id} was not published", field="standard_id")
    newest = max(rows, key=lambda r: semver_key(r.version))
    return Standard.model_validate(json.loads(newest.document))


def _actor_name(conn: Connection, actor_id: str) -> str:
    a = tables.actors
    name = conn.execute(select(a.c.name).where(a.c.id == actor_id)).scalar_one_or_none()
    return actor_id if name is None else str(name)


def _bank_name(conn: Connection) -> str:
    return _actor_name(conn, AUTHORITY)


def _certificate_facts(conn: Connection, number: str) -> tuple[CertificateFacts, Standard]:
    c = tables.certificates
    row = conn.execute(select(c).where(c.c.number == number)).first()
    if row is None:
        raise NotFound(f"no certificate {number}", field="certificate_number")
    ordinal = conn.execute(
        select(func.count()).where(c.c.issuer == row.issuer, c.c.issued_index < row.issued_index)
    ).scalar_one()
    standard = _standard_before(conn, row.standard_id, row.issued_index)
    facts = CertificateFacts(
        number=row.number,
        learner=row.learner,
        standard_id=row.standard_id,
        standard_version=standard.version,
        level=row.level,
        issuer=row.issuer,
        issuer_name=_actor_name(conn, row.issuer),
        issued_at=row.issued_at,
        issued_index=row.issued_index,
        leaf_hash=_leaf_hash(conn, row.issued_index),
        receipt=receipt_for(conn, row.issued_index, original=True),
        status_ordinal=int(ordinal),
    )
    return facts, standard


def _learner_name(bank: CredentialBank, conn: Connection, account: str) -> str:
    v = tables.learner_vault
    row = conn.execute(select(v).where(v.c.account == account)).first()
    if row is None or row.wrapped_key is None or row.ciphertext is None:
        raise NotFound(f"no name on file for {account} (erased or never given)", field="account")
    personal = unseal(Sealed(row.wrapped_key, row.ciphertext), account, bank.master_key)
    return str(personal["name"])


def _signed_certificate(
    bank: CredentialBank,
    conn: Connection,
    number: str,
    *,
    owner: str | None = None,
    with_name: bool = False,
) -> dict[str, Any]:
    ids = bank_ids(bank)
    facts, standard = _certificate_facts(conn, number)
    if owner is not None and facts.learner != owner:
        raise NotFound(f"{owner} holds no certificate {number}", field="certificate_number")
    name = _learner_name(bank, conn, facts.learner) if with_name else None
    document = certificate_credential(ids, facts, standard, name=name)
    return add_proof(
        document,
        issuing_key(bank),
        ids.certifier_bank_method(facts.issuer),
        vc_time(facts.issued_at),
    )


def certificate_credential_of(
    bank: CredentialBank, number: str, *, owner: str | None = None, with_name: bool = False
) -> dict[str, Any]:
    """The certificate's ``OpenBadgeCredential``, signed with the bank's key in the
    issuing body's name. ``owner``: the learner asking for their own (another's is not
    found); ``with_name``: add the learner's name, which only the learner's own route
    (or the authority's) asks for."""
    with _reading(bank.engine) as conn:
        return _signed_certificate(bank, conn, number, owner=owner, with_name=with_name)


def _require_certifier(conn: Connection, actor_id: str) -> None:
    a = tables.actors
    role = conn.execute(select(a.c.role).where(a.c.id == actor_id)).scalar_one_or_none()
    if role != "certifier":
        raise NotFound(f"no certifying body {actor_id}", field="actor_id")


def status_list_of(bank: CredentialBank, actor_id: str) -> dict[str, Any]:
    """The body's ``BitstringStatusListCredential``, derived from the ledger's
    revocations and dated (``validFrom`` and the proof) by the latest entry it reflects,
    so it is the same bytes until the next revocation."""
    ids = bank_ids(bank)
    c, a = tables.certificates, tables.actors
    with _reading(bank.engine) as conn:
        _require_certifier(conn, actor_id)
        rows = conn.execute(
            select(c.c.revoked_index).where(c.c.issuer == actor_id).order_by(c.c.issued_index)
        ).all()
        revoked = [n for n, r in enumerate(rows) if r.revoked_index is not None]
        registered = conn.execute(
            select(a.c.registered_index).where(a.c.id == actor_id)
        ).scalar_one()
        latest = max([registered, *(r.revoked_index for r in rows if r.revoked_index is not None)])
        at = vc_time(_entry_time(conn, latest))
    document = status.status_list_credential(ids, actor_id, revoked, len(rows), at)
    return add_proof(document, issuing_key(bank), ids.certifier_bank_method(actor_id), at)


def _key_records(conn: Connection, actor_id: str) -> list[did.KeyRecord]:
    k = tables.actor_keys
    rows = conn.execute(
        select(k.c.key_id, k.c.public_key, k.c.added_index, k.c.revoked_index)
        .where(k.c.actor_id == actor_id)
        .order_by(k.c.added_index)
    ).all()
    return [
        did.KeyRecord(
            r.key_id,
            bytes(r.public_key),
            vc_time(_entry_time(conn, r.added_index)),
            None if r.revoked_index is None else vc_time(_entry_time(conn, r.revoked_index)),
        )
        for r in rows
    ]


def did_document_of(bank: CredentialBank, actor_id: str | None = None) -> dict[str, Any]:
    """The bank's DID document (None), or a certifying body's, from the key registry."""
    ids = bank_ids(bank)
    bank_key = issuing_key(bank).public_key
    if actor_id is None:
        return did.bank_document(ids, bank_key)
    with _reading(bank.engine) as conn:
        _require_certifier(conn, actor_id)
        keys = _key_records(conn, actor_id)
    return did.certifier_document(ids, actor_id, keys, bank_key)


# --- transcripts ----------------------------------------------------------------------


def _award_facts(conn: Connection, account: str, now: datetime) -> Iterable[AwardFacts]:
    w = tables.awards
    rows = conn.execute(
        select(w).where(w.c.learner == account, w.c.revoked_index.is_(None)).order_by(w.c.idx)
    ).all()
    for r in rows:
        if parse_time(r.expires_at, field="expires_at") <= now:
            continue
        standard = _standard_before(conn, r.standard_id, r.idx)
        tenths = int(r.credits_tenths)
        yield AwardFacts(
            index=r.idx,
            standard_id=r.standard_id,
            standard_version=standard.version,
            level=r.level,
            unit_code=r.unit_code,
            credits=f"{tenths // 10}.{tenths % 10}",
            mode=r.mode,
            provider=r.provider,
            completed_at=r.completed_at,
            expires_at=r.expires_at,
            leaf_hash=_leaf_hash(conn, r.idx),
            receipt=receipt_for(conn, r.idx, original=True),
        )


def transcript_of(bank: CredentialBank, account: str, now: datetime) -> dict[str, Any]:
    """The learner's CLR 2.0 ``ClrCredential`` at ``now``: the awards in force and the
    unrevoked certificates, each a signed credential, the whole signed by the bank."""
    ids = bank_ids(bank)
    key = issuing_key(bank)
    c = tables.certificates
    with _reading(bank.engine) as conn:
        if (
            conn.execute(
                select(tables.learner_accounts.c.account).where(
                    tables.learner_accounts.c.account == account
                )
            ).first()
            is None
        ):
            raise NotFound(f"no account {account}", field="account")
        bank_name = _bank_name(conn)
        inner: list[dict[str, Any]] = []
        for award in _award_facts(conn, account, now):
            standard = _standard_before(conn, award.standard_id, award.index)
            document = award_credential(ids, account, award, standard, bank_name)
            inner.append(add_proof(document, key, ids.bank_method, vc_time(award.completed_at)))
        numbers = conn.execute(
            select(c.c.number)
            .where(c.c.learner == account, c.c.revoked_index.is_(None))
            .order_by(c.c.issued_index)
        ).scalars()
        inner.extend(_signed_certificate(bank, conn, n) for n in list(numbers))
    document = transcript_credential(ids, account, bank_name, inner, now)
    return add_proof(document, key, ids.bank_method, vc_time(now))


# --- CASE -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Published:
    standard: Standard
    changed_at: str


def _published(conn: Connection) -> list[_Published]:
    """The newest published version of every standard, with its publication time."""
    t = tables.published_standards
    newest: dict[str, Any] = {}
    for r in conn.execute(select(t.c.standard_id, t.c.version, t.c.document, t.c.published_index)):
        held = newest.get(r.standard_id)
        if held is None or semver_key(r.version) > semver_key(held.version):
            newest[r.standard_id] = r
    return [
        _Published(
            Standard.model_validate(json.loads(r.document)),
            vc_time(_entry_time(conn, r.published_index)),
        )
        for _, r in sorted(newest.items())
    ]


_PACKAGES: dict[tuple[str, str, int, int], list[dict[str, Any]]] = {}
_PACKAGES_KEPT = 8


def _packages(bank: CredentialBank) -> list[dict[str, Any]]:
    """Every published standard's CASE package. Building all 150 takes most of a second,
    so they are kept per database and publication state (the count and the latest
    ``standard.published`` index): a new publication makes a new key."""
    ids = bank_ids(bank)
    t = tables.published_standards
    with _reading(bank.engine) as conn:
        count, latest = conn.execute(select(func.count(), func.max(t.c.published_index))).one()
        key = (bank.engine.url.render_as_string(), ids.host, int(count), int(latest or -1))
        cached = _PACKAGES.get(key)
        if cached is not None:
            return cached
        creator = _bank_name(conn)
        published = _published(conn)
    packages = [case.case_package(ids, p.standard, creator, p.changed_at) for p in published]
    if len(_PACKAGES) >= _PACKAGES_KEPT:
        _PACKAGES.pop(next(iter(_PACKAGES)))
    _PACKAGES[key] = packages
    return packages


def case_documents(bank: CredentialBank) -> dict[str, Any]:
    """``GET /ims/case/v1p0/CFDocuments``: every standard's ``CFDocument``."""
    ids = bank_ids(bank)
    documents = []
    for package in _packages(bank):
        document = package["CFDocument"]
        documents.append(
            {
                **document,
                "CFPackageURI": {
                    "title": document["title"],
                    "identifier": document["identifier"],
                    "uri": ids.case_url("CFPackages", document["identifier"]),
                },
            }
        )
    return {"CFDocuments": documents}


def case_package_of(bank: CredentialBank, identifier: str) -> dict[str, Any]:
    """``GET /ims/case/v1p0/CFPackages/{id}``."""
    for package in _packages(bank):
        if package["CFDocument"]["identifier"] == identifier:
            return package
    raise NotFound(f"no CFPackage {identifier}", field="sourcedId")


def case_item_of(bank: CredentialBank, identifier: str) -> dict[str, Any]:
    """``GET /ims/case/v1p0/CFItems/{id}``."""
    ids = bank_ids(bank)
    for package in _packages(bank):
        found = case.item_with_document(package, identifier, ids)
        if found is not None:
            return found
    raise NotFound(f"no CFItem {identifier}", field="sourcedId")


def export_case(
    standards: Iterable[Standard], directory: Path, host: str, creator: str, now: datetime
) -> list[Path]:
    """Write one ``CFPackage`` JSON file per standard into ``directory``
    (``<CFDocument identifier>.json``); the identifiers are stable across exports."""
    ids = BankIds(host)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for standard in standards:
        package = case.case_package(ids, standard, creator, vc_time(now))
        path = directory / f"{package['CFDocument']['identifier']}.json"
        path.write_text(json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written
