"""Against the real broker: one event whose decision the broker refuses does not stop its
partition; its dead letter says why, and the next event of the partition is decided."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._config import AlterConfigOpType, ConfigEntry, ConfigResource

from tests.canaries import random_email
from tests.hostile.conftest import REDACT_ONLY_POLICY
from tests.integration.pipeline_support import (
    Consumed,
    Namespace,
    TopicReader,
    WorkerProcess,
    encoded,
    produce,
    prompt_event,
)

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(240)]

DECISIONS_MAX_MESSAGE_BYTES = 4000


def test_a_decision_the_broker_refuses_is_dead_lettered_and_the_partition_moves_on(
    namespace: Namespace, start_worker: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    admin = AdminClient({"bootstrap.servers": namespace.bootstrap})
    limit = ConfigEntry(
        "max.message.bytes",
        str(DECISIONS_MAX_MESSAGE_BYTES),
        incremental_operation=AlterConfigOpType.SET,
    )
    resource = ConfigResource("topic", namespace.topics.decisions, incremental_configs=[limit])
    for future in admin.incremental_alter_configs([resource]).values():
        future.result(30)
    policies = tmp_path / "policies"
    policies.mkdir()
    default = Path(__file__).resolve().parents[2] / "streams" / "policies" / "default.yaml"
    (policies / "default.yaml").write_bytes(default.read_bytes())
    (policies / "redactor.yaml").write_text(REDACT_ONLY_POLICY, encoding="utf-8")
    worker = start_worker(AIRLOCK_POLICY_DIR=str(policies))

    run = uuid.uuid4().hex[:8]
    rng = random.Random(18)
    emails = " ".join(random_email(rng) for _ in range(80))  # 80 spans: a decision of ~8 KB
    events = [
        prompt_event(f"{run}-before", "Write a haiku about the sea.", tenant="redactor"),
        prompt_event(f"{run}-poison", f"Mail these: {emails}", tenant="redactor"),
        prompt_event(f"{run}-after", "Write a haiku about the hills.", tenant="redactor"),
    ]
    reader = TopicReader(
        namespace.bootstrap, [namespace.topics.decisions, namespace.topics.deadletter]
    )
    try:
        # One at a time, so that the producer never batches the small decisions with the big one.
        expected = {
            f"{run}-before": namespace.topics.decisions,
            f"{run}-poison": namespace.topics.deadletter,
            f"{run}-after": namespace.topics.decisions,
        }
        for event in events:
            _key, value = encoded(event)
            produce(namespace.bootstrap, namespace.topics.prompts, [(b"same-partition", value)])
            event_id = event["event_id"]

            def arrived(got: list[Consumed], event_id: str = event_id) -> bool:
                return any(
                    m.topic == expected[event_id] and m.json().get("event_id") == event_id
                    for m in got
                )

            reader.poll_until(arrived, 90, what=f"the output of {event_id}")
        letters = [m.json() for m in reader.messages if m.topic == namespace.topics.deadletter]
        (letter,) = letters
        assert letter["reason"] == "undeliverable"
        assert letter["event_id"] == f"{run}-poison" and letter["tenant_id"] == "redactor"
        assert "TooLarge" in letter["detail"]  # the producer error's type, never a value
        decided = {m.json()["event_id"] for m in reader.messages if m.topic.endswith("decisions")}
        assert decided == {f"{run}-before", f"{run}-after"}
        assert worker.process is not None and worker.process.poll() is None
        for address in emails.split():
            assert address not in worker.log_text()
    finally:
        reader.close()


BOMB_BYTES = 400 * 1000 * 1000
RSS_LIMIT_KB = 500 * 1024


def peak_rss_kb(pid: int) -> int:
    """The process's peak resident set (VmHWM), in kB."""
    status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1])


def test_a_gzip_bomb_is_dead_lettered_and_the_worker_stays_under_500_mb(
    namespace: Namespace, start_worker: Callable[..., WorkerProcess]
) -> None:
    from confluent_kafka import Producer

    worker = start_worker()
    run = uuid.uuid4().hex[:8]
    bomb_head = b'{"event_id": "' + run.encode() + b'-bomb", "x": "'
    bomb = bomb_head + b" " * BOMB_BYTES + b'"}'
    after = prompt_event(f"{run}-after", "Write a haiku about the hills.")
    producer = Producer(
        {
            "bootstrap.servers": namespace.bootstrap,
            "compression.type": "gzip",
            "message.max.bytes": 1_000_000_000,
            "linger.ms": 0,
        }
    )
    reader = TopicReader(
        namespace.bootstrap, [namespace.topics.decisions, namespace.topics.deadletter]
    )
    try:
        produce(namespace.bootstrap, namespace.topics.prompts, [(b"p", bomb)], producer)
        del bomb
        produce(namespace.bootstrap, namespace.topics.prompts, [encoded(after)])

        def both(got: list[Consumed]) -> bool:
            letters = [m for m in got if m.topic == namespace.topics.deadletter]
            decided = [m for m in got if m.topic == namespace.topics.decisions]
            return bool(letters) and any(m.json()["event_id"] == f"{run}-after" for m in decided)

        reader.poll_until(both, 180, what="the bomb's dead letter and the next decision")
        (letter,) = [m.json() for m in reader.messages if m.topic.endswith("deadletter")]
        assert letter["reason"] == "too_large"
        assert f"inflates to {len(bomb_head) + BOMB_BYTES + 2} bytes" in letter["detail"]
        assert worker.process is not None and worker.process.poll() is None
        assert peak_rss_kb(worker.process.pid) < RSS_LIMIT_KB
    finally:
        reader.close()
