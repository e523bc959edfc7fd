"""`airlock tail decisions|alerts|deadletter`: print the pipeline's output, one line a message.

The readable lines show identifiers, actions, detectors with counts and masked previews, alert
severities and titles, dead-letter reasons and sources: never a dead letter's payload (`--json`
prints messages whole, payload_b64 included, for tools).
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

KINDS = ("decisions", "alerts", "deadletter")
EXIT_OK, EXIT_ERROR = 0, 2


def add_parser(subparsers: Any) -> None:
    tail = subparsers.add_parser(
        "tail",
        help="print decisions, alerts or dead letters as they arrive",
        description="Follow the decisions, alerts or dead-letter topic and print one readable "
        "line per message (no prompt content, no dead-letter payload).",
    )
    tail.add_argument("kind", choices=KINDS)
    tail.add_argument(
        "--from-beginning", action="store_true", help="start at the oldest retained message"
    )
    tail.add_argument("--max", type=int, metavar="N", help="stop after N messages")
    tail.add_argument(
        "--timeout", type=float, metavar="S", help="stop after S seconds without a message"
    )
    tail.add_argument("--json", action="store_true", help="print each message as JSON, whole")
    tail.set_defaults(handler=run_tail)


def _time(ms: Any) -> str:
    if not isinstance(ms, int | float):
        return "-"
    stamp = datetime.fromtimestamp(ms / 1000.0, tz=UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def format_decision(decision: dict[str, Any]) -> str:
    app = decision.get("app") or {}
    action = str(decision.get("action", "?")).upper()
    if decision.get("monitor_only") and decision.get("policy_action") != decision.get("action"):
        action += f" (monitor; policy: {decision.get('policy_action')})"
    rule = (decision.get("policy") or {}).get("rule")
    reasons = []
    for reason in decision.get("reasons") or []:
        masked = ", ".join(reason.get("masked") or [])
        text = f"{reason.get('detector')}x{reason.get('count')}"
        reasons.append(f"{text} [{masked}]" if masked else text)
    line = (
        f"{_time(decision.get('decided_at'))} {decision.get('event_id')} "
        f"tenant={decision.get('tenant_id')} app={app.get('name')}/{app.get('operation')} "
        f"{action}"
    )
    if rule:
        line += f" rule={rule}"
    if decision.get("redactions"):
        line += f" redactions={len(decision['redactions'])}"
    if reasons:
        line += " | " + "; ".join(reasons)
    if decision.get("alert"):
        line += f" | alert {decision['alert']}"
    return line


def format_alert(alert: dict[str, Any]) -> str:
    info = alert.get("finding_info") or {}
    user = (alert.get("actor") or {}).get("user") or {}
    who = user.get("email_addr") or user.get("uid") or "-"
    metadata = alert.get("metadata") or {}
    unmapped = (alert.get("unmapped") or {}).get("airlock") or {}
    details = (alert.get("data_security") or {}).get("discovery_details") or []
    found = ", ".join(f"{d.get('type')}x{d.get('count')}" for d in details)
    return (
        f"{_time(alert.get('time'))} [{str(alert.get('severity', '?')).upper()}] "
        f"{info.get('title')} user={who} tenant={metadata.get('tenant_uid')} "
        f"event={unmapped.get('event_id')} {alert.get('disposition', '')}"
        + (f" | {found}" if found else "")
    )


def format_deadletter(letter: dict[str, Any]) -> str:
    source = letter.get("source") or {}
    where = f"{source.get('topic')}:{source.get('partition')}:{source.get('offset')}"
    ids = ""
    if letter.get("event_id"):
        ids += f" event_id={letter['event_id']}"
    if letter.get("tenant_id"):
        ids += f" tenant={letter['tenant_id']}"
    return (
        f"{_time(letter.get('received_at'))} {letter.get('reason')} from {where}{ids} "
        f"({letter.get('payload_bytes')} bytes): {letter.get('detail')}"
    )


FORMATTERS = {
    "decisions": format_decision,
    "alerts": format_alert,
    "deadletter": format_deadletter,
}


def format_message(kind: str, value: bytes | None) -> str:
    if value is None:
        return "(empty message)"
    try:
        document = orjson.loads(value)
    except orjson.JSONDecodeError:
        return f"(not JSON: {len(value)} bytes)"
    if not isinstance(document, dict):
        return "(not a JSON object)"
    return FORMATTERS[kind](document)


def run_tail(args: argparse.Namespace) -> int:
    from confluent_kafka import Consumer, KafkaException

    from airlock.config import Settings
    from streams.topics import Topics, kafka_config

    try:
        settings = Settings()
        topics = Topics.from_prefix(settings.topic_prefix)
        topic = {"decisions": topics.decisions, "alerts": topics.alerts}.get(
            args.kind, topics.deadletter
        )
        consumer = Consumer(
            {
                **kafka_config(settings),
                "group.id": f"airlock-tail-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest" if args.from_beginning else "latest",
            }
        )
    except (ValueError, OSError, KafkaException) as exc:
        print(f"airlock tail: {exc}", file=sys.stderr)
        return EXIT_ERROR
    shown = 0
    last = time.monotonic()
    try:
        consumer.subscribe([topic])
        while args.max is None or shown < args.max:
            message = consumer.poll(0.5)
            if message is None:
                if args.timeout is not None and time.monotonic() - last > args.timeout:
                    break
                continue
            if message.error():
                print(f"airlock tail: {message.error()}", file=sys.stderr)
                continue
            last = time.monotonic()
            value = message.value()
            if args.json:
                print(value.decode("utf-8", "replace") if value is not None else "null")
            else:
                print(format_message(args.kind, value))
            sys.stdout.flush()
            shown += 1
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
    return EXIT_OK
