"""Settings from the environment (``CREDITBANK_*``) and CLI flags, built by a cached factory."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from creditbank.access.tokens import MAX_TOKEN_DAYS

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
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_lock_minutes: int = Field(default=15, ge=1, le=24 * 60)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'creditbank.db').resolve()}"

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


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings from the environment (tests build their own)."""
    return Settings()
