"""The Faust app of the worker: one agent that turns prompt events into decisions.

The agent decides each raw message with `Pipeline.process` (the pure core) and produces its
outputs: the decision to the decisions topic (key: event_id), the OCSF alert to the alerts
topic, a dead letter to the dead-letter topic (key: "<topic>:<partition>:<offset>"). A worker
is one process on one core; it scales by partitions and worker processes, as Kafka consumers do.

Delivery is at least once: a prompt event's offset is committed only after its outputs are
delivered to Kafka. How, in Faust's terms:

* Faust commits, per partition, up to the first offset that is not *acked*; an event is acked
  when the stream moves past it unless the stream is a `noack()` stream, where acking is ours.
* Outputs go straight to the producer (`app.producer.send`, which `Topic.send` ends in too):
  it only enqueues the message and returns its delivery future, done once the broker has it
  (acks=all). `stream_publish_on_commit` stays off: that mode "attaches" outputs to the source
  offset and holds them back until the next commit, seconds of latency.
* So the agent iterates `stream.noack().events()`, sends the outputs, and hands the event with
  its delivery futures to an `OrderedAcker`, which awaits them *in the order the events came*
  and only then acks the event. Faust's own commit (every `broker_commit_interval` seconds or
  `broker_commit_every` acks) can therefore never cover an event whose decision is not on the
  broker. Acks must be in order: faust-streaming 0.15's `Consumer._new_offset` commits past a
  single not-yet-acked offset at the head of a partition (its "gap of one" check, issue 606),
  and deliveries to different decision partitions complete in any order.
* A failed delivery or an exception out of the pipeline crashes the worker (the agent runs
  under mode's `CrashingSupervisor`; Faust's default supervisor would restart the agent in
  place and go on acking later events, committing past the failed one). The event stays
  unacked, so the next worker processes it again: a duplicate at worst, never a loss.
* SIGKILL loses only what was not committed; those events are processed again after the
  restart and their decisions come out a second time, with the same event_id and action.
* A rebalance never makes the acker ack across consumer-group generations. When partitions
  are revoked, Faust (`stream_wait_empty`) waits until every event handed to the agent is
  acked, and commits them, before the group moves on: the acker keeps acking through the
  revocation, which is still the old generation. An event fetched in an older generation than
  the group's current one is never acked (`OrderedAcker.run`): only a revocation that skipped
  that wait (a stop during a rebalance) leaves one behind, and its partition's new owner
  processes it again from the committed offset. Faust's own `on_partitions_revoked` signal is
  no place to drop them: it is sent after that wait, when nothing of the old generation is left.
* Nor does Faust's own ack of a message its stream skipped during a rebalance count: the
  worker's consumer refuses acks of messages never handed to an agent (`_Consumer.ack`), so
  the commit never passes them and the partition's owner fetches them again.

Nothing here logs prompt text or payloads: only event ids, offsets, reasons and counts.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import faust
import orjson
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, EventT, Message, StreamT
from mode import CrashingSupervisor

from airlock.startup import kafka_bootstrap
from streams import inflate
from streams.metrics import Metrics
from streams.pipeline import MAX_OUTPUT_BYTES
from streams.topics import Topics

if TYPE_CHECKING:
    from airlock.config import Settings
    from streams.pipeline import Outcome, Pipeline

log = logging.getLogger("airlock.worker")


class PipelineFailure(RuntimeError):
    """The pipeline or the producer failed on one event; the worker stops without acking it.

    Its message names the event's topic, partition and offset and the exception's type only:
    the original exception's text may quote the payload (UnicodeDecodeError does), so it is not
    chained and not logged.
    """


# Faust settings that matter for throughput and latency (bench/pipeline.py measures them).
STREAM_BUFFER_MAXSIZE = 4096  # messages buffered per partition before the fetcher pauses it
# Outputs wait up to this long to be sent in one produce request with others. Produce requests
# cost the worker most of its I/O time (socket writes to the broker), so fewer, larger ones
# pay: in bench/pipeline.py, 0 -> 5 ms took the pass-through worker from ~2,000 to ~3,300
# events/s and 20 ms to ~7,500, but Airlock (bound by scanning) gained little from 5 to 20 ms
# while its p99 grew: 5 ms is a tenth of the 50 ms p99 goal.
# That wait is the setting producer_linger_ms (AIRLOCK_PRODUCER_LINGER_MS, default 5 ms); a
# gateway waiting on each decision wants 0 (bench/gateway.py).
PRODUCER_MAX_BATCH_BYTES = 256 * 1024
BROKER_COMMIT_INTERVAL_S = 1.0  # bounds the replay after a crash to about a second of events
BROKER_COMMIT_EVERY = 5000  # ... or this many acked events, whichever comes first
MAX_POLL_RECORDS = 1000
ACK_QUEUE_MAXSIZE = 8192  # events awaiting delivery of their outputs; back-pressure beyond
# Events decided together, at most (see run_acked). The first events of a batch pay for the
# caches Faust's work evicted (about 300 µs for the first, 150 µs for the second, against
# 70-90 µs late in a batch): 128 decided 25-30% more events per second than 32.
BATCH_MAX = 128
# A batch also closes when no event came for BATCH_GAP_S (a backlog hands one over every
# ~0.1 ms; a steady 1,000 events/s, one every millisecond or more), and at the latest
# BATCH_WAIT_S after its first event.
BATCH_GAP_S = 0.001
BATCH_WAIT_S = 0.02
SUMMARY_INTERVAL_S = 30.0  # how often the worker logs its counts
# How long the broker may hold a fetch until it has CONSUMER_FETCH_MIN_BYTES for the worker.
# Faust leaves aiokafka's minimum at one byte, so at a steady rate every fetch came back with
# an event or two and each cost a round of Faust's fetcher and of its consumer thread, whose
# hand-overs to the event loop queued behind the scan. Waiting up to 5 ms for 64 KiB (about
# 60 prompts) took Airlock's median latency at 1,000 events/s in bench/pipeline.py from about
# 45 ms to 20-25 ms and the pass-through's worst seconds down; a backlog always has 64 KiB
# ready, so throughput is untouched.
# Defaults of the settings fetch_max_wait_ms and fetch_min_bytes.
CONSUMER_FETCH_MAX_WAIT_MS = 5
CONSUMER_FETCH_MIN_BYTES = 64 * 1024
CONSUMER_MAX_PARTITION_FETCH_BYTES = 1 << 20
CONSUMER_FETCH_MAX_BYTES = 8 << 20
# Inflated records of one compressed batch kept as they are, at most (streams/inflate.py).
INFLATED_BATCH_MAX_BYTES = 32 << 20


def broker_urls(bootstrap: str) -> list[str]:
    return [f"kafka://{server.strip()}" for server in bootstrap.split(",") if server.strip()]


def broker_credentials(settings: Settings) -> faust.auth.Credentials | None:
    """Faust's credentials for the configured security protocol (None for PLAINTEXT)."""
    protocol = settings.kafka_security_protocol.upper()
    context: ssl.SSLContext | None = None
    if protocol in ("SSL", "SASL_SSL"):
        cafile = str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
        context = ssl.create_default_context(cafile=cafile)
    if protocol.startswith("SASL"):
        password = settings.kafka_password
        return faust.SASLCredentials(
            username=settings.kafka_username,
            password=password.get_secret_value() if password is not None else None,
            ssl_context=context,
            mechanism=settings.kafka_sasl_mechanism or "PLAIN",
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # Faust passes no fetch_min_bytes and a fixed fetch_max_wait_ms; AIOKafkaConsumer
        # hands both attributes to its Fetcher only in start(), so setting them here is enough
        # (tests/test_streams/test_app.py checks that they arrive).
        fetch = getattr(transport.app, "airlock_fetch", None)  # set by faust_app
        min_bytes, max_wait_ms = fetch or (CONSUMER_FETCH_MIN_BYTES, CONSUMER_FETCH_MAX_WAIT_MS)
        consumer._fetch_min_bytes = min_bytes
        consumer._fetch_max_wait_ms = max_wait_ms
        # Bounds of the compressed bytes one fetch brings (aiokafka's defaults: 1 MiB per
        # partition, 50 MiB in all); a batch larger than the partition bound still comes alone.
        consumer._max_partition_fetch_bytes = CONSUMER_MAX_PARTITION_FETCH_BYTES
        consumer._fetch_max_bytes = CONSUMER_FETCH_MAX_BYTES
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    def ack(self, message: Message) -> bool:
        """Faust's ack, for messages handed to an agent only.

        A stream skips a message it takes while a rebalance is under way (flow control
        suspended) or that was fetched in an older consumer-group generation, and acks it so
        that it does not count as pending. That ack would let the commit pass a message no
        agent has seen: on a partition that moves, its new owner starts after it; on one that
        stays, Faust seeks back and fetches it again, but the commit may already have passed it
        before its decision is out. Such a message was never tracked (a stream tracks each
        message it hands over), and it was never pending either, so refusing its ack costs
        nothing: the partition's owner fetches it again from the committed offset.
        """
        if not message.tracked:
            return False
        return bool(super().ack(message))


class _Transport(faust_aiokafka.Transport):
    """Faust's aiokafka transport with the fetch settings above."""

    Consumer = _Consumer


def faust_app(settings: Settings, *, app_id: str | None = None, **overrides: Any) -> faust.App:
    """A Faust app configured from the settings, without agents.

    Topics are created by `streams.topics.create_topics`, never by Faust (the broker does not
    auto-create them either); there are no tables and no web server, so nothing can expose
    prompt content over HTTP.
    """
    options: dict[str, Any] = {
        "broker": broker_urls(kafka_bootstrap(settings)),
        "broker_credentials": broker_credentials(settings),
        "key_serializer": "raw",
        "value_serializer": "raw",
        "web_enabled": False,
        "web_tables_enabled": False,
        "web_host": "127.0.0.1",
        "topic_allow_declare": False,
        "topic_disable_leader": True,
        "autodiscover": False,
        "datadir": str(Path(settings.cache_dir) / "faust"),
        "consumer_auto_offset_reset": "earliest",
        "stream_buffer_maxsize": STREAM_BUFFER_MAXSIZE,
        "stream_publish_on_commit": False,
        "stream_wait_empty": True,
        "producer_linger": settings.producer_linger_ms / 1000,
        "producer_max_batch_size": PRODUCER_MAX_BATCH_BYTES,
        "producer_acks": -1,
        "broker_commit_interval": BROKER_COMMIT_INTERVAL_S,
        "broker_commit_every": BROKER_COMMIT_EVERY,
        "broker_max_poll_records": MAX_POLL_RECORDS,
        "broker_session_timeout": settings.kafka_session_timeout_s,
        "broker_heartbeat_interval": min(3.0, settings.kafka_session_timeout_s / 3),
    }
    options.update(overrides)
    app = faust.App(app_id or settings.group_id, **options)
    app.transport = _Transport(app.conf.broker_consumer, app)
    app.airlock_fetch = (settings.fetch_min_bytes, settings.fetch_max_wait_ms)  # type: ignore[attr-defined]
    return app


def raw_topic(app: faust.App, name: str) -> faust.TopicT:
    """A topic of raw bytes; empty values (tombstones) reach the agent too."""
    return app.topic(
        name,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        allow_empty=True,
    )


def log_assignments(app: faust.App, topic: str, on_ready: Callable[[], None] | None = None) -> None:
    """Log which partitions of the topic this worker consumes, at every rebalance; then call
    `on_ready` (the worker's /readyz answers from the first assignment on)."""

    @app.on_partitions_assigned.connect  # type: ignore[arg-type]  # mode types it loosely
    async def assigned(_sender: Any, *args: Any, signal: Any, **_: Any) -> None:
        partitions: set[TP] = args[0] if args else set()
        mine = sorted(tp.partition for tp in partitions if tp.topic == topic)
        log.info("consuming %s partitions %s", topic, mine)
        if on_ready is not None:
            on_ready()


async def send(
    app: faust.App, topic: str, key: bytes, value: bytes, partition: int | None = None
) -> Awaitable[Any]:
    """Hand one message to the producer; return its delivery future (done once the broker has
    it, with acks=all). Straight to `app.producer`, skipping `Topic.send`'s per-message
    bookkeeping (sensors, FutureMessage), which cost measurable CPU per event."""
    return await app.producer.send(topic, key, value, partition, None, None)


async def reply_partition(app: faust.App, topic: str, wanted: int | None) -> int | None:
    """The decisions partition the event's gateway reads, modulo the topic's partition count
    (an out-of-range one would fail the send); aiokafka's send waits for the same metadata."""
    if wanted is None:
        return None
    producer: Any = app.producer  # faust's aiokafka driver: its aiokafka producer's metadata
    known = await producer._ensure_producer().client._wait_on_metadata(topic)
    return int(wanted) % len(known)


# Sends a dead letter in place of an event whose outputs were not delivered, given why; returns
# the dead letter's delivery futures and what to count once it is delivered.
Fallback = Callable[[str], Awaitable[tuple[list[Awaitable[Any]], Callable[[], None] | None]]]


@dataclass(slots=True)
class InFlight:
    """An event whose outputs are on their way to the broker."""

    event: EventT[bytes]
    deliveries: list[Awaitable[Any]]
    on_delivered: Callable[[], None] | None = None
    # Without a fallback, an undelivered output stops the worker (the event is not acked).
    fallback: Fallback | None = None


@dataclass
class OrderedAcker:
    """Acks events in arrival order, each once all its outputs are delivered, and only while
    the consumer group is still in the generation the event was fetched in (see module doc)."""

    stream: StreamT[Any]
    queue: asyncio.Queue[InFlight] = field(
        default_factory=lambda: asyncio.Queue(maxsize=ACK_QUEUE_MAXSIZE)
    )
    stale: int = 0  # events left unacked because the group had moved to a newer generation

    async def put(self, item: InFlight) -> None:
        await self.queue.put(item)

    async def run(self) -> None:
        while True:
            item = await self.queue.get()
            on_delivered = item.on_delivered
            failure = await _first_failure(item.deliveries)
            if failure is not None and item.fallback is not None:
                # One event's output the broker refuses (too large, say) must not stop the
                # partition: its dead letter goes instead, and the partition moves on.
                deliveries, on_delivered = await item.fallback(failure)
                failure = await _first_failure(deliveries)
            if failure is not None:
                message = item.event.message
                raise PipelineFailure(
                    f"an output of {message.topic}:{message.partition}:{message.offset} "
                    f"was not delivered ({failure}); the event is not acked and "
                    "will be processed again"
                )
            if on_delivered is not None:
                on_delivered()  # delivered: counted, whether or not it is acked below
            message = item.event.message
            generation = self.stream.app.consumer_generation_id
            if message.generation_id is not None and message.generation_id != generation:
                self.stale += 1
                log.info(
                    "not acking %s:%s:%s: fetched in consumer-group generation %s, the group "
                    "is now in generation %s; the partition's owner processes it again",
                    message.topic,
                    message.partition,
                    message.offset,
                    message.generation_id,
                    generation,
                )
                continue
            await self.stream.ack(item.event)


async def _first_failure(deliveries: list[Awaitable[Any]]) -> str | None:
    """Await every delivery; the type of the first exception, or None when all succeeded."""
    failure = None
    for delivery in deliveries:
        try:
            await delivery
        except (asyncio.CancelledError, PipelineFailure):
            raise
        except Exception as exc:
            if failure is None:
                failure = type(exc).__name__
    return failure


async def run_acked(
    stream: faust.Stream[bytes],
    handle: Callable[[list[EventT[bytes]]], Awaitable[list[InFlight]]],
) -> None:
    """Drive a no-ack stream through `handle` in batches, acking each event once its outputs
    are delivered.

    Faust hands events over one at a time, a few turns of the event loop apart, with its own
    per-event work in between; deciding each at once let that work evict the Hyperscan
    database and the rules from the CPU caches, and a scan in the worker cost about twice what
    it costs in `bench.process`. So while the consumer is behind, events are gathered and
    handed to `handle` together, up to BATCH_MAX at a time. A batch closes when the partition of its
    last event has nothing more to fetch (the worker is keeping up: a lone event is decided at
    once), when it is full, when flow control is suspended (a rebalance has begun), when no
    event came for BATCH_GAP_S, and at the latest BATCH_WAIT_S after its first event: no event
    is held while the stream waits, and during a revocation Faust drops what it has fetched
    and waits until every event it handed over is acked.

    Returns when the stream ends; raises as soon as the acker fails (a delivery failed), even
    while the stream is idle, so that the agent, and with it the worker, crashes at once.
    """
    noack = stream.noack()
    acker = OrderedAcker(noack)
    consumer = noack.app.consumer
    flow_control = noack.app.flow_control

    def more_to_come(message: Any) -> bool:
        """Whether the broker held later events of the message's partition at the last fetch."""
        try:
            return bool(consumer.highwater(message.tp) > message.offset + 1)
        except Exception:  # the consumer is rebalancing or stopping
            return False

    pending: list[EventT[bytes]] = []
    arrived = asyncio.Event()  # pending has events
    closed = asyncio.Event()  # the batch in pending is closed: handle it now
    room = asyncio.Event()  # pending has room for more
    room.set()
    handling = asyncio.Lock()  # batches go to the acker in the order they were taken

    async def handle_pending() -> None:
        async with handling:
            if not pending:
                return
            batch = pending.copy()
            pending.clear()
            arrived.clear()
            closed.clear()
            room.set()
            for item in await handle(batch):
                await acker.put(item)

    async def consume() -> None:
        async for event in noack.events():
            pending.append(event)
            arrived.set()
            if (
                len(pending) >= BATCH_MAX
                or not flow_control.is_active()
                or not more_to_come(event.message)
            ):
                closed.set()
            if len(pending) >= BATCH_MAX:
                room.clear()
                await room.wait()
        await handle_pending()

    async def decide() -> None:
        loop = asyncio.get_running_loop()
        while True:
            await arrived.wait()
            deadline = loop.time() + BATCH_WAIT_S
            while not closed.is_set() and loop.time() < deadline:
                count = len(pending)
                try:
                    async with asyncio.timeout(BATCH_GAP_S):
                        await closed.wait()
                except TimeoutError:
                    if len(pending) == count:
                        break  # nothing came in the gap
            await handle_pending()

    tasks = [
        asyncio.ensure_future(acker.run()),
        asyncio.ensure_future(consume()),
        asyncio.ensure_future(decide()),
    ]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()  # re-raises the failure, if any
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class WorkerCounts:
    """Counts for the periodic summary line of the log."""

    def __init__(self) -> None:
        self.actions: Counter[str] = Counter()
        self.deadletters: Counter[str] = Counter()
        self.logged_total = 0
        self.logged_at = 0.0

    @property
    def total(self) -> int:
        return sum(self.actions.values()) + sum(self.deadletters.values())


def record_outcome(
    outcome: Outcome, metrics: Metrics, counts: WorkerCounts, *, now: float | None = None
) -> None:
    """Count one outcome in the metrics and the summary counts, once its outputs are delivered.

    `now` (epoch seconds) is when the decision reached the broker, the end of the decision
    latency; the clock by default.
    """
    letter = outcome.deadletter
    if letter is not None:
        reason = str(letter["reason"])
        metrics.count_deadletter(reason)
        counts.deadletters[reason] += 1
        return
    decision = outcome.decision
    if decision is None:
        return
    action = decision["action"]
    metrics.count_decision(
        tenant_id=outcome.tenant_id,
        app=outcome.app,
        action=action,
        findings=[(f.detector, f.category) for f in outcome.findings],
        scanned_bytes=outcome.scanned_bytes,
        scan_seconds=outcome.scan_seconds,
    )
    if outcome.alert is not None:
        metrics.count_alert(outcome.tenant_id, outcome.alert)
    counts.actions[action] += 1
    event_time = decision.get("event_time")
    if isinstance(event_time, int | float):
        metrics.observe_latency((time.time() if now is None else now) - event_time / 1000.0)


def decide_or_set_aside(pipeline: Pipeline, message: Message, value: bytes | None) -> Outcome:
    """The event's outcome; a `processing_failed` dead letter when the pipeline raises on it
    twice, so that one event that breaks the pipeline cannot stop its partition in a crash
    loop. A MemoryError stops the worker instead (its state may be broken; the event is not
    acked and is processed again)."""
    where = f"{message.topic}:{message.partition}:{message.offset}"
    failure = ""
    for attempt in (1, 2):
        try:
            return pipeline.process(
                value, topic=message.topic, partition=message.partition, offset=message.offset
            )
        except MemoryError:
            raise
        except Exception as exc:
            # By type and place only: the exception's text may quote the payload.
            failure = type(exc).__name__
            log.error("the pipeline raised %s on %s (attempt %d of 2)", failure, where, attempt)
    return pipeline.set_aside(
        value,
        "processing_failed",
        f"the pipeline raised {failure} on this event twice",
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
    )


def build_app(
    settings: Settings,
    *,
    pipeline: Pipeline,
    metrics: Metrics,
    topics: Topics | None = None,
) -> faust.App:
    """The worker's Faust app: the decide agent plus a timer for policy reload and lag."""
    topics = topics or Topics.from_prefix(settings.topic_prefix)
    # A compressed record that inflates past the event limit keeps no value (a decompression
    # bomb of 400 MB arrives as a 400 kB batch): its dead letter says too_large.
    inflate.install(
        record_limit=settings.max_event_bytes + 1024,
        batch_limit=max(INFLATED_BATCH_MAX_BYTES, 4 * settings.max_event_bytes),
    )
    app = faust_app(settings)
    prompts = raw_topic(app, topics.prompts)
    counts = WorkerCounts()

    def undeliverable(message: Message, value: bytes | None, outcome: Outcome, why: str) -> Outcome:
        return pipeline.set_aside(
            value,
            "undeliverable",
            why,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            event_id=outcome.event_id,
            tenant_id=outcome.tenant_id,
        )

    async def publish(message: Message, outcome: Outcome) -> list[Awaitable[Any]]:
        deliveries: list[Awaitable[Any]] = []
        key = str(outcome.event_id).encode("utf-8")  # of the decision and the alert
        if outcome.decision is not None:
            value = orjson.dumps(outcome.decision)
            partition = await reply_partition(app, topics.decisions, outcome.reply_partition)
            deliveries.append(await send(app, topics.decisions, key, value, partition))
            if log.isEnabledFor(logging.DEBUG):
                log.debug(
                    "event %s tenant %s: %s", outcome.event_id, outcome.tenant_id, outcome.action
                )
        if outcome.alert is not None:
            deliveries.append(await send(app, topics.alerts, key, orjson.dumps(outcome.alert)))
        letter = outcome.deadletter
        if letter is not None:
            source = f"{message.topic}:{message.partition}:{message.offset}".encode()
            deliveries.append(await send(app, topics.deadletter, source, orjson.dumps(letter)))
            log.warning(
                "dead letter %s:%s:%s reason=%s event_id=%s: %s",
                message.topic,
                message.partition,
                message.offset,
                letter["reason"],
                outcome.event_id,
                letter["detail"],
            )
        return deliveries

    def oversized(outcome: Outcome) -> str | None:
        """Why the outcome's decision or alert is too large to publish, or None."""
        for kind, output in (("decision", outcome.decision), ("alert", outcome.alert)):
            if output is not None:
                size = len(orjson.dumps(output))
                if size > MAX_OUTPUT_BYTES:
                    return (
                        f"the {kind} has {size} bytes; the limit of an output is "
                        f"{MAX_OUTPUT_BYTES} bytes"
                    )
        return None

    async def handle(events: list[EventT[bytes]]) -> list[InFlight]:
        handled = []
        for event in events:
            message = event.message
            outcome = decide_or_set_aside(pipeline, message, event.value)
            why = oversized(outcome) if outcome.deadletter is None else None
            if why is not None:
                outcome = undeliverable(message, event.value, outcome, why)
            try:
                deliveries = await publish(message, outcome)
            except Exception as exc:  # the producer refused a message at once
                if outcome.deadletter is not None:
                    raise PipelineFailure(
                        f"the dead letter of {message.topic}:{message.partition}:"
                        f"{message.offset} was refused by the producer ({type(exc).__name__})"
                    ) from None
                outcome = undeliverable(
                    message,
                    event.value,
                    outcome,
                    f"the producer refused an output ({type(exc).__name__})",
                )
                deliveries = await publish(message, outcome)

            async def fallback(
                failure: str,
                message: Message = message,
                value: bytes | None = event.value,
                outcome: Outcome = outcome,
            ) -> tuple[list[Awaitable[Any]], Callable[[], None] | None]:
                letter = undeliverable(
                    message, value, outcome, f"an output was not delivered ({failure})"
                )
                return await publish(message, letter), partial(
                    record_outcome, letter, metrics, counts
                )

            handled.append(
                InFlight(
                    event,
                    deliveries,
                    partial(record_outcome, outcome, metrics, counts),
                    None if outcome.deadletter is not None else fallback,
                )
            )
        return handled

    @app.agent(
        prompts, name="airlock.decide", concurrency=1, supervisor_strategy=CrashingSupervisor
    )
    async def decide(stream: StreamT[bytes]) -> None:
        await run_acked(cast("faust.Stream[bytes]", stream), handle)

    log_assignments(app, topics.prompts, metrics.mark_ready)

    @app.timer(interval=settings.policy_reload_interval_s)  # type: ignore[untyped-decorator]
    async def housekeeping() -> None:
        for error in pipeline.policies.reload_if_changed():
            metrics.policy_reload_errors.inc()
            log.error("policy reload failed: %s", error)
        await update_lag(app, metrics)
        log_summary(counts)

    return app


async def update_lag(app: faust.App, metrics: Metrics) -> None:
    """Set airlock_consumer_lag for every assigned partition: high watermark - committed."""
    consumer = app.consumer
    try:
        assigned: list[TP] = sorted(consumer.assignment())
        metrics.retain_lag((tp.topic, tp.partition) for tp in assigned)
        if not assigned:
            return
        highwaters = await consumer.highwaters(*assigned)
    except Exception as exc:  # the consumer may be rebalancing or stopping
        log.debug("consumer lag not updated: %s", type(exc).__name__)
        return
    committed_offsets = getattr(consumer, "_committed_offset", {})
    for tp in assigned:
        end = highwaters.get(tp)
        if end is None:
            continue
        committed = committed_offsets.get(tp)
        if committed is None:
            try:
                committed = await consumer.position(tp)
            except Exception:
                committed = None
        if committed is not None:
            metrics.set_lag(tp.topic, tp.partition, int(end) - int(committed))


def log_summary(counts: WorkerCounts, *, now: float | None = None) -> None:
    now = time.monotonic() if now is None else now
    if counts.total == counts.logged_total or now - counts.logged_at < SUMMARY_INTERVAL_S:
        return
    counts.logged_at = now
    counts.logged_total = counts.total
    actions = ", ".join(f"{k} {v}" for k, v in sorted(counts.actions.items())) or "none"
    dead = ", ".join(f"{k} {v}" for k, v in sorted(counts.deadletters.items())) or "none"
    log.info("processed %d events: decisions %s; dead letters %s", counts.total, actions, dead)
