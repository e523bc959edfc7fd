"""The SDK's routing and its handling of decisions, without a broker (the broker-backed path is
tests/integration/test_gateway.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson

from airlock.config import Settings
from airlock.startup import build_engine
from edge.client import DecisionClient, _Pending, default_reply_partition
from streams.pipeline import Pipeline
from streams.policy import PolicyStore

POLICY_DIR = Path(__file__).resolve().parents[2] / "streams" / "policies"


def test_the_default_reply_partition_is_a_stable_spread_hash_of_the_gateway_id() -> None:
    assert default_reply_partition("gw-eu-1", 12) == default_reply_partition("gw-eu-1", 12)
    spread = {default_reply_partition(f"gw-{i}", 12) for i in range(200)}
    assert spread == set(range(12))


def test_a_duplicate_decision_is_dropped_and_the_first_one_answers() -> None:
    async def scenario() -> tuple[dict[str, object], int, int]:
        client = DecisionClient(Settings(kafka_bootstrap="127.0.0.1:1"))
        loop = asyncio.get_running_loop()
        client._loop = loop
        pending = _Pending(loop.create_future())
        client._pending["e1"] = pending
        client._answer(orjson.dumps({"event_id": "e1", "action": "block"}))
        client._answer(orjson.dumps({"event_id": "e1", "action": "allow"}))  # redelivered
        client._answer(orjson.dumps({"event_id": "someone-else", "action": "allow"}))
        client._answer(b"not json")
        decision = await pending.future
        return decision, client.stats.matched, client.stats.dropped

    decision, matched, dropped = asyncio.run(scenario())
    assert decision["action"] == "block"
    assert (matched, dropped) == (1, 3)


def test_the_pipeline_carries_the_events_reply_partition_to_its_outcome() -> None:
    pipeline = Pipeline(build_engine(Settings()), PolicyStore(POLICY_DIR), 64 * 1024)
    event = {
        "schema_version": 1,
        "event_id": "e1",
        "tenant_id": "default",
        "time": 1,
        "gateway": {"id": "gw", "kind": "api_gateway", "reply_partition": 3},
        "user": {"id": "u"},
        "app": {"name": "other", "operation": "prompt"},
        "conversation_id": "c",
        "content": {"text": "hello"},
    }
    outcome = pipeline.process(orjson.dumps(event), topic="p", partition=0, offset=0)
    assert outcome.reply_partition == 3 and outcome.action == "allow"
    del event["gateway"]["reply_partition"]  # type: ignore[attr-defined]
    outcome = pipeline.process(orjson.dumps(event), topic="p", partition=0, offset=1)
    assert outcome.reply_partition is None
    event["gateway"]["reply_partition"] = -1  # type: ignore[index]
    outcome = pipeline.process(orjson.dumps(event), topic="p", partition=0, offset=2)
    assert outcome.deadletter is not None and "reply_partition" in outcome.deadletter["detail"]
