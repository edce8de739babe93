"""A small typed HTTP client for the bank's API, for providers, certifying bodies, the
authority and learners (used by the tests, and by the CLI against a remote bank).

Organisations authenticate with a bearer token and sign their statements with their own
Ed25519 key (:class:`~creditbank.core.keys.KeyPair`); learners log in with their account number
and password. Receipts are verified offline with :mod:`creditbank.core.verify` against the log's
verifier key: pass ``verifier_key=`` to pin it, otherwise it is fetched from the server
once and then trusted (trust on first use).

Failures: a non-2xx answer raises :class:`ApiError` with the RFC 9457 problem details;
receipts and checkpoints that do not verify raise
:class:`~creditbank.core.verify.VerificationError`; network failures are httpx's own
``httpx.TransportError``.

Retries: the client never retries. Re-posting is safe because a statement's ``id`` is its
idempotency key: posting the same statement again (Ed25519 signatures are deterministic,
so re-signing gives the same bytes) answers with the original entry and receipt and
``duplicate=True``, while different content under a used ``id`` is refused with 409. So a
caller that timed out may simply post the same statement again.

This module imports no server code (no FastAPI, SQLAlchemy or database modules), only
httpx and creditbank's pure modules, so it can run where the bank is not installed whole.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import quote

import httpx

from creditbank import __version__
from creditbank.core.entry import sign_statement
from creditbank.core.keys import KeyPair
from creditbank.core.statements.catalogue import course_recognition, course_registration
from creditbank.core.verify import (
    Checkpoint,
    VerificationError,
    VerifiedEntry,
    verify_checkpoint,
    verify_receipt,
)

if TYPE_CHECKING:
    from creditbank.core.imports import Row

__all__ = ["ApiError", "Appended", "CreditBankClient", "ImportResult"]


class ApiError(Exception):
    """A request the bank refused: the RFC 9457 problem details of a non-2xx answer.

    ``extra`` holds any further members of the problem (for example ``errors`` for
    validation failures, or ``locked_until`` for a locked account).
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        type: str = "about:blank",  # the RFC 9457 member's name, shadowing the builtin here
        field: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        where = f" [{field}]" if field else ""
        super().__init__(f"{status} {title}{where}: {detail}")
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.field = field
        self.extra: dict[str, Any] = dict(extra or {})

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        """The problem in ``response``; a body that is not a problem (say a proxy's HTML
        error page) still gives the status, the reason phrase and the start of the text."""
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            reason = response.reason_phrase or "HTTP error"
            return cls(response.status_code, reason, response.text[:200] or reason)
        known = {"type", "title", "status", "detail", "field"}
        title = str(body.get("title") or response.reason_phrase or "HTTP error")
        problem_field = body.get("field")
        return cls(
            response.status_code,
            title,
            str(body.get("detail") or title),
            type=str(body.get("type") or "about:blank"),
            field=None if problem_field is None else str(problem_field),
            extra={k: v for k, v in body.items() if k not in known},
        )


@dataclass(frozen=True)
class Appended:
    """The bank's answer to a statement: where it was logged and the receipt proving it.

    ``duplicate`` is true when the statement had been logged before (an idempotent
    re-post); ``entry`` is the entry's canonical bytes, the Merkle leaf; ``derived`` are
    the indexes of entries the log derived from it.
    """

    index: int
    duplicate: bool
    entry: bytes = field(repr=False)
    receipt: str = field(repr=False)
    derived: tuple[int, ...] = ()


@dataclass
class ImportResult:
    """What :meth:`CreditBankClient.import_rows` did: rows logged now, rows logged before
    (idempotent re-posts), rows refused (unreadable here, or refused by the bank) with the
    reason and the field at fault, and whether an interrupt cut it short."""

    new: int = 0
    duplicate: int = 0
    refused: list[tuple[Row, str, str | None]] = field(default_factory=list)
    interrupted: bool = False

    def rejects_jsonl(self) -> str:
        """The refused rows in input order, one JSON object a line (line, reason, field,
        row): the file a provider corrects and imports again."""
        return "".join(
            json.dumps(
                {"line": row.line, "reason": reason, "field": fault, "row": row.raw},
                ensure_ascii=False,
            )
            + "\n"
            for row, reason, fault in sorted(self.refused, key=lambda r: r[0].line)
        )


def _time(t: datetime, what: str) -> str:
    # The ledger's one time format (RFC 3339 UTC with microseconds, as
    # creditbank.core.entry.format_time); naive times are refused, not guessed.
    if t.tzinfo is None:
        raise ValueError(f"{what} must carry a UTC offset, got the naive time {t}")
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json(response: httpx.Response) -> object:
    try:
        body: object = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(
            response.status_code, "Unexpected response", f"not JSON: {response.text[:200]!r}"
        ) from exc
    return body


def _object(response: httpx.Response) -> dict[str, Any]:
    body = _json(response)
    if not isinstance(body, dict):
        raise ApiError(response.status_code, "Unexpected response", "expected a JSON object")
    return body


def _objects(response: httpx.Response) -> list[dict[str, Any]]:
    body = _json(response)
    if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
        raise ApiError(
            response.status_code, "Unexpected response", "expected a JSON array of objects"
        )
    return body


def _appended(response: httpx.Response) -> Appended:
    body = _object(response)
    try:
        return Appended(
            index=int(body["index"]),
            duplicate=bool(body["duplicate"]),
            entry=base64.b64decode(body["entry"], validate=True),
            receipt=str(body["receipt"]),
            derived=tuple(int(i) for i in body.get("derived", ())),
        )
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise ApiError(200, "Unexpected response", f"not an appended-entry answer: {exc}") from exc


class CreditBankClient:
    """A session with one bank: ``with CreditBankClient(url, token=..., key=..., actor=...)``.

    ``token`` is the bearer token sent with every request (``login`` sets it); ``key``
    signs the statements this client posts for ``actor``. ``transport`` lets tests and
    embedders route requests without a network (for example ``httpx.MockTransport``).
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        key: KeyPair | None = None,
        actor: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30,
        verifier_key: str | None = None,
    ) -> None:
        self.token = token
        self.key = key
        self.actor = actor
        self._verifier_key = verifier_key
        self._http = httpx.Client(
            base_url=base_url,
            transport=transport,
            timeout=timeout,
            headers={"User-Agent": f"creditbank-client/{__version__}"},
        )

    # --- plumbing ---------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = self._http.request(method, path, headers=headers, **kwargs)
        if not response.is_success:
            raise ApiError.from_response(response)
        return response

    def _paged(
        self, path: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every item of a list route, a page at a time (following its Link rel="next"),
        fetched lazily as the caller iterates."""
        url, query = path, dict(params or {})
        while True:
            response = self._request("GET", url, params=query)
            yield from _objects(response)
            following = response.links.get("next", {}).get("url")
            if not following:
                return
            url, query = following, {}

    def _signer(self) -> tuple[KeyPair, str]:
        if self.key is None or self.actor is None:
            raise ValueError("signing statements needs a client made with key= and actor=")
        return self.key, self.actor

    def _post_statement(self, path: str, statement: Mapping[str, Any]) -> Appended:
        return _appended(self._request("POST", path, json=self._payload(statement)))

    def _payload(self, statement: Mapping[str, Any]) -> dict[str, Any]:
        key, _ = self._signer()
        signed = sign_statement(statement, key)
        return {
            "statement": dict(signed.statement),
            "key_id": signed.key_id,
            "signature": base64.b64encode(signed.signature).decode("ascii"),
        }

    # --- completions and credits --------------------------------------------------------

    def post_completion(self, statement: Mapping[str, Any]) -> Appended:
        """Post one ``completion.recorded`` statement (signed here)."""
        return self._post_statement("/v1/completions", statement)

    def post_completions(
        self, statements: Sequence[Mapping[str, Any]]
    ) -> list[Appended | ApiError]:
        """Post up to 1,000 completions in one request: an outcome per statement, in order.
        Re-posting is safe: statement ids are idempotency keys."""
        body = _object(
            self._request(
                "POST",
                "/v1/completions/batch",
                json={"statements": [self._payload(s) for s in statements]},
            )
        )
        out: list[Appended | ApiError] = []
        for item in body.get("results", []):
            if item.get("ok"):
                out.append(
                    Appended(
                        int(item["index"]),
                        bool(item["duplicate"]),
                        base64.b64decode(item["entry"]),
                        str(item["receipt"]),
                        tuple(int(i) for i in item.get("derived", ())),
                    )
                )
            else:
                problem = item.get("problem", {})
                out.append(
                    ApiError(
                        int(problem.get("status", 400)),
                        str(problem.get("title", "Refused")),
                        str(problem.get("detail", "")),
                        type=str(problem.get("type", "about:blank")),
                        field=problem.get("field"),
                    )
                )
        return out

    def import_rows(
        self,
        rows: Sequence[Row],
        *,
        batch: int = 500,
        progress: Callable[[int, int], None] | None = None,
    ) -> ImportResult:
        """Post the completions of an export (:func:`creditbank.core.imports.read_rows`)
        ``batch`` at a time, and tally what became of each row; ``progress`` gets (rows
        sent, rows to send). Rows without a statement are refused as read. A keyboard
        interrupt stops the import and returns what was done, so the caller can still
        report it; running it again is safe, since statement ids are idempotency keys."""
        result = ImportResult(
            refused=[(r, r.problem or "", None) for r in rows if r.statement is None]
        )
        todo = [(r, r.statement) for r in rows if r.statement is not None]
        if progress is not None:
            progress(0, len(todo))
        try:
            for start in range(0, len(todo), batch):
                chunk = todo[start : start + batch]
                # one question per batch: rows logged before are not signed or sent again
                logged = set(self.logged_ids([str(s["id"]) for _, s in chunk]))
                fresh = [(r, s) for r, s in chunk if s["id"] not in logged]
                result.duplicate += len(chunk) - len(fresh)
                outcomes = self.post_completions([s for _, s in fresh]) if fresh else []
                for (row, _), outcome in zip(fresh, outcomes, strict=True):
                    if isinstance(outcome, ApiError):
                        result.refused.append((row, outcome.detail, outcome.field))
                    elif outcome.duplicate:
                        result.duplicate += 1
                    else:
                        result.new += 1
                if progress is not None:
                    progress(start + len(chunk), len(todo))
        except KeyboardInterrupt:
            result.interrupted = True
        return result

    def logged_ids(self, ids: Sequence[str]) -> list[str]:
        """Which of these statement ids this client's actor has already logged (up to
        1,000 at a time), in the order asked."""
        body = _object(self._request("POST", "/v1/ledger/logged", json={"ids": list(ids)}))
        return [str(i) for i in body.get("logged", [])]

    def retract_completion(
        self, completion_index: int, reason: str, ref: str | None = None
    ) -> Appended:
        _, actor = self._signer()
        return self._post_statement(
            "/v1/completions/retractions",
            {
                "kind": "completion.retracted",
                "actor": actor,
                "id": ref or f"retract-{completion_index}",
                "body": {"completion_index": completion_index, "reason": reason},
            },
        )

    def balance(self, account: str) -> dict[str, Any]:
        return _object(self._request("GET", f"/v1/learners/{account}/balance"))

    def progress(self, account: str) -> dict[str, Any]:
        return _object(self._request("GET", f"/v1/learners/{account}/progress"))

    def history(self, account: str, *, receipts: bool = True) -> dict[str, Any]:
        """The learner's whole history (every page of it, merged)."""
        path = f"/v1/learners/{quote(account, safe='')}/history"
        params = {"receipts": "true" if receipts else "false"}
        merged = _object(self._request("GET", path, params=params))
        while merged.get("next_cursor"):
            more = _object(
                self._request("GET", path, params={**params, "cursor": merged["next_cursor"]})
            )
            merged["completions"] += more["completions"]
            merged["awards"] += more["awards"]
            merged["next_cursor"] = more.get("next_cursor")
        return merged

    # --- the log ----------------------------------------------------------------------

    def verifier_key(self) -> str:
        """The log's C2SP verifier key: the pinned one, else fetched once and kept."""
        if self._verifier_key is None:
            self._verifier_key = self._request("GET", "/v1/ledger/key").text.strip()
        return self._verifier_key

    def checkpoint(self) -> Checkpoint:
        """The latest checkpoint, verified against the log's verifier key."""
        note = self._request("GET", "/tlog/checkpoint").text
        return verify_checkpoint(note, self.verifier_key())

    def append(self, statement: Mapping[str, Any]) -> Appended:
        """Sign ``statement`` ({"kind", "actor", "id", "body"}) and log it."""
        return self._post_statement("/v1/ledger/entries", statement)

    def verify(self, receipt: Appended | str) -> VerifiedEntry:
        """Check a receipt offline against the log's verifier key; for an ``Appended``,
        also that the receipt proves that very entry at that index."""
        text = receipt.receipt if isinstance(receipt, Appended) else receipt
        verified = verify_receipt(text, self.verifier_key())
        if isinstance(receipt, Appended) and (
            verified.index != receipt.index or verified.entry_bytes != receipt.entry
        ):
            raise VerificationError(
                f"the receipt proves entry {verified.index}, expected the entry appended "
                f"at {receipt.index}"
                + ("" if verified.entry_bytes == receipt.entry else " (entry bytes differ)")
            )
        return verified

    def entry(self, index: int) -> dict[str, Any]:
        """An entry, its canonical bytes, leaf hash and inclusion proof (not verified)."""
        return _object(self._request("GET", f"/v1/ledger/entries/{index}"))

    def receipt(self, index: int) -> str:
        """The entry's ``.tlog-proof`` receipt against the latest checkpoint (see verify)."""
        return self._request("GET", f"/v1/ledger/entries/{index}/receipt").text

    # --- the catalogue ----------------------------------------------------------------

    def standards(
        self, *, occupation: str | None = None, level: int | None = None, area: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Summaries of the published standards matching every filter given, by id."""
        filters = {"occupation": occupation, "level": level, "area": area}
        params = {k: v for k, v in filters.items() if v is not None}
        return self._paged("/v1/standards", params)

    def standard(self, standard_id: str) -> dict[str, Any]:
        """One standard in full (newest published version) with its version history."""
        return _object(self._request("GET", f"/v1/standards/{standard_id}"))

    def programs(self) -> Iterator[dict[str, Any]]:
        """The published programs, by year."""
        return self._paged("/v1/programs")

    def courses(self, provider: str) -> Iterator[dict[str, Any]]:
        """A provider's courses with their recognition status now, by id."""
        return self._paged(f"/v1/providers/{quote(provider, safe='')}/courses")

    def register_course(
        self,
        course_id: str,
        *,
        title: str,
        standard_id: str,
        level: int,
        unit_code: str,
        mode: str,
        hours: str,
        min_score: int | None = 60,
    ) -> Appended:
        """Register a course as this client's provider (``min_score`` None: pass/fail)."""
        _, provider = self._signer()
        statement = course_registration(
            provider,
            course_id,
            title=title,
            standard_id=standard_id,
            level=level,
            unit_code=unit_code,
            mode=mode,
            hours=hours,
            min_score=min_score,
        )
        return self._post_statement("/v1/courses", statement)

    def recognize_course(
        self,
        provider: str,
        course_id: str,
        valid_from: datetime,
        valid_until: datetime,
        credits: str | None = None,
        *,
        ref: str = "1",
    ) -> Appended:
        """Recognize a provider's course as the authority (credits None: the default
        formula); ``ref`` tells apart later recognitions of the same course."""
        self._signer()
        statement = course_recognition(
            provider,
            course_id,
            valid_from=valid_from,
            valid_until=valid_until,
            credits=credits,
            ref=ref,
        )
        return self._post_statement("/v1/courses/recognitions", statement)

    # --- learners and sessions --------------------------------------------------------

    def open_account(self, person: Mapping[str, Any]) -> dict[str, Any]:
        """Open a learner account (authority or provider): ``account``, the one-time
        ``activation_code``, and the ``index`` and ``receipt`` of ``account.opened``."""
        return _object(self._request("POST", "/v1/learners", json=dict(person)))

    def activate(self, account: str, code: str, id_number: str, password: str) -> None:
        """Set a learner's password with the activation code and the learner's national
        ID number (the code alone is not enough)."""
        payload = {
            "account": account,
            "activation_code": code,
            "id_number": id_number,
            "password": password,
        }
        self._request("POST", "/v1/auth/activate", json=payload)

    def login(self, account: str, password: str) -> str:
        """Log a learner in (OAuth2 password flow); the token is kept for later calls
        and returned."""
        response = self._request(
            "POST", "/v1/auth/token", data={"username": account, "password": password}
        )
        token = _object(response).get("access_token")
        if not isinstance(token, str):
            raise ApiError(response.status_code, "Unexpected response", "no access_token")
        self.token = token
        return token

    def logout(self) -> None:
        """Revoke this client's token at the bank and forget it."""
        self._request("POST", "/v1/auth/logout")
        self.token = None

    def me(self) -> dict[str, Any]:
        """Who the token says this client is: ``role``, ``actor``, ``account``."""
        return _object(self._request("GET", "/v1/me"))

    def lookup(self, id_type: str, id_number: str) -> str:
        """The account of the learner with this national ID (authority only)."""
        payload = {"id_type": id_type, "id_number": id_number}
        return str(_object(self._request("POST", "/v1/learners/lookup", json=payload))["account"])

    def account(self, account: str) -> dict[str, Any]:
        """An account's status (learners: their own only)."""
        return _object(self._request("GET", f"/v1/learners/{account}"))

    def export(self, account: str) -> dict[str, Any]:
        """Everything the bank holds about a learner (learners: their own only)."""
        return _object(self._request("GET", f"/v1/learners/{account}/export"))

    def erase(self, account: str) -> dict[str, Any]:
        """Destroy a learner's personal data; answers with the ``account.erased`` index
        and receipt. The learner's tokens are revoked."""
        return _object(self._request("POST", f"/v1/learners/{account}/erasure"))

    def close_account(self, account: str, reason: str) -> dict[str, Any]:
        """Close an account (authority only): completions are refused from then on."""
        return _object(
            self._request("POST", f"/v1/learners/{account}/closure", json={"reason": reason})
        )

    # --- certificates -----------------------------------------------------------------

    def certificate_verification(self, certificate_number: str) -> dict[str, Any]:
        """A certificate's verification bundle (public): the certificate, every entry it
        rests on with its receipt, the latest checkpoint, consistency proofs and the
        server's ``verdict``. Re-check it with
        :func:`creditbank.core.verify.certificate.verify_certificate` and the log key you
        trust rather than believing the server's verdict."""
        path = f"/v1/certificates/{quote(certificate_number, safe='')}/verification"
        return _object(self._request("GET", path))

    # --- applications, certificates and money -------------------------------------------

    def apply_for_certificate(self, account: str, standard_id: str, level: int) -> Appended:
        """Apply for a certificate of a standard level (a learner for themself, or the
        authority): the bank logs ``certificate.applied`` under the operator's key."""
        body = {"standard_id": standard_id, "level": level}
        return _appended(
            self._request("POST", f"/v1/learners/{quote(account, safe='')}/applications", json=body)
        )

    def applications(
        self, account: str | None = None, *, status: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """A learner's applications (``account``), or the applications this client may
        assess (a certifying body: its standards; the authority: all), by ``status``."""
        if account is not None:
            return self._paged(f"/v1/learners/{quote(account, safe='')}/applications")
        return self._paged("/v1/applications", {} if status is None else {"status": status})

    def application(self, index: int) -> dict[str, Any]:
        """An application and the learner's record for that standard level (progress,
        awards with their completions and receipts)."""
        return _object(self._request("GET", f"/v1/applications/{int(index)}"))

    def record_assessment(self, statement: Mapping[str, Any]) -> Appended:
        """Post an ``assessment.recorded`` statement (signed here)."""
        return self._post_statement("/v1/assessments", statement)

    def issue_certificate(self, statement: Mapping[str, Any]) -> Appended:
        """Post a ``certificate.issued`` statement (signed here)."""
        return self._post_statement("/v1/certificates", statement)

    def revoke_certificate(self, statement: Mapping[str, Any]) -> Appended:
        """Post a ``certificate.revoked`` statement (signed here)."""
        return self._post_statement("/v1/certificates/revocations", statement)

    def certificate(self, certificate_number: str) -> dict[str, Any]:
        """A certificate as anyone may read it, with its status (active or revoked)."""
        return _object(
            self._request("GET", f"/v1/certificates/{quote(certificate_number, safe='')}")
        )

    def rewards(
        self,
        account: str | None = None,
        *,
        program_id: str | None = None,
        status: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """A learner's rewards (``account``), or every reward (authority), filtered."""
        if account is not None:
            return self._paged(f"/v1/learners/{quote(account, safe='')}/rewards")
        filters = {"program_id": program_id, "status": status}
        return self._paged("/v1/rewards", {k: v for k, v in filters.items() if v is not None})

    def pay_reward(self, statement: Mapping[str, Any]) -> Appended:
        """Post a ``reward.paid`` statement (signed here)."""
        return self._post_statement("/v1/rewards/payments", statement)

    def set_budget(self, statement: Mapping[str, Any]) -> Appended:
        """Post a ``budget.set`` statement (signed here)."""
        return self._post_statement("/v1/budgets", statement)

    def budgets(self, program_id: str) -> dict[str, Any]:
        """A program's reward and subsidy budgets: budget, committed, remaining, pending."""
        return _object(self._request("GET", f"/v1/programs/{quote(program_id, safe='')}/budgets"))

    def subsidies(
        self,
        provider: str | None = None,
        *,
        status: str | None = None,
        program_id: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """A provider's subsidy parts (``provider``), or every part (authority)."""
        if provider is not None:
            path = f"/v1/providers/{quote(provider, safe='')}/subsidies"
            return self._paged(path, {} if status is None else {"status": status})
        filters = {"status": status, "program_id": program_id}
        return self._paged("/v1/subsidies", {k: v for k, v in filters.items() if v is not None})

    def claim_subsidy(self, statement: Mapping[str, Any]) -> Appended:
        """Post a ``subsidy.claimed`` statement (signed here)."""
        return self._post_statement("/v1/subsidies/claims", statement)

    def approve_subsidy(self, statement: Mapping[str, Any]) -> Appended:
        """Post a ``subsidy.approved`` statement (signed here)."""
        return self._post_statement("/v1/subsidies/approvals", statement)

    def reject_subsidy(self, statement: Mapping[str, Any]) -> Appended:
        """Post a ``subsidy.rejected`` statement (signed here)."""
        return self._post_statement("/v1/subsidies/rejections", statement)

    def pay_subsidy(self, statement: Mapping[str, Any]) -> Appended:
        """Post a ``subsidy.paid`` statement (signed here)."""
        return self._post_statement("/v1/subsidies/payments", statement)

    def report(self, year: int) -> dict[str, Any]:
        """The authority's report of a program year, as JSON."""
        return _object(self._request("GET", f"/v1/reports/{int(year)}"))

    def report_csv(self, year: int) -> str:
        """The authority's report of a program year, as CSV text."""
        return self._request("GET", f"/v1/reports/{int(year)}.csv").text
