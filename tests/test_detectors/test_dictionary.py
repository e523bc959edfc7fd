"""Tenant dictionaries: whole-word, case-insensitive terms with exact offsets, at any size.

The engines here hold dictionaries only (no catalogue), compiled into a private cache folder,
so that each test sees just what the dictionary finds.
"""

from __future__ import annotations

import random
import string
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from detectors.dictionary import Dictionary
from detectors.engine import Engine
from detectors.findings import Finding
from detectors.rules import RuleError

HASH_KEY = b"airlock-tests-dictionary"


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hsdb-cache")


def engine_for(cache_dir: Path, *dictionaries: Dictionary) -> Engine:
    return Engine([], hash_key=HASH_KEY, dictionaries=dictionaries, cache_dir=cache_dir)


def found(findings: Sequence[Finding], text: str) -> list[tuple[str, int, int]]:
    return [(text[f.start : f.end], f.start, f.end) for f in findings]


PROJECTS = Dictionary("projects", ("Orion", "ACME Corp", "C++ Toolkit", "R&D", "a.b"))


def test_terms_are_found_whole_with_character_offsets_after_accents(cache_dir: Path) -> None:
    text = "Réunion « Projet Zéphyr » — ÉTÉ 2025 : le client ACME Corp accélère Orion."
    findings = engine_for(cache_dir, PROJECTS).scan(text)
    acme, orion = text.index("ACME Corp"), text.index("Orion")
    assert found(findings, text) == [
        ("ACME Corp", acme, acme + len("ACME Corp")),
        ("Orion", orion, orion + len("Orion")),
    ]


def test_terms_are_found_case_insensitively(cache_dir: Path) -> None:
    text = "acme corp and ORION and oRiOn"
    values = [value for value, _, _ in found(engine_for(cache_dir, PROJECTS).scan(text), text)]
    assert values == ["acme corp", "ORION", "oRiOn"]


@pytest.mark.parametrize(
    "text",
    [
        "the orionite mineral",
        "xOrion is another product",
        "Orion_v2 is a file name",
        "Orion2 is a model number",
        "ACME Corporation signed",
    ],
)
def test_a_term_inside_another_word_is_not_found(cache_dir: Path, text: str) -> None:
    assert engine_for(cache_dir, PROJECTS).scan(text) == []


def test_punctuation_around_a_term_is_a_word_boundary(cache_dir: Path) -> None:
    text = "(Orion), Orion-7 and 'orion'."
    values = [value for value, _, _ in found(engine_for(cache_dir, PROJECTS).scan(text), text)]
    assert values == ["Orion", "Orion", "orion"]


def test_terms_are_literals_not_regular_expressions(cache_dir: Path) -> None:
    text = "Our C++ Toolkit team (R&D) ships a.b, not axb."
    values = [value for value, _, _ in found(engine_for(cache_dir, PROJECTS).scan(text), text)]
    assert values == ["C++ Toolkit", "R&D", "a.b"]


def test_findings_carry_the_dictionary_identity(cache_dir: Path) -> None:
    customers = Dictionary("key-accounts", ("Borealis",), category="pii", severity="critical")
    [finding] = engine_for(cache_dir, customers).scan("Call Borealis today")
    assert finding.detector == "dictionary.key-accounts"
    assert (finding.category, finding.severity) == ("pii", "critical")
    assert (finding.label, finding.confidence) == ("KEY_ACCOUNTS", "high")
    assert "Borealis" not in repr(finding)


def test_accented_term_is_found_in_its_own_case(cache_dir: Path) -> None:
    text = "Le projet Zéphyr démarre."
    engine = engine_for(cache_dir, Dictionary("codenames", ("Zéphyr",)))
    start = text.index("Zéphyr")
    assert found(engine.scan(text), text) == [("Zéphyr", start, start + len("Zéphyr"))]


def test_accented_term_is_found_in_any_case(cache_dir: Path) -> None:
    engine = engine_for(cache_dir, Dictionary("codenames", ("Zéphyr",)))
    assert [f.detector for f in engine.scan("LE PROJET ZÉPHYR DÉMARRE")] == ["dictionary.codenames"]


def test_a_term_next_to_an_accented_letter_is_inside_a_word(cache_dir: Path) -> None:
    engine = engine_for(cache_dir, Dictionary("codenames", ("lan", "Orion")))
    assert engine.scan("Un élan pour les Orionés") == []


# --------------------------------------------------------------------------------------------
# Dictionary files


def test_from_file_skips_comments_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "Customers.txt"
    path.write_text(
        "# key accounts, one per line\n\nBorealis\n  Norvia SAS  \n#Talis\n"
        "  # indented note\nBorealis\n",
        encoding="utf-8",
    )
    dictionary = Dictionary.from_file(path)
    assert dictionary.name == "customers"
    assert dictionary.terms == ("Borealis", "Norvia SAS")
    assert dictionary.category == "confidential"


def test_from_file_reports_a_missing_file_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "absent.txt"
    with pytest.raises(RuleError, match=str(path)):
        Dictionary.from_file(path)


def test_from_file_reports_a_file_that_is_not_utf8_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Zéphyr\n".encode("latin-1"))
    with pytest.raises(RuleError, match=str(path)):
        Dictionary.from_file(path)


def test_invalid_dictionaries_are_rejected() -> None:
    with pytest.raises(RuleError, match="name"):
        Dictionary("Key Accounts", ("Borealis",))
    with pytest.raises(RuleError, match="empty term"):
        Dictionary("accounts", ("Borealis", "  "))
    with pytest.raises(RuleError, match="category"):
        Dictionary("accounts", ("Borealis",), category="gossip")


# --------------------------------------------------------------------------------------------
# Size


def random_terms(count: int, seed: int) -> list[str]:
    """`count` distinct lower-case terms of 7 to 12 letters, some of two words."""
    rng = random.Random(seed)
    terms: set[str] = set()
    while len(terms) < count:
        word = "".join(rng.choices(string.ascii_lowercase, k=rng.randint(7, 12)))
        if rng.random() < 0.3:
            word += " " + "".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 8)))
        terms.add(word)
    return sorted(terms)


def test_a_hundred_thousand_terms_compile_and_find_exactly_the_planted_ones(
    tmp_path: Path,
) -> None:
    terms = random_terms(100_000, seed=20240601)
    rng = random.Random(7)
    planted = rng.sample(terms, 5)
    known = set(terms)
    absent = [t for t in random_terms(200, seed=99) if t not in known][:5]
    dictionary = Dictionary("customers", tuple(terms))

    started = time.perf_counter()
    engine = Engine([], hash_key=HASH_KEY, dictionaries=[dictionary], cache_dir=tmp_path)
    print(f"\ncold compile of {len(terms):,} terms: {time.perf_counter() - started:.2f} s")

    text = (
        f"Bonjour, le dossier « {planted[0]} » est prêt ; {planted[1].upper()} a signé.\n"
        f"Merci de relancer {planted[2].title()} et {planted[3]}, puis {planted[4]}.\n"
        f"Rien sur {absent[0]}, {absent[1]}, {absent[2]}, {absent[3]} ni {absent[4]}."
    )
    findings = engine.scan(text)
    assert [text[f.start : f.end].lower() for f in findings] == planted
    assert {f.detector for f in findings} == {"dictionary.customers"}

    started = time.perf_counter()
    Engine([], hash_key=HASH_KEY, dictionaries=[dictionary], cache_dir=tmp_path)
    print(f"warm load of the cached database: {time.perf_counter() - started:.2f} s")
