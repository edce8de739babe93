"""Settings from CLI flags, the environment (``CREDITBANK_*``) and the data dir's own
``creditbank.toml`` (written by `creditbank init`), in that order of precedence, built by
:func:`load_settings` (cached for a process by :func:`get_settings`)."""

from __future__ import annotations

import json
import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from creditbank.access.tokens import MAX_TOKEN_DAYS
from creditbank.core.errors import InvalidInput

CONFIG_NAME = "creditbank.toml"
"""The data dir's settings file: what `creditbank init` was given, for every later command."""

CONFIG_KEYS = ("database_url", "origin")
"""The settings a data dir remembers (the database URL without its password)."""

"""The longest an organisation's bearer token may live (ten years): a lifetime is a
deliberate choice, not an accident of a typo or a huge number."""


class Settings(BaseSettings):
    """Everything configurable about one credit bank instance."""

    model_config = SettingsConfigDict(env_prefix="CREDITBANK_", extra="ignore")

    data_dir: Path = Path("./creditbank-data")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default SQLite in the data dir. PostgreSQL: "
        "postgresql+psycopg://user@host/db",
    )
    origin: str = Field(
        default="creditbank.local/ledger",
        description="The log's origin line (C2SP tlog-checkpoint) and note key name.",
    )
    batch_max_entries: int = Field(default=1024, ge=1, le=65536)
    batch_max_wait_ms: float = Field(default=2.0, ge=0, le=1000)
    parallel_verify: bool = Field(
        default=True,
        description="Verify the signatures of large batches on a second core (bulk appends).",
    )
    max_request_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    master_key: SecretStr | None = Field(
        default=None,
        description="Base64 master key wrapping learners' data keys (else master_key_file).",
    )
    master_key_file: Path | None = Field(
        default=None, description="Master key file (default <data_dir>/keys/master.key)."
    )
    token_days: int = Field(
        default=90, ge=1, le=MAX_TOKEN_DAYS, description="Organisation token lifetime in days."
    )
    learner_token_minutes: int = Field(default=60, ge=1, le=24 * 60)
    auth_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description="How long a server trusts a token it has checked (revocation elsewhere "
        "takes effect within this time; 0 checks the database on every request).",
    )
    tiles_dir: Path | None = Field(
        default=None,
        description="Publish the static tlog-tiles tree here whenever the log grows "
        "(`creditbank tiles publish`; serve or sync the folder to a CDN or bucket).",
    )
    tiles_publish_seconds: float = Field(
        default=1.0,
        gt=0,
        le=3600,
        description="How often the tiles publisher looks for a new checkpoint.",
    )
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_lock_minutes: int = Field(default=15, ge=1, le=24 * 60)
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="Server logs on standard error: one readable line, or one JSON object, "
        "per event (see docs/operations-production.md).",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="info logs every request; warning only problems."
    )
    ready_max_checkpoint_age: float | None = Field(
        default=None,
        gt=0,
        description="Seconds: /readyz answers 503 when the latest checkpoint is older (unset: "
        "not checked; a log without writes signs no new checkpoint).",
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'creditbank.db').resolve()}"

    @property
    def config_path(self) -> Path:
        return self.data_dir / CONFIG_NAME

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def log_key_path(self) -> Path:
        return self.keys_dir / "log.key"

    @property
    def authority_key_path(self) -> Path:
        return self.keys_dir / "authority.key"

    @property
    def master_key_path(self) -> Path:
        return self.master_key_file or self.keys_dir / "master.key"

    def make_dirs(self) -> None:
        """Create the data dir and its keys dir for their owner only (0700): they hold the
        database with its password hashes and sealed personal data, and the keys. A
        directory that already exists keeps its mode."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.keys_dir.mkdir(mode=0o700, exist_ok=True)


def without_password(url: str) -> str:
    """``url`` with any password removed (a ``#nopool`` suffix kept): what a data dir's
    config file may hold."""
    base, suffix = (url[: -len("#nopool")], "#nopool") if url.endswith("#nopool") else (url, "")
    try:
        parsed = make_url(base)
    except ArgumentError as exc:
        raise InvalidInput(f"{url!r} is not a database URL", field="database_url") from exc
    if parsed.password is None:
        return url
    # URL.set(password=None) keeps the password: build the URL again without it
    bare = URL.create(
        parsed.drivername,
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    return bare.render_as_string(hide_password=False) + suffix


def read_config(path: Path) -> dict[str, str]:
    """The settings a data dir's config file holds ({} when there is none)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", field="config") from exc
    try:
        saved = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{path} is not valid TOML: {exc}", field="config") from exc
    unknown = sorted(set(saved) - set(CONFIG_KEYS))
    wrong = sorted(k for k, v in saved.items() if not isinstance(v, str))
    if unknown or wrong:
        raise InvalidInput(
            f"{path}: unknown keys {unknown} or non-string values {wrong}", field="config"
        )
    return dict(saved)


def write_config(settings: Settings) -> None:
    """Write the data dir's config file (mode 0600, never over an existing one): the
    origin, and the database URL without its password when one was given (none means the
    default SQLite database in the data dir, wherever the dir is moved)."""
    lines = [
        "# Written by `creditbank init`; read by every creditbank command on this data dir.",
        "# Precedence: command-line option > CREDITBANK_* environment > this file > defaults.",
        "# No password is kept here: give the full URL through CREDITBANK_DATABASE_URL or",
        "# --database-url, or let PostgreSQL's libpq find it (PGPASSWORD, ~/.pgpass).",
        f"origin = {json.dumps(settings.origin)}",
    ]
    if settings.database_url:
        lines.append(f"database_url = {json.dumps(without_password(settings.database_url))}")
    # O_EXCL: two inits racing on one dir cannot both write it
    fd = os.open(settings.config_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")


def load_settings(**overrides: Any) -> Settings:
    """Settings from ``overrides`` (command-line options), then the environment, then the
    config file of the data dir they name, then the defaults."""
    settings = Settings(**overrides)
    saved = read_config(settings.config_path)
    # model_fields_set holds what the options and the environment set
    missing: dict[str, Any] = {k: v for k, v in saved.items() if k not in settings.model_fields_set}
    return Settings(**overrides, **missing) if missing else settings


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (see :func:`load_settings`; tests build their own)."""
    return load_settings()
