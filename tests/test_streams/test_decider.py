"""The decider (streams/decider.py): its wire loop, its handling of a pipeline that raises, and
the real child process: decisions in order, no raw value on the wire, a death that is noticed."""

from __future__ import annotations

import asyncio
import fcntl
import io
import logging
import marshal
import os
import random
import signal
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

import schemas
from airlock.config import Settings
from streams.app import BATCH_MAX
from streams.decider import (
    PIPE_BYTES,
    READY,
    Decided,
    InlineDecider,
    PipelineFailure,
    ProcessDecider,
    decide,
    serve,
)
from streams.pipeline import Pipeline
from tests.canaries import aws_key

from .conftest import encode, make_event

TOPIC = "airlock.prompts"


def frame(payload: Any) -> bytes:
    body = marshal.dumps(payload)
    return len(body).to_bytes(4, "big") + body


def read_frames(data: bytes) -> list[Any]:
    frames = []
    while data:
        size = int.from_bytes(data[:4], "big")
        frames.append(marshal.loads(data[4 : 4 + size]))
        data = data[4 + size :]
    return frames


def test_serve_answers_each_batch_in_order_and_stops_at_the_end_of_its_input(
    pipeline: Pipeline,
) -> None:
    first = [(encode(make_event("a haiku", event_id="e1")), TOPIC, 0, 1), (b"{", TOPIC, 0, 2)]
    second = [(encode(make_event("mail me at jane.doe@example.org", event_id="e3")), TOPIC, 1, 7)]
    requests = io.BytesIO(frame(first) + frame(second))
    answers = io.BytesIO()
    reloads: list[int] = []
    serve(pipeline, lambda: reloads.append(1), 0.0, requests, answers)
    written = answers.getvalue()
    assert written[:1] == READY
    batches = [[Decided(*answer) for answer in batch] for batch in read_frames(written[1:])]
    assert [[d.event_id for d in batch] for batch in batches] == [["e1", None], ["e3"]]
    clean, broken = batches[0]
    assert clean.action == "allow" and clean.deadletter is None
    assert broken.deadletter_reason == "not_json" and broken.action is None
    (mail,) = batches[1]
    assert ("email", "pii") in mail.findings
    decision = orjson.loads(mail.decision or b"")
    schemas.validator("decision").validate(decision)
    assert decision["event_id"] == "e3" and "jane.doe@example.org" not in str(decision)
    assert len(reloads) == 2  # policy files checked before each batch (interval 0)


def test_the_inline_decider_answers_at_once(pipeline: Pipeline) -> None:
    key = aws_key(random.Random(3))
    requests = [(encode(make_event(f"key {key}", event_id="k1")), TOPIC, 0, 0)]

    async def inline() -> asyncio.Future[list[Decided]]:
        return await InlineDecider(pipeline).submit(requests)

    future = asyncio.run(inline())
    assert future.done()
    (decided,) = future.result()
    assert decided.event_id == "k1" and decided.action == "block"
    assert ("aws-access-key-id", "secret") in decided.findings
    assert decided.alert is not None and key.encode() not in decided.alert


class Exploding:
    def process(self, raw: bytes | None, **where: Any) -> Any:
        raise UnicodeDecodeError("utf-8", raw or b"", 0, 1, "the payload says SECRET-CANARY")


def test_a_pipeline_that_raises_is_a_failure_named_by_type_and_place_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="airlock.worker"):
        outcome = Decided(*decide(Exploding(), b"SECRET-CANARY", TOPIC, 3, 99))  # type: ignore[arg-type]
    assert outcome.failure == "UnicodeDecodeError"
    assert outcome.decision is None and outcome.deadletter is None
    assert f"UnicodeDecodeError on {TOPIC}:3:99" in caplog.text
    assert "SECRET-CANARY" not in caplog.text


@pytest.fixture(scope="module")
def decider_env() -> dict[str, str]:
    """The environment of a decider process, its catalogue compiled into the disk cache."""
    Settings().engine()
    return {**os.environ, "AIRLOCK_HASH_KEY": "decider-test-key", "AIRLOCK_LOG_LEVEL": "INFO"}


def test_the_decider_process_decides_batches_and_its_death_is_a_failure(
    decider_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in decider_env.items():
        monkeypatch.setenv(name, value)
    key = aws_key(random.Random(5))
    decider = ProcessDecider()
    decider.start()
    try:
        asyncio.run(_decide_then_lose_the_decider(decider, key))
    finally:
        decider.close()
    assert decider.process is not None and decider.process.poll() is not None


async def _decide_then_lose_the_decider(decider: ProcessDecider, key: str) -> None:
    batch = [
        (encode(make_event("a haiku about the sea", event_id="c1")), TOPIC, 0, 10),
        (encode(make_event(f"aws_access_key_id = {key}", event_id="s1")), TOPIC, 0, 11),
        (b"not json", TOPIC, 0, 12),
    ]
    first = await decider.submit(batch[:2])
    second = await decider.submit(batch[2:])  # two batches in flight, answered in order
    decided = await first + await second
    assert [d.event_id for d in decided] == ["c1", "s1", None]
    assert [d.action for d in decided] == ["allow", "block", None]
    assert decided[2].deadletter_reason == "not_json"
    for d in decided:
        for output in (d.decision, d.alert, d.deadletter):
            assert output is None or key.encode() not in output
    schemas.validator("alert").validate(orjson.loads(decided[1].alert or b""))
    decider.check()  # alive: no failure

    assert decider.process is not None
    os.kill(decider.process.pid, signal.SIGKILL)
    with pytest.raises(PipelineFailure, match="decider process stopped"):
        await asyncio.wait_for(await decider.submit(batch[:1]), 10)
    with pytest.raises(PipelineFailure, match="decider process stopped"):
        decider.check()


def test_a_decider_that_cannot_start_says_so() -> None:
    decider = ProcessDecider([sys.executable, "-c", "import sys; sys.exit(3)"])
    with pytest.raises(RuntimeError, match="exited with status 3"):
        decider.start(timeout=30)


def test_a_decider_that_cannot_load_the_rules_says_why_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """The decider loads the rules, not the worker: a rule file the catalogue rejects stops
    it at startup with the worker's one-line message and exit status 2, which the worker
    passes on."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: no-pattern\n", encoding="utf-8")
    monkeypatch.setenv("AIRLOCK_RULES", f'["{bad}"]')
    decider = ProcessDecider()
    with pytest.raises(RuntimeError, match="exited with status 2"):
        decider.start(timeout=60)
    assert f"airlock worker: cannot load the detection rules: {bad}" in capfd.readouterr().err


def test_frames_larger_than_any_pipe_buffer_pass_both_ways(
    decider_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty events of 300 KB over a 64 KiB limit: 6 MB in, 8 MB of dead letters out (each
    carries its payload), in one frame each way."""
    for name, value in {**decider_env, "AIRLOCK_MAX_EVENT_BYTES": "65536"}.items():
        monkeypatch.setenv(name, value)
    big = encode(make_event("word " * 60_000))
    decider = ProcessDecider()
    decider.start()
    try:

        async def send_big() -> list[Decided]:
            return await (await decider.submit([(big, TOPIC, 0, i) for i in range(20)]))

        decided = asyncio.run(send_big())
    finally:
        decider.close()
    assert [d.deadletter_reason for d in decided] == ["too_large"] * 20
    letter = orjson.loads(decided[19].deadletter or b"")
    assert letter["source"]["offset"] == 19 and letter["payload_bytes"] == len(big)


@pytest.mark.skipif(not hasattr(fcntl, "F_GETPIPE_SZ"), reason="pipe sizes are Linux's")
def test_a_whole_batch_fits_in_the_pipes_to_and_from_the_decider() -> None:
    """A batch of BATCH_MAX 1 KiB prompt events goes over in one write, not one per 64 KiB."""
    idle = "import os, sys; os.write(1, b'R'); sys.stdin.buffer.read()"
    decider = ProcessDecider([sys.executable, "-c", idle])
    decider.start(timeout=30)
    try:
        assert decider.process is not None
        for pipe in (decider.process.stdin, decider.process.stdout):
            assert pipe is not None
            assert fcntl.fcntl(pipe.fileno(), fcntl.F_GETPIPE_SZ) >= PIPE_BYTES
        assert PIPE_BYTES >= 2 * BATCH_MAX * 1400  # two batches of 1 KiB prompt events
    finally:
        decider.close()


def test_an_answer_that_cannot_be_read_is_a_failure_not_a_hang() -> None:
    garbled = (
        "import os, sys; os.write(1, b'R'); sys.stdin.buffer.read(4); "
        "os.write(1, (5).to_bytes(4, 'big') + b'junk!'); sys.stdin.buffer.read()"
    )
    decider = ProcessDecider([sys.executable, "-c", garbled])
    decider.start(timeout=30)

    async def submit() -> None:
        await asyncio.wait_for(await decider.submit([(b"{}", TOPIC, 0, 0)]), 10)

    try:
        with pytest.raises(PipelineFailure, match="answer could not be read"):
            asyncio.run(submit())
    finally:
        decider.close()
