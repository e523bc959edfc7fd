"""One event cannot stop its partition: an output the broker refuses is replaced by a dead
letter and the partition moves on; only when the dead letter fails too does the worker stop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, cast

import pytest
from faust.types import Message

import schemas
from streams.app import InFlight, PipelineFailure, decide_or_set_aside
from streams.pipeline import Outcome, Pipeline
from tests.test_streams.test_app import FakeStream, acker_of, delivered, drain, event


def failed(exc: Exception) -> asyncio.Future[None]:
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    future.set_exception(exc)
    return future


class MessageSizeTooLargeError(Exception):
    """Stands in for the producer's error: only its type name reaches the dead letter."""


def test_an_undelivered_output_is_replaced_by_a_dead_letter_and_the_partition_moves_on() -> None:
    asyncio.run(_undelivered_output_goes_to_a_dead_letter())


async def _undelivered_output_goes_to_a_dead_letter() -> None:
    stream = FakeStream()
    acker = acker_of(stream)
    reasons: list[str] = []
    counted: list[str] = []

    async def fallback(
        why: str,
    ) -> tuple[list[Awaitable[Any]], Callable[[], None] | None]:
        reasons.append(why)
        return [delivered()], lambda: counted.append("deadletter")

    await acker.put(InFlight(event(10), [delivered()], lambda: counted.append("decision")))
    poison: list[Awaitable[Any]] = [delivered(), failed(MessageSizeTooLargeError("2 MB"))]
    await acker.put(InFlight(event(11), poison, lambda: counted.append("decision"), fallback))
    await acker.put(InFlight(event(12), [delivered()], lambda: counted.append("decision")))
    await drain(acker)
    assert stream.acked == [10, 11, 12]
    assert reasons == ["MessageSizeTooLargeError"]  # the type only, never the text
    assert counted == ["decision", "deadletter", "decision"]


def test_when_the_dead_letter_fails_too_the_worker_stops_without_acking() -> None:
    asyncio.run(_dead_letter_fails_too())


async def _dead_letter_fails_too() -> None:
    stream = FakeStream()
    acker = acker_of(stream)

    async def fallback(_why: str) -> tuple[list[Awaitable[Any]], Callable[[], None] | None]:
        return [failed(ConnectionError("broker gone"))], None

    await acker.put(InFlight(event(11), [failed(ConnectionError("gone"))], None, fallback))
    with pytest.raises(PipelineFailure, match=r"airlock\.prompts:0:11 was not delivered"):
        await asyncio.wait_for(acker.run(), timeout=5)
    assert stream.acked == []


class FakeMessage:
    topic = "airlock.prompts"
    partition = 2
    offset = 41


def test_an_event_the_pipeline_raises_on_twice_becomes_a_dead_letter(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    secret = b'{"text": "AKIAQ5MZ3W7XK2NBR4TY"}'
    calls: list[bytes | None] = []

    def broken(raw: bytes | None, **_: object) -> Outcome:
        calls.append(raw)
        raise ValueError(f"cannot handle {raw!r}")

    monkeypatch.setattr(pipeline, "process", broken)
    outcome = decide_or_set_aside(pipeline, cast("Message", FakeMessage()), secret)
    assert len(calls) == 2  # tried twice, then set aside
    letter = outcome.deadletter
    assert letter is not None and letter["reason"] == "processing_failed"
    assert letter["source"] == {"topic": "airlock.prompts", "partition": 2, "offset": 41}
    assert [e.message for e in schemas.validator("deadletter").iter_errors(letter)] == []
    assert "ValueError" in letter["detail"] and "AKIA" not in letter["detail"]
    assert "AKIA" not in caplog.text and "ValueError" in caplog.text


def test_a_memory_error_still_stops_the_worker(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    def exhausted(raw: bytes | None, **_: object) -> Outcome:
        raise MemoryError

    monkeypatch.setattr(pipeline, "process", exhausted)
    with pytest.raises(MemoryError):
        decide_or_set_aside(pipeline, cast("Message", FakeMessage()), b"{}")
