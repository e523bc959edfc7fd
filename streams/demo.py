"""`airlock demo`: the whole pipeline on this machine, in well under a minute.

Starts the local Kafka broker if needed, creates run-unique topics (so that every run starts
clean), starts `airlock worker` as a subprocess, replays the shipped sample of prompt events
(streams/demo_events.jsonl: several tenants, apps and users, clean and sensitive prompts and a
few malformed lines; every value in it is synthetic), waits until each has its decision or dead
letter, prints a summary and stops the worker.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

DEMO_EVENTS = Path(__file__).resolve().parent / "demo_events.jsonl"
READY_TIMEOUT_S = 180.0  # the first run on a fresh machine compiles the rule catalogue
DRAIN_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
REPLAY_INTERVAL_S = 0.02
KEY_METRICS = (
    "airlock_events_total",
    "airlock_deadletters_total",
    "airlock_findings_total",
    "airlock_decision_latency_seconds_count",
    "airlock_scanned_bytes_total",
    "airlock_consumer_lag",
)


def add_parser(subparsers: Any) -> None:
    demo = subparsers.add_parser(
        "demo",
        help="start a broker and a worker, replay sample prompts, print what happened",
        description="Run the whole pipeline locally: the Kafka broker (started if needed), a "
        "worker, and a replay of the shipped sample prompt events; then print events by "
        "action, top detectors, alerts, dead letters, latency and where the metrics are.",
    )
    demo.add_argument(
        "--events", type=Path, default=DEMO_EVENTS, help="JSON-lines file of prompt events"
    )
    demo.add_argument(
        "--keep",
        action="store_true",
        help="keep the run's topics (to look at them with `airlock tail`) instead of deleting",
    )
    demo.set_defaults(handler=run_demo)


def free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            chosen: int = probe.getsockname()[1]
            return chosen
    raise OSError("no free port on 127.0.0.1")


@dataclass
class Replay:
    """What was sent, and what came back."""

    events: dict[str, float] = field(default_factory=dict)  # event_id -> publish time
    malformed: int = 0
    decisions: dict[str, dict[str, Any]] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    deadletters: list[dict[str, Any]] = field(default_factory=list)

    @property
    def done(self) -> bool:
        """Every line has its decision or dead letter (a valid event may be a dead letter too:
        one with no text)."""
        letters = {d.get("event_id") for d in self.deadletters}
        decided = set(self.events) <= set(self.decisions) | letters
        alerted = sum(1 for d in self.decisions.values() if d.get("alert"))
        return (
            decided
            and len(self.decisions) + len(self.deadletters) >= self.lines
            and len(self.alerts) >= alerted
        )

    @property
    def lines(self) -> int:
        return len(self.events) + self.malformed


def load_lines(path: Path) -> list[bytes]:
    return [line.rstrip(b"\r\n") for line in path.read_bytes().splitlines() if line.strip()]


def _is_event(document: Any) -> bool:
    return (
        isinstance(document, dict)
        and isinstance(document.get("event_id"), str)
        and isinstance(document.get("conversation_id"), str)
        and isinstance(document.get("content"), dict)
    )


def run_demo(args: argparse.Namespace) -> int:
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient

    import schemas
    from airlock.config import Settings
    from streams import kafka_local
    from streams.topics import Topics, create_topics, kafka_config

    started = time.monotonic()
    try:
        lines = load_lines(args.events)
    except OSError as exc:
        print(f"airlock demo: {args.events}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    base = Settings()
    if not base.kafka_bootstrap:
        print("Kafka broker: ", end="", flush=True)
        was_running = kafka_local.is_running()
        try:
            bootstrap = kafka_local.ensure_running()
        except kafka_local.KafkaLocalError as exc:
            print(f"\nairlock demo: {exc}", file=sys.stderr)
            return 1
        print(f"{'running' if was_running else 'started'} on {bootstrap}")
    else:
        bootstrap = base.kafka_bootstrap

    run_id = uuid.uuid4().hex[:8]
    prefix = f"airlock-demo-{run_id}."
    settings = Settings(kafka_bootstrap=bootstrap, topic_prefix=prefix)
    topics = Topics.from_prefix(prefix)
    create_topics(settings, topics)
    metrics_port = free_port(base.metrics_port)
    state = kafka_local.state_folder().root.parent / "demo"
    state.mkdir(parents=True, exist_ok=True)
    log_path = state / f"worker-{run_id}.log"
    env = dict(os.environ)
    env.update(
        {
            "AIRLOCK_KAFKA_BOOTSTRAP": bootstrap,
            "AIRLOCK_TOPIC_PREFIX": prefix,
            "AIRLOCK_GROUP_ID": f"airlock-demo-{run_id}",
            "AIRLOCK_METRICS_PORT": str(metrics_port),
            "AIRLOCK_METRICS_HOST": "127.0.0.1",
            "AIRLOCK_HASH_KEY": env.get("AIRLOCK_HASH_KEY") or secrets.token_hex(16),
        }
    )
    print(f"Topics:       {prefix}prompts, decisions, alerts, deadletter")
    print(f"Worker:       starting (log: {log_path})", flush=True)
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "airlock.cli", "worker"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    replay = Replay()
    status = 0
    try:
        if not _wait_ready(worker, log_path):
            return 1
        consumer = Consumer(
            {
                **kafka_config(settings),
                "group.id": f"airlock-demo-reader-{run_id}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            }
        )
        consumer.subscribe([topics.decisions, topics.alerts, topics.deadletter])
        assigned_by = time.monotonic() + 15
        while not consumer.assignment() and time.monotonic() < assigned_by:
            consumer.poll(0.1)  # join the group first, so latencies are not the reader's
        producer = Producer({**kafka_config(settings), "enable.idempotence": True, "linger.ms": 0})
        print(f"Replaying:    {len(lines)} lines of {args.events.name}", flush=True)
        replay_started = time.monotonic()
        for line in lines:
            # Paced like traffic, not one burst, reading outputs meanwhile: latencies mean more.
            _read(consumer, replay, topics, until=time.monotonic() + REPLAY_INTERVAL_S)
            try:
                document = orjson.loads(line)
            except orjson.JSONDecodeError:
                document = None
            now = time.time()
            if _is_event(document) and not any(
                schemas.validator("prompt_event").iter_errors(document)
            ):
                document["time"] = int(now * 1000)  # so that latencies are the pipeline's
                producer.produce(
                    topics.prompts,
                    key=document["conversation_id"].encode(),
                    value=orjson.dumps(document),
                )
                replay.events[document["event_id"]] = now
            else:
                producer.produce(topics.prompts, value=line)  # sent as is: a dead letter
                replay.malformed += 1
            producer.poll(0)
        producer.flush(30)
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while not replay.done and time.monotonic() < deadline:
            _read(consumer, replay, topics, until=time.monotonic() + 0.1)
        consumer.close()
        elapsed = time.monotonic() - replay_started
        if not replay.done:
            letters = {d.get("event_id") for d in replay.deadletters}
            missing = sorted(set(replay.events) - set(replay.decisions) - letters)
            print(
                f"airlock demo: after {DRAIN_TIMEOUT_S:.0f} s, {len(missing)} events have no "
                f"decision (e.g. {', '.join(missing[:5])}); see {log_path}",
                file=sys.stderr,
            )
            status = 1
        metrics_text = _scrape(metrics_port)
        _print_summary(replay, elapsed, metrics_port, metrics_text)
        from edge.demo import show_gateway  # the same pipeline, through the edge gateway

        gateway_log = state / f"gateway-{run_id}.log"
        status = show_gateway(env, gateway_log, free_port(base.gateway_port)) or status
    finally:
        stopped = _stop(worker)
        if not args.keep:
            admin = AdminClient(kafka_config(settings))
            for future in admin.delete_topics(list(topics.all())).values():
                with contextlib.suppress(Exception):  # leftover demo topics are harmless
                    future.result(30)
    print(f"Worker:       stopped (exit status {stopped}); log: {log_path}")
    if args.keep:
        print(
            f"Topics kept:  AIRLOCK_TOPIC_PREFIX={prefix} airlock tail decisions --from-beginning"
        )
    print(f"Done in {time.monotonic() - started:.1f} s.")
    return status


def _wait_ready(worker: subprocess.Popen[bytes], log_path: Path) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
            print(
                f"airlock demo: the worker exited with {worker.returncode}:\n" + "\n".join(tail),
                file=sys.stderr,
            )
            return False
        if "consuming " in log_path.read_text(encoding="utf-8", errors="replace"):
            print("Worker:       consuming", flush=True)
            return True
        time.sleep(0.2)
    print(f"airlock demo: the worker was not ready in {READY_TIMEOUT_S:.0f} s", file=sys.stderr)
    return False


def _read(consumer: Any, replay: Replay, topics: Any, *, until: float) -> None:
    """Record the outputs that arrive until the monotonic time `until`."""
    while True:
        left = until - time.monotonic()
        if left <= 0:
            return
        message = consumer.poll(min(left, 0.05))  # one at a time: latencies are not rounded up
        if message is None or message.error():
            continue
        value = message.value()
        if value is not None:
            _record(replay, message.topic(), value, topics)


def _record(replay: Replay, topic: str | None, value: bytes, topics: Any) -> None:
    document = orjson.loads(value)
    if topic == topics.decisions:
        event_id = document["event_id"]
        if event_id not in replay.decisions and event_id in replay.events:
            replay.latencies_ms.append((time.time() - replay.events[event_id]) * 1000)
        replay.decisions[event_id] = document
    elif topic == topics.alerts:
        replay.alerts.append(document)
    else:
        replay.deadletters.append(document)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _scrape(port: int) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text: str = response.read().decode("utf-8")
            return text
    except OSError:
        return ""


def _table(title: str, rows: list[tuple[str, str]]) -> None:
    print(f"\n{title}")
    if not rows:
        print("  (none)")
        return
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value:>6}")


def _print_summary(replay: Replay, elapsed: float, port: int, metrics_text: str) -> None:
    decisions = list(replay.decisions.values())
    actions = Counter(d["action"] for d in decisions)
    monitored = Counter(
        d["policy_action"] for d in decisions if d["monitor_only"] and d["policy_action"] != "allow"
    )
    detectors: Counter[str] = Counter()
    for decision in decisions:
        for reason in decision["reasons"]:
            detectors[f"{reason['detector']} ({reason['category']})"] += reason["count"]
    tenants = Counter(f"{d['tenant_id']} / {d['action']}" for d in decisions)
    print(
        f"\n=== Airlock demo: {replay.lines} events in, "
        f"{len(decisions)} decisions, {len(replay.alerts)} alerts, "
        f"{len(replay.deadletters)} dead letters in {elapsed:.1f} s ==="
    )
    order = ("allow", "warn", "redact", "block")
    _table("Events by action", [(a, str(actions[a])) for a in order if actions[a]])
    if monitored:
        _table(
            "  ...of which allowed by monitor-only policies, that would have been",
            [(a, str(monitored[a])) for a in order if monitored[a]],
        )
    _table("Events by tenant / action", [(k, str(v)) for k, v in sorted(tenants.items())])
    _table("Top detectors (findings)", [(k, str(v)) for k, v in detectors.most_common(10)])
    severities = Counter(a.get("severity", "?") for a in replay.alerts)
    _table(
        "Alerts raised (OCSF 2006), by severity", [(k, str(v)) for k, v in severities.most_common()]
    )
    reasons = Counter(d["reason"] for d in replay.deadletters)
    _table("Dead letters by reason", [(k, str(v)) for k, v in reasons.most_common()])
    print(
        f"\nDecision latency (publish -> decision consumed): "
        f"p50 {_percentile(replay.latencies_ms, 0.5):.1f} ms, "
        f"p99 {_percentile(replay.latencies_ms, 0.99):.1f} ms"
    )
    print(f"\nMetrics:      http://127.0.0.1:{port}/metrics (served while the worker runs)")
    shown: Counter[str] = Counter()
    for line in metrics_text.splitlines():
        name = line.split("{", 1)[0].split(" ", 1)[0]
        if name in KEY_METRICS and not line.endswith(" 0.0") and shown[name] < 4:
            shown[name] += 1
            print(f"  {line}")


def _stop(worker: subprocess.Popen[bytes]) -> int:
    if worker.poll() is not None:
        return worker.returncode
    worker.send_signal(signal.SIGTERM)
    try:
        return worker.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        worker.kill()
        return worker.wait(10)
