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
from collections.abc import Callable, Iterator
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


def _changing_characters_sign() -> str:
    """A Hyperscan expression (over UTF-8 bytes) matching any non-ASCII character that is not
    one of the common ones known to stay as they are: the sign that a text needs normalising.

    Most non-ASCII text in prompts is accented Latin letters, dashes, quotes and currency
    signs, which normalisation leaves alone; looked for in the scan every text gets, such text
    costs no normalisation pass. The common characters that stay are found with `fold` itself.
    """
    common = [chr(code) for code in (*range(0xA0, 0x250), *range(0x2010, 0x2040), 0x20AC)]
    stable = {c.encode("utf-8") for c in common if fold(c) == c}
    continuation = range(0x80, 0xC0)

    def others(allowed: set[int]) -> str:
        return "[" + "".join(f"\\x{b:02x}" for b in continuation if b not in allowed) + "]"

    alternatives = []
    for lead in range(0xC2, 0xF5):
        prefix = f"\\x{lead:02x}"
        under = [c for c in stable if c[0] == lead]
        if not under:
            alternatives.append(prefix)
        elif lead < 0xE0:  # two bytes
            alternatives.append(prefix + others({c[1] for c in under}))
        else:  # three bytes (no common character takes four)
            for second in continuation:
                thirds = {c[2] for c in under if c[1] == second}
                middle = f"\\x{second:02x}"
                alternatives.append(prefix + middle + (others(thirds) if thirds else ""))
    return "(?:" + "|".join(alternatives) + ")"


CHANGING_SIGN = _changing_characters_sign()
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

# Hyperscan expressions the engine adds to its database (exact): each is the sign that a text
# may hold an encoded run of one kind worth decoding, found in the scan every text gets anyway,
# so that a text without one pays nothing more. Base64 and hex are looked for as encodings of
# printable ASCII (a base64 quad of three bytes under 0x80 starts with one of I-Z a-f and goes
# on with one of A-H Q-X g-n w-z 0-3), which random tokens seldom are; their sign runs on to
# the end of the token, so that it ends once per token that holds one, just past the token.
BASE64_TEXT = r"(?:[I-Za-f][A-HQ-Xg-nw-z0-3][A-Za-z0-9+/_-]{2}){4}"
HEX_TEXT = r"(?:[2-7][0-9A-Fa-f]){8}"
_TOKEN_CHARS = "A-Za-z0-9+/_-"
TOKEN_SIGN = rf"(?:{BASE64_TEXT}|{HEX_TEXT})[{_TOKEN_CHARS}]*={{0,2}}(?:[^={_TOKEN_CHARS}]|\z)"
# ENCODED_SIGNALS[i] announces a run of the kind SIGNAL_KINDS[i].
ENCODED_SIGNALS = (
    TOKEN_SIGN,
    r"%[0-9A-Fa-f]{2}",
    r"&#?[A-Za-z0-9]{1,10};",
    r"\\[ux][0-9A-Fa-f]{2}",
    r"=[0-9A-F]{2}[^\s=]{0,16}=[0-9A-F]{2}",
)
BASE64_OR_HEX, PERCENT, ENTITY, ESCAPE, QUOTED_PRINTABLE = range(5)
SIGNAL_KINDS = (BASE64_OR_HEX, PERCENT, ENTITY, ESCAPE, QUOTED_PRINTABLE)
# Every sign the engine's database holds, in order, with its kind: the encoded runs', then
# CHANGING, a character that normalisation changes; and whether the engine needs every end of
# the sign (one per token) or only the first.
CHANGING = 5
SIGNS = (*ENCODED_SIGNALS, CHANGING_SIGN)
SIGN_KINDS = (*SIGNAL_KINDS, CHANGING)
EVERY_END = (True, False, False, False, False, False)

# A token of base64, base64url or hex characters, read backwards from its end.
_TOKEN_REVERSED = re.compile(f"={{0,2}}[{_TOKEN_CHARS}]*")
_TOKEN_SIGN = re.compile(TOKEN_SIGN.replace("\\z", "\\Z"))
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


def decoded_runs(
    text: str, signs: dict[int, list[int]] | None = None
) -> list[tuple[str, int, int]]:
    """The encoded runs of the text that decode (one level) to readable text, as
    (decoded text, start, end) with the run's span in the original; bounded in number and size.

    `signs` maps a kind of run (BASE64_OR_HEX ...) to where its signs (ENCODED_SIGNALS) end in
    the text, as the engine's Hyperscan scan reports them: for base64 and hex, the end of every
    token that holds one (the token is decoded); for the other kinds, the first (the kind's
    runs are searched for from the line of that sign on). A run decodes only if it holds its
    kind's sign, so none is missed. None: the signs are looked for here.
    """
    if signs is None:
        signs = _signs(text)
    found: list[tuple[str, int, int]] = []
    budget = MAX_DECODED_CHARS
    attempts = MAX_DECODE_ATTEMPTS
    for kind, ends in sorted(signs.items()):
        if kind == BASE64_OR_HEX:
            matches: Iterator[tuple[int, int]] = (_token_before(text, end) for end in ends)
            decode: Callable[[str], str | None] = _decode_base64_or_hex
        else:
            pattern, decode = _SEARCHES[kind]
            # From the start of the line the sign is on (the line before, for quoted-printable,
            # whose soft line breaks may join a run to the line above): no run holds a line
            # break otherwise, and none before the sign's line holds a sign.
            start = text.rfind("\n", 0, max(0, ends[0] - _SIGN_SPAN)) + 1
            if kind == QUOTED_PRINTABLE and start:
                start = text.rfind("\n", 0, start - 1) + 1
            matches = (match.span() for match in pattern.finditer(text, start))
        for run_start, run_end in matches:
            run = text[run_start:run_end]
            attempts -= 1
            if len(run) > budget or attempts < 0:
                return found
            try:
                decoded = decode(run)
            except ValueError:  # not that encoding after all (UnicodeDecodeError included)
                continue
            if decoded is None:
                continue
            found.append((decoded, run_start, run_end))
            budget -= len(run)
            if len(found) >= MAX_DECODED_RUNS:
                return found
    return found


def _signs(text: str) -> dict[int, list[int]]:
    """The signs of the text, as the engine's scan would report them (Python's `re` and
    Hyperscan agree on these expressions)."""
    signs: dict[int, list[int]] = {}
    for kind, expression in zip(SIGNAL_KINDS, ENCODED_SIGNALS, strict=True):
        pattern = _TOKEN_SIGN if kind == BASE64_OR_HEX else re.compile(expression)
        ends = [match.end() for match in pattern.finditer(text)]
        if ends:
            signs[kind] = ends if EVERY_END[kind] else ends[:1]
    return signs


def _token_before(text: str, end: int) -> tuple[int, int]:
    """The span of the token whose sign ends at `end` (just past the token, or at its end)."""
    if end and end <= len(text) and not _is_token_char(text[end - 1]):
        end -= 1
    # Read backwards in growing pieces: a token is short, or it is an encoded file.
    piece = 256
    while True:
        low = max(0, end - piece)
        length = _TOKEN_REVERSED.match(text[low:end][::-1]).end()  # type: ignore[union-attr]
        if length < end - low or low == 0:
            return end - length, end
        piece *= 16


def _is_token_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char in "+/_-=")


# Per kind of run other than base64 and hex: the search for its runs and their decoder.
_SEARCHES: dict[int, tuple[re.Pattern[str], Callable[[str], str | None]]] = {
    PERCENT: (_PERCENT_RUN, _decode_percent),
    ENTITY: (_ENTITY_RUN, _decode_entities),
    ESCAPE: (_ESCAPE_RUN, _decode_escapes),
    QUOTED_PRINTABLE: (_QP_RUN, _decode_quoted_printable),
}
# The longest match of any of those signs, in characters: one starts at most this far before
# its end.
_SIGN_SPAN = 40
