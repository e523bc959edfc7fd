"""Column headers as labels: a value in a pasted table (CSV, TSV, `;`- or `|`-separated) is
named by its column's header, however many rows below it stands.

A customer list pasted as CSV holds its identifiers rows away from the word that names them
(`steuer_id`, `bsn`): farther than any keyword window, and never on the line a rule that needs
a label looks at. `labelled_columns` rewrites each cell of a column whose header is a rule's
keyword as a line of its own, `<header>: <cell>`, so that the engine scans it as the labelled
value it is and reports it at the cell's span.

A table is a block of consecutive lines with the same number (one or more) of one delimiter,
the one its first line, the header, holds most of. Quoted delimiters are not parsed: a cell
holding one shifts the columns of its row. Tables are read only from where the engine's scan
saw a header cell that is a keyword (`header_signs`), and the rewriting is bounded in cells and
characters.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from detectors.rules import Keywords

DELIMITERS = (",", ";", "\t", "|")
# The longest header cell read as a name, in characters.
MAX_HEADER_CELL = 64
# Bounds of the rewritten text per scan: cells, and characters.
MAX_LABELLED_CELLS = 20_000
MAX_LABELLED_CHARS = 1 << 20
NAMES_PER_SIGN = 400
# Shorter keywords (`gp`, `dx`) name no column: as signs they would fire inside every word.
MIN_NAME = 3
MIN_NAME_AT_END = 5


def header_signs(keywords: Iterable[str]) -> list[str]:
    """Hyperscan expressions (UTF-8, caseless, multi-line) for a keyword of MIN_NAME or more
    characters at the start of a table cell (`ID card no.`), or of MIN_NAME_AT_END or more at
    its end (`customer_email`): a delimiter or a line's start right before it, or one right
    after it, a quote allowed; a space, hyphen or underscore in a keyword matches any of the
    three. In expressions of at most NAMES_PER_SIGN keywords: Hyperscan bounds an
    expression's length. Whether the line is a header (rows of as many delimiters below it) is
    for labelled_columns to see."""
    # Hyperscan folds the case of ASCII letters only: other names in three cases.
    names = sorted(
        {
            form
            for k in keywords
            if len(k) >= MIN_NAME
            for form in ({k.lower()} if k.isascii() else {k.lower(), k.upper(), k.capitalize()})
        },
        key=lambda name: (-len(name), name),  # the same order in every process: a cache key
    )
    signs = []
    for first in range(0, len(names), NAMES_PER_SIGN):
        chunk = names[first : first + NAMES_PER_SIGN]
        signs.append(f"(?:^|[,;|\\t])[\"']?(?:{_alternatives(chunk)})")
        # At a cell's end only the longer ones: a short name (`dob`) ends many a word.
        longer = [name for name in chunk if len(name) >= MIN_NAME_AT_END]
        if longer:
            signs.append(f"(?:{_alternatives(longer)})[\"'.]?(?:[,;|\\t]|\\r?$)")
    return signs


def _alternatives(names: list[str]) -> str:
    return "|".join("".join("[-_ ]" if c in " -_" else re.escape(c) for c in n) for n in names)


@dataclass(frozen=True, slots=True)
class Labelled:
    """The cells of named columns, each on a line of its own after its header, and where each
    cell came from in the original text."""

    text: str
    lines: list[int]  # where each line starts in `text`
    starts: list[int]  # where its cell starts
    origins: list[int]  # where that cell starts in the original
    lengths: list[int]  # the cell's length

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of a finding at text[start:end], cut to its cell."""
        i = bisect.bisect_right(self.lines, start) - 1
        cell_start = self.starts[i]
        first = max(start, cell_start) - cell_start
        last = min(end - cell_start, self.lengths[i])
        origin = self.origins[i]
        return origin + first, origin + max(last, first + 1)


def labelled_columns(
    text: str,
    names: Keywords,
    signs: list[int],
    known: Callable[[int, int, str], bool] = lambda start, end, label: False,
) -> Labelled | None:
    """Every cell below a header that `names` knows, as `<header>: <cell>` lines; None when
    the text has no such column. `signs` are where header cells that are names end
    (`header_signs`, as the engine's scan reports them): each one's line is a table's header.
    A cell that `known(start, end, label)` says is found already as what its label names (an
    e-mail address under `email`) is left out."""
    pieces: list[str] = []
    line_starts: list[int] = []
    starts: list[int] = []
    origins: list[int] = []
    lengths: list[int] = []
    size = 0
    done = -1  # the end of the last table read: a header inside it was read with it
    for sign in sorted(set(signs)):
        header_start = text.rfind("\n", 0, max(0, sign - 1)) + 1
        if header_start <= done:
            continue
        header_end = _line_end(text, header_start)
        header = text[header_start:header_end]
        counts = [header.count(d) for d in DELIMITERS]
        count = max(counts)
        delimiter = DELIMITERS[counts.index(count)]
        row_start = header_end + 1
        # A header has a row below it: most lines the sign points at are no header.
        is_header = count and text.count(delimiter, row_start, _line_end(text, row_start)) == count
        named = _named_columns(header.split(delimiter), names) if is_header else []
        while named and row_start < len(text):
            row_end = _line_end(text, row_start)
            if text.count(delimiter, row_start, row_end) != count:
                break
            cells = text[row_start:row_end].split(delimiter)
            cell_offsets = [0]
            for cell in cells:
                cell_offsets.append(cell_offsets[-1] + len(cell) + 1)
            for column, label in named:
                cell = cells[column]
                origin = row_start + cell_offsets[column]
                if not cell.strip() or known(origin, origin + len(cell), label):
                    continue
                if len(starts) >= MAX_LABELLED_CELLS or size > MAX_LABELLED_CHARS:
                    return _labelled(pieces, line_starts, starts, origins, lengths)
                prefix = f"{label}: "
                line_starts.append(size)
                starts.append(size + len(prefix))
                origins.append(origin)
                lengths.append(len(cell))
                pieces.append(prefix + cell)
                size += len(prefix) + len(cell) + 1
            row_start = row_end + 1
        done = row_start - 1
    return _labelled(pieces, line_starts, starts, origins, lengths)


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    return end if end >= 0 else len(text)


def _labelled(
    pieces: list[str], lines: list[int], starts: list[int], origins: list[int], lengths: list[int]
) -> Labelled | None:
    return Labelled("\n".join(pieces), lines, starts, origins, lengths) if pieces else None


# A header cell: words, with the punctuation of names (`ID card no.`, `n° fiscal`, `T.C. Kimlik
# No.`), and no value (`"password": "..."` in a line of JSON is no header).
_NAME = re.compile(r"[\w .#°()/'-]+")


def _named_columns(cells: list[str], names: Keywords) -> list[tuple[int, str]]:
    """(column, label) of each header cell that holds a name, read with its underscores as
    spaces or as hyphens (`tax_id` as `tax id`, `steuer_id` as `steuer-id`); the label is the
    name as the rule writes it (`nip` -> `NIP`), so the rule's own patterns read it."""
    named = []
    for column, raw in enumerate(cells):
        cell = raw.strip().strip("\"'").strip()
        if len(cell) > MAX_HEADER_CELL or not _NAME.fullmatch(cell):
            continue
        for reading in dict.fromkeys((cell, cell.replace("_", " "), cell.replace("_", "-"))):
            label = names.name_in(reading)
            if label is not None:
                named.append((column, label))
                break
    return named
