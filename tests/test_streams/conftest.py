"""Shared fixtures of the pipeline unit tests: one engine per session, events built from a
valid template, and the shipped policy folder."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest

from detectors.dictionary import Dictionary
from detectors.engine import Engine
from streams.pipeline import Pipeline
from streams.policy import PolicyStore

HASH_KEY = b"airlock-stream-tests-hash-key"
POLICY_DIR = Path(__file__).resolve().parents[2] / "streams" / "policies"
# A tenant dictionary gives the tests a confidential detector that does not depend on the
# catalogue, which other engineers are extending.
CODENAMES = Dictionary(name="codenames", terms=("Project Nightjar", "Bluefin"))
CODENAME_DETECTOR = "dictionary.codenames"

TEMPLATE: dict[str, Any] = {
    "schema_version": 1,
    "event_id": "evt-0001",
    "tenant_id": "initech",
    "time": 1_760_000_000_000,
    "gateway": {"id": "gw-paris-1", "kind": "api_gateway", "version": "1.4.2"},
    "user": {"id": "u-1042", "email": "peter.gibbons@initech.example", "groups": ["engineering"]},
    "client": {"ip": "10.20.30.40", "hostname": "laptop-042"},
    "app": {"name": "chatgpt", "host": "chatgpt.com", "operation": "prompt"},
    "conversation_id": "conv-77",
    "content": {"text": "How do I write a haiku about the sea?"},
}


def make_event(text: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A valid prompt event; `text` sets content.text, keyword arguments replace fields."""
    event = copy.deepcopy(TEMPLATE)
    if text is not None:
        event["content"]["text"] = text
    event.update(copy.deepcopy(overrides))
    return event


def encode(event: Any) -> bytes:
    return orjson.dumps(event)


@pytest.fixture(scope="session")
def engine(engine_cache_dir: Path) -> Engine:
    return Engine(hash_key=HASH_KEY, dictionaries=[CODENAMES], cache_dir=engine_cache_dir)


@pytest.fixture()
def pipeline(engine: Engine) -> Pipeline:
    return Pipeline(engine, PolicyStore(POLICY_DIR), max_event_bytes=64 * 1024)
