"""A per-event deadline bounds the scan whatever the prompt: past it the scan stops, the
decision carries scan_incomplete with the findings so far, and the fail mode decides."""

from __future__ import annotations

import time

import orjson
import pytest

import schemas
from detectors.engine import CHUNK, Engine
from streams.pipeline import Pipeline
from streams.policy import PolicyStore
from tests.test_streams.conftest import POLICY_DIR, make_event

KEY = "AKIAQ5MZ3W7XK2NBR4TY"


def test_a_scan_past_its_deadline_stops_and_says_so(engine: Engine) -> None:
    text = f"first {KEY} " + "lorem ipsum " * (2 * CHUNK // 12) + f" last {KEY}"
    full = engine.scan(text)
    assert not engine.incomplete and len(full) == 2
    cut = engine.scan(text, deadline=time.monotonic() - 1)
    assert engine.incomplete
    assert set(cut) < set(full)
    engine.scan("a haiku")
    assert not engine.incomplete  # reset by the next scan


@pytest.mark.parametrize(("fail_mode", "action"), [("block", "block"), ("allow", "allow")])
def test_an_event_whose_scan_runs_out_of_time_gets_the_fail_mode(
    engine: Engine, fail_mode: str, action: str
) -> None:
    pipeline = Pipeline(
        engine,
        PolicyStore(POLICY_DIR),
        max_event_bytes=1 << 20,
        scan_deadline_s=0.0,
        fail_mode=fail_mode,
    )
    raw = orjson.dumps(make_event(f"Write to jane.roe@initech.example about {KEY}. " * 20))
    decision = pipeline.process(raw, topic="airlock.prompts", partition=0, offset=0).decision
    assert decision is not None
    assert [e.message for e in schemas.validator("decision").iter_errors(decision)] == []
    assert decision["scan_incomplete"] is True
    assert decision["action"] == action


def test_an_event_scanned_in_time_has_no_incomplete_mark(engine: Engine) -> None:
    pipeline = Pipeline(engine, PolicyStore(POLICY_DIR), 1 << 20, scan_deadline_s=60.0)
    raw = orjson.dumps(make_event("Write a haiku about the sea."))
    decision = pipeline.process(raw, topic="airlock.prompts", partition=0, offset=0).decision
    assert decision is not None and "scan_incomplete" not in decision
    assert decision["action"] == "allow"
