"""The worker's acking and metric recording, with fakes for Faust's stream, events and app: in
order, only once delivered, never across consumer-group generations."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import aiokafka
import aiokafka.consumer.fetcher
import faust
import pytest
from faust.types import EventT, StreamT

import streams.app
from streams.app import (
    BATCH_MAX,
    InFlight,
    OrderedAcker,
    PipelineFailure,
    WorkerCounts,
    record_outcome,
    run_acked,
)
from streams.metrics import Metrics
from streams.pipeline import DEADLETTER_REASONS, Pipeline

from .conftest import encode, make_event


@dataclass
class FakeMessage:
    topic: str
    partition: int
    offset: int
    generation_id: int | None

    @property
    def tp(self) -> tuple[str, int]:
        return (self.topic, self.partition)


@dataclass
class FakeEvent:
    message: FakeMessage


@dataclass
class FakeApp:
    consumer_generation_id: int = 1


@dataclass
class FakeStream:
    """What OrderedAcker uses of a Faust stream: its app and `ack`."""

    app: FakeApp = field(default_factory=FakeApp)
    acked: list[int] = field(default_factory=list)

    async def ack(self, event: FakeEvent) -> bool:
        self.acked.append(event.message.offset)
        return True


def event(offset: int, generation: int | None = 1) -> EventT[bytes]:
    return cast("EventT[bytes]", FakeEvent(FakeMessage("airlock.prompts", 0, offset, generation)))


def delivered() -> asyncio.Future[None]:
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future


async def drain(acker: OrderedAcker) -> None:
    """Run the acker until it has nothing left to do, then stop it; re-raise its failure."""
    task = asyncio.ensure_future(acker.run())
    for _ in range(50):
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    if not task.cancelled() and task.exception() is not None:
        raise cast(BaseException, task.exception())


def acker_of(stream: FakeStream) -> OrderedAcker:
    return OrderedAcker(cast("StreamT[Any]", stream))


def test_events_are_acked_in_order_once_delivered() -> None:
    asyncio.run(_test_events_are_acked_in_order_once_delivered())


async def _test_events_are_acked_in_order_once_delivered() -> None:
    stream = FakeStream()
    acker = acker_of(stream)
    late: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    await acker.put(InFlight(event(10), [late]))
    await acker.put(InFlight(event(11), [delivered()]))
    task = asyncio.ensure_future(acker.run())
    for _ in range(10):
        await asyncio.sleep(0)
    assert stream.acked == []  # 11 is delivered but waits for 10
    late.set_result(None)
    for _ in range(10):
        await asyncio.sleep(0)
    assert stream.acked == [10, 11]
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def test_a_failed_delivery_stops_the_acker_without_acking() -> None:
    asyncio.run(_test_a_failed_delivery_stops_the_acker_without_acking())


async def _test_a_failed_delivery_stops_the_acker_without_acking() -> None:
    stream = FakeStream()
    acker = acker_of(stream)
    failed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    failed.set_exception(ConnectionError("broker gone"))
    await acker.put(InFlight(event(10), [delivered()]))
    await acker.put(InFlight(event(11), [failed]))
    await acker.put(InFlight(event(12), [delivered()]))
    with pytest.raises(PipelineFailure, match=r"airlock\.prompts:0:11 was not delivered"):
        await asyncio.wait_for(acker.run(), timeout=5)
    assert stream.acked == [10]


def test_events_of_an_older_generation_are_never_acked() -> None:
    asyncio.run(_test_events_of_an_older_generation_are_never_acked())


async def _test_events_of_an_older_generation_are_never_acked() -> None:
    """After a rebalance the group is in a newer generation: what the acker still holds of the
    old one stays unacked (its partition's owner reads it again from the committed offset), and
    what was fetched in the new generation is acked as usual."""
    stream = FakeStream(app=FakeApp(consumer_generation_id=3))
    acker = acker_of(stream)
    recorded: list[int] = []

    def record(offset: int) -> Callable[[], None]:
        return lambda: recorded.append(offset)

    for offset in (20, 21, 22):
        await acker.put(InFlight(event(offset, 3), [delivered()], record(offset)))
    stream.app.consumer_generation_id = 4  # rebalanced before the acker got to them
    for offset in (21, 22, 23):  # the same partition again, re-read in generation 4
        await acker.put(InFlight(event(offset, 4), [delivered()]))
    await drain(acker)
    assert stream.acked == [21, 22, 23]
    assert acker.stale == 3
    assert recorded == [20, 21, 22]  # delivered, so counted, though not acked


def test_events_without_a_generation_are_acked() -> None:
    asyncio.run(_test_events_without_a_generation_are_acked())


async def _test_events_without_a_generation_are_acked() -> None:
    stream = FakeStream(app=FakeApp(consumer_generation_id=9))
    acker = acker_of(stream)
    await acker.put(InFlight(event(5, None), [delivered()]))
    await drain(acker)
    assert stream.acked == [5] and acker.stale == 0


# --- batches -------------------------------------------------------------------------------------


@dataclass
class FakeFlowControl:
    active: bool = True

    def is_active(self) -> bool:
        return self.active


@dataclass
class FakeConsumer:
    """The partition's end offset on the broker as of the last fetch."""

    end: int = 0

    def highwater(self, tp: tuple[str, int]) -> int:
        return self.end


@dataclass
class FetchingApp(FakeApp):
    flow_control: FakeFlowControl = field(default_factory=FakeFlowControl)
    consumer: FakeConsumer = field(default_factory=FakeConsumer)


@dataclass
class FetchingStream(FakeStream):
    """A stream of one partition: hands over what it fetched, then waits for `fetch` or `end`."""

    app: FetchingApp = field(default_factory=FetchingApp)
    fetched: list[EventT[bytes]] = field(default_factory=list)
    more: asyncio.Event = field(default_factory=asyncio.Event)
    ended: bool = False
    revoke_after: int | None = None  # clear the queue after handing over this many events

    def noack(self) -> FetchingStream:
        return self

    def fetch(self, *offsets: int) -> None:
        self.fetched += [event(offset) for offset in offsets]
        self.app.consumer.end = max(offsets) + 1
        self.more.set()

    def end(self) -> None:
        self.ended = True
        self.more.set()

    async def events(self) -> Any:
        queue = self.fetched
        handed = 0
        while True:
            if handed == self.revoke_after:
                queue.clear()
            if queue:
                await asyncio.sleep(0)  # Faust yields to the loop for every event
                handed += 1
                yield queue.pop(0)
                continue
            if self.ended:
                return
            self.more.clear()
            await self.more.wait()


def batch_recorder(batches: list[list[int]]) -> Any:
    async def handle(events: list[EventT[bytes]]) -> list[InFlight]:
        batches.append([e.message.offset for e in events])
        return [InFlight(e, [delivered()]) for e in events]

    return handle


async def settle() -> None:
    for _ in range(50):
        await asyncio.sleep(0)


def test_events_are_decided_together_while_behind_and_acked_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Batches here close on their size and on an empty partition only: on a busy machine a
    # millisecond can pass between two of Faust's hand-overs and close one on its gap timer.
    monkeypatch.setattr(streams.app, "BATCH_GAP_S", 60.0)
    monkeypatch.setattr(streams.app, "BATCH_WAIT_S", 60.0)
    asyncio.run(_test_events_are_decided_together_while_behind_and_acked_in_order())


async def _test_events_are_decided_together_while_behind_and_acked_in_order() -> None:
    stream = FetchingStream()
    batches: list[list[int]] = []
    stream.fetch(*range(BATCH_MAX + 10))
    task = asyncio.ensure_future(
        run_acked(cast("faust.Stream[bytes]", stream), batch_recorder(batches))
    )
    await asyncio.wait_for(wait_until(lambda: len(stream.acked) == BATCH_MAX + 10), 60)
    stream.fetch(500)  # arrives alone: a batch of its own, not held for company
    await settle()
    assert batches == [list(range(BATCH_MAX)), list(range(BATCH_MAX, BATCH_MAX + 10)), [500]]
    assert stream.acked == [*range(BATCH_MAX + 10), 500]
    stream.end()
    await asyncio.wait_for(task, 5)


def test_a_stream_that_stalls_never_holds_events_back() -> None:
    asyncio.run(_test_a_stream_that_stalls_never_holds_events_back())


async def _test_a_stream_that_stalls_never_holds_events_back() -> None:
    """When a rebalance begins, Faust clears the events it had fetched and waits until those it
    handed over are acked: the batch they are in must close without more events coming."""
    stream = FetchingStream(revoke_after=2)  # hands over 1 and 2, then drops 3 and 4
    batches: list[list[int]] = []
    stream.fetch(1, 2, 3, 4)
    task = asyncio.ensure_future(
        run_acked(cast("faust.Stream[bytes]", stream), batch_recorder(batches))
    )
    await asyncio.wait_for(wait_until(lambda: len(stream.acked) == 2), 60)
    # Both decided without waiting for 3 and 4, in one batch unless the machine is so slow that
    # the batch's gap timer closed it between them.
    assert [offset for batch in batches for offset in batch] == [1, 2]
    assert stream.acked == [1, 2]
    stream.end()
    await asyncio.wait_for(task, 5)


def test_a_suspended_flow_closes_the_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    # No help from the timers: only the suspended flow may close a batch.
    monkeypatch.setattr(streams.app, "BATCH_WAIT_S", 3600.0)
    monkeypatch.setattr(streams.app, "BATCH_GAP_S", 3600.0)
    asyncio.run(_test_a_suspended_flow_closes_the_batch())


async def _test_a_suspended_flow_closes_the_batch() -> None:
    """Once a rebalance has suspended the flow, Faust hands nothing more over: what it did
    hand over is decided at once."""
    stream = FetchingStream(revoke_after=2)  # hands over 1 and 2, then stalls
    stream.app.flow_control.active = False
    batches: list[list[int]] = []
    stream.fetch(1, 2, 3, 4, 5)
    task = asyncio.ensure_future(
        run_acked(cast("faust.Stream[bytes]", stream), batch_recorder(batches))
    )
    await settle()
    assert stream.acked == [1, 2]
    stream.end()
    await asyncio.wait_for(task, 5)


def test_the_last_events_are_decided_when_the_stream_ends() -> None:
    asyncio.run(_test_the_last_events_are_decided_when_the_stream_ends())


async def _test_the_last_events_are_decided_when_the_stream_ends() -> None:
    stream = FetchingStream()
    batches: list[list[int]] = []
    stream.fetch(7, 8)
    stream.end()
    await asyncio.wait_for(
        run_acked(cast("faust.Stream[bytes]", stream), batch_recorder(batches)), 5
    )
    assert batches == [[7, 8]]


async def wait_until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.001)


# --- metrics ------------------------------------------------------------------------------------


def test_record_outcome_counts_decisions_findings_and_dead_letters(pipeline: Pipeline) -> None:
    metrics = Metrics(DEADLETTER_REASONS)
    counts = WorkerCounts()
    clean, secret, broken = (
        pipeline.process(value, topic="t", partition=0, offset=offset)
        for offset, value in enumerate(
            [
                encode(make_event("a haiku")),
                encode(make_event("key AKIAQ5MZ3W7XK2NBR4TY", tenant_id="acme", event_id="e2")),
                b"{",
            ]
        )
    )
    for outcome in (clean, clean, secret, broken):
        record_outcome(outcome, metrics, counts, now=1_760_000_000.5)
    text = metrics.text()
    assert 'airlock_events_total{action="allow",app="chatgpt",tenant="initech"} 2.0' in text
    assert 'airlock_events_total{action="block",app="chatgpt",tenant="acme"} 1.0' in text
    assert 'airlock_findings_total{category="secret",detector="aws-access-key-id"} 1.0' in text
    assert 'airlock_deadletters_total{reason="not_json"} 1.0' in text
    assert "airlock_scan_seconds_count 3.0" in text
    assert "airlock_decision_latency_seconds_count 3.0" in text
    assert counts.actions == {"allow": 2, "block": 1} and counts.deadletters == {"not_json": 1}


def test_metric_children_are_cached_per_label_values_and_tenants_stay_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import streams.metrics

    monkeypatch.setattr(streams.metrics, "MAX_TENANTS", 2)
    metrics = Metrics()
    for tenant in ("t1", "t2", "t3", "t4", "t1", "t3", None):
        metrics.count_decision(
            tenant_id=tenant,
            app=None,
            action="allow",
            findings=(),
            scanned_bytes=10,
            scan_seconds=1e-5,
        )
    text = metrics.text()
    assert 'airlock_events_total{action="allow",app="unknown",tenant="t1"} 2.0' in text
    assert 'airlock_events_total{action="allow",app="unknown",tenant="t2"} 1.0' in text
    assert 'airlock_events_total{action="allow",app="unknown",tenant="other"} 3.0' in text
    assert 'airlock_events_total{action="allow",app="unknown",tenant="unknown"} 1.0' in text
    assert "airlock_scanned_bytes_total 70.0" in text
    # Tenants counted as "other" are not cached one by one.
    assert {key[0] for key in metrics._event_counters} == {"t1", "t2", None}


def test_the_worker_consumer_waits_for_fuller_fetches() -> None:
    """Faust's consumer thread builds its AIOKafkaConsumer with aiokafka's one-byte minimum;
    the worker's transport raises it, on the attributes AIOKafkaConsumer.start() hands to its
    Fetcher (were aiokafka to rename them, the setting would silently not apply)."""
    from airlock.config import Settings

    async def build() -> Any:
        app = streams.app.faust_app(Settings(kafka_bootstrap="127.0.0.1:1"))
        consumer = app.consumer
        assert isinstance(consumer, streams.app._Consumer)
        thread = consumer._thread
        assert isinstance(thread, streams.app._ConsumerThread)
        return thread._create_worker_consumer(app.transport)

    kafka_consumer = asyncio.run(build())
    try:
        assert kafka_consumer._fetch_min_bytes == streams.app.CONSUMER_FETCH_MIN_BYTES
        assert kafka_consumer._fetch_max_wait_ms == streams.app.CONSUMER_FETCH_MAX_WAIT_MS
        fetcher_arguments = inspect.signature(aiokafka.consumer.fetcher.Fetcher).parameters
        assert {"fetch_min_bytes", "fetch_max_wait_ms"} <= set(fetcher_arguments)
        start_source = inspect.getsource(aiokafka.AIOKafkaConsumer.start)
        assert "fetch_min_bytes=self._fetch_min_bytes" in start_source
        assert "fetch_max_wait_ms=self._fetch_max_wait_ms" in start_source
    finally:
        asyncio.run(kafka_consumer._client.close())


def test_the_worker_consumer_refuses_faust_s_ack_of_a_message_no_agent_was_handed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stream that skips a message during a rebalance acks it; were that ack recorded, the
    commit could pass an event that no agent decided. Acks of handed-over (tracked) messages
    are recorded as Faust records them."""
    from faust.types import TP
    from faust.types.tuples import ConsumerMessage

    from airlock.config import Settings

    def message(offset: int) -> ConsumerMessage:
        return ConsumerMessage("airlock.prompts", 0, offset, 0.0, 0, {}, b"k", b"v", None)

    async def ack_both() -> tuple[bool, bool, list[int]]:
        app = streams.app.faust_app(Settings(kafka_bootstrap="127.0.0.1:1"))
        monkeypatch.setattr(app.topics, "acks_enabled_for", lambda topic: True)
        consumer = app.consumer
        assert isinstance(consumer, streams.app._Consumer)
        skipped, handed = message(7), message(8)
        handed.tracked = True  # what a stream does before it yields a message to its agent
        return (
            skipped.ack(consumer),
            handed.ack(consumer),
            list(consumer._acked[TP("airlock.prompts", 0)]),
        )

    skipped_recorded, handed_recorded, acked = asyncio.run(ack_both())
    assert (skipped_recorded, handed_recorded, acked) == (False, True, [8])
