"""`airlock produce FILE.jsonl`: publish prompt events to the prompts topic.

Each line is one of:
* a prompt event (valid against schemas/prompt_event.v1.json): sent as it is;
* a plain `{"id": ..., "text": ...}` object (what `airlock scan --jsonl` reads): wrapped into a
  prompt event with default fields, the id becoming the event_id, so any corpus can be replayed.
With `--raw` every line is sent untouched, valid or not (to replay malformed input).

Messages are keyed by conversation_id (the prompts of a chat stay in order on one partition);
the producer is idempotent, so its own retries never duplicate a message.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

EXIT_OK, EXIT_REJECTED, EXIT_ERROR = 0, 1, 2
APP_NAMES = ("chatgpt", "claude", "gemini", "copilot", "mistral", "perplexity", "other")
OPERATIONS = ("prompt", "upload", "response")
GATEWAY_KINDS = ("api_gateway", "forward_proxy", "browser_extension")
PLAIN_KEYS = frozenset({"id", "text"})
FLUSH_TIMEOUT_S = 60.0


def add_parser(subparsers: Any) -> None:
    produce = subparsers.add_parser(
        "produce",
        help="publish prompt events (or plain {id, text} lines) to the prompts topic",
        description="Publish JSON lines to the prompts topic. Prompt events are sent as they "
        'are; plain {"id": ..., "text": ...} lines are wrapped into prompt events with the '
        "default fields below, the id becoming the event_id. Exit status: 0 when every line "
        "was sent, 1 when some were rejected or not delivered, 2 on error.",
    )
    produce.add_argument("files", nargs="+", metavar="FILE", help="JSON-lines files; - is stdin")
    produce.add_argument(
        "--raw", action="store_true", help="send every line untouched, valid or not"
    )
    produce.add_argument("--tenant", default="default", help="tenant_id of wrapped lines")
    produce.add_argument(
        "--app", choices=APP_NAMES, default="other", help="AI app of wrapped lines"
    )
    produce.add_argument(
        "--operation", choices=OPERATIONS, default="prompt", help="operation of wrapped lines"
    )
    produce.add_argument("--user", default="airlock-produce", help="user id of wrapped lines")
    produce.add_argument(
        "--gateway-kind", choices=GATEWAY_KINDS, default="api_gateway", help="of wrapped lines"
    )
    produce.add_argument("--topic", help="default: the prompts topic of AIRLOCK_TOPIC_PREFIX")
    produce.set_defaults(handler=run_produce)


@dataclass(frozen=True)
class Defaults:
    """The fields a plain {id, text} line gets when wrapped into a prompt event."""

    tenant: str = "default"
    app: str = "other"
    operation: str = "prompt"
    user: str = "airlock-produce"
    gateway_kind: str = "api_gateway"


class LineError(ValueError):
    """A line that is neither a prompt event nor a plain {id, text} object."""


def wrap(
    document: dict[str, Any], defaults: Defaults, *, now_ms: int | None = None
) -> dict[str, Any]:
    """The prompt event for a plain {"id", "text"} line."""
    event_id = (
        document["id"] if isinstance(document["id"], str) else orjson.dumps(document["id"]).decode()
    )
    return {
        "schema_version": 1,
        "event_id": event_id,
        "tenant_id": defaults.tenant,
        "time": now_ms if now_ms is not None else int(time.time() * 1000),
        "gateway": {"id": "airlock-produce", "kind": defaults.gateway_kind},
        "user": {"id": defaults.user},
        "app": {"name": defaults.app, "operation": defaults.operation},
        "conversation_id": event_id,
        "content": {"text": document["text"]},
    }


def _describe(error: Any) -> str:
    """Where a prompt event is wrong, without quoting its values."""
    where = "/".join(str(part) for part in error.absolute_path) or "(the event)"
    return f"{where}: fails '{error.validator}'"


def prepare(line: bytes, defaults: Defaults) -> tuple[bytes, bytes | None]:
    """(value, key) to send for one line; raises LineError naming what is wrong."""
    import schemas

    try:
        document = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise LineError("not valid JSON (use --raw to send it anyway)") from None
    if not isinstance(document, dict):
        raise LineError("not a JSON object")
    validator = schemas.validator("prompt_event")
    if set(document) == PLAIN_KEYS or (
        "text" in document and "id" in document and "schema_version" not in document
    ):
        if not isinstance(document["text"], str):
            raise LineError('"text" is not a string')
        event = wrap(document, defaults)
        error = next(iter(validator.iter_errors(event)), None)
        if error is not None:
            raise LineError(f"cannot wrap it into a prompt event: {_describe(error)}")
        return orjson.dumps(event), event["conversation_id"].encode()
    error = next(iter(validator.iter_errors(document)), None)
    if error is not None:
        raise LineError(f"not a valid prompt event: {_describe(error)} (use --raw to send it)")
    return line, str(document["conversation_id"]).encode()


def _lines(name: str) -> Iterator[tuple[int, bytes]]:
    stream: IO[bytes]
    if name == "-":
        stream = sys.stdin.buffer
        yield from _numbered(stream)
        return
    with Path(name).open("rb") as stream:
        yield from _numbered(stream)


def _numbered(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    for number, line in enumerate(stream, start=1):
        line = line.rstrip(b"\r\n")
        if line.strip():
            yield number, line


@dataclass
class Report:
    sent: int = 0
    wrapped: int = 0
    rejected: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def run_produce(args: argparse.Namespace) -> int:
    from confluent_kafka import KafkaException, Producer

    from airlock.config import Settings
    from streams.topics import TopicError, Topics, create_topics, kafka_config

    try:
        settings = Settings()
        topics = Topics.from_prefix(settings.topic_prefix)
        topic = args.topic or topics.prompts
        if not args.topic:
            create_topics(settings, topics)  # idempotent: a fresh broker works at once
        producer = Producer(
            {
                **kafka_config(settings),
                "enable.idempotence": True,
                "linger.ms": 5,
                "message.max.bytes": max(settings.max_event_bytes * 2, 1 << 20),
            }
        )
    except (ValueError, OSError, KafkaException, TopicError) as exc:
        print(f"airlock produce: {exc}", file=sys.stderr)
        return EXIT_ERROR
    defaults = Defaults(args.tenant, args.app, args.operation, args.user, args.gateway_kind)
    report = Report()

    def delivered(err: Any, _msg: Any) -> None:
        if err is not None:
            report.failed += 1
            report.errors.append(f"delivery failed: {err}")

    for name in args.files:
        try:
            for number, line in _lines(name):
                if args.raw:
                    value, key = line, None
                else:
                    try:
                        value, key = prepare(line, defaults)
                    except LineError as exc:
                        report.rejected += 1
                        print(f"airlock produce: {name}:{number}: {exc}", file=sys.stderr)
                        continue
                    report.wrapped += value is not line
                _send(producer, topic, key, value, delivered)
                report.sent += 1
        except OSError as exc:
            print(f"airlock produce: {name}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_ERROR
    remaining = producer.flush(FLUSH_TIMEOUT_S)
    for error in sorted(set(report.errors)):
        print(f"airlock produce: {error}", file=sys.stderr)
    if remaining:
        print(
            f"airlock produce: {remaining} messages not delivered within {FLUSH_TIMEOUT_S:.0f} s",
            file=sys.stderr,
        )
    delivered_count = report.sent - report.failed - remaining
    print(
        f"sent {delivered_count} messages to {topic} ({report.wrapped} wrapped from plain "
        f"lines); {report.rejected} lines rejected, {report.failed + remaining} not delivered"
    )
    return EXIT_OK if report.rejected == report.failed == remaining == 0 else EXIT_REJECTED


def _send(producer: Any, topic: str, key: bytes | None, value: bytes, callback: Any) -> None:
    while True:
        try:
            producer.produce(topic, value=value, key=key, on_delivery=callback)
            break
        except BufferError:  # the local queue is full: let deliveries drain it
            producer.poll(0.5)
    producer.poll(0)
