"""Fixtures of the hostile-input tests: one engine per session and a tenant whose policy
redacts personal data without a bulk-export rule (the shape that made the worker crash-loop)."""

from __future__ import annotations

from pathlib import Path

import pytest

from detectors.engine import Engine
from streams.pipeline import Pipeline
from streams.policy import PolicyStore

HASH_KEY = b"airlock-hostile-tests-hash-key"

REDACT_ONLY_POLICY = """\
id: redactor
version: 1
mode: enforce
rules:
  - name: block-secrets
    match:
      categories: [secret]
    action: block
    alert: true
  - name: redact-personal-data
    match:
      categories: [pii]
    action: redact
    alert: true
"""


@pytest.fixture(scope="session")
def engine(engine_cache_dir: Path) -> Engine:
    return Engine(hash_key=HASH_KEY, cache_dir=engine_cache_dir)


@pytest.fixture(scope="session")
def policy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("policies")
    default = Path(__file__).resolve().parents[2] / "streams" / "policies" / "default.yaml"
    (folder / "default.yaml").write_text(default.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "redactor.yaml").write_text(REDACT_ONLY_POLICY, encoding="utf-8")
    return folder


@pytest.fixture()
def pipeline(engine: Engine, policy_dir: Path) -> Pipeline:
    return Pipeline(engine, PolicyStore(policy_dir), max_event_bytes=4 << 20)
