"""Helpers of the pipeline's broker-backed tests: a worker subprocess, produce, consume, scrape."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import Consumer, Producer
from prometheus_client.parser import text_string_to_metric_families

from edge.cli import READY_LINE
from streams.topics import Topics

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
TEST_HASH_KEY = "integration-test-hash-key"
GATEWAY_COMMAND = (sys.executable, "-m", "airlock.cli", "gateway")
# Far above any decision's round trip, so that a busy machine never turns a decision into a
# fallback; the fail-mode test sets its own.
DEADLINE_MS = "20000"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class Namespace:
    """A run-unique topic prefix and consumer group, so tests never see each other's messages."""

    bootstrap: str
    prefix: str = field(default_factory=lambda: f"t{uuid.uuid4().hex[:12]}.")
    group_id: str = field(default_factory=lambda: f"airlock-test-{uuid.uuid4().hex[:12]}")

    @property
    def topics(self) -> Topics:
        return Topics.from_prefix(self.prefix)

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRLOCK_")}
        env.update(
            {
                "AIRLOCK_KAFKA_BOOTSTRAP": self.bootstrap,
                "AIRLOCK_TOPIC_PREFIX": self.prefix,
                "AIRLOCK_GROUP_ID": self.group_id,
                "AIRLOCK_HASH_KEY": TEST_HASH_KEY,
                "PYTHONUNBUFFERED": "1",
            }
        )
        for name in ("AIRLOCK_STATE_DIR", "AIRLOCK_KAFKA_PORT"):
            if name in os.environ:
                env[name] = os.environ[name]
        env.update(extra)
        return env


class WorkerProcess:
    """`airlock worker` as a subprocess, its output captured in a file."""

    def __init__(self, namespace: Namespace, log_path: Path, **env: str) -> None:
        self.metrics_port = free_port()
        self.log_path = log_path
        self.env = namespace.env(AIRLOCK_METRICS_PORT=str(self.metrics_port), **env)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, wait: bool = True) -> WorkerProcess:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "airlock.cli", "worker"],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if wait:
            self.wait_ready()
        return self

    def log_text(self) -> str:
        return self.log_path.read_bytes().decode("utf-8", "replace")

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        """Wait until the worker says on /readyz that its group gave it its partitions."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while not self.ready():
            if self.process.poll() is not None:
                raise AssertionError(
                    f"the worker exited with {self.process.returncode}:\n{self.log_text()[-4000:]}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the worker was not ready within {timeout:.0f} s:\n{self.log_text()[-4000:]}"
                )
            time.sleep(0.1)

    def ready(self) -> bool:
        url = f"http://127.0.0.1:{self.metrics_port}/readyz"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return bool(response.status == 200)
        except OSError:  # not serving yet, or 503 (HTTPError is an OSError)
            return False

    def metrics_text(self) -> str:
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            text: str = response.read().decode("utf-8")
        return text

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample of /metrics by (name, sorted labels)."""
        samples = {}
        for family in text_string_to_metric_families(self.metrics_text()):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return samples

    def stop(self) -> int:
        """SIGTERM, then SIGKILL if it does not stop in time; return the exit status."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise AssertionError(f"the worker ignored SIGTERM for {STOP_TIMEOUT_S:.0f} s") from None

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)


def new_producer(bootstrap: str) -> Producer:
    return Producer(
        {"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5, "log_level": 4}
    )


def produce(
    bootstrap: str,
    topic: str,
    messages: Iterable[tuple[bytes | None, bytes | None]],
    producer: Producer | None = None,
) -> int:
    """Send (key, value) pairs and wait for their delivery; return how many were sent."""
    producer = producer or new_producer(bootstrap)
    errors: list[Any] = []
    sent = 0
    for key, value in messages:
        while True:
            try:
                producer.produce(
                    topic,
                    key=key,
                    value=value,
                    on_delivery=lambda err, _m: errors.append(err) if err else None,
                )
                break
            except BufferError:
                producer.poll(0.2)
        producer.poll(0)
        sent += 1
    assert producer.flush(60) == 0, "messages not delivered within 60 s"
    assert not errors, errors[:3]
    return sent


@dataclass
class Consumed:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes

    def json(self) -> dict[str, Any]:
        document: dict[str, Any] = orjson.loads(self.value)
        return document


class TopicReader:
    """Reads topics from the beginning with its own consumer group."""

    def __init__(self, bootstrap: str, topics: Iterable[str]) -> None:
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"airlock-test-reader-{uuid.uuid4().hex}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            }
        )
        self.consumer.subscribe(list(topics))
        self.messages: list[Consumed] = []

    def poll_until(
        self, done: Callable[[list[Consumed]], bool], timeout: float, *, what: str = ""
    ) -> list[Consumed]:
        deadline = time.monotonic() + timeout
        while not done(self.messages):
            if time.monotonic() > deadline:
                have = Counter(m.topic for m in self.messages)
                raise AssertionError(
                    f"timed out after {timeout:.0f} s waiting for {what or 'messages'}; "
                    f"have {dict(have)}"
                )
            self.drain(0.2)
        return self.messages

    def drain(self, wait: float = 0.2) -> list[Consumed]:
        for message in self.consumer.consume(1000, wait):
            error = message.error()
            assert error is None, error
            value = message.value()
            assert value is not None, "an output message without value"
            self.messages.append(
                Consumed(
                    message.topic() or "",
                    message.partition() or 0,
                    message.offset() or 0,
                    message.key(),
                    value,
                )
            )
        return self.messages

    def settle(self, seconds: float) -> list[Consumed]:
        """Keep reading for `seconds` more (to catch anything unexpected), then return all."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.drain(0.2)
        return self.messages

    def close(self) -> None:
        self.consumer.close()


def prompt_event(
    event_id: str,
    text: str,
    *,
    tenant: str = "default",
    app: str = "chatgpt",
    operation: str = "prompt",
    user: str = "u-1001",
    email: str | None = "dev@example.org",
    groups: tuple[str, ...] = ("engineering",),
    attachments: list[dict[str, Any]] | None = None,
    time_ms: int | None = None,
) -> dict[str, Any]:
    user_doc: dict[str, Any] = {"id": user, "groups": list(groups)}
    if email:
        user_doc["email"] = email
    content: dict[str, Any] = {"text": text}
    if attachments:
        content["attachments"] = attachments
    return {
        "schema_version": 1,
        "event_id": event_id,
        "tenant_id": tenant,
        "time": time_ms if time_ms is not None else int(time.time() * 1000),
        "gateway": {"id": "gw-test-1", "kind": "api_gateway"},
        "user": user_doc,
        "app": {"name": app, "host": f"{app}.example", "operation": operation},
        "conversation_id": f"conv-{event_id}",
        "content": content,
    }


def encoded(event: dict[str, Any]) -> tuple[bytes, bytes]:
    """(key, value) of a prompt event as a gateway publishes it."""
    return event["conversation_id"].encode(), orjson.dumps(event)


class GatewayProcess:
    """`airlock gateway` as a subprocess, its output in a file."""

    def __init__(self, namespace: Namespace, upstream: str, log_path: Path, **env: str) -> None:
        self.port = free_port()
        self.log_path = log_path
        self.env = namespace.env(**{"AIRLOCK_GATEWAY_DEADLINE_MS": DEADLINE_MS, **env})
        self.upstream = upstream
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> GatewayProcess:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*GATEWAY_COMMAND, "--upstream", self.upstream, "--port", str(self.port)],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while READY_LINE not in self.log_text():
            if self.process.poll() is not None:
                raise AssertionError(f"the gateway exited:\n{self.log_text()[-4000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the gateway was not ready:\n{self.log_text()[-4000:]}")
            time.sleep(0.1)
        return self

    def log_text(self) -> str:
        return (
            self.log_path.read_bytes().decode("utf-8", "replace") if self.log_path.exists() else ""
        )

    def metrics_text(self) -> str:
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=10) as response:
            text: str = response.read().decode("utf-8")
        return text

    def sample(self, name: str, **labels: str) -> float:
        for family in text_string_to_metric_families(self.metrics_text()):
            for sample in family.samples:
                if sample.name == name and all(
                    sample.labels.get(k) == v for k, v in labels.items()
                ):
                    return float(sample.value)
        return 0.0

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
