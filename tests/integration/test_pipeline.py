"""The worker against the real broker: exact outputs, metrics, SIGKILL mid-stream, canaries.

Each test has its own topics and consumer group (the `namespace` fixture) and runs `airlock
worker` as a subprocess, the way it is deployed. What the outputs should be comes from the
pure core (`Pipeline.process` on the same bytes, same rules and policies): these tests prove the
plumbing (every event in, exactly one schema-valid output set out, offsets, metrics), while the
unit tests of streams/ prove the decisions themselves.
"""

from __future__ import annotations

import base64
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from confluent_kafka import Consumer, TopicPartition
from pydantic import SecretStr

import schemas
from airlock.config import Settings
from airlock.startup import build_engine
from streams.pipeline import INPUT_DEADLETTER_REASONS, Pipeline
from streams.policy import PolicyStore
from tests.canaries import aws_key, luhn_card, random_email
from tests.integration.pipeline_support import (
    TEST_HASH_KEY,
    Consumed,
    Namespace,
    TopicReader,
    WorkerProcess,
    encoded,
    new_producer,
    produce,
    prompt_event,
)

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(240)]

MAX_EVENT_BYTES = 4096

CLEAN_TEXTS = (
    "Can you summarise the main themes of Pride and Prejudice in three bullet points?",
    "Write a short haiku about autumn leaves drifting across a quiet lake.",
    "What is the difference between a list and a tuple in Python?",
    "Suggest five names for a team offsite focused on customer empathy.",
    "Explain the CAP theorem to a product manager in plain words.",
)
CONFIDENTIAL_TEXT = (
    "CONFIDENTIAL - DO NOT DISTRIBUTE. Mutual Non-Disclosure Agreement between Acme Corp and "
    "Globex Inc. 3. Obligations: the Receiving Party shall hold the Confidential Information in "
    "strict confidence and shall not disclose it to any third party. Please simplify clause 3."
)
CODE_TEXT = (
    "Why does this fail?\n\ndef load(path):\n    with open(path) as handle:\n"
    "        return json.load(handle)\n\nclass Cache:\n    def __init__(self):\n"
    "        self.items = {}\n"
)


def secret_text(rng: random.Random) -> str:
    return (
        "Deploy fails with AccessDenied, here is my config:\n"
        f"aws_access_key_id = {aws_key(rng)}\nregion = eu-west-1\nWhat is wrong?"
    )


def pii_text(rng: random.Random) -> str:
    return f"Draft a polite reply to {random_email(rng)} saying the invoice was paid yesterday."


def oracle() -> Pipeline:
    settings = Settings(hash_key=SecretStr(TEST_HASH_KEY))
    return Pipeline(build_engine(settings), PolicyStore(settings.policy_dir), MAX_EVENT_BYTES)


def outcome_of(pipeline: Pipeline, value: bytes) -> Any:
    return pipeline.process(value, topic="oracle", partition=0, offset=0)


def check_valid(name: str, messages: list[Consumed]) -> list[dict[str, Any]]:
    validator = schemas.validator(name)
    documents = []
    for message in messages:
        document = message.json()
        errors = [e.message for e in validator.iter_errors(document)]
        assert not errors, (
            f"{name} at {message.topic}:{message.partition}:{message.offset}: {errors}"
        )
        documents.append(document)
    return documents


def wait_for_metrics(
    worker: WorkerProcess, agree: Callable[[dict[Any, float]], bool], timeout: float = 15.0
) -> dict[Any, float]:
    deadline = time.monotonic() + timeout
    samples = worker.metrics()
    while not agree(samples):
        if time.monotonic() > deadline:
            return samples
        time.sleep(0.25)
        samples = worker.metrics()
    return samples


def by_label(samples: dict[Any, float], name: str, label: str) -> Counter[str]:
    totals: Counter[str] = Counter()
    for (sample, labels), value in samples.items():
        if sample == name:
            totals[dict(labels)[label]] += int(value)
    return +totals


def test_every_kind_of_event_gets_exactly_its_outputs(
    namespace: Namespace, start_worker: Callable[..., WorkerProcess]
) -> None:
    rng = random.Random(3)
    run = uuid.uuid4().hex[:8]
    tenants = ("default", "acme", "globex")
    apps = ("chatgpt", "claude", "gemini", "copilot", "mistral", "perplexity")
    valid: list[tuple[str, dict[str, Any]]] = []  # (kind, event)
    for kind, count in (("clean", 15), ("secret", 10), ("pii", 10), ("confidential", 5)):
        for i in range(count):
            if kind == "clean":
                text = CLEAN_TEXTS[i % len(CLEAN_TEXTS)]
            elif kind == "secret":
                text = secret_text(rng)
            elif kind == "pii":
                text = pii_text(rng)
            else:
                text = CONFIDENTIAL_TEXT
            event = prompt_event(
                f"{run}-{kind}-{i}", text, tenant=tenants[i % 3], app=apps[i % len(apps)]
            )
            valid.append((kind, event))
    valid.append(("code", prompt_event(f"{run}-code-0", CODE_TEXT, app="copilot")))
    valid.append(
        (
            "attachment",
            prompt_event(
                f"{run}-attachment-0",
                "Summarise the attached file.",
                operation="upload",
                attachments=[
                    {"name": "keys.txt", "media_type": "text/plain", "text": secret_text(rng)}
                ],
            ),
        )
    )

    malformed: list[tuple[str, bytes]] = []  # (expected reason, raw value)
    for i in range(3):
        malformed.append(("not_json", b'{"event_id": "x", "content": {"text": "unterminated'))
        malformed.append(("invalid_utf8", b'{"text": "caf\xe9 \xff\xfe"}'))
        broken = prompt_event(f"{run}-broken-{i}", "a valid text")
        del broken["gateway"]
        malformed.append(("schema_violation", orjson.dumps(broken)))
        malformed.append(("no_text", orjson.dumps(prompt_event(f"{run}-empty-{i}", "   "))))
        big = prompt_event(f"{run}-big-{i}", "lorem ipsum " * (MAX_EVENT_BYTES // 10))
        malformed.append(("too_large", orjson.dumps(big)))
    assert {reason for reason, _ in malformed} == set(INPUT_DEADLETTER_REASONS)

    pipeline = oracle()
    expected_action = {}
    policy_action = {}
    expected_alerts = set()
    for kind, event in valid:
        outcome = outcome_of(pipeline, encoded(event)[1])
        assert outcome.decision is not None, (kind, outcome.deadletter)
        expected_action[event["event_id"]] = outcome.decision["action"]
        policy_action[event["event_id"]] = outcome.decision["policy_action"]
        if outcome.alert is not None:
            expected_alerts.add(event["event_id"])
    for reason, raw in malformed:
        outcome = outcome_of(pipeline, raw)
        assert outcome.deadletter is not None and outcome.deadletter["reason"] == reason
    # The kinds mean what they say (the unit tests cover the policies in detail; globex's
    # policy is monitor-only, so its action is allow and policy_action tells what it found).
    kinds = {event["event_id"]: kind for kind, event in valid}
    for event_id, action in policy_action.items():
        if kinds[event_id] == "clean":
            assert action == "allow", event_id
        elif kinds[event_id] in ("secret", "attachment"):
            assert action == "block", event_id
        elif kinds[event_id] == "pii":
            assert action == "redact", event_id

    messages = [encoded(event) for _, event in valid] + [(None, raw) for _, raw in malformed]
    rng.shuffle(messages)
    produce(namespace.bootstrap, namespace.topics.prompts, messages)
    sent_payloads = Counter(raw for _, raw in malformed)

    worker = start_worker(AIRLOCK_MAX_EVENT_BYTES=str(MAX_EVENT_BYTES))
    reader = TopicReader(namespace.bootstrap, namespace.topics.all()[1:])
    try:

        def complete(got: list[Consumed]) -> bool:
            per_topic = Counter(m.topic for m in got)
            return (
                per_topic[namespace.topics.decisions] >= len(valid)
                and per_topic[namespace.topics.deadletter] >= len(malformed)
                and per_topic[namespace.topics.alerts] >= len(expected_alerts)
            )

        reader.poll_until(complete, timeout=60, what="every decision, alert and dead letter")
        got = reader.settle(2.0)  # anything beyond the expected would show up now
    finally:
        reader.close()

    decisions = check_valid("decision", [m for m in got if m.topic == namespace.topics.decisions])
    alerts = check_valid("alert", [m for m in got if m.topic == namespace.topics.alerts])
    letters = check_valid("deadletter", [m for m in got if m.topic == namespace.topics.deadletter])

    # Exactly one decision per valid event, keyed by its event_id, with the expected action.
    assert len(decisions) == len(valid)
    assert {d["event_id"]: d["action"] for d in decisions} == expected_action
    assert {d["event_id"]: d["policy_action"] for d in decisions} == policy_action
    for message in got:
        if message.topic == namespace.topics.decisions:
            assert message.key == message.json()["event_id"].encode()
    # One alert per prompt the policy alerts on, and the decision names it.
    assert sorted(a["unmapped"]["airlock"]["event_id"] for a in alerts) == sorted(expected_alerts)
    alert_uids = {a["unmapped"]["airlock"]["event_id"]: a["finding_info"]["uid"] for a in alerts}
    for decision in decisions:
        assert decision["alert"] == alert_uids.get(decision["event_id"])
    # One dead letter per bad message, with its reason, its source and the payload, whole.
    assert Counter(d["reason"] for d in letters) == Counter(r for r, _ in malformed)
    assert Counter(base64.b64decode(d["payload_b64"]) for d in letters) == sent_payloads
    sources = {
        (d["source"]["topic"], d["source"]["partition"], d["source"]["offset"]) for d in letters
    }
    assert len(sources) == len(letters)
    assert all(topic == namespace.topics.prompts for topic, _, _ in sources)
    for message in got:
        if message.topic == namespace.topics.deadletter:
            source = message.json()["source"]
            assert (
                message.key
                == f"{source['topic']}:{source['partition']}:{source['offset']}".encode()
            )

    # /metrics agrees with what came out.
    actions = Counter(expected_action.values())
    reasons = Counter(r for r, _ in malformed)

    def agree(samples: dict[Any, float]) -> bool:
        return (
            by_label(samples, "airlock_events_total", "action") == actions
            and by_label(samples, "airlock_deadletters_total", "reason") == reasons
        )

    samples = wait_for_metrics(worker, agree)
    assert by_label(samples, "airlock_events_total", "action") == actions
    assert by_label(samples, "airlock_deadletters_total", "reason") == reasons
    assert by_label(samples, "airlock_events_total", "tenant").keys() == set(tenants)
    assert samples[("airlock_decision_latency_seconds_count", ())] == len(valid)
    assert samples[("airlock_scanned_bytes_total", ())] > 0
    findings = by_label(samples, "airlock_findings_total", "category")
    assert findings["secret"] >= 11 and findings["pii"] >= 10

    assert worker.stop() == 0
    assert "worker stopped (exit status 0)" in worker.log_text()


def committed_offsets(namespace: Namespace) -> int:
    """How many prompt events the worker's group has committed, over all partitions."""
    consumer = Consumer({"bootstrap.servers": namespace.bootstrap, "group.id": namespace.group_id})
    try:
        partitions = [TopicPartition(namespace.topics.prompts, p) for p in range(4)]
        return sum(max(tp.offset, 0) for tp in consumer.committed(partitions, timeout=10))
    finally:
        consumer.close()


def mixed_events(rng: random.Random, count: int, run: str, first: int = 0) -> list[dict[str, Any]]:
    """Run-unique events: one in ten carries a secret, one in ten personal data."""
    events = []
    for i in range(first, first + count):
        pick = i % 10
        text = secret_text(rng) if pick == 0 else pii_text(rng) if pick == 1 else CLEAN_TEXTS[i % 5]
        events.append(prompt_event(f"{run}-{i}", text, tenant=("default", "acme")[i % 2]))
    return events


class EventStream:
    """Mixed events published from a thread until the test says stop, so that the stream is
    still flowing whatever the test waits for meanwhile (a rebalance, a restart), however slow
    the machine. The publisher stays at most AHEAD events ahead of the decisions the reader
    has read, so the backlog stays small whatever the machine's speed."""

    BATCH = 100
    AHEAD = 1500
    PAUSE_S = 0.02

    def __init__(self, namespace: Namespace, seed: int, reader: TopicReader) -> None:
        self.namespace = namespace
        self.reader = reader
        self.rng = random.Random(seed)
        self.run = uuid.uuid4().hex[:8]
        self.published: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._publish, daemon=True)
        self._failure: BaseException | None = None
        self._thread.start()

    def _publish(self) -> None:
        producer = new_producer(self.namespace.bootstrap)
        try:
            while not self._stop.is_set():
                if len(self.published) - len(self.reader.messages) > self.AHEAD:
                    self._stop.wait(self.PAUSE_S)  # far enough ahead of the decisions
                    continue
                events = mixed_events(self.rng, self.BATCH, self.run, len(self.published))
                produce(
                    self.namespace.bootstrap,
                    self.namespace.topics.prompts,
                    map(encoded, events),
                    producer,
                )
                self.published.update(event["event_id"] for event in events)
        except BaseException as exc:  # reported by stop()
            self._failure = exc

    def stop(self) -> set[str]:
        """Stop publishing; the ids of every event published (each one delivered)."""
        self._stop.set()
        self._thread.join(120)
        assert not self._thread.is_alive(), "the publisher did not stop"
        if self._failure is not None:
            raise AssertionError(f"publishing failed: {self._failure!r}")
        return set(self.published)


def decided_ids(got: list[Consumed]) -> set[str]:
    return {m.json()["event_id"] for m in got}


def more_decided(reader: TopicReader, count: int, *, what: str) -> None:
    """Wait until `count` more distinct events are decided than now."""
    target = len(decided_ids(reader.drain(0))) + count
    reader.poll_until(lambda got: len(decided_ids(got)) >= target, timeout=120, what=what)


def every_event_decided(ids: set[str]) -> Callable[[list[Consumed]], bool]:
    return lambda got: len({m.json()["event_id"] for m in got}) >= len(ids)


def every_decision(reader: TopicReader, ids: set[str], timeout: float) -> list[Consumed]:
    """Every decision read once each event has one, and a second later (late duplicates)."""
    reader.poll_until(every_event_decided(ids), timeout=timeout, what="a decision for every event")
    return reader.settle(1.0)


def each_event_decided_once_over(got: list[Consumed], ids: set[str]) -> list[dict[str, Any]]:
    """The decisions, checked: schema-valid, one for each event and no other, and an event
    decided more than once (replayed at least once) got the same action every time."""
    decisions = check_valid("decision", got)
    assert {d["event_id"] for d in decisions} == ids
    actions: dict[str, set[str]] = {}
    for decision in decisions:
        actions.setdefault(decision["event_id"], set()).add(decision["action"])
    assert all(len(seen) == 1 for seen in actions.values()), "a duplicate changed its action"
    return decisions


def test_sigkill_mid_stream_loses_no_event(
    namespace: Namespace, start_worker: Callable[..., WorkerProcess]
) -> None:
    """SIGKILL a worker mid-stream: its restart skips what was committed, decides again what was
    not, and every event is decided; a duplicate keeps its action."""
    first = start_worker("first.log")
    reader = TopicReader(namespace.bootstrap, [namespace.topics.decisions])
    stream = EventStream(namespace, seed=7, reader=reader)
    try:
        # Kill once the worker has decided a few hundred events and committed some offsets, so
        # that the restart must both skip what was committed and replay what was not.
        more_decided(reader, 300, what="300 decisions")
        reader.poll_until(
            lambda _got: committed_offsets(namespace) > 0, timeout=60, what="a commit"
        )
        first.kill()
        committed_before_kill = committed_offsets(namespace)
        decided_before_kill = decided_ids(reader.drain(0.5))
        assert committed_before_kill <= len(decided_before_kill), "committed past a decision"

        second = start_worker("second.log")
        more_decided(reader, 300, what="300 decisions by the restarted worker")
        ids = stream.stop()
        assert not ids <= decided_before_kill, "every event was decided before the kill"
        got = every_decision(reader, ids, timeout=120)
    finally:
        stream.stop()
        reader.close()

    decisions = each_event_decided_once_over(got, ids)
    duplicates = len(decisions) - len(ids)
    print(
        f"\nSIGKILL after {len(decided_before_kill)} decisions ({committed_before_kill} offsets "
        f"committed); {len(decisions)} decisions for {len(ids)} events in the end "
        f"({duplicates} duplicates from the replay)"
    )
    assert second.stop() == 0


def test_workers_joining_and_leaving_mid_stream_lose_no_event(
    namespace: Namespace, start_worker: Callable[..., WorkerProcess]
) -> None:
    """Scaling out and back in mid-stream: a second worker joins the group (a rebalance moves
    partitions to it), then the first leaves (a second rebalance); every event is decided, and
    an event decided twice across a move gets the same action both times."""
    first = start_worker("first.log")
    reader = TopicReader(namespace.bootstrap, [namespace.topics.decisions])
    stream = EventStream(namespace, seed=13, reader=reader)
    try:
        more_decided(reader, 400, what="400 decisions by the first worker")
        second = start_worker("second.log")  # ready once the group gave it partitions
        more_decided(reader, 800, what="800 decisions by the two workers")
        assert first.stop() == 0
        more_decided(reader, 400, what="400 decisions by the second worker alone")
        ids = stream.stop()
        got = every_decision(reader, ids, timeout=120)
    finally:
        stream.stop()
        reader.close()

    decisions = each_event_decided_once_over(got, ids)
    print(f"\n{len(decisions)} decisions for {len(ids)} events across two rebalances")
    assert second.stop() == 0


def test_planted_canaries_never_appear_in_clear(
    namespace: Namespace, start_worker: Callable[..., WorkerProcess]
) -> None:
    rng = random.SystemRandom()
    canaries = {
        "aws": aws_key(rng),
        "email": random_email(rng),
        "card": luhn_card(rng),
    }
    run = uuid.uuid4().hex[:8]
    aws, email, card = canaries["aws"], canaries["email"], canaries["card"]
    texts = [
        f"my key is aws_access_key_id={aws} and it stopped working",
        f"forward the contract to {email} please",
        f"charge card {card} exp 04/29 for the renewal",
        f"all together: {aws} / {email} / {card}",
    ]
    events = [prompt_event(f"{run}-{i}", text) for i, text in enumerate(texts)]
    events.append(
        prompt_event(
            f"{run}-att",
            "see attachment",
            operation="upload",
            attachments=[{"name": "notes.txt", "media_type": "text/plain", "text": texts[3]}],
        )
    )
    # Bad input holding the canaries: the dead-letter detail must not quote them.
    wrong_type = prompt_event(f"{run}-bad-type", "x")
    wrong_type["content"]["text"] = [aws, email, card]
    wrong_pattern = prompt_event(f"{run}-bad-tenant", "ok")
    wrong_pattern["tenant_id"] = f"{aws} {email}"
    bad = [
        orjson.dumps(wrong_type),
        orjson.dumps(wrong_pattern),
        f'{{"text": "{aws} {email} {card}"'.encode(),  # not JSON
        f"{aws} {email} {card}".encode() + b"\xff",  # not UTF-8
    ]
    produce(
        namespace.bootstrap,
        namespace.topics.prompts,
        [encoded(e) for e in events] + [(None, raw) for raw in bad],
    )

    # DEBUG logging: even the most verbose worker log must hold no canary.
    worker = start_worker(AIRLOCK_LOG_LEVEL="DEBUG")
    reader = TopicReader(namespace.bootstrap, namespace.topics.all()[1:])
    try:

        def complete(got: list[Consumed]) -> bool:
            per_topic = Counter(m.topic for m in got)
            return per_topic[namespace.topics.decisions] >= len(events) and per_topic[
                namespace.topics.deadletter
            ] >= len(bad)

        reader.poll_until(complete, timeout=60, what="decisions and dead letters")
        got = reader.settle(1.5)
    finally:
        reader.close()
    decisions = [m for m in got if m.topic == namespace.topics.decisions]
    assert {d.json()["action"] for d in decisions} == {"block", "redact"}
    metrics_text = worker.metrics_text()
    assert worker.stop() == 0
    log_text = worker.log_text()
    assert "DEBUG" in log_text  # the log level took effect

    places: dict[str, str] = {"worker log": log_text, "/metrics": metrics_text}
    for message in got:
        where = f"{message.topic}:{message.partition}:{message.offset}"
        if message.topic == namespace.topics.deadletter:
            letter = message.json()
            places[f"{where} reason/detail"] = f"{letter['reason']} {letter['detail']}"
            letter.pop("payload_b64")  # the original payload, kept by design (documented)
            places[f"{where} (all but payload_b64)"] = orjson.dumps(letter).decode()
        else:
            places[where] = message.value.decode("utf-8")
            places[f"{where} key"] = (message.key or b"").decode("utf-8", "replace")
    for name, canary in canaries.items():
        for place, text in places.items():
            assert canary not in text, f"the {name} canary appears in clear in {place}"
