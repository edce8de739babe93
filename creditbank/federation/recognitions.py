"""Recognition for people: the peer side (a link code for a signed-in account holder, a
credit bundle), the home side (a learner's request, logged by the operator), and the
re-check of recognised records against their peer banks.

The decisions themselves are the rules' (:mod:`creditbank.federation.handlers`); these
functions only gather, log and fetch.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Engine, select

from creditbank.core.errors import CreditBankError, InvalidInput, NotFound
from creditbank.core.paging import PageRequest
from creditbank.core.rules.recognition import issue_link_code
from creditbank.db import tables
from creditbank.federation import store
from creditbank.federation.config import load_config, load_peer_urls
from creditbank.ledger import store as ledger_store
from creditbank.ledger.cosignatures import proven_entries
from creditbank.ledger.sequencer import Appended, Ledger

log = logging.getLogger(__name__)

MAX_BUNDLE_AWARDS = 200
_BODY = "statement.body."


# --- the peer bank's side -------------------------------------------------------------


def link_code(
    ledger: Ledger, account: str, home_origin: str, home_account: str, now: datetime
) -> str:
    """A link code for the signed-in holder of ``account`` here, to present at
    ``home_origin`` as ``home_account`` within 15 minutes; signed by this log's key."""
    return issue_link_code(
        ledger.origin,
        account,
        home_origin,
        home_account,
        now,
        ledger.log_key.name,
        ledger.log_key.private_key,
    )


def credit_bundle(engine: Engine, award_indexes: Sequence[int]) -> dict[str, Any]:
    """The ``credit.awarded`` entries at ``award_indexes`` (and their ``credit.revoked``,
    if any), each with its original receipt, the served (cosigned) checkpoint and
    consistency proofs to it: what a peer bank verifies offline."""
    if not award_indexes or len(award_indexes) > MAX_BUNDLE_AWARDS:
        raise InvalidInput(f"give 1 to {MAX_BUNDLE_AWARDS} award indexes", field="awards")
    aw = tables.awards
    with engine.connect() as conn:
        listed: dict[int, str] = {}
        for index in sorted(set(award_indexes)):
            row = conn.execute(
                select(aw.c.idx, aw.c.revoked_index).where(aw.c.idx == index)
            ).first()
            if row is None:
                raise NotFound(f"no credit award at {index}", field="awards")
            listed[index] = "award"
            if row.revoked_index is not None:
                listed[row.revoked_index] = "revocation"
        return proven_entries(
            conn, listed, lambda i: json.loads(ledger_store.entry_data(conn, i)).get("kind")
        )


# --- the home bank's side -------------------------------------------------------------


def _request_field(exc: CreditBankError) -> None:
    if exc.field == "statement.body.learner":
        exc.field = "account"
    elif exc.field is not None:
        exc.field = exc.field.removeprefix(_BODY)


async def request_recognition(ledger: Ledger, account: str, request: dict[str, Any]) -> Appended:
    """Log the learner ``account``'s request (``recognition.requested``, by the operator);
    the rules verify it and derive what it recognises. Refusals name the request's
    field."""
    body = {**request, "learner": account, "home_origin": ledger.origin}
    future = ledger.submit_operator("recognition.requested", f"recognize:{uuid.uuid4()}", body)
    try:
        return await asyncio.wrap_future(future)
    except CreditBankError as exc:
        _request_field(exc)
        raise


def recognitions(
    engine: Engine, learner: str, page: PageRequest | None = None
) -> list[dict[str, Any]]:
    """The learner's recognitions, in log order (with a page request: after its cursor)."""
    with engine.connect() as conn:
        rows = store.recognitions_of(conn, learner, page)
    return [
        {
            "index": r.idx,
            "record": r.record,
            "agreement_id": r.agreement_id,
            "peer_ref": r.peer_ref,
            "standard_id": r.standard_id,
            "level": r.level,
            "status": "active" if r.revoked_index is None else "revoked",
            "revoked_index": r.revoked_index,
        }
        for r in rows
    ]


# --- re-checking recognised records ----------------------------------------------------

Fetch = Callable[[str, str], dict[str, Any]]
"""``fetch(peer_url, path)``: a peer bank's JSON at ``path``."""


@dataclass(frozen=True)
class Rechecked:
    recognition_index: int
    revoked: bool
    problem: str | None = None


def _http_fetch(timeout: float) -> Fetch:
    def fetch(url: str, path: str) -> dict[str, Any]:
        response = httpx.get(f"{url}{path}", timeout=timeout)
        response.raise_for_status()
        found: dict[str, Any] = response.json()
        return found

    return fetch


def recheck(
    ledger: Ledger, keys_dir: Any, *, fetch: Fetch | None = None, timeout: float = 10.0
) -> list[Rechecked]:
    """Re-check every active recognition against a fresh bundle from its peer bank (the
    URLs in ``federation.toml``'s ``[[peers]]``): each check is logged as
    ``recognition.rechecked``, and a peer revocation derives ``recognition.revoked``."""
    urls = load_peer_urls(keys_dir)
    get = fetch or _http_fetch(timeout)
    with ledger.engine.connect() as conn:
        rows = [r for r in store.recognitions_of(conn) if r.revoked_index is None]
        origins = {
            r.idx: conn.execute(
                select(tables.recognitions.c.peer_origin).where(tables.recognitions.c.idx == r.idx)
            ).scalar_one()
            for r in rows
        }
    done = []
    for row in rows:
        url = urls.get(origins[row.idx])
        if url is None:
            done.append(Rechecked(row.idx, False, f"no URL for peer {origins[row.idx]}"))
            continue
        try:
            if row.record == "certificate":
                bundle = get(url, f"/v1/certificates/{row.peer_ref}/verification")
            else:
                award = row.peer_ref.removeprefix("award-")
                bundle = get(url, f"/v1/federation/credit-bundle?awards={award}")
        except (httpx.HTTPError, ValueError) as exc:
            done.append(Rechecked(row.idx, False, f"{type(exc).__name__}: {exc}"))
            continue
        body = {"recognition_index": row.idx, "bundle": bundle}
        try:
            appended = ledger.submit_operator(
                "recognition.rechecked", f"recheck:{uuid.uuid4()}", body
            ).result(timeout=60)
        except CreditBankError as exc:
            done.append(Rechecked(row.idx, False, exc.detail))
            continue
        done.append(Rechecked(row.idx, bool(appended.derived)))
    return done


class RecheckTask:
    """The periodic re-check: every ``interval`` seconds until stopped."""

    def __init__(self, ledger: Ledger, keys_dir: Any, interval: float) -> None:
        self.ledger, self.keys_dir, self.interval = ledger, keys_dir, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="recheck", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=120)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                for r in recheck(self.ledger, self.keys_dir):
                    if r.problem is not None:
                        log.warning(
                            "re-check of recognition %d: %s", r.recognition_index, r.problem
                        )
            except Exception:  # the task must outlive a bad round
                log.exception("re-check round failed")


def start_rechecking(ledger: Ledger, keys_dir: Any) -> RecheckTask | None:
    """Start the periodic re-check if this bank knows where its peers serve (None: it
    does not)."""
    config = load_config(keys_dir)
    if not config.peers:
        return None
    task = RecheckTask(ledger, keys_dir, config.recheck_interval_seconds)
    task.start()
    return task
