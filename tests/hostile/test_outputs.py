"""Every output of one event is bounded in size, whatever the prompt holds (issue 18: a 1 MB
prompt of 140,000 e-mail addresses made a decision larger than Kafka's message limit, and the
worker crash-looped on it)."""

from __future__ import annotations

import random

import orjson

import schemas
from detectors.engine import Engine
from streams.pipeline import MAX_OUTPUT_BYTES, MAX_REDACTIONS, Pipeline
from streams.policy import PolicyStore
from tests.canaries import random_email
from tests.test_streams.conftest import POLICY_DIR, make_event

TOPIC = "airlock.prompts"


def many_emails(count: int, seed: int) -> str:
    rng = random.Random(seed)
    return " ".join(random_email(rng, domain="x.io") for _ in range(count))


def test_140000_emails_give_a_bounded_decision_that_blocks(pipeline: Pipeline) -> None:
    text = many_emails(140_000, 18)
    assert len(text) > 1_000_000
    raw = orjson.dumps(make_event(text, tenant_id="redactor"))
    outcome = pipeline.process(raw, topic=TOPIC, partition=0, offset=7)
    decision, alert = outcome.decision, outcome.alert
    assert decision is not None and alert is not None
    for name, message in (("decision", decision), ("alert", alert)):
        assert [e.message for e in schemas.validator(name).iter_errors(message)] == []
        assert len(orjson.dumps(message)) < MAX_OUTPUT_BYTES
    # The edge cannot redact 140,000 spans from a list it never gets: fail closed.
    assert decision["action"] == decision["policy_action"] == "block"
    assert decision["redactions"] == []
    assert decision["redactions_omitted"] == 140_000
    (reason,) = decision["reasons"]
    assert reason["detector"] == "email" and reason["count"] == 140_000
    serialized = orjson.dumps(decision) + orjson.dumps(alert)
    assert text.split(" ", 1)[0].encode() not in serialized


def test_redactions_up_to_the_cap_are_listed(pipeline: Pipeline) -> None:
    text = many_emails(MAX_REDACTIONS, 19)
    raw = orjson.dumps(make_event(text, tenant_id="redactor"))
    decision = pipeline.process(raw, topic=TOPIC, partition=0, offset=8).decision
    assert decision is not None
    assert decision["action"] == "redact"
    assert len(decision["redactions"]) == MAX_REDACTIONS
    assert "redactions_omitted" not in decision


def test_set_aside_keeps_a_dead_letter_under_the_output_limit(engine: Engine) -> None:
    pipeline = Pipeline(engine, _policies(), max_event_bytes=8 << 20)
    raw = b"x" * (4 << 20)
    outcome = pipeline.set_aside(
        raw, "undeliverable", "why", topic=TOPIC, partition=1, offset=2, event_id="e-1"
    )
    letter = outcome.deadletter
    assert letter is not None
    assert [e.message for e in schemas.validator("deadletter").iter_errors(letter)] == []
    assert letter["payload_truncated"] and letter["payload_bytes"] == 4 << 20
    assert letter["event_id"] == "e-1"
    assert len(orjson.dumps(letter)) < MAX_OUTPUT_BYTES


def _policies() -> PolicyStore:
    return PolicyStore(POLICY_DIR)
