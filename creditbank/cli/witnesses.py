"""The ``--witness KEY`` (repeatable) and ``--quorum N`` options of the verify commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from creditbank.core.errors import InvalidInput, VerificationError
from creditbank.core.verify.witnessed import parse_witness_policy

WitnessKeys = Annotated[
    list[str] | None,
    typer.Option(
        "--witness",
        help="A witness's cosigner (type 0x04) key string, or @FILE; repeat for several.",
    ),
]
Quorum = Annotated[
    int | None,
    typer.Option(
        "--quorum",
        min=0,
        help="How many of the --witness keys must have cosigned (default: all of them).",
    ),
]


def _key(text: str) -> str:
    if not text.startswith("@"):
        return text
    path = Path(text[1:])
    try:
        return path.read_text().strip()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", field="witness") from exc


def witness_policy(keys: list[str] | None, quorum: int | None) -> tuple[list[str], int]:
    """The witness key strings and the quorum, checked before anything is fetched."""
    texts = [_key(k) for k in keys or []]
    if quorum and not texts:
        raise InvalidInput("--quorum needs the witnesses' keys: give --witness KEY", field="quorum")
    try:
        _, needed = parse_witness_policy(texts, quorum)
    except VerificationError as exc:
        raise InvalidInput(str(exc), field="witness") from exc
    return texts, needed
