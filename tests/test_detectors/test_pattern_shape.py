"""What the engine reads from each confirming regex (detectors/pattern_shape.py): the bounds
that let it confirm only around Hyperscan's match ends, and the prefilter's byte counting."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.hyperscan_db import FLAG_PREFILTER, Database, Scanner
from detectors.pattern_shape import (
    WHOLE,
    byte_counted,
    lookahead_reach,
    max_width,
    single_line,
    starts_within,
)


@pytest.mark.parametrize(
    ("pattern", "width"),
    [(r"\d{3}-\d{4}", 8), (r"(?<![\w-])AKIA[A-Z0-9]{16}(?![\w-])", 20), (r"a+", None)],
)
def test_max_width(pattern: str, width: int | None) -> None:
    assert max_width(re.compile(pattern), 512) == width


def test_max_width_over_the_limit_is_unbounded() -> None:
    assert max_width(re.compile(r"x{600}"), 512) is None


@pytest.mark.parametrize(
    ("pattern", "reach"),
    [
        (r"abc", 1),  # \b or $ after the end
        (r"a(?=bcd)", 4),
        (r"a(?=(?P<value>b{2,5}(?=c)))", 7),  # nested: 5, then 1 more, then the 1 for \b
        (r"(?<=x)a(?!y)", 2),
        (r"a(?=b+)", None),
    ],
)
def test_lookahead_reach(pattern: str, reach: int | None) -> None:
    assert lookahead_reach(re.compile(pattern)) == reach


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"(?m)^[ \t]*def [^\n]+:$", True),
        (r"[^\d\n]{0,20}\d{9}", True),
        (r".+", True),
        (r"(?s).+", False),
        (r"\s+", False),
        (r"[^a]", False),
        (r"a(?=\n)", True),  # a lookahead reads the line break, the match does not hold it
        (r"(a)\n", False),
    ],
)
def test_single_line(pattern: str, expected: bool) -> None:
    assert single_line(re.compile(pattern)) is expected


def test_byte_counted_widens_only_repeats_that_can_match_non_ascii() -> None:
    assert byte_counted(r"(?i:tel)[^\d\n]{0,15}\d{9}") == r"(?i:tel)[^\d\n]{0,60}\d{9}"
    assert byte_counted(r"a.{2}b\D{1,3}") == r"a.{2,8}b\D{1,12}"
    assert byte_counted(r"[A-Z0-9]{4}\.{2,3}[^a]{3,}") == r"[A-Z0-9]{4}\.{2,3}[^a]{3,}"


def _ends(pattern: str, text: str) -> set[int]:
    """Every str index at which Hyperscan reports a prefilter match of the pattern ending."""
    scanner = Scanner(
        Database.compile([pattern.encode()], [FLAG_PREFILTER]), [0]
    )  # gap 0: every end
    return set(scanner.scan(text, 0, len(text)).get(0, []))


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="aé€😀 -", max_size=12))
def test_prefilter_reports_every_end_the_python_regex_matches(gap: str) -> None:
    """The superset property, with gaps of 1- to 4-byte characters."""
    pattern = r"tel[^\d\n]{0,12}\d{3}"
    text = f"x tel{gap}123 y"
    ends = _ends(byte_counted(pattern), text)
    for match in re.finditer(pattern, text, re.ASCII):
        assert match.end() in ends


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab12 -", max_size=30), st.integers(0, 30))
def test_starts_within_finds_what_search_finds(text: str, position: int) -> None:
    regex = re.compile(r"(?<![\w-])(?P<value>\d{1,3})(?![\w-])|a+b", re.ASCII)
    anchored = starts_within(regex, 5)
    assert anchored is not None
    found = anchored.match(text, position)
    searched = regex.search(text, position)
    if searched is not None and searched.start() <= position + 5:
        assert found is not None
        assert found.span(WHOLE) == searched.span()
        assert found.span("value") == searched.span("value")
    else:
        assert found is None


@pytest.mark.parametrize("pattern", [r"(a)(b)\2", r"(a)?(?(1)b|c)", r"(?P<airlock_whole>a)"])
def test_starts_within_refuses_what_it_would_renumber(pattern: str) -> None:
    assert starts_within(re.compile(pattern), 3) is None
