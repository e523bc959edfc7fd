"""The decider: `Pipeline.process` in a process of its own, fed by the worker over a pipe.

Why a second process. The worker's event loop moves bytes for Faust (fetches, hand-overs from
the consumer thread, produce requests, acks); deciding an event costs about as much again, and
Python runs one thread at a time. Deciding in the loop therefore added its whole cost to every
event's, and Faust's work between two batches evicted the 5.6 MB Hyperscan database from the
CPU caches, so a scan cost about twice what it costs in a tight loop (bench/cache.py). In a
process of its own, deciding takes the second core and its caches stay warmer (it still costs
1.3-1.7 times its tight loop there, sharing the cores with the broker), and the event loop
only sends the raw values and publishes the serialized outputs that come back. In
bench/pipeline.py this took Airlock from 57% to 81-94% of the pass-through's throughput, and
30-70% above the same code deciding inline, for about the same CPU per event (which
`bench.pipeline` prints). A one-core deployment
sets `decider: inline` and decides in the loop, through the same functions.

The wire, both ways: frames of a 4-byte big-endian length and a `marshal` payload (the fastest
serializer of Python's own, for tuples of bytes, str and numbers). Both ends are this program on
the same interpreter; no frame comes from anywhere else.
* request: a list of (value, topic, partition, offset), one batch of prompt events;
* response: a list of `decide` tuples, one per event, in the same order.
Responses come in the order of the requests, so the worker keeps up to MAX_BATCHES_IN_FLIGHT
batches in the pipe: the decider works on one while the loop publishes the previous one.

The decider process ignores SIGINT and SIGTERM: it exits when its standard input closes, when
the worker stops or dies (even by SIGKILL), so that a batch in the pipe is never cut short by a
Ctrl-C that reached the whole process group. Nothing here logs prompt text.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fcntl
import gc
import logging
import marshal
import os
import select
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

import orjson

if TYPE_CHECKING:
    from streams.pipeline import Pipeline

log = logging.getLogger("airlock.worker")

MAX_BATCHES_IN_FLIGHT = 2
READY = b"R"  # the decider's first byte: rules compiled, policies loaded
READY_TIMEOUT_S = 300.0  # a first start compiles the catalogue (about a minute on 2 cores)
STOP_TIMEOUT_S = 10.0
# A batch of 128 prompt events is about 170 KB: in a pipe of Linux's default 64 KiB it takes
# several writes, each a turn of the worker's event loop. A pipe this large (Linux's default
# ceiling, /proc/sys/fs/pipe-max-size) holds two batches, each written at once.
PIPE_BYTES = 1 << 20

Request = tuple[bytes | None, str, int, int]  # value, topic, partition, offset


class PipelineFailure(RuntimeError):
    """The pipeline or the producer failed on one event; the worker stops without acking it.

    Its message names the event's topic, partition and offset and the exception's type only:
    the original exception's text may quote the payload (UnicodeDecodeError does), so it is not
    chained and not logged.
    """


class Decided(NamedTuple):
    """What the worker publishes and counts for one consumed message, outputs serialized.

    A tuple, made from the fields `decide` sends in one step (`_new_decided`): the worker
    builds one per event.
    """

    event_id: str | None
    tenant_id: str | None
    app: str | None
    action: str | None  # None for a dead letter
    event_time: float | None  # the prompt event's time, epoch seconds
    decision: bytes | None
    alert: bytes | None
    deadletter: bytes | None
    deadletter_reason: str | None
    deadletter_detail: str | None
    findings: tuple[tuple[str, str], ...]  # (detector, category) of each finding
    scanned_bytes: int
    scan_seconds: float
    failure: str | None  # the exception's type, when Pipeline.process raised
    reply_partition: int | None  # the decisions partition the event's gateway reads


_new_decided = tuple.__new__


def decide(
    pipeline: Pipeline, value: bytes | None, topic: str, partition: int, offset: int
) -> tuple[Any, ...]:
    """Decide one message; the fields of its `Decided`, as a tuple that marshal can carry.

    An exception out of the pipeline, or out of serializing its outputs, is logged by type and
    place only (its text may quote the payload) and comes back as the event's `failure`.
    """
    try:
        outcome = pipeline.process(value, topic=topic, partition=partition, offset=offset)
        decision = outcome.decision
        letter = outcome.deadletter
        event_time = decision.get("event_time") if decision is not None else None
        return (
            outcome.event_id,
            outcome.tenant_id,
            outcome.app,
            decision["action"] if decision is not None else None,
            event_time / 1000.0 if isinstance(event_time, int | float) else None,
            orjson.dumps(decision) if decision is not None else None,
            orjson.dumps(outcome.alert) if outcome.alert is not None else None,
            orjson.dumps(letter) if letter is not None else None,
            str(letter["reason"]) if letter is not None else None,
            str(letter["detail"]) if letter is not None else None,
            tuple((f.detector, f.category) for f in outcome.findings),
            outcome.scanned_bytes,
            outcome.scan_seconds,
            None,
            outcome.reply_partition,
        )
    except Exception as exc:
        frames = "; ".join(
            f"{f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(exc.__traceback__)
        )
        log.error(
            "pipeline raised %s on %s:%s:%s (at %s)",
            type(exc).__name__,
            topic,
            partition,
            offset,
            frames,
        )
        failed: tuple[Any, ...] = (None,) * 10 + ((), 0, 0.0, type(exc).__name__, None)
        return failed


def decide_batch(pipeline: Pipeline, requests: Sequence[Request]) -> list[Decided]:
    """Decide a batch in this process: what `InlineDecider` runs."""
    return [_new_decided(Decided, decide(pipeline, *request)) for request in requests]


class InlineDecider:
    """Decides in the worker's event loop (`decider: inline`, for a one-core deployment)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    async def submit(self, requests: Sequence[Request]) -> asyncio.Future[list[Decided]]:
        future: asyncio.Future[list[Decided]] = asyncio.get_running_loop().create_future()
        future.set_result(decide_batch(self.pipeline, requests))
        return future

    def check(self) -> None:
        pass

    def close(self) -> None:
        pass


class ProcessDecider:
    """Decides in a child process (`python -m streams.decider`), started by `start`."""

    def __init__(self, command: list[str] | None = None) -> None:
        self.command = command or [sys.executable, "-m", "streams.decider"]
        self.process: subprocess.Popen[bytes] | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reading: asyncio.Task[None] | None = None
        self._waiting: collections.deque[asyncio.Future[list[Decided]]] = collections.deque()
        self._room: asyncio.Semaphore | None = None
        self._failure: str | None = None

    def start(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Start the decider and wait until it is ready; RuntimeError if it is not.

        Blocking, before the Faust worker starts: a decider that cannot load the rules or the
        policies stops the worker at startup, not at its first event. It reads the same
        AIRLOCK_* environment (and AIRLOCK_CONFIG file) as the worker.
        """
        process = subprocess.Popen(
            self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0
        )
        self.process = process
        assert process.stdin is not None and process.stdout is not None
        for pipe in (process.stdin, process.stdout):
            _enlarge(pipe.fileno())
        ready, _, _ = select.select([process.stdout], [], [], timeout)
        first = os.read(process.stdout.fileno(), 1) if ready else b""
        if first != READY:
            self.close()
            status = process.poll()
            raise RuntimeError(
                "the decider process "
                + (f"exited with status {status}" if status is not None else "was not ready")
                + f" (after {timeout:.0f} s at most; see its log lines above)"
            )

    async def _attach(self) -> None:
        """Wrap the child's pipes in the running loop's streams (on the first batch)."""
        process = self.process
        assert process is not None and process.stdin is not None and process.stdout is not None
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), process.stdout)
        transport, protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, process.stdin
        )
        self._writer = asyncio.StreamWriter(transport, protocol, None, loop)
        self._room = asyncio.Semaphore(MAX_BATCHES_IN_FLIGHT)
        self._reading = asyncio.ensure_future(self._read(reader))

    async def submit(self, requests: Sequence[Request]) -> asyncio.Future[list[Decided]]:
        """Send a batch; its future holds the decisions once the decider answers. Waits while
        MAX_BATCHES_IN_FLIGHT batches are unanswered (back-pressure on the stream)."""
        if self._writer is None:
            await self._attach()
        assert self._writer is not None and self._room is not None
        await self._room.acquire()
        if self._failure is not None:
            raise PipelineFailure(self._failure)
        future: asyncio.Future[list[Decided]] = asyncio.get_running_loop().create_future()
        self._waiting.append(future)
        body = marshal.dumps(list(requests))
        self._writer.write(len(body).to_bytes(4, "big") + body)
        await self._writer.drain()
        return future

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                size = int.from_bytes(await reader.readexactly(4), "big")
                answers = marshal.loads(await reader.readexactly(size))
                future = self._waiting.popleft()
                if not future.done():
                    future.set_result([_new_decided(Decided, answer) for answer in answers])
                assert self._room is not None
                self._room.release()
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            self._fail(_stopped(self.process.poll() if self.process is not None else None))
        except Exception as exc:  # a frame this side cannot read: stop rather than hang
            log.error("the decider's answer could not be read (%s)", type(exc).__name__)
            self._fail(f"the decider's answer could not be read ({type(exc).__name__})")

    def check(self) -> None:
        """Raise PipelineFailure once the decider has stopped, even while no batch is out."""
        status = self.process.poll() if self.process is not None else None
        if self._failure is None and status is not None:
            self._failure = _stopped(status)
        if self._failure is not None:
            raise PipelineFailure(self._failure)

    def _fail(self, reason: str) -> None:
        self._failure = reason
        while self._waiting:
            future = self._waiting.popleft()
            if not future.done():
                future.set_exception(PipelineFailure(reason))
        if self._room is not None:
            for _ in range(MAX_BATCHES_IN_FLIGHT):
                self._room.release()  # a submit waiting for room sees the failure

    def close(self) -> None:
        """Close the decider's input and wait for it to exit (kill it after STOP_TIMEOUT_S)."""
        process = self.process
        if process is None:
            return
        if self._reading is not None:
            self._reading.cancel()
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _enlarge(descriptor: int) -> None:
    """Give a pipe PIPE_BYTES of buffer where the system allows it; else keep its default."""
    with contextlib.suppress(OSError, AttributeError):  # F_SETPIPE_SZ is Linux's only
        fcntl.fcntl(descriptor, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _stopped(status: int | None) -> str:
    return (
        f"the decider process stopped (exit status {status}); the events it held are not "
        "acked and will be processed again"
    )


def serve(
    pipeline: Pipeline,
    reload_policies: Any,
    reload_interval_s: float,
    requests: BinaryIO,
    answers: BinaryIO,
) -> None:
    """The decider's loop: a batch in, its decisions out, until the input closes.

    Policy files are checked for changes before a batch when `reload_interval_s` has passed
    (the worker reports reload errors; both read the same files).
    """
    checked = time.monotonic()
    answers.write(READY)
    answers.flush()
    while True:
        head = requests.read(4)
        if len(head) < 4:
            return
        batch = marshal.loads(requests.read(int.from_bytes(head, "big")))
        now = time.monotonic()
        if now - checked >= reload_interval_s:
            reload_policies()
            checked = now
        body = marshal.dumps([decide(pipeline, *request) for request in batch])
        answers.write(len(body).to_bytes(4, "big") + body)
        answers.flush()


def main() -> int:
    """`python -m streams.decider`, started by the worker with the worker's environment."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # The answers get a descriptor of their own and fd 1 becomes stderr: nothing a library
    # prints can corrupt a frame.
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    from airlock.config import Settings
    from streams.worker import StartError, configure_logging, fail, load_pipeline, load_policies

    settings = Settings()
    configure_logging(settings.log_level)
    try:
        policies = load_policies(settings)
        pipeline = load_pipeline(settings, policies)
    except StartError as exc:
        return fail(str(exc))  # the worker then stops with the same status
    log.info("decider ready: %d rules", len(pipeline.engine.rules))
    # As in the worker (streams/worker.py): what is loaded lives as long as the process, so a
    # full collection need only look at what deciding allocates.
    gc.collect()
    gc.freeze()
    with contextlib.suppress(BrokenPipeError):  # the worker is gone
        serve(
            pipeline,
            policies.reload_if_changed,
            settings.policy_reload_interval_s,
            sys.stdin.buffer,
            answers,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
