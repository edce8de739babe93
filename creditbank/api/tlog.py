"""tlog-tiles reads under /tlog/: the checkpoint, hash tiles and entry bundles.

Full tiles never change, so they are served as immutable for a year; partial tiles and
the checkpoint change as the log grows and are served uncached.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from creditbank.api.deps import BankDep
from creditbank.api.media import BINARY, OctetStreamResponse
from creditbank.federation.service import served_note
from creditbank.ledger import reads

router = APIRouter(prefix="/tlog", tags=["tlog-tiles"])

IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"


@router.get("/checkpoint", response_class=PlainTextResponse)
def checkpoint(bank: BankDep) -> PlainTextResponse:
    """The signed checkpoint (C2SP tlog-checkpoint in a signed note) with its witnesses'
    cosignatures: with witnesses configured, the newest one they cosigned."""
    note = served_note(bank.engine, bank.settings.keys_dir)
    return PlainTextResponse(note, headers={"Cache-Control": NO_CACHE})


@router.get("/tile/{path:path}", response_class=OctetStreamResponse, responses=BINARY)
def tile(path: str, bank: BankDep) -> OctetStreamResponse:
    """A hash tile `tile/<L>/<N>[.p/<W>]` or an entry bundle `tile/entries/<N>[.p/<W>]`."""
    data = reads.tile(bank.engine, f"tile/{path}")
    return OctetStreamResponse(
        data.content, headers={"Cache-Control": IMMUTABLE if data.full else NO_CACHE}
    )
