"""Custom rules and dictionaries are validated at load, by the worker and by `airlock rules`
alike (issue 18: catastrophic patterns and one-letter terms were accepted without a word)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from airlock.cli import main
from detectors.dictionary import Dictionary
from detectors.rules import RuleError, load_catalogue

RULE = """\
rules:
  - id: custom-{name}
    name: Custom rule {name}
    category: confidential
    severity: low
    patterns: ['{pattern}']
    examples: ['x']
    negative_examples: ['y']
"""


def rule_file(tmp_path: Path, name: str, pattern: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(RULE.format(name=name, pattern=pattern), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        (r"(?:\w+\s?)+;", "exponential"),
        (r"X(?:a+)+Y", "exponential"),
        (r"(?:ab{1,4})+c", "exponential"),
        (r"(?<=key=)[a-z]{8}", "RE2"),
        (r"(?P<value>a)(?P=value)", "RE2"),
    ],
)
def test_a_custom_rule_that_could_backtrack_is_refused_at_load(
    tmp_path: Path, pattern: str, why: str
) -> None:
    path = rule_file(tmp_path, "slow", pattern)
    with pytest.raises(RuleError, match=why) as info:
        load_catalogue([path])
    assert "custom-slow" in str(info.value) and str(path) in str(info.value)


def test_a_linear_custom_rule_loads(tmp_path: Path) -> None:
    path = rule_file(tmp_path, "fine", r"\bPRJ-[0-9]{4}(?:-[A-Z]{2})?\b")
    assert any(r.id == "custom-fine" for r in load_catalogue([path]))


def test_airlock_rules_refuses_what_the_worker_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = rule_file(tmp_path, "slow", r"X(?:a+)+Y")
    monkeypatch.setenv("AIRLOCK_RULES", orjson.dumps([str(path)]).decode())
    assert main(["rules"]) == 2
    assert "custom-slow" in capsys.readouterr().err


def test_short_and_common_dictionary_terms_are_refused_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "codenames.txt"
    path.write_text("Bluefin\na\nthe\nProject Nightjar\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"codenames\.txt.*'a', 'the'"):
        Dictionary.from_file(path)
    path.write_text("Bluefin\n!a\n!the\nProject Nightjar\n", encoding="utf-8")
    assert Dictionary.from_file(path).terms == ("Bluefin", "a", "the", "Project Nightjar")
    with pytest.raises(RuleError, match="common words"):
        Dictionary(name="x", terms=("ok",))
