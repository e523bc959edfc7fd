"""`airlock scan` and `airlock rules` as a user runs them: output formats and exit statuses."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from airlock.cli import main

AWS_KEY = "AKIAQ3EGRXT5KLM4NB2P"


def run(args: list[str], monkeypatch: pytest.MonkeyPatch, stdin: bytes = b"") -> int:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    return main(args)


def test_jsonl_in_jsonl_out_one_line_per_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = b'{"id": 1, "text": "key ' + AWS_KEY.encode() + b'"}\n{"id": "b", "text": "hello"}\n'
    status = run(["scan", "--jsonl", "--format", "jsonl"], monkeypatch, lines)
    first, second = (orjson.loads(line) for line in capsys.readouterr().out.splitlines())
    assert status == 1
    assert first == {
        "id": 1,
        "findings": [
            {
                "detector": "aws-access-key-id",
                "category": "secret",
                "start": 4,
                "end": 24,
                "confidence": "high",
                "masked": "AKIA************NB2P",
            }
        ],
    }
    assert second == {"id": "b", "findings": []}


def test_clean_input_exits_zero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["scan"], monkeypatch, b"nothing to see here\n") == 0
    assert capsys.readouterr().out == ""


def test_files_and_redaction(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "prompt.txt"
    path.write_text("Mail jane.doe@acme-corp.com, key " + AWS_KEY + "\n", encoding="utf-8")
    assert main(["scan", "--redact", str(path)]) == 1
    assert capsys.readouterr().out == "Mail [EMAIL_1], key [AWS_ACCESS_KEY_1]\n"


def test_invalid_utf8_is_scanned_with_replacement(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "binary.txt"
    path.write_bytes(b"\xff\xfe junk " + AWS_KEY.encode() + b" \xc3")
    assert main(["scan", "--format", "json", str(path)]) == 1
    [document] = orjson.loads(capsys.readouterr().out)
    assert document["findings"][0]["start"] == 8


def test_bad_lines_are_reported_and_scanned_as_plain_text(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = b'not json\n[1]\n{"id": 3, "text": 5}\n{"id": 4, "text": "ok"}\n'
    assert run(["scan", "--jsonl", "--format", "jsonl"], monkeypatch, lines) == 2
    captured = capsys.readouterr()
    # A bad line is scanned as the text it is, under its line number.
    assert [orjson.loads(line) for line in captured.out.splitlines()] == [
        {"id": 1, "findings": []},
        {"id": 2, "findings": []},
        {"id": 3, "findings": []},
        {"id": 4, "findings": []},
    ]
    assert "-:1: not JSON" in captured.err
    assert "-:2: expected an object" in captured.err
    assert "-:3: 'text' must be a string" in captured.err


def test_missing_file_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(tmp_path / "absent.txt")]) == 2
    assert "absent.txt: cannot read" in capsys.readouterr().err


def test_rules_lists_the_catalogue_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--format", "json"]) == 0
    rows = orjson.loads(capsys.readouterr().out)
    aws = next(r for r in rows if r["id"] == "aws-access-key-id")
    assert set(aws) == {"id", "name", "category", "provider", "country", "validator"}
    assert aws["provider"] == "AWS"
    assert any(r["validator"] == "luhn" for r in rows)


def test_rules_stats_count_providers_categories_countries_and_validators(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The figures follow the catalogue: one custom rule file adds one provider, one rule in
    its category, one country and one validator, each counted once however often used."""
    assert main(["rules", "--stats", "--format", "json"]) == 0
    before = orjson.loads(capsys.readouterr().out)
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        "rules:\n"
        + "".join(
            f"  - id: zz-test-{n}\n    name: Test {n}\n    category: {category}\n"
            f"    provider: Zz Test Provider\n    severity: high\n    country: ZZ\n"
            f"    validator: {validator}\n    patterns: ['zzq{n}[0-9]{{12}}']\n"
            f"    examples: ['zzq{n}123456789012']\n    negative_examples: []\n"
            for n, category, validator in ((1, "secret", "ipv4"), (2, "credential_hash", "ipv4"))
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("AIRLOCK_RULES", f'["{extra}"]')
    assert main(["rules", "--stats", "--format", "json"]) == 0
    after = orjson.loads(capsys.readouterr().out)
    assert after["rules"] == before["rules"] + 2
    assert after["providers"] == before["providers"] + 1
    assert "Zz Test Provider" in after["provider_names"]
    assert after["categories"]["secret"] == before["categories"]["secret"] + 1
    assert (
        after["categories"]["credential_hash"] == before["categories"].get("credential_hash", 0) + 1
    )
    assert after["countries"] == sorted({*before["countries"], "ZZ"})
    assert after["validators"] == sorted({*before["validators"], "ipv4"})
    assert main(["rules", "--stats"]) == 0
    table = capsys.readouterr().out
    assert f"providers   {after['providers']}" in table
    assert f"rules       {after['rules']}" in table
    assert f"countries   {len(after['countries'])}" in table


def test_the_installed_command_scans_from_any_directory(tmp_path: Path) -> None:
    """The console script, started outside the checkout, imports everything it needs (the
    compiled modules' shared library among them) and finds a planted key."""
    airlock = Path(sys.executable).with_name("airlock")
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("deploy with AKIAZ4Q7UE2RVMN3BX5K please\n", encoding="utf-8")
    result = subprocess.run(
        [str(airlock), "scan", "--format", "jsonl", str(prompt)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "aws-access-key-id" in result.stdout
