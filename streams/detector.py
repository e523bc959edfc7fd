"""The decision path in a process of its own, beside the worker's Faust process.

Scanning and deciding are pure CPU (Hyperscan, regexes, validators, policy). In the Faust
process they shared its one core with Faust's own per-event work (fetching, acking,
producing) and blocked its event loop while they ran. In a child process they run on another
core, in parallel with that work, and the loop stays free for heartbeats and commits: the
worker hands each batch of raw prompt events to the detector process and publishes what comes
back. The Faust process keeps everything that talks to Kafka, and the metrics.

The two processes talk over a Unix socket pair. Each message is a 4-byte big-endian length and
a pickle (both ends are this program, and the socket is private to them):

    parent -> child                          child -> parent
    ("decide", [(value, topic, partition,    ("decided", [Decided, ...])
                 offset), ...])
    ("reload",)                              ("reloaded", [error, ...])
                                             at startup: ("ready", rule count, tenants)
    any                                      ("failed", reason), then the child exits

A reason never quotes the exception's message (a UnicodeDecodeError quotes the payload): only
the event's topic, partition and offset, the exception's type and where it was raised.

The child ignores SIGINT and SIGTERM: the worker decides when it stops, by closing the socket
(also closed when the worker dies, even by SIGKILL), and the child exits when it reads the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import pickle
import signal
import socket
import subprocess
import sys
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

if TYPE_CHECKING:
    from streams.pipeline import Outcome, Pipeline
    from streams.policy import PolicyStore

log = logging.getLogger("airlock.worker")

_LENGTH = 4  # bytes of the length prefix
STOP_TIMEOUT_S = 10.0  # for the child to exit once its socket is closed

Request = tuple[bytes | None, str, int, int]  # value, topic, partition, offset


class DetectorError(RuntimeError):
    """The detector process could not start, failed, or exited."""


class Decided(NamedTuple):
    """One message decided: what the worker publishes, already serialized, and what it counts.

    Findings are reduced to (detector, category) pairs for the metrics: nothing of a value
    leaves the detector process but what the decision and alert already carry.
    """

    event_id: str | None
    tenant_id: str | None
    app: str | None
    action: str | None
    decision: bytes | None  # JSON for the decisions topic
    alert: bytes | None  # JSON for the alerts topic
    deadletter: bytes | None  # JSON for the dead-letter topic
    deadletter_reason: str | None
    deadletter_detail: str | None
    findings: tuple[tuple[str, str], ...]
    scanned_bytes: int
    scan_seconds: float
    event_time: float | None  # the prompt event's time, epoch seconds

    @classmethod
    def of(cls, outcome: Outcome) -> Decided:
        decision, deadletter = outcome.decision, outcome.deadletter
        event_time = decision.get("event_time") if decision is not None else None
        return cls(
            outcome.event_id,
            outcome.tenant_id,
            outcome.app,
            outcome.action,
            orjson.dumps(decision) if decision is not None else None,
            orjson.dumps(outcome.alert) if outcome.alert is not None else None,
            orjson.dumps(deadletter) if deadletter is not None else None,
            str(deadletter.get("reason")) if deadletter is not None else None,
            str(deadletter.get("detail")) if deadletter is not None else None,
            tuple((f.detector, f.category) for f in outcome.findings),
            outcome.scanned_bytes,
            outcome.scan_seconds,
            event_time / 1000.0 if isinstance(event_time, int | float) else None,
        )


def _frame(message: Any) -> bytes:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return len(payload).to_bytes(_LENGTH, "big") + payload


def _receive_blocking(sock: socket.socket) -> Any | None:
    """The next message from a blocking socket; None at the end of the stream."""
    header = _read_exactly(sock, _LENGTH)
    if header is None:
        return None
    payload = _read_exactly(sock, int.from_bytes(header, "big"))
    if payload is None:
        return None
    return pickle.loads(payload)


def _read_exactly(sock: socket.socket, size: int) -> bytes | None:
    buffer = bytearray(size)
    view = memoryview(buffer)
    received = 0
    while received < size:
        count = sock.recv_into(view[received:])
        if count == 0:
            return None
        received += count
    return bytes(buffer)


class DetectorProcess:
    """The worker's end: starts the child, sends it batches, reads back what it decided."""

    def __init__(self, process: subprocess.Popen[bytes], sock: socket.socket) -> None:
        self.process = process
        self.sock = sock
        self.rules = 0
        self.tenants: list[str] = []
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._lock: asyncio.Lock | None = None  # one request at a time on the socket
        self._lost = False  # a request went out and its answer was never read

    @classmethod
    def start(cls) -> DetectorProcess:
        """Start the child and wait until it has loaded the rules and policies.

        It reads its configuration as the worker does (AIRLOCK_* and AIRLOCK_CONFIG, which it
        inherits). Raises DetectorError with the child's reason when it cannot start.
        """
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "streams.detector", "--fd", str(child.fileno())],
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
            )
        finally:
            child.close()
        detector = cls(process, parent)
        answer = _receive_blocking(parent)
        if answer is None or answer[0] != "ready":
            detector.stop()
            reason = answer[1] if answer is not None else None
            raise DetectorError(
                reason or f"the detector process exited with status {process.returncode}"
            )
        _, detector.rules, detector.tenants = answer
        return detector

    async def decide(self, requests: Sequence[Request]) -> list[Decided]:
        answer = await self._ask(("decide", list(requests)))
        decided: list[Decided] = answer[1]
        return decided

    async def reload_policies(self) -> list[str]:
        answer = await self._ask(("reload",))
        errors: list[str] = answer[1]
        return errors

    async def _ask(self, request: tuple[Any, ...]) -> Any:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._streams is None:
                self._streams = await asyncio.open_unix_connection(sock=self.sock)
            if self._lost:
                raise DetectorError("an earlier request to the detector process was abandoned")
            reader, writer = self._streams
            # Until the answer is read, an interruption (the agent cancelled as the worker
            # stops) would leave it on the socket for the next request to take as its own.
            self._lost = True
            writer.write(_frame(request))
            try:
                await writer.drain()
                header = await reader.readexactly(_LENGTH)
                answer = pickle.loads(await reader.readexactly(int.from_bytes(header, "big")))
            except (asyncio.IncompleteReadError, ConnectionError):
                raise DetectorError(self._exit_status()) from None
            self._lost = False
            if answer[0] == "failed":
                raise DetectorError(answer[1])
            return answer

    def _exit_status(self) -> str:
        try:
            status = self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return "the detector process closed its socket"
        return f"the detector process exited with status {status}"

    def stop(self) -> None:
        """Close the socket, so that the child exits; kill it if it does not."""
        if self._streams is not None:
            # RuntimeError: its event loop is closed already, and closing the socket is enough.
            with contextlib.suppress(RuntimeError):
                self._streams[1].close()
        self.sock.close()
        try:
            self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- the child ----------------------------------------------------------------------------------


def serve(sock: socket.socket) -> int:
    """The child's loop: answer requests until the socket closes."""
    from airlock.config import Settings
    from detectors.rules import RuleError
    from streams.pipeline import Pipeline
    from streams.policy import PolicyError, PolicyStore
    from streams.worker import configure_logging

    settings = Settings()
    configure_logging(settings.log_level)
    try:
        engine = settings.engine()
    except (RuleError, ValueError, OSError) as exc:
        sock.sendall(_frame(("failed", f"cannot load the detection rules: {exc}")))
        return 2
    try:
        policies = PolicyStore(settings.policy_dir, monitor_only=settings.monitor_only)
        pipeline = Pipeline(engine, policies, settings.max_event_bytes)
    except PolicyError as exc:
        sock.sendall(_frame(("failed", f"bad policy: {exc}")))
        return 2
    # What is loaded now lives as long as the process: keep it out of the collector's sight.
    gc.collect()
    gc.freeze()
    sock.sendall(_frame(("ready", len(engine.rules), list(policies.tenants))))
    while True:
        request = _receive_blocking(sock)
        if request is None:
            return 0
        answer = answer_to(request, pipeline, policies)
        sock.sendall(_frame(answer))
        if answer[0] == "failed":
            return 1


def answer_to(request: tuple[Any, ...], pipeline: Pipeline, policies: PolicyStore) -> Any:
    if request[0] == "reload":
        return ("reloaded", policies.reload_if_changed())
    decided = []
    for value, topic, partition, offset in request[1]:
        try:
            outcome = pipeline.process(value, topic=topic, partition=partition, offset=offset)
        except Exception as exc:
            frames = "; ".join(
                f"{f.filename}:{f.lineno} in {f.name}"
                for f in traceback.extract_tb(exc.__traceback__)
            )
            where = f"{topic}:{partition}:{offset}"
            log.error("pipeline raised %s on %s (at %s)", type(exc).__name__, where, frames)
            return ("failed", f"the pipeline raised {type(exc).__name__} on {where}")
        decided.append(Decided.of(outcome))
    return ("decided", decided)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m streams.detector")
    parser.add_argument("--fd", type=int, required=True, help="the socket to the worker")
    args = parser.parse_args(argv)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    sock = socket.socket(fileno=args.fd)
    try:
        return serve(sock)
    except (BrokenPipeError, ConnectionResetError):
        return 0  # the worker is gone
    finally:
        sock.close()


if __name__ == "__main__":
    # Run the module's importable twin, not this `__main__` copy: what the child pickles must
    # name `streams.detector.Decided`, the class the worker unpickles.
    from streams import detector

    sys.exit(detector.main())
