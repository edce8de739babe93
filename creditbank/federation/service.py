"""What the shell asks of the federation: the checkpoint to serve, the witness's public
description, and one cosigning round on demand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from creditbank.core.keys import read_key_file
from creditbank.core.tlog.witness import witness_verifier_key
from creditbank.federation.config import load_config, witness_key_path
from creditbank.federation.cosigner import CosignResult, cosign_round
from creditbank.federation.witness import witnessed_logs
from creditbank.ledger.cosignatures import served_checkpoint


def served_note(engine: Engine, keys_dir: Path) -> str:
    """The checkpoint ``/tlog/checkpoint`` serves: with witnesses configured, the newest
    one they cosigned (with every cosignature it has); else the latest."""
    witnessed = bool(load_config(keys_dir).cosigners)
    with engine.connect() as conn:
        return served_checkpoint(conn, witnessed=witnessed)[1]


def witness_info(engine: Engine, keys_dir: Path) -> dict[str, Any]:
    """This bank's witness: its cosigner key (None: it runs none), the logs it witnesses
    and how far, and the witnesses this log asks."""
    config = load_config(keys_dir)
    path = witness_key_path(keys_dir)
    key = None
    if path.exists():
        pair = read_key_file(path)
        key = witness_verifier_key(pair.name, pair.public_key)
    sizes = {row["origin"]: row for row in witnessed_logs(engine)}
    return {
        "witness_key": key,
        "logs": [
            {
                "origin": log.origin,
                "key": log.key,
                "size": sizes.get(log.origin, {}).get("size"),
                "updated_at": sizes.get(log.origin, {}).get("updated_at"),
            }
            for log in config.logs
        ],
        "cosigners": [{"url": c.url, "key": c.key} for c in config.cosigners],
    }


def cosign_now(engine: Engine, keys_dir: Path) -> list[CosignResult]:
    """One cosigning round, now (the background task runs the same)."""
    return cosign_round(engine, load_config(keys_dir))
