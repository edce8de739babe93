"""Fixtures for standards tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def catalogue_root(tmp_path: Path) -> Path:
    """An empty project directory with a ``standards/`` folder."""
    (tmp_path / "standards" / "programs").mkdir(parents=True)
    return tmp_path
