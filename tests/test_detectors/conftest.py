"""Shared engine for the detector tests: the full catalogue, compiled once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from detectors.engine import Engine

HASH_KEY = b"airlock-tests-hash-key"
# Compiled databases survive between test runs here, as they do for a deployed worker.
CACHE_DIR = Path(__file__).resolve().parents[2] / ".airlock" / "cache"


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine(hash_key=HASH_KEY, cache_dir=CACHE_DIR)
