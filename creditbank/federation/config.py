"""A bank's federation settings: the peer logs its witness cosigns, the witnesses its
sequencer asks, and its own witness key.

They live in the data dir beside the ledger: ``federation.toml`` (written by the
``creditbank federation`` commands, readable by people) and ``keys/witness.key`` (the
witness's own Ed25519 key, never the log key: a witness vouches for other logs, and a
cosignature by the log's own key would vouch for nothing).

::

    [[witness.logs]]              # a peer log this bank witnesses
    origin = "tianjin.example/ledger"
    key = "tianjin.example/ledger+1a2b3c4d+AQ..."

    [[cosigners]]                 # a witness this bank's sequencer asks to cosign
    url = "http://127.0.0.1:8001"
    key = "tianjin.example/witness+5e6f7a8b+BA..."

    [[peers]]                     # where a peer bank serves (to re-check recognitions)
    origin = "tianjin.example/ledger"
    url = "http://127.0.0.1:8001"

    [cosigning]
    timeout_seconds = 5.0         # per request: a slow witness is given up on
    interval_seconds = 0.5        # how often the background task looks for a new checkpoint
    recheck_interval_seconds = 3600.0   # how often recognitions are re-checked (serve)
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from creditbank.core.errors import Conflict, InvalidInput, NotFound, VerificationError
from creditbank.core.keys import KeyPair, read_key_file, write_key_file
from creditbank.core.tlog.note import SIG_COSIGNATURE_V1, SIG_ED25519, Verifier, parse_verifier_key
from creditbank.core.tlog.witness import witness_verifier_key

CONFIG_NAME = "federation.toml"
WITNESS_KEY_NAME = "witness.key"
MAX_TIMEOUT = 60.0
MAX_RECHECK_INTERVAL = 7 * 24 * 3600.0


@dataclass(frozen=True)
class PeerLog:
    """A peer log the witness cosigns: its origin and its log verifier key string."""

    origin: str
    key: str

    @property
    def verifier(self) -> Verifier:
        return parse_verifier_key(self.key)


@dataclass(frozen=True)
class Cosigner:
    """A witness this log asks for cosignatures: where, and its cosigner key string."""

    url: str
    key: str

    @property
    def verifier(self) -> Verifier:
        return parse_verifier_key(self.key)

    @property
    def witness_id(self) -> str:
        """How stored cosignatures name it: ``name+hex(key id)``."""
        v = self.verifier
        return f"{v.name}+{v.key_id.hex()}"


@dataclass(frozen=True)
class PeerBank:
    """Where a peer bank's API is (recognitions are re-checked there)."""

    origin: str
    url: str


@dataclass(frozen=True)
class FederationConfig:
    """The parsed ``federation.toml``; an absent file is an empty configuration."""

    logs: tuple[PeerLog, ...] = ()
    cosigners: tuple[Cosigner, ...] = ()
    timeout_seconds: float = 5.0
    interval_seconds: float = 0.5
    peers: tuple[PeerBank, ...] = ()
    recheck_interval_seconds: float = 3600.0
    path: Path | None = field(default=None, compare=False)

    def peer(self, origin: str) -> PeerLog | None:
        for log in self.logs:
            if log.origin == origin:
                return log
        return None


def config_path(keys_dir: Path) -> Path:
    """``federation.toml`` of the data dir whose keys dir is ``keys_dir``."""
    return keys_dir.parent / CONFIG_NAME


def witness_key_path(keys_dir: Path) -> Path:
    return keys_dir / WITNESS_KEY_NAME


def _check_peer(origin: object, key: object, where: str) -> PeerLog:
    if not isinstance(origin, str) or not isinstance(key, str):
        raise InvalidInput(f"{where}: origin and key must be strings", field="origin")
    try:
        verifier = parse_verifier_key(key)
    except VerificationError as exc:
        raise InvalidInput(f"{where}: {exc}", field="key") from exc
    if verifier.sig_type != SIG_ED25519 or verifier.name != origin:
        raise InvalidInput(
            f"{where}: the key must be the log's Ed25519 key named {origin!r} (its origin)",
            field="key",
        )
    return PeerLog(origin, key)


def _check_cosigner(url: object, key: object, where: str) -> Cosigner:
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InvalidInput(f"{where}: url must be an http(s) URL", field="url")
    if not isinstance(key, str):
        raise InvalidInput(f"{where}: key must be a string", field="key")
    try:
        verifier = parse_verifier_key(key)
    except VerificationError as exc:
        raise InvalidInput(f"{where}: {exc}", field="key") from exc
    if verifier.sig_type != SIG_COSIGNATURE_V1:
        raise InvalidInput(
            f"{where}: a witness key is a cosignature/v1 (type 0x04) key", field="key"
        )
    return Cosigner(url.rstrip("/"), key)


def _seconds(value: object, name: str, default: float, most: float = MAX_TIMEOUT) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{name} must be a number", field=name)
    if not 0 < value <= most:
        raise InvalidInput(f"{name} must be in (0, {most:g}]", field=name)
    return float(value)


def parse_config(text: str, where: str = CONFIG_NAME) -> FederationConfig:
    """Parse the file's text strictly: every refusal names the file and the field."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{where} is not valid TOML: {exc}", field="config") from exc
    unknown = sorted(set(raw) - {"witness", "cosigners", "cosigning", "peers"})
    if unknown:
        raise InvalidInput(f"{where}: unknown sections {unknown}", field="config")
    witness: Any = raw.get("witness", {})
    logs_raw: Any = witness.get("logs", []) if isinstance(witness, dict) else None
    cosigners_raw: Any = raw.get("cosigners", [])
    peers_raw: Any = raw.get("peers", [])
    cosigning: Any = raw.get("cosigning", {})
    if not all(isinstance(x, list) for x in (logs_raw, cosigners_raw, peers_raw)):
        raise InvalidInput(f"{where}: witness.logs and cosigners are arrays", field="config")
    if not isinstance(cosigning, dict):
        raise InvalidInput(f"{where}: [cosigning] is a table", field="config")
    logs = tuple(
        _check_peer(
            item.get("origin") if isinstance(item, dict) else None,
            item.get("key") if isinstance(item, dict) else None,
            f"{where}: witness.logs[{i}]",
        )
        for i, item in enumerate(logs_raw)
    )
    if len({log.origin for log in logs}) != len(logs):
        raise InvalidInput(f"{where}: a peer log is listed twice", field="origin")
    cosigners = tuple(
        _check_cosigner(
            item.get("url") if isinstance(item, dict) else None,
            item.get("key") if isinstance(item, dict) else None,
            f"{where}: cosigners[{i}]",
        )
        for i, item in enumerate(cosigners_raw)
    )
    peers = tuple(
        _check_peer_bank(item, f"{where}: peers[{i}]") for i, item in enumerate(peers_raw)
    )
    return FederationConfig(
        logs,
        cosigners,
        _seconds(cosigning.get("timeout_seconds"), "timeout_seconds", 5.0),
        _seconds(cosigning.get("interval_seconds"), "interval_seconds", 0.5),
        peers,
        _seconds(
            cosigning.get("recheck_interval_seconds"),
            "recheck_interval_seconds",
            3600.0,
            most=MAX_RECHECK_INTERVAL,
        ),
    )


def _check_peer_bank(item: object, where: str) -> PeerBank:
    origin = item.get("origin") if isinstance(item, dict) else None
    url = item.get("url") if isinstance(item, dict) else None
    if not isinstance(origin, str) or not origin:
        raise InvalidInput(f"{where}: origin must be a string", field="origin")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InvalidInput(f"{where}: url must be an http(s) URL", field="url")
    return PeerBank(origin, url.rstrip("/"))


def load_config(keys_dir: Path) -> FederationConfig:
    """The data dir's federation settings (empty when it has no ``federation.toml``)."""
    path = config_path(keys_dir)
    try:
        text = path.read_text()
    except FileNotFoundError:
        return FederationConfig(path=path)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", field="config") from exc
    return replace(parse_config(text, str(path)), path=path)


def render_config(config: FederationConfig) -> str:
    """The TOML text of ``config`` (strings written as JSON strings, which TOML reads)."""
    lines = [
        "# creditbank federation settings (see docs/federation.md); edited by",
        "# `creditbank federation witness-log` and `creditbank federation cosigner`.",
        "",
        "[cosigning]",
        f"timeout_seconds = {config.timeout_seconds!r}",
        f"interval_seconds = {config.interval_seconds!r}",
        f"recheck_interval_seconds = {config.recheck_interval_seconds!r}",
    ]
    for log in config.logs:
        lines += ["", "[[witness.logs]]", f"origin = {json.dumps(log.origin)}"]
        lines.append(f"key = {json.dumps(log.key)}")
    for c in config.cosigners:
        lines += ["", "[[cosigners]]", f"url = {json.dumps(c.url)}", f"key = {json.dumps(c.key)}"]
    for p in config.peers:
        lines += ["", "[[peers]]", f"origin = {json.dumps(p.origin)}", f"url = {json.dumps(p.url)}"]
    return "\n".join(lines) + "\n"


def save_config(keys_dir: Path, config: FederationConfig) -> None:
    """Write ``federation.toml`` (mode 0600) through a temporary file and a rename."""
    path = config_path(keys_dir)
    tmp = path.with_suffix(".toml.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(render_config(config))
    tmp.replace(path)


def add_peer_log(keys_dir: Path, origin: str, key: str) -> FederationConfig:
    """Witness one more peer log (or replace the key of one already witnessed)."""
    config = load_config(keys_dir)
    peer = _check_peer(origin, key, "witness log")
    logs = (*(log for log in config.logs if log.origin != origin), peer)
    config = replace(config, logs=logs)
    save_config(keys_dir, config)
    return config


def add_cosigner(keys_dir: Path, url: str, key: str) -> FederationConfig:
    """Ask one more witness to cosign (or move a known witness to a new URL)."""
    config = load_config(keys_dir)
    cosigner = _check_cosigner(url, key, "cosigner")
    kept = tuple(c for c in config.cosigners if c.witness_id != cosigner.witness_id)
    config = replace(config, cosigners=(*kept, cosigner))
    save_config(keys_dir, config)
    return config


def create_witness_key(keys_dir: Path, name: str) -> KeyPair:
    """Make this bank's witness key (refused when there is one already)."""
    path = witness_key_path(keys_dir)
    if path.exists():
        raise Conflict(f"{path} exists: this bank has a witness key already", field="name")
    try:
        key = KeyPair.generate(name)
        witness_verifier_key(name, key.public_key)  # the name must make a valid key
    except ValueError as exc:
        raise InvalidInput(f"{name!r} is not a valid witness name: {exc}", field="name") from exc
    write_key_file(path, key)
    return key


def witness_key(keys_dir: Path) -> KeyPair:
    """This bank's witness key; NotFound when the bank runs no witness."""
    path = witness_key_path(keys_dir)
    if not path.exists():
        raise NotFound(
            "this bank runs no witness: make its key with `creditbank federation "
            "witness-init --name NAME`",
            field="witness",
        )
    return read_key_file(path)


def add_peer_bank(keys_dir: Path, origin: str, url: str) -> FederationConfig:
    """Note where a peer bank serves (or move it)."""
    config = load_config(keys_dir)
    peer = _check_peer_bank({"origin": origin, "url": url}, "peer")
    config = replace(config, peers=(*(p for p in config.peers if p.origin != origin), peer))
    save_config(keys_dir, config)
    return config


def load_peer_urls(keys_dir: Path) -> dict[str, str]:
    """Peer origin -> URL, from ``[[peers]]``."""
    return {p.origin: p.url for p in load_config(keys_dir).peers}
