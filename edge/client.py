"""The edge SDK: publish a prompt event, await its decision within a deadline.

Routing of decisions back to many gateways sharing one cluster is request/reply over the one
decisions topic: each gateway reads a single partition of it (`reply_partition`, by default a
stable hash of its id), names it in every event it publishes (`gateway.reply_partition`), and
the worker produces the event's decision to exactly that partition. The gateway reads it with
`assign()`: no consumer group, no rebalance, no commit; it starts at the partition's end offset,
taken before it publishes anything, so it never misses a decision to its own events and never
replays old ones. Gateways that share a partition (same id, or more gateways than partitions)
drop each other's decisions by event id; duplicates (a worker that decided an event twice after
a crash) are dropped the same way, since the first one already answered.

confluent-kafka's clients are synchronous: one thread polls the consumer and the producer and
hands each awaited decision to the event loop. Nothing here logs prompt text or a decision's
content: only event ids, partitions and counts.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from airlock.config import Settings

log = logging.getLogger("airlock.edge")

POLL_S = 0.05
METADATA_TIMEOUT_S = 10.0


class DecisionUnavailable(Exception):
    """No decision in time. `reason` is `deadline` when the event reached the broker but no
    decision came back before the deadline, `unavailable` when the event could not be
    delivered to Kafka (broker down, unreachable, or refusing it) within the deadline."""

    def __init__(self, event_id: str, reason: str) -> None:
        super().__init__(f"no decision for event {event_id}: {reason}")
        self.event_id = event_id
        self.reason = reason


class StartFailed(RuntimeError):
    """The SDK could not reach the cluster or find the decisions topic; the message says which."""


def default_reply_partition(gateway_id: str, partitions: int) -> int:
    """A stable hash of the gateway id over the partitions: the same gateway always reads the
    same partition, across restarts and hosts (CRC-32, not Python's salted `hash`)."""
    return zlib.crc32(gateway_id.encode("utf-8")) % partitions


@dataclass
class _Pending:
    future: asyncio.Future[dict[str, Any]]
    delivered: bool = False
    failure: str | None = None


@dataclass
class ClientStats:
    """Counts of what the decisions consumer read, for the routing measurement."""

    received: int = 0  # decision messages read from the reply partition
    matched: int = 0  # ... that answered an event this client awaited
    dropped: int = 0  # ... for events it does not await (another gateway's, or a duplicate)


class DecisionClient:
    """Publishes prompt events and awaits their decisions; one per gateway process."""

    def __init__(
        self,
        settings: Settings,
        *,
        gateway_id: str | None = None,
        reply_partition: int | None = None,
    ) -> None:
        from streams.topics import Topics

        self.settings = settings
        self.gateway_id = gateway_id or settings.gateway_id
        self.topics = Topics.from_prefix(settings.topic_prefix)
        self._wanted_partition = (
            reply_partition if reply_partition is not None else settings.gateway_reply_partition
        )
        self.reply_partition = -1
        self.partitions = 0
        self.stats = ClientStats()
        self._pending: dict[str, _Pending] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._producer: Any = None
        self._consumer: Any = None

    # --- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Connect, pick and assign the reply partition at its end offset; blocking. After it
        returns, every decision produced to the reply partition is seen."""
        from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

        from airlock.startup import kafka_bootstrap
        from streams.topics import kafka_config

        self._loop = asyncio.get_running_loop() if _in_loop() else None
        connection = kafka_config(self.settings)
        try:
            consumer = Consumer(
                {
                    **connection,
                    # No group: assign() only, no commits; librdkafka still wants a group id.
                    "group.id": f"airlock-gateway-{self.gateway_id}",
                    "enable.auto.commit": False,
                    "enable.auto.offset.store": False,
                    "fetch.wait.max.ms": 10,
                    "fetch.min.bytes": 1,
                    "log_level": 3,
                }
            )
            metadata = consumer.list_topics(self.topics.decisions, timeout=METADATA_TIMEOUT_S)
        except KafkaException as exc:
            raise StartFailed(
                f"cannot reach Kafka at {kafka_bootstrap(self.settings)}: {exc}"
            ) from None
        topic = metadata.topics.get(self.topics.decisions)
        if topic is None or topic.error is not None or not topic.partitions:
            consumer.close()
            raise StartFailed(
                f"the decisions topic {self.topics.decisions} does not exist on "
                f"{kafka_bootstrap(self.settings)} (start a worker, which creates it)"
            )
        self.partitions = len(topic.partitions)
        wanted = self._wanted_partition
        if wanted is None:
            wanted = default_reply_partition(self.gateway_id, self.partitions)
        elif wanted >= self.partitions:
            consumer.close()
            raise StartFailed(
                f"AIRLOCK_GATEWAY_REPLY_PARTITION={wanted}: the decisions topic "
                f"{self.topics.decisions} has partitions 0 to {self.partitions - 1}"
            )
        self.reply_partition = wanted
        # A partition just created, or just moved, answers "not leader" until the metadata
        # settles: retried until the timeout.
        give_up = time.monotonic() + METADATA_TIMEOUT_S
        while True:
            try:
                _low, high = consumer.get_watermark_offsets(
                    TopicPartition(self.topics.decisions, wanted), timeout=METADATA_TIMEOUT_S
                )
                break
            except KafkaException as exc:
                if time.monotonic() > give_up:
                    consumer.close()
                    raise StartFailed(
                        f"cannot read the end offset of the reply partition: {exc}"
                    ) from None
                self._stop.wait(0.1)
        consumer.assign([TopicPartition(self.topics.decisions, wanted, high)])
        self._consumer = consumer
        self._producer = Producer(
            {
                **connection,
                "enable.idempotence": True,
                "linger.ms": 0,
                "message.max.bytes": max(self.settings.max_event_bytes * 2, 1 << 20),
                "log_level": 3,
            }
        )
        self._thread = threading.Thread(target=self._run, name="airlock-edge-kafka", daemon=True)
        self._thread.start()
        log.info(
            "decisions consumer assigned: %s partition %d from offset %d (gateway %s)",
            self.topics.decisions,
            wanted,
            high,
            self.gateway_id,
        )

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        if self._producer is not None:
            self._producer.flush(5)
        if self._consumer is not None:
            self._consumer.close()

    # --- requests --------------------------------------------------------------------------

    async def decide(self, event: dict[str, Any], deadline_s: float) -> dict[str, Any]:
        """Publish `event` (a prompt event without gateway.reply_partition: it is set here) and
        return its decision; DecisionUnavailable when none comes within `deadline_s`."""
        if self._producer is None:
            raise RuntimeError("DecisionClient.start() was not called")
        loop = asyncio.get_running_loop()
        self._loop = loop
        event_id = event["event_id"]
        event["gateway"]["reply_partition"] = self.reply_partition
        pending = _Pending(loop.create_future())
        with self._lock:
            self._pending[event_id] = pending
        try:
            try:
                self._producer.produce(
                    self.topics.prompts,
                    value=orjson.dumps(event),
                    key=event["conversation_id"].encode("utf-8"),
                    on_delivery=self._delivered(event_id),
                )
            except (BufferError, Exception) as exc:  # local queue full, or the client refused
                log.warning("event %s not published: %s", event_id, type(exc).__name__)
                raise DecisionUnavailable(event_id, "unavailable") from None
            try:
                return await asyncio.wait_for(asyncio.shield(pending.future), deadline_s)
            except TimeoutError:
                reason = "deadline" if pending.delivered else "unavailable"
                raise DecisionUnavailable(event_id, reason) from None
        finally:
            with self._lock:
                self._pending.pop(event_id, None)

    def _delivered(self, event_id: str) -> Callable[[Any, Any], None]:
        def callback(error: Any, _message: Any) -> None:
            with self._lock:
                pending = self._pending.get(event_id)
            if pending is None:
                return
            if error is None:
                pending.delivered = True
            else:
                pending.failure = str(error.name()) if hasattr(error, "name") else "error"

        return callback

    # --- the polling thread ----------------------------------------------------------------

    def _run(self) -> None:
        consumer, producer = self._consumer, self._producer
        while not self._stop.is_set():
            producer.poll(0)
            # poll() returns as soon as one message is there (consume(n, t) would wait for n
            # messages or the whole timeout); what else has arrived is drained without waiting.
            first = consumer.poll(POLL_S)
            if first is None:
                continue
            for message in [first, *consumer.consume(256, 0)]:
                if message.error() is not None:
                    continue  # partition EOF and transient errors: librdkafka retries
                self._answer(message.value())

    def _answer(self, value: bytes | None) -> None:
        self.stats.received += 1
        try:
            decision = orjson.loads(value or b"")
            event_id = decision["event_id"]
        except (orjson.JSONDecodeError, TypeError, KeyError):
            self.stats.dropped += 1
            return
        with self._lock:
            pending = self._pending.pop(event_id, None)
        if pending is None or self._loop is None:
            self.stats.dropped += 1  # another gateway's event, a duplicate, or too late
            return
        self.stats.matched += 1
        self._loop.call_soon_threadsafe(_resolve, pending.future, decision)


def _resolve(future: asyncio.Future[dict[str, Any]], decision: dict[str, Any]) -> None:
    if not future.done():
        future.set_result(decision)


def _in_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
