"""The smaller holes of issue 18, each as a regression test: duplicate keys, identifiers that
carry a secret, `airlock scan --jsonl` on bad lines, exit statuses, UTF-16 files, and
`airlock rules` on a pattern the worker refuses."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import orjson
import pytest

import detectors.engine
from airlock.cli import main
from streams.pipeline import Pipeline
from tests.test_streams.conftest import make_event

KEY = "AKIAQ3EGRXT5KLM4NB2P"


def process(pipeline: Pipeline, raw: bytes) -> dict[str, object]:
    outcome = pipeline.process(raw, topic="airlock.prompts", partition=0, offset=3)
    assert outcome.deadletter is not None
    return outcome.deadletter


def test_a_duplicate_text_key_is_a_schema_violation(pipeline: Pipeline) -> None:
    clean = orjson.dumps(make_event("Write a haiku."))
    # The first "text" holds the key; orjson (and so the scan) would keep the second only.
    raw = clean.replace(
        b'"text":"Write a haiku."', b'"text":"key ' + KEY.encode() + b'","text":"Write a haiku."'
    )
    assert raw != clean
    letter = process(pipeline, raw)
    assert letter["reason"] == "schema_violation"
    assert "same key twice" in str(letter["detail"])


@pytest.mark.parametrize("field", ["event_id", "conversation_id", "user", "gateway"])
def test_a_secret_in_an_identifier_is_refused_and_never_copied(
    pipeline: Pipeline, field: str
) -> None:
    event = make_event("Write a haiku.")
    if field in ("user", "gateway"):
        event[field]["id"] = f"id-{KEY}"
    else:
        event[field] = f"id-{KEY}"
    letter = process(pipeline, orjson.dumps(event))
    assert letter["reason"] == "schema_violation"
    assert letter["event_id"] is None and letter["tenant_id"] is None
    detail = str(letter["detail"])
    assert "credential" in detail and KEY not in detail and "id-AKIA" not in detail


def run(args: list[str], monkeypatch: pytest.MonkeyPatch, stdin: bytes = b"") -> int:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    return main(args)


def test_a_bad_jsonl_line_is_still_scanned_and_the_run_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = b'{"id": 1, "text": "hello"}\n{"id": 2, "text": "key ' + KEY.encode() + b'"\n'
    status = run(["scan", "--jsonl", "--format", "jsonl"], monkeypatch, lines)
    captured = capsys.readouterr()
    first, second = (orjson.loads(line) for line in captured.out.splitlines())
    assert first == {"id": 1, "findings": []}
    assert second["id"] == 2 and [f["detector"] for f in second["findings"]] == [
        "aws-access-key-id"
    ]
    assert "not JSON" in captured.err and "scanned as plain text" in captured.err
    assert status == 2


def test_a_lone_surrogate_is_read_with_a_replacement_character(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    line = b'{"id": "s", "text": "\\ud800 key ' + KEY.encode() + b'"}\n'
    status = run(["scan", "--jsonl", "--format", "jsonl"], monkeypatch, line)
    (out,) = (orjson.loads(x) for x in capsys.readouterr().out.splitlines())
    assert status == 1
    assert [(f["start"], f["end"]) for f in out["findings"]] == [(6, 26)]


def test_an_internal_crash_exits_2_not_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(self: object, text: str, **_: object) -> list[object]:
        raise RuntimeError(f"boom {text}")

    monkeypatch.setattr(detectors.engine.Engine, "scan", broken)
    assert run(["scan"], monkeypatch, b"key " + KEY.encode()) == 2
    err = capsys.readouterr().err
    assert "internal error (RuntimeError)" in err and KEY not in err


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_file_is_scanned_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str
) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(f"Deploy with {KEY} today\n".encode(encoding))
    assert main(["scan", "--format", "jsonl", str(path)]) == 1
    (out,) = (orjson.loads(x) for x in capsys.readouterr().out.splitlines())
    assert [f["detector"] for f in out["findings"]] == ["aws-access-key-id"]


def test_airlock_rules_exits_2_on_a_pattern_the_worker_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "custom.yaml"
    rules.write_text(
        "rules:\n"
        "  - id: custom-huge-repeat\n"
        "    name: Custom rule with a repeat too large for Hyperscan\n"
        "    category: confidential\n"
        "    severity: low\n"
        "    patterns: ['x{1,100000}y']\n"
        "    examples: ['xy']\n"
        "    negative_examples: ['x']\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("AIRLOCK_RULES", orjson.dumps([str(rules)]).decode())
    monkeypatch.setenv("AIRLOCK_CACHE_DIR", str(tmp_path / "cache"))
    # `airlock rules` builds the engine as the worker does (rule checks, then the Hyperscan
    # compile): this repeat is refused by the RE2 check, before Hyperscan would reject it.
    assert main(["rules"]) == 2
    err = capsys.readouterr().err
    assert "custom-huge-repeat" in err and "x{1,100000}y" in err
