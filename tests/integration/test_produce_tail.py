"""`airlock produce` and `airlock tail` against the real broker (no worker needed)."""

from __future__ import annotations

import argparse
import base64
from pathlib import Path

import orjson
import pytest

import schemas
from streams import produce, tail
from tests.integration.pipeline_support import Namespace, TopicReader, prompt_event
from tests.integration.pipeline_support import produce as send

pytestmark = pytest.mark.kafka


def run(module: object, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="airlock")
    module.add_parser(parser.add_subparsers(dest="command", required=True))  # type: ignore[attr-defined]
    args = parser.parse_args(argv)
    status: int = args.handler(args)
    return status


@pytest.fixture
def airlock_env(namespace: Namespace, monkeypatch: pytest.MonkeyPatch) -> Namespace:
    for name, value in namespace.env().items():
        if name.startswith("AIRLOCK_"):
            monkeypatch.setenv(name, value)
    return namespace


def test_produce_wraps_plain_lines_sends_events_as_is_and_names_bad_lines(
    airlock_env: Namespace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = prompt_event("evt-full-1", "already a prompt event")
    lines = [
        orjson.dumps({"id": 42, "text": "a plain line from a corpus"}),
        orjson.dumps(event),
        b"{broken",
        orjson.dumps({"schema_version": 1, "event_id": "x"}),  # not a valid event
        b"",
    ]
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    status = run(produce, ["produce", "--tenant", "acme", "--app", "claude", str(source)])
    captured = capsys.readouterr()
    assert status == produce.EXIT_REJECTED
    assert f"{source}:3: not valid JSON" in captured.err
    assert f"{source}:4: not a valid prompt event" in captured.err
    assert "sent 2 messages" in captured.out

    reader = TopicReader(airlock_env.bootstrap, [airlock_env.topics.prompts])
    try:
        got = reader.poll_until(lambda m: len(m) >= 2, timeout=30)
    finally:
        reader.close()
    documents = {m.json()["event_id"]: (m.key, m.json()) for m in got}
    validator = schemas.validator("prompt_event")
    for _, document in documents.values():
        assert not list(validator.iter_errors(document))
    key, wrapped = documents["42"]
    assert wrapped["tenant_id"] == "acme" and wrapped["app"]["name"] == "claude"
    assert wrapped["content"]["text"] == "a plain line from a corpus"
    assert key == wrapped["conversation_id"].encode()
    assert documents["evt-full-1"][1] == event  # sent untouched


def test_produce_raw_sends_every_line_untouched(
    airlock_env: Namespace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "raw.jsonl"
    source.write_bytes(b"{broken\n\xff\xfe not utf-8\n")
    assert run(produce, ["produce", "--raw", str(source)]) == 0
    assert "sent 2 messages" in capsys.readouterr().out
    reader = TopicReader(airlock_env.bootstrap, [airlock_env.topics.prompts])
    try:
        got = reader.poll_until(lambda m: len(m) >= 2, timeout=30)
    finally:
        reader.close()
    assert sorted(m.value for m in got) == sorted([b"{broken", b"\xff\xfe not utf-8"])


def test_tail_prints_readable_lines_without_payloads(
    airlock_env: Namespace, capsys: pytest.CaptureFixture[str]
) -> None:
    secret_payload = b"payload that must not be printed"
    letter = {
        "schema_version": 1,
        "reason": "not_json",
        "detail": "the message is not valid JSON",
        "source": {"topic": airlock_env.topics.prompts, "partition": 2, "offset": 17},
        "received_at": 1795400000000,
        "event_id": None,
        "tenant_id": None,
        "payload_bytes": len(secret_payload),
        "payload_b64": base64.b64encode(secret_payload).decode(),
        "payload_truncated": False,
    }
    assert not list(schemas.validator("deadletter").iter_errors(letter))
    send(airlock_env.bootstrap, airlock_env.topics.deadletter, [(b"k", orjson.dumps(letter))])
    argv = ["tail", "deadletter", "--from-beginning", "--max", "1", "--timeout", "20"]
    assert run(tail, argv) == 0
    out = capsys.readouterr().out
    assert f"not_json from {airlock_env.topics.prompts}:2:17" in out
    assert "the message is not valid JSON" in out
    assert str(letter["payload_b64"]) not in out and "must not be printed" not in out

    assert run(tail, [*argv, "--json"]) == 0
    assert orjson.loads(capsys.readouterr().out) == letter  # --json prints the message whole
