"""The scan: one Hyperscan database prefilters every rule at once, Python confirms the few hits.

Hyperscan runs in block mode with PREFILTER on the rule patterns (it ignores lookarounds and
may match more than the rule) and reports where each prefilter match ends. Python confirms
only around those ends: each rule regex (Python `re`, ASCII semantics like Hyperscan's) is tried
at the starts an end allows, given how long its matches can be and how far its lookaheads read
(detectors/pattern_shape.py). Then the allow list, entropy floor, validator and context
keywords decide what is a finding, and overlapping findings are merged so that one value yields
one finding. Source-code line signals are Hyperscan's exact matches, with no Python regex. A
message on which nothing fires costs one Hyperscan call and nothing else.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import math
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from detectors import PACKAGE_DIR
from detectors.dictionary import Dictionary
from detectors.findings import Finding
from detectors.hyperscan_db import (
    FLAG_CASELESS,
    FLAG_MULTILINE,
    FLAG_PREFILTER,
    FLAG_SINGLEMATCH,
    PLATFORM,
    VERSION,
    CompileError,
    Database,
    Error,
    Scanner,
)
from detectors.masking import KeyedHash, mask
from detectors.normalize import (
    CHANGING,
    EVERY_END,
    SIGN_KINDS,
    SIGNS,
    decoded_runs,
    normalize,
)
from detectors.pattern_shape import (
    WHOLE,
    byte_counted,
    lookahead_reach,
    max_width,
    single_line,
    starts_within,
)
from detectors.rules import CREDENTIAL_CATEGORIES, Keywords, Rule, RuleError, load_catalogue
from detectors.source_code import code_blocks
from detectors.tables import header_signs, labelled_columns

ALLOWLIST_FILE = PACKAGE_DIR / "allowlist.yaml"

# Long texts are scanned in windows of CHUNK characters that overlap by OVERLAP characters, so a
# value up to OVERLAP characters long is found whole wherever it falls; each finding belongs to
# the window its start falls in. Longer values (a PEM key with a huge body) are still reported
# when they fit in one window.
CHUNK = 1 << 20
OVERLAP = 1 << 14

# A pattern whose matches may be longer than this is confirmed from its first match end to the
# end of the window: a window per match end would cover the whole prompt anyway, and Hyperscan
# compiles such long bounded repeats far slower when it must report every end.
WIDE = 512

CONFIDENCE_LEVELS = ("low", "medium", "high")
_LEVEL = {name: level for level, name in enumerate(CONFIDENCE_LEVELS)}
_TOP = len(CONFIDENCE_LEVELS) - 1

# The categories whose values a table's header can name.
_NAMED_COLUMNS = frozenset({"pii", "health", "financial"})
# The kind of the table sign in Engine._signs, after detectors/normalize.py's kinds.
TABLE = len(SIGN_KINDS)

# Ends of one pattern closer than this many bytes join one run: a token of 40 characters
# ends a prefilter match at each of its last characters, and one window covers them all.
RUN_GAP = 64


class PatternShape(NamedTuple):
    """What the engine reads from one rule pattern before any text: derived from the pattern's
    parse tree by `pattern_shapes`, and kept with the catalogue in the start-up cache
    (detectors/catalogue_cache.py), so a start with nothing changed parses no regex."""

    expression: str  # the pattern as Hyperscan compiles it (pattern_shape.byte_counted)
    width: int | None  # longest match in characters, when bounded by WIDE
    reach: int | None  # characters past a match's end its lookaheads read; None: unbounded
    single_line: bool  # no match holds a line break
    anchored: str | None  # the source of pattern_shape.starts_within's regex; None: finditer
    anchored_flags: int  # its flags (the pattern's own, inline ones included)


def pattern_shapes(rule: Rule) -> tuple[PatternShape, ...]:
    """The shape of each of the rule's patterns, in order."""
    shapes = []
    for pattern, regex in zip(rule.patterns, rule.compiled, strict=True):
        width = max_width(regex, min(WIDE, OVERLAP))
        if width is None and rule.max_width is not None:
            width = rule.max_width if rule.max_width <= min(WIDE, OVERLAP) else None
        anchored = (
            None if width is None or rule.aggregate is not None else starts_within(regex, width)
        )
        shapes.append(
            PatternShape(
                byte_counted(pattern),
                width,
                lookahead_reach(regex),
                single_line(regex),
                None if anchored is None else anchored.pattern,
                0 if anchored is None else anchored.flags,
            )
        )
    return tuple(shapes)


@dataclass(frozen=True, slots=True)
class _Entry:
    """One expression of the Hyperscan database: a rule pattern or a dictionary term."""

    rule: Rule
    pattern_index: int
    expression: str  # what Hyperscan compiles for it
    width: int | None  # longest match in characters, when bounded by WIDE
    reach: int | None  # characters past a match's end its lookaheads read; None: unbounded
    single_line: bool  # no match holds a line break
    term: str = ""
    # The source and flags of the regex behind a lazy gap of `width` characters
    # (pattern_shape.starts_within): confirms a window trying only the starts a reported end
    # allows. None: search with finditer.
    anchored_source: str | None = None
    anchored_flags: int = 0

    # Compiled by `compile` on the entry's first hit, with what is read from them: most entries
    # never fire in a process, and compiling every regex at start-up took a second.
    regex: re.Pattern[str] | None = field(init=False)
    anchored: re.Pattern[str] | None = field(init=False)
    value_group: int = field(init=False)  # the group of the value in `regex`; 0: the match
    whole_group: int = field(init=False)  # the original match in `anchored`
    anchored_value_group: int = field(init=False)  # the value in `anchored`
    # The rule's validator, from detectors/validators.py: imported with the first regex that
    # needs one, as python-stdnum's modules take a sixth of a short scan's start-up.
    validator: Callable[[str], bool] | None = field(init=False)

    # Read from the rule once, for the few Python steps each hit takes.
    every_end: bool = field(init=False)  # Hyperscan reports every match end (see _every_end)
    aggregate: bool = field(init=False)  # a signal of an aggregate rule (source code)
    allow: frozenset[str] = field(init=False)
    secret: bool = field(init=False)  # a credential rule: placeholders and fillers disqualify
    keywords: Keywords | None = field(init=False)
    keyword_required: bool = field(init=False)
    window: int = field(init=False)
    entropy_min: float | None = field(init=False)
    level: int = field(init=False)  # the rule's confidence, as an index of CONFIDENCE_LEVELS

    def __post_init__(self) -> None:
        rule = self.rule
        derived: dict[str, Any] = {
            "regex": None,
            "anchored": None,
            "value_group": 0,
            "whole_group": 0,
            "anchored_value_group": 0,
            "validator": None,
            "every_end": self._every_end(),
            "aggregate": rule.aggregate is not None,
            "allow": rule.allow,
            "secret": rule.category in CREDENTIAL_CATEGORIES,
            "keywords": rule.keyword_finder,
            "keyword_required": rule.keyword_finder is not None and rule.context == "required",
            "window": rule.window,
            "entropy_min": rule.entropy_min,
            "level": _LEVEL[rule.confidence],
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    def compile(self) -> re.Pattern[str]:
        """The confirming regex, compiled (with the anchored one, their groups and the
        validator) the first time the entry fires; the scan reads `regex or compile()`."""
        rule = self.rule
        if self.term:
            regex = _term_regex(self.term, rule.caseless)
        else:
            regex = re.compile(rule.patterns[self.pattern_index], rule.flags)
        source = self.anchored_source
        anchored = None if source is None else re.compile(source, self.anchored_flags)
        validator = None
        if rule.validator is not None:
            from detectors.validators import REGISTRY

            validator = REGISTRY[rule.validator]
        derived: dict[str, Any] = {
            "validator": validator,
            "anchored": anchored,
            # The value's group when the regex names one (?P<value>...), else 0: the match.
            "value_group": regex.groupindex.get("value", 0),
            "whole_group": anchored.groupindex[WHOLE] if anchored is not None else 0,
            "anchored_value_group": anchored.groupindex.get("value", 0) if anchored else 0,
            "regex": regex,  # last: once set, the entry is whole
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)
        return regex

    def _every_end(self) -> bool:
        """Whether Hyperscan reports every match end (else only the first, SINGLEMATCH).

        Every end lets confirmation look only around the ends, and each end of an aggregate
        rule's exact match is a signal; a pattern whose matches have no useful bound is
        confirmed from its first end to the end of the window instead.
        """
        return self.width is not None or self.single_line or self.rule.aggregate is not None


# Build a Finding or a _Candidate from the tuple of its fields in one call, without parsing
# them as arguments first.
_new_finding = _new_candidate = tuple.__new__


class _Candidate(NamedTuple):
    """A confirmed value before the overlap merge; a tuple, made in one step per value."""

    rule: Rule
    start: int
    end: int
    level: int


# count * log2(count) for every count up to this many characters, so that entropy needs no
# logarithm per character.
_WEIGHTS = [0.0] + [count * math.log2(count) for count in range(1, 1025)]


def shannon_entropy(value: str) -> float:
    """Bits per character of the value's own character distribution.

    Computed as log2(n) - sum(c log2 c) / n over the characters' counts c.
    """
    length = len(value)
    if not length:
        return 0.0
    counts = Counter(value).values()
    if length < len(_WEIGHTS):
        weighted = sum(map(_WEIGHTS.__getitem__, counts))
    else:
        weighted = sum(count * math.log2(count) for count in counts)
    return math.log2(length) - weighted / length


# Values up to this many characters are searched for placeholder markers with one regex.
_SHORT_VALUE = 200

# A filler is judged on values of FILLER_MIN to FILLER_MAX characters: shorter ones are too
# short to tell, longer ones (key blocks) hold long regular stretches by structure.
FILLER_MIN = 8
FILLER_MAX = 200
# A stretch of characters counts as regular from this length: a run or step (`aaaa`, `1234`,
# `dcba`) of 4, a unit of 2 to 4 characters repeated over 8 (`abab1212`, `x9kx9kx9`).
_STEP_RUN = 4
_PERIOD_RUN = 8


def is_filler(value: str) -> bool:
    """Whether at least half of the value is regular stretches: one character repeated
    (`aaaaaaaa`), steps through the alphabet or the digits (`abcdefgh`, `12345678`, `987654`)
    or a short unit repeated (`abababab`, `1a2b1a2b`). Such values are typed by hand to fill a
    template; in a random token such a stretch is rare (one in about 1,400 characters of hex, in
    80,000 of base62) and never half of it."""
    length = len(value)
    if length < FILLER_MIN or length > FILLER_MAX:
        return False
    codes = [ord(ch) for ch in value]
    regular = [False] * length
    # Runs and steps: neighbours differ by a constant -1, 0 or +1 (`aaaa`, `1234`, `dcba`).
    start = 0
    for i in range(1, length + 1):
        if i < length:
            step = codes[i] - codes[i - 1]
            if -1 <= step <= 1 and (i - start == 1 or step == codes[i - 1] - codes[i - 2]):
                continue
        if i - start >= _STEP_RUN:
            regular[start:i] = [True] * (i - start)
        # The pair that broke the run starts the next one when its own step is small.
        start = i - 1 if i < length and -1 <= codes[i] - codes[i - 1] <= 1 else i
    # Repeats: each character equals the one `period` places before (`abab`, `x9kx9k`).
    for period in (2, 3, 4):
        first_match = period
        for i in range(period, length + 1):
            if i < length and codes[i] == codes[i - period]:
                continue
            if i > first_match and i - first_match + period >= _PERIOD_RUN:
                begin = first_match - period
                regular[begin:i] = [True] * (i - begin)
            first_match = i + 1
    return sum(regular) * 2 >= length


class Allowlist:
    """Documented example values and placeholder markers that are never findings."""

    def __init__(
        self,
        path: Path = ALLOWLIST_FILE,
        *,
        data: bytes | None = None,
        listed: tuple[Iterable[Any], Iterable[Any]] | None = None,
    ) -> None:
        """The allow list of the YAML file at `path` (of `data`, its bytes, when read already),
        or of `listed`, the (values, placeholder markers) of one read before (`listed()`, which
        the start-up cache keeps)."""
        if listed is None:
            import yaml  # a start from the start-up cache needs no YAML

            text = (path.read_bytes() if data is None else data).decode("utf-8")
            document = yaml.load(text, Loader=yaml.CSafeLoader)
            if not isinstance(document, dict) or set(document) != {
                "values",
                "placeholder_markers",
            }:
                raise RuleError(f"{path}: expected the keys 'values' and 'placeholder_markers'")
            listed = (document["values"], document["placeholder_markers"])
        values, markers = listed
        self.values = frozenset(values)
        self.markers = tuple(str(marker).lower() for marker in markers)
        # Any marker in the lower-cased value, found by one search of their alternation: on a
        # short value, cheaper than looking for each in turn; on a long one (a PEM body), the
        # regex tries every marker at each character and str's own search wins.
        self._marker_search = re.compile("|".join(map(re.escape, self.markers)) or "(?!)").search

    def listed(self) -> tuple[list[Any], list[str]]:
        """The values and markers, as `Allowlist(listed=...)` takes them."""
        return sorted(self.values, key=str), list(self.markers)

    def is_placeholder(self, value: str) -> bool:
        """Whether the value holds a placeholder marker, in any case."""
        lowered = value.lower()
        if len(lowered) <= _SHORT_VALUE:
            return self._marker_search(lowered) is not None
        return any(marker in lowered for marker in self.markers)

    def allows(self, value: str, rule_allow: frozenset[str], secret: bool) -> bool:
        """Whether the value is never a finding of a rule with this allow list (and category,
        `secret`), read from the rule once per pattern entry rather than per candidate."""
        if value in self.values or value in rule_allow:
            return True
        # Placeholders (`YOUR_API_KEY`, `xxxx`) only disqualify secrets: "example" inside a
        # person's e-mail domain is still the person's address.
        return secret and self.is_placeholder(value)


class Engine:
    """A compiled catalogue. Not thread-safe: give each thread its own Engine (own scratch)."""

    def __init__(
        self,
        rules: Sequence[Rule] | None = None,
        *,
        hash_key: bytes,
        dictionaries: Sequence[Dictionary] = (),
        cache_dir: Path | None = None,
        shapes: Sequence[tuple[PatternShape, ...]] | None = None,
        allowlist: Allowlist | None = None,
    ) -> None:
        """`shapes` (`pattern_shapes` of each rule) and `allowlist`, when read already (the
        start-up cache); the shipped allow list by default."""
        self.rules = list(rules) if rules is not None else load_catalogue()
        self.dictionaries = list(dictionaries)
        self.hash_key = hash_key
        self._keyed_hash = KeyedHash(hash_key)
        self.allowlist = allowlist if allowlist is not None else Allowlist()
        self._entries: list[_Entry] = []
        if shapes is None:
            shapes = [pattern_shapes(rule) for rule in self.rules]
        for rule, rule_shapes in zip(self.rules, shapes, strict=True):
            for index, shape in enumerate(rule_shapes):
                self._entries.append(
                    _Entry(
                        rule,
                        index,
                        shape.expression,
                        shape.width,
                        shape.reach,
                        shape.single_line,
                        anchored_source=shape.anchored,
                        anchored_flags=shape.anchored_flags,
                    )
                )
        for dictionary in self.dictionaries:
            rule = dictionary.rule()
            for term in dictionary.terms:
                # The term's regex is (?<!\w)term(?!\w): one character of lookahead.
                expression = _term_expression(term, rule.caseless)
                entry = _Entry(rule, 0, expression, len(term), 1, "\n" not in term, term)
                self._entries.append(entry)
        expressions, flags = self.hyperscan_input()
        # After the entries, the signs (detectors/normalize.py): pattern ids from `_signals` on
        # only say that the text may need normalising or hold an encoded run.
        self._signals = len(self._entries)
        expressions += [sign.encode("ascii") for sign in SIGNS]
        flags += [0 if every_end else FLAG_SINGLEMATCH for every_end in EVERY_END]
        # And the signs of a table column named by a keyword of a personal, health or
        # financial identifier's rule (a value rows below its header has no label of its own:
        # detectors/tables.py). Credentials are found by their shape; a confidential
        # marking's keywords (`document`, `email`) are the words near it, no column's name.
        names = sorted({k for r in self.rules if r.category in _NAMED_COLUMNS for k in r.keywords})
        self._column_names = Keywords(names) if names else None
        self._keywords_by_rule = {
            r.id: frozenset(k.lower() for k in r.keywords) for r in self.rules if r.keywords
        }
        table_signs = header_signs(names)
        expressions += [sign.encode("utf-8") for sign in table_signs]
        flags += [FLAG_CASELESS | FLAG_MULTILINE] * len(table_signs)
        self.database = compile_database(expressions, flags, self._entries, cache_dir)
        # A source-code signal is one line's end: none may join another's run.
        self._scanner = Scanner(
            self.database,
            [0 if e.rule.aggregate is not None else RUN_GAP for e in self._entries]
            + [0] * (len(SIGNS) + len(table_signs)),
        )
        # The last plain scan's signs of encoded runs: kind -> where they end (normalize.py).
        self._signs: dict[int, list[int]] = {}
        self._deadline: float | None = None
        self.incomplete = False  # the last scan stopped at its deadline
        # Per scan, by value: entropy in bits, whether a filler, validator verdicts.
        self._entropies: dict[str, float] = {}
        self._fillers: dict[str, bool] = {}
        # Per scan: spans that a rule needing a keyword found next to its keyword but whose
        # check failed ("TFN: 066 303 497" with a wrong check digit). The label says what the
        # value is, so a rule that reports a bare shape (a German phone number) does not get it.
        self._claimed: list[tuple[int, int]] = []
        self._validated: dict[tuple[str | None, str], bool] = {}

    def hyperscan_input(self) -> tuple[list[bytes], list[int]]:
        """The database's expressions and their flags: entry i is pattern id i."""
        expressions = [e.expression.encode("utf-8") for e in self._entries]
        # An aggregate rule's patterns (source-code line signals) are compiled exactly, not as
        # prefilters: Hyperscan's match ends are then the signals, and no Python regex runs.
        # Hyperscan rejects a lookaround or back reference there, naming the rule.
        flags = [
            (FLAG_PREFILTER if e.rule.aggregate is None else 0)
            | (FLAG_CASELESS if e.rule.caseless else 0)
            | (0 if e.every_end else FLAG_SINGLEMATCH)
            for e in self._entries
        ]
        return expressions, flags

    def scan(self, text: str, *, deadline: float | None = None) -> list[Finding]:
        """All findings in the text, ordered by start; offsets are str indices into `text`.

        `deadline` (a `time.monotonic()` value) bounds the work: past it, confirmation stops
        between two regex calls, the findings so far are returned and `incomplete` is True
        until the next scan.

        Findings do not overlap, except that a region finding (a block of source code) may
        contain others: the secret inside pasted code is reported as well as the code.

        The text is scanned as it is, then as `detectors.normalize` reads it (invisible
        characters removed, compatibility forms and look-alike letters folded) and each run of
        it in a common encoding decoded: a value found only there is reported at the span of the
        original text it came from (the whole run, for a decoded one), with the masked preview
        and hash of the value as read. A pasted table's cells under a header that names them
        are scanned as labelled values too (detectors/tables.py). Each is done only where the
        plain scan saw its sign (a character that normalisation changes, an encoded-looking
        token or escape, a header cell that is a keyword), so most text costs one Hyperscan
        call.
        """
        self._signs = {}
        self.incomplete = False
        self._deadline = deadline
        findings = self._scan_plain(text)
        signs = self._signs  # the original's; the scans below find their own
        self._signs = {}
        if not signs or self._past_deadline():
            return findings
        extra: list[Finding] = []
        normalized = normalize(text) if signs.pop(CHANGING, None) else None
        names = self._column_names
        headers = signs.pop(TABLE, None)
        labelled = None
        if headers and names:
            labelled = labelled_columns(text, names, headers, self._found_as(findings))
        if labelled is not None:
            named = [
                f._replace(start=start, end=end)
                for f in self._scan_plain(labelled.text)
                for start, end in (labelled.span(f.start, f.end),)
                if f.category != "code"
            ]
            # The column's name says what its cells are: a South African id under `SA ID` is
            # no card number, whatever shape the plain scan took it for.
            taken = sorted((f.start, f.end) for f in named)
            findings = [
                f for f in findings if f.category == "code" or not _overlaps(f.start, f.end, taken)
            ]
            extra += named
        if normalized is not None:
            for f in self._scan_plain(normalized.text):
                start, end = normalized.span(f.start, f.end)
                extra.append(f._replace(start=start, end=end))
        runs = decoded_runs(text, signs) if signs and not self._past_deadline() else []
        if runs:
            # One scan of every decoded run, each on a line of its own, then back to its run.
            joined = "\n".join(decoded for decoded, _start, _end in runs)
            offsets = list(itertools.accumulate((len(d) + 1 for d, _s, _e in runs), initial=0))
            for f in self._scan_plain(joined):
                i = bisect.bisect_right(offsets, f.start) - 1
                extra.append(f._replace(start=runs[i][1], end=runs[i][2]))
        if not extra:
            return findings
        return _add_disjoint(findings, extra)

    def _found_as(self, findings: list[Finding]) -> Callable[[int, int, str], bool]:
        """Whether one of the findings lies in a span and is of a rule that has the label
        among its keywords: what a table's column says its cell is was found already."""
        spans = sorted((f.start, f.end, f.detector) for f in findings if f.category != "code")
        keywords = self._keywords_by_rule

        def known(start: int, end: int, label: str) -> bool:
            i = bisect.bisect_left(spans, (start,))
            while i < len(spans) and spans[i][0] < end:
                words = keywords.get(spans[i][2])
                if spans[i][1] <= end and words is not None and label.lower() in words:
                    return True
                i += 1
            return False

        return known

    def _past_deadline(self) -> bool:
        """Whether the scan's deadline has passed (and so the scan is incomplete)."""
        deadline = self._deadline
        if deadline is None or self.incomplete:
            return self.incomplete
        if time.monotonic() > deadline:
            self.incomplete = True
        return self.incomplete

    def _scan_plain(self, text: str) -> list[Finding]:
        """The findings of the text as it is."""
        if not text:
            return []
        candidates: list[_Candidate] = []
        aggregated: dict[str, tuple[Rule, list[tuple[int, int, int]]]] = {}
        length = len(text)
        begin = 0
        while True:
            end = begin + CHUNK if begin + CHUNK < length else length
            owned = length if end == length else end - OVERLAP
            self._scan_window(text, begin, end, owned, candidates, aggregated)
            if end == length or self._past_deadline():
                break
            begin = owned
        if self._entropies:
            self._entropies.clear()
        if self._fillers:
            self._fillers.clear()
        if self._claimed:
            candidates = _unclaimed(candidates, self._claimed)
            self._claimed.clear()
        if self._validated:
            self._validated.clear()
        if not candidates and not aggregated:
            return []
        kept = merge(candidates)
        if aggregated:
            regions: list[_Candidate] = []
            for rule, spans in aggregated.values():
                level = _LEVEL[rule.confidence]
                regions.extend(_Candidate(rule, s, e, level) for s, e in code_blocks(text, spans))
            kept = sorted(kept + merge(regions), key=lambda c: c.start)
        keyed_hash = self._keyed_hash
        findings = []
        for candidate in kept:
            rule = candidate.rule
            start, end = candidate.start, candidate.end
            value = text[start:end]
            findings.append(
                _new_finding(
                    Finding,
                    (
                        rule.id,
                        rule.category,
                        rule.severity,
                        rule.label,
                        start,
                        end,
                        CONFIDENCE_LEVELS[candidate.level],
                        mask(value),
                        keyed_hash(value),
                    ),
                )
            )
        return findings

    def _scan_window(
        self,
        text: str,
        begin: int,
        end: int,
        owned: int,
        candidates: list[_Candidate],
        aggregated: dict[str, tuple[Rule, list[tuple[int, int, int]]]],
    ) -> None:
        # entry id -> runs of prefilter match ends (str indices), as [first, last, first, ...]
        runs_by_entry = self._scanner.scan(text, begin, end)
        if not runs_by_entry:
            return
        entries = self._entries
        signals = self._signals
        bounded = self._deadline is not None
        for entry_id, runs in runs_by_entry.items():
            if entry_id >= signals:
                # Each end its own run (gap 0); a later window's come after an earlier one's.
                kind = SIGN_KINDS[entry_id - signals] if entry_id - signals < len(SIGNS) else TABLE
                self._signs.setdefault(kind, []).extend(runs[1::2])
                continue
            if bounded and self._past_deadline():
                return
            entry = entries[entry_id]
            if entry.aggregate:  # exact matches: each end is a signal on its line
                rule = entry.rule
                spans = aggregated.setdefault(rule.id, (rule, []))[1]
                for last in runs[1::2]:
                    if last - 1 < owned:
                        spans.append((entry.pattern_index, max(begin, last - 1), last))
                continue
            width = entry.width
            if entry.keyword_required and not _keyword_possible(entry, text, runs, begin, end):
                continue  # no value here can have its keyword: skip the regex altogether
            regex = entry.regex or entry.compile()
            # A real match ends where Hyperscan reported a prefilter match end, so none ends
            # past a window's `high`; its `stop` leaves room for the longest match and its
            # lookaheads.
            if width is not None and len(runs) == 2:  # the usual case, without _windows
                high = runs[1]
                reach = entry.reach
                stop = end
                if reach is not None and high + width + reach < end:
                    stop = high + width + reach
                low = runs[0] - width
                found = _matches(entry, regex, text, low if low > begin else begin, high, stop)
            else:
                found = []
                for low, high, stop in _windows(entry, runs, text, begin, end):
                    if bounded and self._past_deadline():
                        break
                    found += _matches(entry, regex, text, low, high, stop)
            for start, stop_ in found:
                if start >= owned or start == stop_:
                    continue
                level = self._confidence(entry, text, start, stop_)
                if level is not None:
                    candidates.append(_new_candidate(_Candidate, (entry.rule, start, stop_, level)))

    def _confidence(self, entry: _Entry, text: str, start: int, end: int) -> int | None:
        """The candidate's confidence level, or None when it is not a finding."""
        value = text[start:end]
        if self.allowlist.allows(value, entry.allow, entry.secret):
            return None
        # A required keyword (rules.py makes sure one is listed) is the cheapest test: look
        # for it before any validator runs.
        keywords = entry.keywords
        required = entry.keyword_required
        if required and not _keyword_near(entry, text, start, end):
            return None
        # What depends on the value alone is judged once per scan and value: several rules
        # often match the same span, and a text may repeat a value thousands of times.
        entropy_min = entry.entropy_min
        if entropy_min is not None:
            entropies = self._entropies
            entropy = entropies.get(value)
            if entropy is None:
                entropy = entropies[value] = shannon_entropy(value)
            if entropy < entropy_min:
                return None
        if entry.secret:
            fillers = self._fillers
            filler = fillers.get(value)
            if filler is None:
                filler = fillers[value] = is_filler(value)
            if filler:
                return None
        level = entry.level
        validator = entry.validator
        if validator is not None:
            # The checksums of phone numbers and national ids cost tens of microseconds each.
            validated = self._validated
            key = (entry.rule.validator, value)
            valid = validated.get(key)
            if valid is None:
                valid = validated[key] = validator(value)
            if not valid:
                if required:
                    self._claimed.append((start, end))
                return None
            level += 1
        # A keyword only raises confidence: no need to look once that is at the top.
        if required or (
            keywords is not None and level < _TOP and _keyword_near(entry, text, start, end)
        ):
            level += 1
        return level if level < _TOP else _TOP  # min() and max() cost a call: 1% of a scan


def _unclaimed(candidates: list[_Candidate], claimed: list[tuple[int, int]]) -> list[_Candidate]:
    """The candidates less those of rules that need no keyword on a span a labelled value
    claims: the label names the value, even when its check digit is wrong."""
    # Merged into disjoint spans, each candidate looked up by bisection: a text may repeat a
    # labelled value thousands of times (a quadratic check cost 14 s per MiB).
    spans: list[tuple[int, int]] = []
    for start, end in sorted(claimed):
        if spans and start <= spans[-1][1]:
            if end > spans[-1][1]:
                spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return [
        c
        for c in candidates
        if c.rule.context == "required" or not _overlaps(c.start, c.end, spans)
    ]


def _keyword_possible(entry: _Entry, text: str, runs: list[int], begin: int, end: int) -> bool:
    """Whether a keyword stands anywhere a value of these runs could look for one: from the
    longest match before the first reported end, less the window, to the farthest lookahead
    after the last end, plus the window. A rule that needs a keyword (a Kubernetes Secret's
    `kind: Secret`) often fires its prefilter on plain YAML keys; this one search spares the
    regex on all of them."""
    keywords = entry.keywords
    if keywords is None:
        return True
    first = min(runs[0::2])
    last = max(runs[1::2])
    low = begin if entry.width is None else max(begin, first - entry.width)
    high = end if entry.reach is None else min(end, last + entry.reach)
    window = entry.window
    return keywords.near(text, low - window if low > window else 0, high + window)


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    """Whether [start, end) overlaps one of the spans (sorted, none overlapping another)."""
    i = bisect.bisect_left(spans, (end,))
    return i > 0 and spans[i - 1][1] > start


def _add_disjoint(findings: list[Finding], extra: list[Finding]) -> list[Finding]:
    """The findings, plus those of `extra` (in order) that overlap none kept; ordered by start.
    A region finding (source code) overlaps the findings inside it, so it is compared only with
    other regions' kind: extra findings of the same detector at the same span are dropped."""
    kept = list(findings)
    spans = sorted((f.start, f.end) for f in findings if f.category != "code")
    starts = [s for s, _ in spans]
    for f in extra:
        if f.category == "code":
            if any(k.category == "code" and k.start < f.end and f.start < k.end for k in kept):
                continue
            kept.append(f)
            continue
        i = bisect.bisect_right(starts, f.start)
        if i and spans[i - 1][1] > f.start:
            continue
        if i < len(starts) and starts[i] < f.end:
            continue
        spans.insert(i, (f.start, f.end))
        starts.insert(i, f.start)
        kept.append(f)
    kept.sort(key=lambda f: f.start)
    return kept


def _keyword_near(entry: _Entry, text: str, start: int, end: int) -> bool:
    """Whether one of the rule's keywords stands within its window of the value."""
    keywords = entry.keywords
    return keywords is not None and keywords.near(
        text, start - entry.window if start > entry.window else 0, end + entry.window
    )


def _matches(
    entry: _Entry, regex: re.Pattern[str], text: str, low: int, high: int, stop: int
) -> list[tuple[int, int]]:
    """Where the sensitive part is in each of the entry's matches that start at or after `low`
    and end by `high`, the matches finditer finds."""
    found: list[tuple[int, int]] = []
    anchored = entry.anchored
    width = entry.width
    if anchored is None or width is None:
        group = entry.value_group
        for match in regex.finditer(text, low, stop):
            last = match.end()
            if last > high:
                break
            found.append(match.span(group))
            if last == high:
                break  # the next match would end past the window
        return found
    match_at = anchored.match
    whole = entry.whole_group
    value = entry.anchored_value_group
    gap = width + 1
    position = low
    while position <= high:
        attempt = match_at(text, position, stop)
        if attempt is None:
            position += gap  # no match starts in position .. position + width
            continue
        first, last = attempt.span(whole)
        if last > high:
            break
        found.append(attempt.span(value) if value else (first, last))
        if last == high:
            break
        position = last if last > first else last + 1
    return found


def _windows(
    entry: _Entry, runs: list[int], text: str, begin: int, end: int
) -> list[tuple[int, int, int]]:
    """Where to run the entry's confirming regex: (first start, last end, endpos) ranges.

    `runs` holds runs of reported ends as first, last pairs. Around each run: from the longest
    match before its first end (or the start of that end's line, for a single-line pattern of
    unbounded length) to its last end, with room after it for the lookaheads; ranges that
    touch are joined so no text is searched twice.
    """
    if not entry.every_end:  # only the first end is known
        low = begin if entry.width is None else max(begin, runs[0] - entry.width)
        return [(low, end, end)]
    width, reach = entry.width, entry.reach
    windows: list[tuple[int, int, int]] = []
    for first, high in sorted(zip(runs[::2], runs[1::2], strict=True)):
        if width is not None:
            low = max(begin, first - width)
            stop = end if reach is None else min(end, high + width + reach)
        else:  # single line: the match starts on its end's line and cannot run past it
            low = max(begin, text.rfind("\n", begin, first) + 1)
            line_end = text.find("\n", high, end)
            stop = end if reach is None or line_end < 0 else min(end, line_end + 1 + reach)
        if windows and low <= windows[-1][2]:
            previous_low, _high, previous_stop = windows[-1]
            windows[-1] = (previous_low, high, max(previous_stop, stop))
        else:
            windows.append((low, high, stop))
    return windows


_TERM_REGEXES: dict[tuple[str, bool], re.Pattern[str]] = {}


def _term_regex(term: str, caseless: bool) -> re.Pattern[str]:
    """A dictionary term as a whole-word regex, compiled the first time the term is seen.

    Unlike catalogue patterns, terms are names in any language: word boundaries and case
    are Unicode's, so "Orion" is not found inside "Orionés" and "Zéphyr" finds "ZÉPHYR".
    """
    key = (term, caseless)
    regex = _TERM_REGEXES.get(key)
    if regex is None:
        flags = re.IGNORECASE if caseless else 0
        regex = _TERM_REGEXES[key] = re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", flags)
    return regex


def _term_expression(term: str, caseless: bool) -> str:
    """The term for Hyperscan, whose caseless mode folds ASCII only: other letters are spelt
    out in both cases, so the prefilter never misses what the Unicode regex would find."""
    if not caseless or term.isascii():
        return re.escape(term)
    parts = []
    for char in term:
        lower, upper = char.lower(), char.upper()
        if char.isascii() or lower == upper:
            parts.append(re.escape(char))
        else:
            parts.append(f"(?:{re.escape(lower)}|{re.escape(upper)})")
    return "".join(parts)


def merge(candidates: list[_Candidate]) -> list[_Candidate]:
    """Keep one candidate per overlapping group: higher priority, then confidence, then longer.

    The rule id breaks the last ties, so the outcome never depends on the order of Hyperscan's
    reports. Candidates are taken best first and kept when they overlap nothing kept so far;
    the kept spans stay disjoint and sorted, so each check is a binary search.
    """
    if len(candidates) < 2:
        return list(candidates)
    ranked = sorted(
        candidates,
        key=lambda c: (-c.rule.priority, -c.level, c.start - c.end, c.start, c.rule.id),
    )
    starts: list[int] = []
    ends: list[int] = []
    kept: list[_Candidate] = []
    for candidate in ranked:
        i = bisect.bisect_right(starts, candidate.start)
        if i and ends[i - 1] > candidate.start:
            continue
        if i < len(starts) and starts[i] < candidate.end:
            continue
        starts.insert(i, candidate.start)
        ends.insert(i, candidate.end)
        kept.insert(i, candidate)
    return kept


_DATABASE_BLOBS: dict[str, bytes] = {}


def compile_database(
    expressions: list[bytes], flags: list[int], entries: list[_Entry], cache_dir: Path | None
) -> Database:
    """Compile once per distinct rule set: cached in memory and on disk by the set's hash.

    Without a cache folder the cache is in memory only. The disk cache holds the tenant's
    dictionary terms inside the compiled database, so its folder is private to the user (0700).
    """
    digest = hashlib.sha256(f"{VERSION}; {PLATFORM}".encode())
    for expression, flag in zip(expressions, flags, strict=True):
        digest.update(len(expression).to_bytes(4, "big") + expression + flag.to_bytes(4, "big"))
    key = digest.hexdigest()
    path = cache_dir / f"{key}.hsdb" if cache_dir is not None else None
    cached = _DATABASE_BLOBS.get(key)
    if cached is None and path is not None and path.exists():
        cached = path.read_bytes()
    database = None
    if cached is not None:
        try:
            database = Database.deserialize(cached)
            blob = cached
        except Error:
            database = None  # written by another Hyperscan build or CPU: compile afresh below
    if database is None:
        try:
            database = Database.compile(expressions, flags)
        except CompileError as exc:
            raise _rejection(exc, entries) from None
        blob = database.serialize()
    _DATABASE_BLOBS[key] = blob
    if path is not None and not path.exists():
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_bytes(blob)
            partial.replace(path)
        except OSError:
            pass  # a read-only home only costs a recompile next time
    return database


def _rejection(exc: CompileError, entries: list[_Entry]) -> RuleError:
    """The rule error for the expression Hyperscan rejected, naming its file and rule."""
    if not 0 <= exc.index < len(entries):
        return RuleError(f"Hyperscan rejected the rule set as a whole: {exc.message}")
    entry = entries[exc.index]
    what = (
        f"term {entry.term!r}"
        if entry.term
        else f"pattern {entry.rule.patterns[entry.pattern_index]!r}"
    )
    return RuleError(
        f"{entry.rule.source}: rule {entry.rule.id!r}: Hyperscan rejects {what}: {exc.message}"
    )
