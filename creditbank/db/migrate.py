"""Run the Alembic migrations (the only way the schema is built, in tests too)."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from sqlalchemy import Engine

from alembic import command

# The migrations live at the project's top level (alembic/), beside the package.
ALEMBIC_DIR = Path(__file__).resolve().parents[2] / "alembic"


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database behind ``engine`` to ``revision`` (one linear history)."""
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # Several server processes may start at once against one database.
            conn.exec_driver_sql("SELECT pg_advisory_lock(72790501)")
            conn.commit()
        try:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
            conn.commit()
        finally:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SELECT pg_advisory_unlock(72790501)")
                conn.commit()
