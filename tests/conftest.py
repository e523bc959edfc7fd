"""Fixtures shared by every test folder.

Tests write nothing into the checkout: the broker they start, its logs and the compiled rule
cache live under the user's cache folder, Hypothesis keeps no example database and its other
files there too, and pytest keeps no cache (pyproject.toml). The broker takes its own port,
apart from the demo's (and below the ephemeral range: tests/kafka_cli.py says why).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

TEST_STATE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "airlock-tests"
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(TEST_STATE / "hypothesis"))
os.environ.setdefault("AIRLOCK_KAFKA_PORT", "18092")
os.environ.setdefault(
    "AIRLOCK_STATE_DIR", str(TEST_STATE / f"broker-{os.environ['AIRLOCK_KAFKA_PORT']}")
)

settings.register_profile("airlock", database=None)
settings.load_profile("airlock")


@pytest.fixture(scope="session")
def engine_cache_dir() -> Path:
    """Where compiled Hyperscan databases survive between test runs, as for a deployed worker."""
    return TEST_STATE / "cache"
