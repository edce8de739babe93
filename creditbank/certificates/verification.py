"""The verification bundle of a certificate: everything an employer or another certifying
body needs to check it offline with :func:`creditbank.core.verify.certificate.verify_certificate`.

The bundle holds the certificate as the projection shows it (a summary the verifier
compares with the entries, never trusts) and, each with its receipt:

- the ``certificate.issued`` entry and its ``certificate.revoked`` entry if any;
- every ``credit.awarded`` entry the certificate lists, and each award's
  ``completion.recorded``;
- the learner's ``certificate.applied`` entry the certificate answers
  (``application_index``) and the certifying body's ``assessment.recorded`` of it;
- the key registrations (``actor.registered`` / ``key.added``, and ``key.revoked`` where a
  key was revoked) of every author key those entries use, and of the keys that signed
  those registrations, down to the authority's self-registration at entry 0.

Receipts are the original ones (against the checkpoint that first covered each entry,
byte-identical to those handed out at append); the bundle adds the latest checkpoint and
a consistency proof from each receipt's tree size to it.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeGuard

from sqlalchemy import Connection, Engine, select

from creditbank.certificates.handlers import CERTIFICATE_NUMBER
from creditbank.core.entry import LOG_ACTOR
from creditbank.core.errors import InvalidInput, NotFound
from creditbank.db import tables
from creditbank.ledger import store
from creditbank.ledger.cosignatures import proven_entries

_NUMBER_RE = re.compile(CERTIFICATE_NUMBER)
# One snapshot for the whole bundle, so the certificate's revocation status and the latest
# checkpoint agree (SQLite's WAL readers already see one).
_SNAPSHOT = {"postgresql": {"isolation_level": "REPEATABLE READ"}}
_KEY_CLOSURE_LIMIT = 10_000  # key registrations chain to entry 0 in a handful of steps


def check_number(number: str) -> None:
    if _NUMBER_RE.fullmatch(number) is None:
        raise InvalidInput(
            "a certificate number is 6-48 upper-case letters, digits and hyphens, "
            "starting with a letter or digit",
            field="certificate_number",
        )


class _Entries:
    """Entries read once per bundle, parsed."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._cache: dict[int, dict[str, Any]] = {}

    def get(self, index: int) -> dict[str, Any]:
        if index not in self._cache:
            self._cache[index] = json.loads(store.entry_data(self.conn, index))
        return self._cache[index]

    def body(self, index: int) -> dict[str, Any]:
        statement = self.get(index).get("statement", {})
        body = statement.get("body", {}) if isinstance(statement, dict) else {}
        return body if isinstance(body, dict) else {}


def _is_index(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _assessment(conn: Connection, application: int) -> int | None:
    """The ``assessment.recorded`` entry of an application, if it was assessed."""
    a = tables.certificate_applications
    index: int | None = conn.execute(
        select(a.c.assessed_index).where(a.c.idx == application)
    ).scalar_one_or_none()
    return index


def _key_entries(conn: Connection, entries: _Entries, indexes: list[int]) -> dict[int, str]:
    """The registrations of every author key used by ``indexes``, closed under the keys
    that signed those registrations; also each actor's ``actor.registered`` and any
    ``key.revoked`` of those keys."""
    k, a = tables.actor_keys, tables.actors
    found: dict[int, str] = {}
    seen_keys: set[str] = set()
    pending = list(indexes)
    while pending and len(found) < _KEY_CLOSURE_LIMIT:
        entry = entries.get(pending.pop())
        statement = entry.get("statement", {})
        key_id = entry.get("key_id")
        if statement.get("actor") == LOG_ACTOR or not isinstance(key_id, str):
            continue
        if key_id in seen_keys:
            continue
        seen_keys.add(key_id)
        row = conn.execute(
            select(k.c.actor_id, k.c.added_index, k.c.revoked_index).where(k.c.key_id == key_id)
        ).first()
        if row is None:
            continue  # the verifier reports the missing registration
        registered = conn.execute(
            select(a.c.registered_index).where(a.c.id == row.actor_id)
        ).scalar_one_or_none()
        for idx in (row.added_index, registered, row.revoked_index):
            if idx is not None and idx not in found:
                found[idx] = "key"
                pending.append(idx)
    return found


def _accreditations(conn: Connection, entries: _Entries, issuer: str, before: int) -> list[int]:
    """The ``actor.accredited`` entries of the issuer logged before the certificate (the
    last one says what it was accredited for when it issued; rare, so read by kind)."""
    e = tables.log_entries
    found = conn.execute(
        select(e.c.idx)
        .where(e.c.kind == "actor.accredited", e.c.idx < before)
        .order_by(e.c.idx)
    ).scalars()
    return [i for i in found if entries.body(i).get("actor_id") == issuer]


def certificate_bundle(engine: Engine, number: str) -> dict[str, Any]:
    """The certificate ``number`` with every entry it rests on, each with its receipt,
    the latest checkpoint and consistency proofs to it."""
    check_number(number)
    c = tables.certificates
    with engine.connect().execution_options(**_SNAPSHOT.get(engine.dialect.name, {})) as conn:
        row = conn.execute(select(c).where(c.c.number == number)).first()
        if row is None:
            raise NotFound(f"no certificate {number}", field="certificate_number")
        entries = _Entries(conn)
        roles: dict[int, str] = {row.issued_index: "certificate"}
        if row.revoked_index is not None:
            roles[row.revoked_index] = "revocation"
        awards = [i for i in json.loads(row.awards) if _is_index(i)]
        for index in awards:
            roles.setdefault(index, "award")
        for index in awards:
            completion = entries.body(index).get("completion_index")
            if _is_index(completion):
                roles.setdefault(completion, "completion")
        application = entries.body(row.issued_index).get("application_index")
        if _is_index(application) and application < row.issued_index:
            roles.setdefault(application, "application")
            assessment = _assessment(conn, application)
            if assessment is not None:
                roles.setdefault(assessment, "assessment")
        for index in _accreditations(conn, entries, row.issuer, row.issued_index):
            roles.setdefault(index, "accreditation")
        for index, role in _key_entries(conn, entries, list(roles)).items():
            roles.setdefault(index, role)
        proven = proven_entries(conn, roles, lambda i: entries.get(i).get("kind"))
    revoked = row.revoked_index is not None
    return {
        "certificate": {
            "certificate_number": row.number,
            "learner": row.learner,
            "standard_id": row.standard_id,
            "level": row.level,
            "issuer": row.issuer,
            "issued_index": row.issued_index,
            "issued_at": row.issued_at,
            "application_index": row.application_index,
            "awards": json.loads(row.awards),
            "assessment": json.loads(row.assessment),
            "status": "revoked" if revoked else "active",
            "revoked_index": row.revoked_index,
            "revocation_reason": row.revoked_reason,
        },
        **proven,
    }
