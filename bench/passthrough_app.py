"""The pass-through baseline of bench/pipeline.py: the worker's Faust app without the scanning.

Same topics, same Faust settings (streams.app.faust_app), same batches and at-least-once acking
(streams.app.run_acked: each event acked after its decision is delivered); the agent decodes
each prompt event and emits an `allow` decision keyed by its event_id, so the difference
between the two is what detection, policy and the decision's contents cost.

Run: `AIRLOCK_TOPIC_PREFIX=... AIRLOCK_GROUP_ID=... python -m bench.passthrough_app`
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Awaitable
from typing import Any, cast

import faust
import orjson
from faust.types import EventT, StreamT

from airlock.config import Settings
from streams.app import InFlight, faust_app, log_assignments, raw_topic, run_acked, send
from streams.topics import Topics, create_topics
from streams.worker import configure_logging, run_faust_worker

log = logging.getLogger("airlock.worker")


def build_passthrough_app(settings: Settings, topics: Topics) -> faust.App:
    app = faust_app(settings)
    prompts = raw_topic(app, topics.prompts)

    async def pass_on(event: EventT[bytes]) -> InFlight:
        deliveries: list[Awaitable[Any]] = []
        try:
            document = orjson.loads(event.value or b"")
            event_id = str(document["event_id"])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return InFlight(event, deliveries)
        decision = {
            "schema_version": 1,
            "event_id": event_id,
            "tenant_id": document.get("tenant_id"),
            "action": "allow",
            "reasons": [],
            "event_time": document.get("time"),
            "decided_at": int(time.time() * 1000),
        }
        deliveries.append(
            await send(app, topics.decisions, event_id.encode(), orjson.dumps(decision))
        )
        return InFlight(event, deliveries)

    async def handle(events: list[EventT[bytes]]) -> list[InFlight]:
        return [await pass_on(event) for event in events]

    @app.agent(prompts, name="airlock.passthrough", concurrency=1)
    async def passthrough(stream: StreamT[bytes]) -> None:
        await run_acked(cast("faust.Stream[bytes]", stream), handle)

    log_assignments(app, topics.prompts)

    return app


def main() -> int:
    settings = Settings()
    level = configure_logging(settings.log_level)
    topics = Topics.from_prefix(settings.topic_prefix)
    create_topics(settings, topics)
    return run_faust_worker(build_passthrough_app(settings, topics), level)


if __name__ == "__main__":
    sys.exit(main())
