"""tlog-tiles reads under /tlog/: the checkpoint, hash tiles and entry bundles.

Full tiles never change, so they are served as immutable for a year; partial tiles and
the checkpoint change as the log grows and are served uncached.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from creditbank.api.deps import BankDep
from creditbank.ledger import reads

router = APIRouter(prefix="/tlog", tags=["tlog-tiles"])

IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"


@router.get("/checkpoint", response_class=Response)
def checkpoint(bank: BankDep) -> Response:
    """The latest signed checkpoint (C2SP tlog-checkpoint in a signed note)."""
    note = reads.checkpoint_note(bank.engine)
    return Response(
        note, media_type="text/plain; charset=utf-8", headers={"Cache-Control": NO_CACHE}
    )


@router.get("/tile/{path:path}", response_class=Response)
def tile(path: str, bank: BankDep) -> Response:
    """A hash tile `tile/<L>/<N>[.p/<W>]` or an entry bundle `tile/entries/<N>[.p/<W>]`."""
    data = reads.tile(bank.engine, f"tile/{path}")
    return Response(
        data.content,
        media_type="application/octet-stream",
        headers={"Cache-Control": IMMUTABLE if data.full else NO_CACHE},
    )
