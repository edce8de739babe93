"""Asking witnesses to cosign this log's checkpoints, off the append path.

Appends never wait for a witness: a background task (:class:`CosigningTask`, started
with the server) looks for a new checkpoint every ``interval_seconds`` and sends it to each
configured witness (c2sp.org/tlog-witness ``add-checkpoint``) in parallel, each request
bounded by ``timeout_seconds``. A returned line is kept only if it is a valid
``cosignature/v1`` by that witness's key on that very checkpoint. A 409 tells the size the
witness last cosigned: the next request starts from there (once more in the same round).
A slow or dead witness costs a thread its timeout and nothing else.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import Engine, insert, select, update

from creditbank.core.entry import format_time
from creditbank.core.errors import VerificationError
from creditbank.core.tlog.note import open_note
from creditbank.core.tlog.witness import SIZE_CONTENT_TYPE, format_add_checkpoint
from creditbank.db import tables
from creditbank.db.engine import WRITE
from creditbank.federation.config import Cosigner, FederationConfig, load_config
from creditbank.ledger import store

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class CosignResult:
    """One witness's answer in a round: the size it now has cosigned, or what failed."""

    witness: str
    size: int | None
    cosigned: bool
    problem: str | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def _state(engine: Engine, witness: str) -> int:
    s = tables.cosigner_state
    with engine.connect() as conn:
        size: int | None = conn.execute(
            select(s.c.size).where(s.c.witness == witness)
        ).scalar_one_or_none()
    return size or 0


def _save(engine: Engine, witness: str, size: int, line: str | None, at: str) -> None:
    s, c = tables.cosigner_state, tables.checkpoint_cosignatures
    # WRITE: on SQLite a write transaction queues on the lock instead of failing midway
    with engine.connect().execution_options(**WRITE) as conn, conn.begin():
        found = conn.execute(select(s.c.size).where(s.c.witness == witness)).first()
        if found is None:
            conn.execute(insert(s).values(witness=witness, size=size, updated_at=at))
        else:
            conn.execute(update(s).where(s.c.witness == witness).values(size=size, updated_at=at))
        if line is not None:
            have = conn.execute(
                select(c.c.size).where(c.c.size == size, c.c.witness == witness)
            ).first()
            if have is None:
                conn.execute(
                    insert(c).values(size=size, witness=witness, line=line, cosigned_at=at)
                )


def _request(
    http: httpx.Client, engine: Engine, cosigner: Cosigner, old: int, size: int, note: str
) -> httpx.Response:
    with engine.connect() as conn:
        proof = store.consistency_proof(conn, old, size) if 0 < old < size else []
    body = format_add_checkpoint(old, proof, note)
    return http.post(
        f"{cosigner.url}/add-checkpoint",
        content=body.encode(),
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )


def _verified_line(cosigner: Cosigner, note: str, body: str) -> str | None:
    """The witness's own valid cosignature line among ``body``'s lines, if any."""
    verifier = cosigner.verifier
    for line in body.splitlines(keepends=True):
        try:
            opened = open_note(note + line, [verifier])
        except (VerificationError, ValueError):
            continue
        if opened.verified_by(verifier) is not None:
            return line if line.endswith("\n") else line + "\n"
    return None


def cosign_with(
    engine: Engine, cosigner: Cosigner, timeout: float, clock: Clock = _now
) -> CosignResult:
    """Bring one witness up to the latest checkpoint; never raises."""
    wid = cosigner.witness_id
    with engine.connect() as conn:
        size, note = store.latest_checkpoint(conn)
    old = _state(engine, wid)
    if old == size:
        with engine.connect() as conn:
            done = conn.execute(
                select(tables.checkpoint_cosignatures.c.size).where(
                    tables.checkpoint_cosignatures.c.size == size,
                    tables.checkpoint_cosignatures.c.witness == wid,
                )
            ).first()
        if done is not None:
            return CosignResult(wid, size, True)
    try:
        with httpx.Client(timeout=timeout) as http:
            for _ in range(2):  # a 409 says where to start from: one more try
                response = _request(http, engine, cosigner, min(old, size), size, note)
                if response.status_code == 409 and response.headers.get(
                    "content-type", ""
                ).startswith(SIZE_CONTENT_TYPE):
                    known = int(response.text.strip())
                    if known > size:
                        return CosignResult(
                            wid,
                            known,
                            False,
                            f"the witness has cosigned size {known}, beyond this log's {size}",
                        )
                    old = known
                    continue
                break
    except (httpx.HTTPError, ValueError) as exc:
        return CosignResult(wid, None, False, f"{type(exc).__name__}: {exc}")
    if response.status_code != 200:
        problem = f"HTTP {response.status_code}: {response.text.strip()[:200]}"
        return CosignResult(wid, None, False, problem)
    line = _verified_line(cosigner, note, response.text)
    if line is None:
        return CosignResult(wid, None, False, "no valid cosignature by the witness's key")
    _save(engine, wid, size, line, format_time(clock()))
    return CosignResult(wid, size, True)


def cosign_round(
    engine: Engine, config: FederationConfig, clock: Clock = _now
) -> list[CosignResult]:
    """Ask every configured witness, in parallel, to cosign the latest checkpoint."""
    if not config.cosigners:
        return []
    with ThreadPoolExecutor(max_workers=len(config.cosigners)) as pool:
        futures = [
            pool.submit(cosign_with, engine, c, config.timeout_seconds, clock)
            for c in config.cosigners
        ]
        results = [f.result() for f in futures]
    for r in results:
        if r.problem is not None:
            log.warning("witness %s did not cosign: %s", r.witness, r.problem)
    return results


class CosigningTask:
    """The background task: a cosigning round every ``interval_seconds`` until stopped."""

    def __init__(self, engine: Engine, keys_dir: Path, clock: Clock = _now) -> None:
        self.engine = engine
        self.keys_dir = keys_dir
        self.clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cosigning", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=70)

    def _run(self) -> None:
        while not self._stop.is_set():
            config = load_config(self.keys_dir)
            try:
                cosign_round(self.engine, config, self.clock)
            except Exception:  # the task must outlive a bad round (a database hiccup)
                log.exception("cosigning round failed")
            self._stop.wait(config.interval_seconds)


def start_cosigning(engine: Engine, keys_dir: Path) -> CosigningTask | None:
    """Start the background task if this bank has witnesses to ask (None: it has not)."""
    if not load_config(keys_dir).cosigners:
        return None
    task = CosigningTask(engine, keys_dir)
    task.start()
    return task
