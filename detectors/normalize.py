"""What an attacker does to a value so that a pattern misses it, undone before matching.

Two pure functions of the original text, both bounded in work and output:

* `normalize(text)` removes format characters (zero-width space and joiners, soft hyphen, word
  joiner, BOM, bidirectional controls, tag characters) and combining marks, folds compatibility
  forms (NFKC: fullwidth letters, mathematical alphanumerics, non-breaking and other spaces),
  maps letters that look like Latin ones (Cyrillic U+0430 as `a`, Greek U+039F as `O`) to
  their Latin skeleton, and reads a right-to-left override's run in the order it is
  displayed. It returns the normalised text with a map of its offsets back to the original,
  or None when nothing changes.
* `decoded_runs(text)` finds runs of text in a common encoding (base64, base64url, hex, URL
  percent-encoding, HTML entities, JSON or C escapes, quoted-printable), decodes each one level
  deep, and returns the decoded texts that read as text, each with the span of its run in the
  original.

The engine scans both (`Engine.scan`), and a finding in either points at the original text the
user sent: for a normalised value, the original characters it came from (the invisible ones
included); for a decoded value, the whole encoded run.

The skeleton table is derived at import from Unicode's confusables data as shipped by the
`confusable-homoglyphs` package: each non-ASCII character whose listed homoglyph is one ASCII
letter or digit maps to it.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import html
import quopri
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from confusable_homoglyphs.utils import load as _load_confusables

# Decoding is bounded per text: at most this many runs, and this many decoded characters in all.
MAX_DECODED_RUNS = 256
MAX_DECODED_CHARS = 1 << 20
# The shortest run worth decoding: shorter base64 or hex cannot hold a credential.
MIN_ENCODED_RUN = 16
# A decoded run is scanned when at least this share of its characters are printable text.
MIN_PRINTABLE = 0.95
# Candidate runs tried at most, whether or not they decode: bounds the work on a text of many
# long tokens that are not encodings (identifiers, paths, keys).
MAX_DECODE_ATTEMPTS = 4096

RLO, PDF = "\u202e", "\u202c"
_DROPPED_CATEGORIES = frozenset({"Cf", "Mn", "Me"})
# Invisible fillers that are not format characters in Unicode's categories.
_INVISIBLE = frozenset("\u034f\u115f\u1160\u3164\uffa0\u180b\u180c\u180d\u180e")


def _skeleton_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for char, homoglyphs in _load_confusables("confusables.json").items():
        if len(char) != 1 or char.isascii():
            continue
        targets = [
            glyph["c"]
            for glyph in homoglyphs
            if len(glyph["c"]) == 1 and glyph["c"].isascii() and glyph["c"].isalnum()
        ]
        if targets:
            # Greek capital iota looks like both 'l' and 'I': keep the letter's case and kind.
            targets.sort(
                key=lambda t: (t.isupper() != char.isupper(), t.isdigit() != char.isdigit())
            )
            target = targets[0]
            # Unicode's prototype of the I-shaped letters is 'l' (ASCII 'I' maps to it too);
            # a capital letter is read as the capital I a pattern expects.
            table[char] = "I" if target == "l" and char.isupper() else target
    return table


_SKELETON = _skeleton_table()
_FOLDED: dict[str, str] = {}
# Characters `fold` leaves as they are (ASCII and those seen so far), up to MAX_STABLE.
_STABLE: set[str] = {chr(code) for code in range(128)}
MAX_STABLE = 1 << 16
_unknown_or_changed = re.compile("[^\x00-\x7f]").search  # a character not in _STABLE


def _learn_stable() -> None:
    """Rebuild the search for characters not in _STABLE, after it grew."""
    global _unknown_or_changed
    known = "".join(re.escape(c) for c in sorted(_STABLE))
    _unknown_or_changed = re.compile(f"[^{known}]").search


def fold(char: str) -> str:
    """The character as the normalised text has it: '' (dropped), or its NFKC form with each
    non-ASCII letter replaced by its Latin skeleton. Cached per character."""
    folded = _FOLDED.get(char)
    if folded is None:
        if char in _INVISIBLE or unicodedata.category(char) in _DROPPED_CATEGORIES:
            folded = ""
        else:
            compatible = unicodedata.normalize("NFKC", char)
            folded = "".join(
                c
                if c.isascii()
                else ""
                if unicodedata.category(c) in _DROPPED_CATEGORIES
                else _SKELETON.get(c, c)
                for c in compatible
            )
        _FOLDED[char] = folded
    return folded


@dataclass(frozen=True, slots=True)
class Normalized:
    """A normalised text and where each of its characters came from in the original.

    The map is a list of segments, each starting at `starts[i]` in the normalised text: a
    linear one maps character n to `origins[i] + (n - starts[i])`; a fixed one (a character
    that NFKC expands, or one read in reverse) maps every character to `origins[i]`.
    """

    text: str
    starts: list[int]
    origins: list[int]
    linear: list[bool]

    def origin(self, index: int) -> int:
        """The original offset of the normalised text's character at `index`."""
        i = bisect.bisect_right(self.starts, index) - 1
        if self.linear[i]:
            return self.origins[i] + index - self.starts[i]
        return self.origins[i]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the normalised text's [start, end)."""
        first, last = self.origin(start), self.origin(end - 1)
        if first > last:  # read in reverse (a right-to-left override)
            first, last = last, first
        return first, last + 1


class _Builder:
    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.length = 0
        self.starts: list[int] = []
        self.origins: list[int] = []
        self.linear: list[bool] = []
        self.delta: int | None = None  # origin - position in the open linear segment

    def add(self, piece: str, origin: int) -> None:
        """Append `piece`, whose characters came one for one from `origin` on."""
        if not piece:
            return
        if self.delta != origin - self.length:
            self.starts.append(self.length)
            self.origins.append(origin)
            self.linear.append(True)
            self.delta = origin - self.length
        self.pieces.append(piece)
        self.length += len(piece)

    def add_fixed(self, piece: str, origin: int) -> None:
        """Append `piece`, all of whose characters came from the one character at `origin`."""
        if not piece:
            return
        self.starts.append(self.length)
        self.origins.append(origin)
        self.linear.append(False)
        self.delta = None
        self.pieces.append(piece)
        self.length += len(piece)

    def add_char(self, char: str, origin: int) -> None:
        folded = fold(char)
        if len(folded) == 1:
            self.add(folded, origin)
        else:
            self.add_fixed(folded, origin)


_REVERSED_RUN = re.compile("\u202e([^\u202c\n]*)\u202c?")


def normalize(text: str) -> Normalized | None:
    """The text as a pattern should see it, or None when that is the text itself.

    ASCII text is returned as None at once: it has no format characters, no compatibility
    forms and nothing to fold.
    """
    if text.isascii():
        return None
    # A text of characters known to stay as they are is done in one C-level pass.
    if _unknown_or_changed(text) is None:
        return None
    # The distinct characters of a text are few, and those known to stay as they are leave the
    # set in one C-level difference; the rest are folded once each (cached).
    distinct = set(text)
    distinct -= _STABLE
    changed = [c for c in distinct if fold(c) != c]
    if len(_STABLE) < MAX_STABLE:
        stable = [c for c in distinct if _FOLDED[c] == c]
        if stable:
            _STABLE.update(stable)
            _learn_stable()
    if not changed and RLO not in text:
        return None
    changed_runs = re.compile(f"[{''.join(map(re.escape, changed))}]+" if changed else "(?!)")
    out = _Builder()
    position = 0
    reversed_runs = _REVERSED_RUN.finditer(text) if RLO in text else iter(())
    for run in reversed_runs:
        _forward(text, position, run.start(), out, changed_runs)
        # Displayed right to left: the characters are read last to first.
        for index in range(run.end(1) - 1, run.start(1) - 1, -1):
            char = text[index]
            if char.isascii():
                out.add_fixed(char, index)
            else:
                folded = fold(char)
                out.add_fixed(folded, index)
        position = run.end()
    _forward(text, position, len(text), out, changed_runs)
    normalized = "".join(out.pieces)
    if normalized == text:
        return None
    if not out.starts:  # everything was dropped
        out.starts, out.origins, out.linear = [0], [0], [True]
    return Normalized(normalized, out.starts, out.origins, out.linear)


def _forward(text: str, begin: int, end: int, out: _Builder, changed_runs: re.Pattern[str]) -> None:
    """Fold text[begin:end] in reading order: what lies between changed characters is copied."""
    position = begin
    for run in changed_runs.finditer(text, begin, end):
        out.add(text[position : run.start()], position)
        for index in range(run.start(), run.end()):
            out.add_char(text[index], index)
        position = run.end()
    out.add(text[position:end], position)


# --- encoded runs --------------------------------------------------------------------------------

# Hyperscan expressions the engine adds to its database (single match, exact): one of them
# matching is the sign that a text may hold an encoded run worth decoding, found in the scan
# every text gets anyway, so that a text without one pays nothing more. Base64 and hex are
# looked for as encodings of printable ASCII (a base64 quad of three bytes under 0x80 starts
# with one of I-Z a-f and goes on with one of A-H Q-X g-n w-z 0-3), which random tokens seldom are.
BASE64_TEXT = r"(?:[I-Za-f][A-HQ-Xg-nw-z0-3][A-Za-z0-9+/_-]{2}){4}"
HEX_TEXT = r"(?:[2-7][0-9A-Fa-f]){8}"
# Each sign with the kind of run it announces: ENCODED_SIGNALS[i] announces SIGNAL_KINDS[i].
ENCODED_SIGNALS = (
    BASE64_TEXT,
    HEX_TEXT,
    r"%[0-9A-Fa-f]{2}",
    r"&#?[A-Za-z0-9]{1,10};",
    r"\\[ux][0-9A-Fa-f]{2}",
    r"=[0-9A-F]{2}[^\s=]{0,16}=[0-9A-F]{2}",
)
BASE64_OR_HEX, PERCENT, ENTITY, ESCAPE, QUOTED_PRINTABLE = range(5)
SIGNAL_KINDS = (BASE64_OR_HEX, BASE64_OR_HEX, PERCENT, ENTITY, ESCAPE, QUOTED_PRINTABLE)

# One token of base64, base64url or hex characters, with base64's padding. Every run pattern
# starts at a token's first character only (the lookbehind), so that a search is one pass over
# the text rather than one attempt per character of every long word.
_BASE64_RUN = re.compile(rf"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{{{MIN_ENCODED_RUN},}}={{0,2}}")
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")
_BASE64URL_ONLY = re.compile(r"[-_]")
# Tokens holding escapes: percent (URL), entities (HTML), backslash (JSON, C), '=XX' (QP).
_PERCENT_RUN = re.compile(r"(?<![^\s\"'<>])[^\s\"'<>%]*%[0-9A-Fa-f]{2}[^\s\"'<>]*")
_ENTITY_RUN = re.compile(r"(?<![^\s<>])[^\s<>&]*&#?[A-Za-z0-9]{1,10};[^\s<>]*")
_ESCAPE_RUN = re.compile(r"(?<![^\s\"])[^\s\"\\]*\\(?:u[0-9A-Fa-f]{4}|x[0-9A-Fa-f]{2})[^\s\"]*")
_QP_RUN = re.compile(r"(?<![^\s])[^\s=]*(?:=[0-9A-F]{2}|=\r?\n)[^\s]*")
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|x([0-9A-Fa-f]{2})|([nrt\"'/\\]))")
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "'": "'", "/": "/", "\\": "\\"}


def _unescape(match: re.Match[str]) -> str:
    code, byte, simple = match.groups()
    if code is not None:
        return chr(int(code, 16))
    if byte is not None:
        return chr(int(byte, 16))
    return _SIMPLE_ESCAPES[simple]


def _as_text(data: bytes) -> str | None:
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return decoded if _reads_as_text(decoded) else None


def _reads_as_text(decoded: str) -> bool:
    if not decoded:
        return False
    if decoded.isprintable():  # the usual case, in one C-level pass
        return True
    printable = sum(1 for c in decoded if c.isprintable() or c in "\n\r\t")
    return printable >= MIN_PRINTABLE * len(decoded)


def _decode_base64_or_hex(run: str) -> str | None:
    # Most long tokens are identifiers, hashes or keys: only one with the shape of encoded text
    # (ENCODED_SIGNALS) is decoded.
    if _TEXT_SHAPE.search(run) is None:
        return None
    token = run.rstrip("=")
    if len(token) % 2 == 0 and _HEX.fullmatch(token):
        return _as_text(binascii.unhexlify(token))
    if len(token) % 4 == 1:
        return None
    padded = token + "=" * (-len(token) % 4)
    try:
        if _BASE64URL_ONLY.search(token):
            data = base64.urlsafe_b64decode(padded)
        else:
            data = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return _as_text(data)


_TEXT_SHAPE = re.compile(f"{BASE64_TEXT}|{HEX_TEXT}")


def _decode_escapes(run: str) -> str | None:
    decoded = _ESCAPE.sub(_unescape, run)
    return decoded if decoded != run and _reads_as_text(decoded) else None


def _decode_percent(run: str) -> str | None:
    decoded = unquote(run, errors="strict") if "%" in run else run
    return decoded if decoded != run and _reads_as_text(decoded) else None


def _decode_entities(run: str) -> str | None:
    decoded = html.unescape(run)
    return decoded if decoded != run and _reads_as_text(decoded) else None


_QP_ESCAPE = re.compile(r"=([0-9A-F]{2})")


def _decode_quoted_printable(run: str) -> str | None:
    # An escape of a control character is an assignment ('PORT=3000'), not quoted-printable.
    if any(int(code, 16) < 0x20 for code in _QP_ESCAPE.findall(run)):
        return None
    try:
        data = quopri.decodestring(run.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return None
    decoded = _as_text(data)
    return decoded if decoded is not None and decoded != run else None


def decoded_runs(text: str, signs: dict[int, int] | None = None) -> list[tuple[str, int, int]]:
    """The encoded runs of the text that decode (one level) to readable text, as
    (decoded text, start, end) with the run's span in the original; bounded in number and size.

    `signs` maps a kind of run (BASE64_OR_HEX ...) to where the first of its signs in the text
    ends (ENCODED_SIGNALS, as the engine's Hyperscan scan reports it): only those kinds are
    searched for, from the line of that sign on. A run of a kind decodes only if it holds that
    kind's sign, so none is missed. None: every kind, from the start.
    """
    if signs is None:
        signs = dict.fromkeys(range(len(_SEARCHES)), 0)
    found: list[tuple[str, int, int]] = []
    budget = MAX_DECODED_CHARS
    attempts = MAX_DECODE_ATTEMPTS
    for kind, first_end in sorted(signs.items()):
        pattern, decode = _SEARCHES[kind]
        # From the start of the line the sign is on (the line before, for quoted-printable,
        # whose soft line breaks may join a run to the line above): no run holds a line break
        # otherwise, and none before the sign's line holds a sign.
        start = text.rfind("\n", 0, max(0, first_end - _SIGN_SPAN)) + 1
        if kind == QUOTED_PRINTABLE and start:
            start = text.rfind("\n", 0, start - 1) + 1
        for match in pattern.finditer(text, start):
            run = match.group()
            attempts -= 1
            if len(run) > budget or attempts < 0:
                return found
            try:
                decoded = decode(run)
            except ValueError:  # not that encoding after all (UnicodeDecodeError included)
                continue
            if decoded is None:
                continue
            found.append((decoded, match.start(), match.end()))
            budget -= len(run)
            if len(found) >= MAX_DECODED_RUNS:
                return found
    return found


# Per kind of run: the search for its runs and their decoder, in the order of the kinds.
_SEARCHES: tuple[tuple[re.Pattern[str], Callable[[str], str | None]], ...] = (
    (_BASE64_RUN, _decode_base64_or_hex),
    (_PERCENT_RUN, _decode_percent),
    (_ENTITY_RUN, _decode_entities),
    (_ESCAPE_RUN, _decode_escapes),
    (_QP_RUN, _decode_quoted_printable),
)
# The longest match of any sign, in characters: a sign starts at most this far before its end.
_SIGN_SPAN = 40
