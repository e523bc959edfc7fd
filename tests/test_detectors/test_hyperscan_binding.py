"""Airlock's binding to the Hyperscan library: what the engine relies on it for."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.hyperscan_binding import (
    FLAG_CASELESS,
    FLAG_SINGLEMATCH,
    VERSION,
    CompileError,
    Database,
    Error,
    Scanner,
)


def _scanner(patterns: list[str], gaps: list[int], flags: int = 0) -> Scanner:
    return Scanner(Database([p.encode() for p in patterns], [flags] * len(patterns)), gaps)


def test_ends_join_runs_within_the_gap_and_patterns_come_in_first_hit_order() -> None:
    scanner = _scanner(["b", "a"], [0, 3])
    #       index: 0123456789012
    text = "a.a...a.b..b."
    runs = scanner.scan(text, 0, len(text))
    # "a" ends at 1, 3 (2 after 1: joined) and 7 (4 after 3: a new run); "b" at 9 and 12
    # with a gap of 0, so each end is a run of its own.
    assert runs == {1: [1, 3, 7, 7], 0: [9, 9, 12, 12]}
    assert list(runs) == [1, 0]


def test_ends_are_str_indices_in_text_that_is_not_ascii() -> None:
    scanner = _scanner([r"\d{3}"], [0])
    text = "é€😀 123 ü 456"
    ends = scanner.scan(text, 0, len(text))[0][1::2]
    assert ends == [m.end() for m in re.finditer(r"\d{3}", text)]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab1 é€😀\n\udc80"), max_size=40))
def test_every_exact_match_end_is_reported_as_a_str_index(text: str) -> None:
    scanner = _scanner(["ab1", "1"], [0, 0])
    runs = scanner.scan(text, 0, len(text))
    for index, pattern in enumerate(["ab1", "1"]):
        assert runs.get(index, [])[1::2] == [m.end() for m in re.finditer(pattern, text)]


def test_a_window_is_scanned_alone_and_reports_indices_into_the_whole_text() -> None:
    scanner = _scanner(["x"], [0])
    text = "x..é..x..x"
    assert scanner.scan(text, 3, 8) == {0: [7, 7]}
    assert scanner.scan(text, 8, 8) == {}
    with pytest.raises(IndexError):
        scanner.scan(text, 5, 4)
    with pytest.raises(IndexError):
        scanner.scan(text, 0, len(text) + 1)


def test_flags_reach_hyperscan() -> None:
    assert _scanner(["token"], [0], FLAG_CASELESS).scan("TOKEN", 0, 5) == {0: [5, 5]}
    assert _scanner(["token"], [0]).scan("TOKEN", 0, 5) == {}
    assert _scanner(["a"], [0], FLAG_SINGLEMATCH).scan("a a a", 0, 5) == {0: [1, 1]}


def test_count_is_the_number_of_matches() -> None:
    assert _scanner(["a", "b"], []).count(b"a b a") == 3


def test_a_rejected_pattern_is_named_by_its_index() -> None:
    with pytest.raises(CompileError) as error:
        Database([b"fine", b"a{0,70000}", b"also fine"], [0, 0, 0])
    assert error.value.index == 1
    assert "bounded repeat" in error.value.message.lower()
    with pytest.raises(ValueError):
        Database([b"nul\x00byte"], [0])
    with pytest.raises(ValueError):
        Database([b"a", b"b"], [0])


def test_a_serialized_database_scans_the_same() -> None:
    database = Database([b"secret", b"\\d+"], [0, 0])
    loaded = Database.deserialize(database.serialize())
    assert Scanner(loaded, [0, 0]).scan("secret 42", 0, 9) == {0: [6, 6], 1: [8, 8, 9, 9]}
    assert VERSION.split()[0] in loaded.info
    assert loaded.size > 0
    with pytest.raises(Error):
        Database.deserialize(b"not a database")
