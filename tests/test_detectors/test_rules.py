"""Rule files are checked strictly: a mistake fails at load, naming the file, rule and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from detectors.engine import Engine
from detectors.rules import CATEGORIES, Keywords, RuleError, load_catalogue, load_file

GOOD = """
rules:
  - id: acme-token
    name: ACME token
    category: secret
    provider: ACME
    severity: high
    patterns: ['\\bacme_(?P<value>[a-z0-9]{20})\\b']
    examples: ["token acme_q7w2k9x4m1p8z3r6t5y0"]
    negative_examples: ["acme_short"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "custom.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_custom_rule_file_is_loaded_and_used(tmp_path: Path) -> None:
    rules = load_catalogue([write(tmp_path, GOOD)])
    assert "acme-token" in {r.id for r in rules}
    engine = Engine(load_file(tmp_path / "custom.yaml"), hash_key=b"k")
    [finding] = engine.scan("use acme_q7w2k9x4m1p8z3r6t5y0 now")
    assert finding.detector == "acme-token"
    assert finding.label == "ACME_TOKEN"
    assert (finding.start, finding.end) == (9, 29)  # the value group, not the prefix


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (("severity: high", "severity: high\n    colour: red"), "unknown key(s) colour"),
        (("category: secret", "category: secrets"), "'category' is 'secrets'"),
        (("    examples:", "    validator: crc99\n    examples:"), "unknown validator 'crc99'"),
        (("[a-z0-9]{20})", "[a-z0-9]{20}"), "not a valid regular expression"),
        (("(?P<value>", "("), "name the secret part"),
        (("    name: ACME token\n", ""), "missing required key 'name'"),
        (("    provider: ACME\n", ""), "needs 'provider'"),
        (("    examples:", "    max_width: 0\n    examples:"), "positive number"),
        (("    examples:", "    max_width: 20\n    examples:"), "shorter than a match of 25"),
    ],
)
def test_invalid_rules_name_file_rule_and_reason(
    tmp_path: Path, change: tuple[str, str], reason: str
) -> None:
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(RuleError) as error:
        load_file(path)
    message = str(error.value)
    assert str(path) in message
    assert "acme-token" in message
    assert reason in message


def test_pattern_hyperscan_rejects_names_the_rule(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("[a-z0-9]{20}", "[a-z0-9]{20}a{0,70000}"))
    with pytest.raises(RuleError, match=r"custom\.yaml: rule 'acme-token': Hyperscan rejects"):
        Engine(load_file(path), hash_key=b"k")


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    first = write(tmp_path, GOOD)
    second = tmp_path / "again.yaml"
    second.write_text(GOOD, encoding="utf-8")
    with pytest.raises(RuleError, match="already defined"):
        load_catalogue([first, second])


def test_catalogue_covers_every_category() -> None:
    categories = {r.category for r in load_catalogue()}
    assert categories == set(CATEGORIES)


def test_catalogue_has_at_least_120_secret_detectors() -> None:
    secrets = [r for r in load_catalogue() if r.category == "secret"]
    assert len(secrets) >= 120


def test_compiled_database_is_cached_on_disk(tmp_path: Path) -> None:
    Engine(load_file(write(tmp_path, GOOD)), hash_key=b"k", cache_dir=tmp_path)
    [cached] = list(tmp_path.glob("*.hsdb"))
    assert cached.stat().st_size > 0


def test_max_width_confirms_an_unbounded_pattern_near_each_hit_only(tmp_path: Path) -> None:
    """A lookahead bounds the token to 24 characters where the pattern's shape does not: with
    max_width the engine confirms around Hyperscan's match, and finds the same values."""
    unbounded = GOOD.replace(
        "patterns: ['\\bacme_(?P<value>[a-z0-9]{20})\\b']",
        "patterns: ['\\b(?=acme_[a-z0-9]{1,19}\\b)acme_(?P<value>[a-z0-9]+)']",
    ).replace("acme_q7w2k9x4m1p8z3r6t5y0", "acme_q7w2k9x4m1p8z3r6t5y")
    bounded = unbounded.replace("    examples:", "    max_width: 24\n    examples:")
    text = ("word " * 300) + "acme_q7w2k9x4m1p8z3r6t5y and acme_x, not acme_" + "x" * 30
    found = []
    for source in (unbounded, bounded):
        rules = load_file(write(tmp_path, source))
        engine = Engine(rules, hash_key=b"k")
        [entry] = engine._entries
        found.append((entry.width, [(f.start, f.end) for f in engine.scan(text)]))
    assert found[0][0] is None and found[1][0] == 24
    assert found[0][1] == found[1][1] and len(found[1][1]) == 2


@pytest.mark.parametrize(
    ("text", "near"),
    [
        ("plain IBAN here", True),
        ("plain XIBAN here", False),
        # "İ".lower() is two characters: the keyword regex decides, compiled on this first use.
        ("İstanbul iban: x", True),
        ("İstanbul ibanx: x", False),
    ],
)
def test_keywords_stand_whole_in_any_case(text: str, near: bool) -> None:
    assert Keywords(["IBAN"]).near(text, 0, len(text)) is near
