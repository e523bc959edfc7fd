"""Shared engine for the detector tests: the full catalogue, compiled once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from detectors.engine import Engine

HASH_KEY = b"airlock-tests-hash-key"


@pytest.fixture(scope="session")
def engine(engine_cache_dir: Path) -> Engine:
    return Engine(hash_key=HASH_KEY, cache_dir=engine_cache_dir)
