"""Fixtures shared by every test folder."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def engine_cache_dir() -> Path:
    """Where compiled Hyperscan databases survive between test runs, as for a deployed worker."""
    return Path(__file__).resolve().parents[1] / ".airlock" / "cache"
