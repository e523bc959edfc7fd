"""How far a confirming regex can reach around a match, read from Python's own parse tree.

Hyperscan reports where prefilter matches end; the engine confirms with Python `re` only in a
window around those ends, so it must know, for each rule regex: how long a match can be
(`max_width`), how far past a match's end its lookaheads read (`lookahead_reach`), and whether
a match can contain a line break (`single_line`), which bounds a match of unbounded length by
the line it ends on. Every answer errs on the safe side: None (unbounded) or False whenever
the tree holds something not understood here, which only makes the window wider.
"""

from __future__ import annotations

import functools
import importlib
import re
from typing import Any

# The parser that compiles `re` patterns (re._parser and re._constants since Python 3.11).
_PARSER: Any = importlib.import_module("re._parser")
_C: Any = importlib.import_module("re._constants")

NEWLINE = ord("\n")
_REPEATS = tuple(
    getattr(_C, name)
    for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
    if hasattr(_C, name)
)
_ZERO_WIDTH = (_C.AT, _C.ASSERT, _C.ASSERT_NOT)
# Categories (\s, \D, \W and their Unicode forms) whose members include the line break.
_NEWLINE_CATEGORIES = frozenset(
    getattr(_C, name)
    for name in (
        "CATEGORY_SPACE",
        "CATEGORY_NOT_DIGIT",
        "CATEGORY_NOT_WORD",
        "CATEGORY_LINEBREAK",
        "CATEGORY_UNI_SPACE",
        "CATEGORY_UNI_NOT_DIGIT",
        "CATEGORY_UNI_NOT_WORD",
        "CATEGORY_UNI_LINEBREAK",
        "CATEGORY_LOC_NOT_WORD",
    )
    if hasattr(_C, name)
)
_SAFE_CATEGORIES = frozenset(
    getattr(_C, name)
    for name in (
        "CATEGORY_DIGIT",
        "CATEGORY_NOT_SPACE",
        "CATEGORY_WORD",
        "CATEGORY_NOT_LINEBREAK",
        "CATEGORY_UNI_DIGIT",
        "CATEGORY_UNI_NOT_SPACE",
        "CATEGORY_UNI_WORD",
        "CATEGORY_UNI_NOT_LINEBREAK",
        "CATEGORY_LOC_WORD",
    )
    if hasattr(_C, name)
)


def _parse(regex: re.Pattern[str]) -> Any:
    return _parse_source(regex.pattern, regex.flags)


@functools.lru_cache(maxsize=8)
def _parse_source(pattern: str, flags: int) -> Any:
    """Parsed once for the width, the reach and the line question the engine asks in a row."""
    return _PARSER.parse(pattern, flags)


def max_width(regex: re.Pattern[str], limit: int) -> int | None:
    """The longest match of the regex in characters, or None if unbounded or over `limit`."""
    try:
        width = int(_parse(regex).getwidth()[1])
    except (AttributeError, TypeError, ValueError, re.error):
        return None  # another Python's parser: treat as unbounded
    return width if width <= limit else None


def lookahead_reach(regex: re.Pattern[str]) -> int | None:
    """Characters past a match's end that deciding the match may read; None if unbounded.

    A lookahead stands at or before the match's end and reads at most its own width, plus what
    lookaheads nested in it read past that; one more character covers `\\b` and `$`.
    """
    try:
        reach = _lookaheads(_parse(regex))
    except (AttributeError, TypeError, ValueError, re.error):
        return None
    return None if reach is None else reach + 1


def _lookaheads(items: Any) -> int | None:
    reach = 0
    for op, av in items:
        if op in (_C.ASSERT, _C.ASSERT_NOT):
            direction, sub = av
            inner = _lookaheads(sub)
            if inner is None:
                return None
            if direction == 1:
                width = sub.getwidth()[1]
                if width >= _C.MAXREPEAT - 1:
                    return None
                inner += width
            reach = max(reach, inner)
            continue
        for sub in _children(op, av):
            inner = _lookaheads(sub)
            if inner is None:
                return None
            reach = max(reach, inner)
    return reach


def single_line(regex: re.Pattern[str]) -> bool:
    """True when no match of the regex can contain a line break (lookarounds aside)."""
    try:
        return not _may_consume_newline(_parse(regex), regex.flags)
    except (AttributeError, TypeError, ValueError, re.error):
        return False


def _may_consume_newline(items: Any, flags: int) -> bool:
    for op, av in items:
        if op is _C.LITERAL:
            if av == NEWLINE:
                return True
        elif op is _C.NOT_LITERAL:
            if av != NEWLINE:
                return True
        elif op is _C.ANY:
            if flags & re.DOTALL:
                return True
        elif op is _C.IN:
            if _class_has_newline(av):
                return True
        elif op is _C.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            if _may_consume_newline(sub, (flags | add_flags) & ~del_flags):
                return True
        elif op in _ZERO_WIDTH:
            continue
        elif op in _REPEATS or op is _C.BRANCH or op is getattr(_C, "ATOMIC_GROUP", None):
            if any(_may_consume_newline(sub, flags) for sub in _children(op, av)):
                return True
        else:
            return True  # a back reference or anything unknown: assume it may
    return False


def _class_has_newline(items: list[tuple[Any, Any]]) -> bool:
    negated = bool(items) and items[0][0] is _C.NEGATE
    found = False
    for op, av in items:
        if op is _C.NEGATE:
            continue
        if op is _C.LITERAL:
            found = found or av == NEWLINE
        elif op is _C.RANGE:
            found = found or av[0] <= NEWLINE <= av[1]
        elif op is _C.CATEGORY and av in _SAFE_CATEGORIES:
            continue
        elif op is _C.CATEGORY and av in _NEWLINE_CATEGORIES:
            found = True
        else:
            return True  # a charset bitmap or an unknown category: assume it may
    return found != negated


def _children(op: Any, av: Any) -> list[Any]:
    """The sub-patterns directly under a node, lookarounds included."""
    if op in _REPEATS:
        return [av[2]]
    if op is _C.SUBPATTERN:
        return [av[3]]
    if op is _C.BRANCH:
        return list(av[1])
    if op in (_C.ASSERT, _C.ASSERT_NOT):
        return [av[1]]
    if op is getattr(_C, "ATOMIC_GROUP", None):
        return [av]
    if op is getattr(_C, "GROUPREF_EXISTS", None):
        return [sub for sub in av[1:] if sub is not None]
    return []


# A bounded repeat of an atom that matches non-ASCII characters: a negated class, `.`, or \D,
# \S, \W. Escaped characters inside the class are skipped whole, so `[^\]x]` is one atom.
_WIDE_ATOM_REPEAT = re.compile(
    r"(\[\^(?:\\.|[^\]\\])*\]|(?<!\\)\.|(?<!\\)\\[DSW])\{(\d+)(,(\d*))?\}"
)
UTF8_MAX_BYTES = 4


def byte_counted(pattern: str) -> str:
    """The pattern for Hyperscan's byte mode, where a repeat counts UTF-8 bytes, not characters.

    `[^\\d\\n]{0,25}` allows 25 characters to Python but only 25 bytes to Hyperscan, so a
    prefilter would miss a French gap of 25 accented characters. The upper bound of each
    repeat of an atom that can match a non-ASCII character is multiplied by the most bytes
    a character takes; lower bounds stay, a character being at least one byte. Only bounds
    grow, so the prefilter still matches everything the original pattern matches.
    """

    def widen(match: re.Match[str]) -> str:
        atom, low, comma, high = match.group(1), match.group(2), match.group(3), match.group(4)
        if comma is not None and not high:
            return match.group(0)  # {m,} is unbounded already
        upper = int(high if comma is not None else low) * UTF8_MAX_BYTES
        return f"{atom}{{{low},{upper}}}"

    return _WIDE_ATOM_REPEAT.sub(widen, pattern)


# Inline global flags such as (?m) must open a pattern; they are carried by `regex.flags`.
_LEADING_FLAGS = re.compile(r"(?:\(\?[aiLmsux]+\))+")
_NUMBERED_REFERENCE = re.compile(r"\\[1-9]|\(\?\(\d")
WHOLE = "airlock_whole"  # the group that holds the original pattern's match in `starts_within`


def starts_within(regex: re.Pattern[str], gap: int) -> re.Pattern[str] | None:
    """The regex behind a lazy gap of at most `gap` characters, for `match(text, pos, endpos)`.

    `search` tries every start up to `endpos`, and `endpos` must leave room for lookaheads
    past the last possible end; this tries only the starts pos..pos+gap, leftmost first, as
    `search` would, and the original match is the group WHOLE. None when the regex cannot be
    wrapped: it uses that group name, or refers to a group by number (`\\2`, `(?(2)...)`),
    which the extra group in front would renumber.
    """
    source = regex.pattern
    if _NUMBERED_REFERENCE.search(source):
        return None
    leading = _LEADING_FLAGS.match(source)
    if leading is not None:
        source = source[leading.end() :]
    try:
        return re.compile(rf"(?s:.{{0,{gap}}}?)(?P<{WHOLE}>{source})", regex.flags)
    except re.error:
        return None
