"""Source code in a prompt, found by score rather than by one regex.

The `source-code` rule's patterns each recognise one kind of code line (a function header, an
import, a statement ending in `;`, a closing brace...). A run of lines holding such signals,
with few plain lines between them, is a block of code when it shows enough signal lines of
enough different kinds; prose that mentions "import" or "function" once never gets there.

A run is a block when it has at least MIN_SIGNAL_LINES signal lines, at least MIN_KINDS kinds,
and signal lines + kinds >= MIN_SCORE: four lines of two kinds (a short SQL query, a Python
function) or three lines of three kinds (`#include`, a header, a `return ...;`). A uniform run
(a page of `#define`s, of `ALTER FUNCTION ...;`, of HTML tags) also counts when it has at least
MIN_UNIFORM_LINES signal lines making up UNIFORM_DENSITY of its non-blank lines; a JSON document,
whose closing braces are the only signal, stays too sparse. Blank lines
never break a run (code has them between functions); more than MAX_GAP_LINES non-blank lines
without a signal do. The block spans its first to its last signal line, so the prose around
a snippet stays out of it.
"""

from __future__ import annotations

import bisect
import re

MIN_SIGNAL_LINES = 3
MIN_KINDS = 2
MIN_SCORE = 6
MAX_GAP_LINES = 3
MIN_UNIFORM_LINES = 8
UNIFORM_DENSITY = 0.8

_NEWLINE = re.compile("\n")


def code_blocks(text: str, signals: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
    """Spans of code blocks, from (signal kind, start, end) hits of the source-code rule."""
    if not signals:
        return []
    line_starts = [0]
    line_starts.extend(m.end() for m in _NEWLINE.finditer(text))
    kinds_by_line: dict[int, set[int]] = {}
    for kind, start, _end in signals:
        kinds_by_line.setdefault(bisect.bisect_right(line_starts, start) - 1, set()).add(kind)

    blocks: list[tuple[int, int]] = []
    run: list[int] = []
    plain = 0  # non-blank lines without a signal inside the current run
    for line in sorted(kinds_by_line):
        if run:
            gap = _gap(text, line_starts, run[-1], line)
            if gap > MAX_GAP_LINES:
                _close(run, plain, kinds_by_line, line_starts, text, blocks)
                run, plain = [], 0
            else:
                plain += gap
        run.append(line)
    _close(run, plain, kinds_by_line, line_starts, text, blocks)
    return blocks


def _line_end(line_starts: list[int], line: int, text: str) -> int:
    """Index just past the last character of the line, its newline excluded."""
    return line_starts[line + 1] - 1 if line + 1 < len(line_starts) else len(text)


def _gap(text: str, line_starts: list[int], previous: int, line: int) -> int:
    """Non-blank lines strictly between two signal lines, counted up to MAX_GAP_LINES + 1."""
    count = 0
    for between in range(previous + 1, line):
        start, end = line_starts[between], _line_end(line_starts, between, text)
        if text[start:end].strip():
            count += 1
            if count > MAX_GAP_LINES:
                break
    return count


def _is_code(lines: int, kinds: int, plain: int) -> bool:
    """Whether a run of `lines` signal lines of `kinds` kinds, with `plain` other lines, is code."""
    if lines >= MIN_SIGNAL_LINES and kinds >= MIN_KINDS and lines + kinds >= MIN_SCORE:
        return True
    return lines >= MIN_UNIFORM_LINES and lines >= UNIFORM_DENSITY * (lines + plain)


def _close(
    run: list[int],
    plain: int,
    kinds_by_line: dict[int, set[int]],
    line_starts: list[int],
    text: str,
    blocks: list[tuple[int, int]],
) -> None:
    if not run:
        return
    kinds = set().union(*(kinds_by_line[line] for line in run))
    if not _is_code(len(run), len(kinds), plain):
        return
    start = line_starts[run[0]]
    end = _line_end(line_starts, run[-1], text)
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    blocks.append((start, end))
