"""The rule catalogue: detector records loaded from YAML data files, checked strictly at load."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any, NamedTuple

from detectors import PACKAGE_DIR

RULES_DIR = PACKAGE_DIR / "rules"

CATEGORIES = ("secret", "credential_hash", "pii", "financial", "health", "confidential", "code")
# Credentials, in clear or hashed: their rules name the provider or format family they cover
# (`provider`, counted by `airlock rules --stats`), and placeholders and filler values
# (`xxxx`, `<your-key>`, `abcdef123456`) are never findings of theirs.
CREDENTIAL_CATEGORIES = ("secret", "credential_hash")
SEVERITIES = ("low", "medium", "high", "critical")
CONFIDENCES = ("low", "medium", "high")
AGGREGATORS = ("source_code",)

# Whole-word keyword search: ASCII word characters, like the detection patterns themselves.
WORD_FLAGS = re.ASCII | re.IGNORECASE


class RuleError(ValueError):
    """A rule file or a rule in it is invalid; the message names the file, the rule and why."""


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    category: str
    severity: str
    patterns: tuple[str, ...]
    source: str
    label: str
    country: str | None = None
    provider: str | None = None
    caseless: bool = False
    keywords: tuple[str, ...] = ()
    context: str = "optional"
    window: int = 80
    validator: str | None = None
    entropy_min: float | None = None
    confidence: str = "medium"
    priority: int = 0
    allow: frozenset[str] = frozenset()
    aggregate: str | None = None
    # The longest match of any of the rule's patterns, in characters, when a lookahead bounds
    # it and the pattern's own shape does not show it (detectors/pattern_shape.max_width).
    max_width: int | None = None
    description: str = ""
    examples: tuple[str, ...] = ()
    negative_examples: tuple[str, ...] = ()
    # The patterns as parse_rule compiled them to check them; empty in a rule read from the
    # start-up cache, whose `compiled` compiles them when asked.
    checked: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)
    # Derived from `keywords` (its regex is compiled only if a window ever needs it).
    keyword_finder: Keywords | None = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        finder = Keywords(self.keywords) if self.keywords else None
        object.__setattr__(self, "keyword_finder", finder)

    @property
    def flags(self) -> int:
        return WORD_FLAGS if self.caseless else re.ASCII

    @property
    def compiled(self) -> tuple[re.Pattern[str], ...]:
        """The patterns as Python regexes. The engine compiles its own, each on its first hit;
        this is for tools and tests that look at a rule on its own."""
        return self.checked or tuple(re.compile(pattern, self.flags) for pattern in self.patterns)


# key -> (type check, required)
_FIELDS: dict[str, tuple[type | tuple[type, ...], bool]] = {
    "id": (str, True),
    "name": (str, True),
    "category": (str, True),
    "severity": (str, True),
    "patterns": (list, True),
    "examples": (list, True),
    "negative_examples": (list, True),
    "label": (str, False),
    "country": (str, False),
    "provider": (str, False),
    "caseless": (bool, False),
    "keywords": (list, False),
    "context": (str, False),
    "window": (int, False),
    "validator": (str, False),
    "entropy_min": ((int, float), False),
    "confidence": (str, False),
    "priority": (int, False),
    "allow": (list, False),
    "aggregate": (str, False),
    "max_width": (int, False),
    "description": (str, False),
}

_ID = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*")
_LABEL = re.compile(r"[A-Z][A-Z0-9_]*")


# ASCII word characters: the \w of a pattern compiled with re.ASCII.
_WORD_CHARACTERS = frozenset(string.ascii_letters + string.digits + "_")


class Keywords:
    """Context keywords, found as whole words (ASCII word characters), case-insensitively.

    `near` runs on every candidate of a rule with keywords, so it looks for each keyword with
    str.find in the lower-cased window and checks the word boundaries itself: twice as fast as
    one alternation regex. The regex decides when lower-casing changes the window's length.
    """

    def __init__(self, keywords: Iterable[str]) -> None:
        unique = sorted(set(keywords), key=lambda k: (-len(k), k))
        self.words = tuple(dict.fromkeys(k.lower() for k in unique))
        self._unique = tuple(unique)
        # Compiled the first time a window needs it: most never do, and 800 keyword regexes
        # compiled at start-up would cost a quarter of a second.
        self._regex: re.Pattern[str] | None = None
        self._by_lower: dict[str, str] | None = None  # for name_in, built on first use
        self._longest = 0

    @property
    def regex(self) -> re.Pattern[str]:
        """The keywords as one whole-word alternation (ASCII word characters, any case)."""
        if self._regex is None:
            alternatives = "|".join(re.escape(k) for k in self._unique)
            self._regex = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", WORD_FLAGS)
        return self._regex

    def name_in(self, text: str) -> str | None:
        """The longest keyword that stands whole in the text (in any case), as the rule writes
        it (`NIP` in `nip number`). For short texts (a table's header cell): every stretch
        between word edges is looked up."""
        if self._by_lower is None:
            self._by_lower = {}
            for k in reversed(self._unique):  # the first written wins
                self._by_lower[k.lower()] = k
            self._longest = max(map(len, self._by_lower), default=0)
        lowered = text.lower()
        length = len(lowered)
        starts = [i for i in range(length) if not i or lowered[i - 1] not in _WORD_CHARACTERS]
        ends = {
            i for i in range(1, length + 1) if i == length or lowered[i] not in _WORD_CHARACTERS
        }
        best: str | None = None
        for start in starts:
            for end in range(min(length, start + self._longest), start, -1):
                if end in ends:
                    found = self._by_lower.get(lowered[start:end])
                    if found is not None:  # the longest from this start
                        if best is None or len(found) > len(best):
                            best = found
                        break
        return best

    def near(self, text: str, start: int, end: int) -> bool:
        """Whether a keyword stands whole in text[start:end] (as regex.search(text, start, end)
        sees it: the character before `start` counts, the text stops at `end`)."""
        window = text[start:end]
        lowered = window.lower()
        if len(lowered) != len(window):
            return self.regex.search(text, start, end) is not None
        length = len(lowered)
        before_window = text[start - 1] if start else ""
        for word in self.words:
            if word not in lowered:  # most keywords are absent: `in` is the cheapest test
                continue
            at = lowered.find(word)
            while at >= 0:
                after = at + len(word)
                before = lowered[at - 1] if at else before_window
                if before not in _WORD_CHARACTERS and (
                    after == length or lowered[after] not in _WORD_CHARACTERS
                ):
                    return True
                at = lowered.find(word, at + 1)
        return False


def parse_rule(raw: Any, source: str) -> Rule:
    """Check one raw YAML record and build its Rule; raise RuleError naming source and id."""
    if not isinstance(raw, dict):
        raise RuleError(f"{source}: each rule must be a mapping, got {type(raw).__name__}")
    rule_id = raw.get("id", "<no id>")
    where = f"{source}: rule {rule_id!r}"

    def fail(reason: str) -> RuleError:
        return RuleError(f"{where}: {reason}")

    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        raise fail(f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_FIELDS))}")
    for key, (kind, required) in _FIELDS.items():
        if key not in raw:
            if required:
                raise fail(f"missing required key {key!r}")
            continue
        if not isinstance(raw[key], kind) or (kind is int and isinstance(raw[key], bool)):
            raise fail(f"{key!r} must be of type {getattr(kind, '__name__', kind)}")
    for key in ("patterns", "examples", "negative_examples", "keywords", "allow"):
        values = raw.get(key, [])
        if not all(isinstance(v, str) and v for v in values):
            raise fail(f"{key!r} must be a list of non-empty strings")

    if not _ID.fullmatch(rule_id):
        raise fail("id must be lowercase words joined by '-' or '.'")
    _one_of(raw["category"], CATEGORIES, "category", fail)
    _one_of(raw["severity"], SEVERITIES, "severity", fail)
    _one_of(raw.get("confidence", "medium"), CONFIDENCES, "confidence", fail)
    _one_of(raw.get("context", "optional"), ("optional", "required"), "context", fail)
    if raw["category"] in CREDENTIAL_CATEGORIES and not raw.get("provider", "").strip():
        raise fail(f"a {raw['category']} rule needs 'provider': the provider or format it covers")
    if raw.get("aggregate") is not None:
        _one_of(raw["aggregate"], AGGREGATORS, "aggregate", fail)
    if not raw["patterns"]:
        raise fail("'patterns' must list at least one pattern")
    if not raw["examples"]:
        raise fail("'examples' must list at least one text the rule finds")
    if raw.get("context") == "required" and not raw.get("keywords"):
        raise fail("context 'required' needs 'keywords'")
    validator = raw.get("validator")
    # Imported here, to check names: a start from the start-up cache never needs the module
    # until a value is to be validated (detectors/engine.py, _Entry.compile).
    from detectors.validators import REGISTRY

    if validator is not None and validator not in REGISTRY:
        known = ", ".join(sorted(REGISTRY))
        raise fail(f"unknown validator {validator!r}; known: {known}")
    label = raw.get("label", rule_id.upper().replace("-", "_").replace(".", "_"))
    if not _LABEL.fullmatch(label):
        raise fail(f"label {label!r} must be UPPER_SNAKE_CASE")
    if not 0 < raw.get("window", 80) <= 1000:
        raise fail("'window' must be between 1 and 1000 characters")

    # Every pattern is compiled here to check it; the engine compiles its own copy lazily.
    flags = WORD_FLAGS if raw.get("caseless", False) else re.ASCII
    compiled = []
    for pattern in raw["patterns"]:
        try:
            regex = re.compile(pattern, flags)
        except re.error as exc:
            raise fail(f"pattern {pattern!r} is not a valid regular expression: {exc}") from None
        if regex.groups and "value" not in regex.groupindex:
            raise fail(f"pattern {pattern!r} has groups; name the secret part (?P<value>...)")
        if regex.match(""):
            raise fail(f"pattern {pattern!r} matches the empty string")
        compiled.append(regex)
    max_width = raw.get("max_width")
    if max_width is not None:
        if max_width <= 0:
            raise fail("'max_width' must be a positive number of characters")
        # The engine looks for a match no further back than this from where Hyperscan saw
        # one end: a bound that the rule's own examples break would lose findings.
        for example in raw["examples"]:
            for regex in compiled:
                for match in regex.finditer(example):
                    if match.end() - match.start() > max_width:
                        raise fail(
                            f"max_width {max_width} is shorter than a match of "
                            f"{len(match.group())} characters in an example"
                        )

    keywords = tuple(raw.get("keywords", ()))
    return Rule(
        id=rule_id,
        name=raw["name"],
        category=raw["category"],
        severity=raw["severity"],
        patterns=tuple(raw["patterns"]),
        source=source,
        label=label,
        country=raw.get("country"),
        provider=raw.get("provider"),
        caseless=raw.get("caseless", False),
        keywords=keywords,
        context=raw.get("context", "optional"),
        window=raw.get("window", 80),
        validator=validator,
        entropy_min=raw.get("entropy_min"),
        confidence=raw.get("confidence", "medium"),
        priority=raw.get("priority", 0),
        allow=frozenset(raw.get("allow", ())),
        aggregate=raw.get("aggregate"),
        max_width=max_width,
        description=raw.get("description", ""),
        examples=tuple(raw["examples"]),
        negative_examples=tuple(raw["negative_examples"]),
        checked=tuple(compiled),
    )


def _one_of(value: Any, allowed: Sequence[str], key: str, fail: Any) -> None:
    if value not in allowed:
        raise fail(f"{key!r} is {value!r}; expected one of {', '.join(allowed)}")


class RuleFile(NamedTuple):
    """A rule file as read: its path, its bytes, and whether it is a custom one (not shipped)."""

    path: Path
    data: bytes
    custom: bool


def load_file(path: Path, data: bytes | None = None) -> list[Rule]:
    """Load every rule of one YAML file (of `data`, its bytes, when read already): a mapping
    with a single key `rules`."""
    import yaml  # here: a start from the start-up cache reads no YAML

    source = str(path)
    try:
        raw = path.read_bytes() if data is None else data
        # Line ends read as a text file reads them (universal newlines).
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        document = yaml.load(text, Loader=yaml.CSafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RuleError(f"{source}: cannot read rule file: {exc}") from None
    if not isinstance(document, dict) or set(document) != {"rules"}:
        raise RuleError(f"{source}: a rule file is a mapping with the single key 'rules'")
    if not isinstance(document["rules"], list):
        raise RuleError(f"{source}: 'rules' must be a list")
    return [parse_rule(raw_rule, source) for raw_rule in document["rules"]]


def check_linear(rule: Rule) -> None:
    """Refuse a custom rule whose patterns could take super-linear time to confirm.

    Confirmation runs Python's backtracking `re`. A custom pattern must be one the linear-time
    RE2 engine accepts (no back reference, no lookaround), and must not nest a repeat of
    variable count inside another repeat (`(?:\\w+\\s?)+;`, `X(a+)+Y`), the shape whose
    backtracking is exponential. The shipped catalogue is checked by bench/pathological.py.
    """
    import re2  # google-re2

    quiet = re2.Options()
    quiet.log_errors = False  # the RuleError says it; RE2's own log would print to stderr
    for pattern in rule.patterns:
        try:
            re2.compile(pattern, quiet)
        except re2.error as exc:
            raise RuleError(
                f"{rule.source}: rule {rule.id!r}: pattern {pattern!r} is refused: a custom "
                f"pattern must be RE2 syntax, with no lookaround or back reference ({exc})"
            ) from None
        if _nested_repeat(sre_parse.parse(pattern, rule.flags)):
            raise RuleError(
                f"{rule.source}: rule {rule.id!r}: pattern {pattern!r} is refused: a repeat "
                "of variable count inside another repeat can take exponential time to "
                "confirm; bound the inner repeat ({1,64}) or drop the outer one"
            )


def _nested_repeat(parsed: Any, inside_repeat: bool = False) -> bool:
    """Whether a repeat of variable count stands inside another repeat in the parsed pattern
    (`(a+)+`, `(?:a{1,5})+`: the ways to split a run among them grow exponentially)."""
    for op, arg in parsed:
        name = str(op)
        children: list[tuple[Any, bool]] = []
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, body = arg
            if inside_repeat and (high == sre_parse.MAXREPEAT or low != high):
                return True
            children.append((body, inside_repeat or high > 1))
        elif name == "SUBPATTERN":
            children.append((arg[-1], inside_repeat))
        elif name == "BRANCH":
            children.extend((branch, inside_repeat) for branch in arg[1])
        if any(_nested_repeat(child, inner) for child, inner in children):
            return True
    return False


def read_catalogue(paths: Iterable[Path] = ()) -> list[RuleFile]:
    """The shipped rule files, then the custom ones (files, or the YAML files of folders), read:
    the bytes that `parse_catalogue` checks are those the start-up cache is keyed by."""
    shipped = sorted(RULES_DIR.rglob("*.yaml"))
    custom: list[Path] = []
    for path in paths:
        custom.extend(sorted(path.rglob("*.yaml")) if path.is_dir() else [path])
    files = []
    for path, is_custom in [(p, False) for p in shipped] + [(p, True) for p in custom]:
        try:
            files.append(RuleFile(path, path.read_bytes(), is_custom))
        except OSError as exc:
            raise RuleError(f"{path}: cannot read rule file: {exc}") from None
    return files


def parse_catalogue(files: Sequence[RuleFile]) -> list[Rule]:
    """Every rule of the files, checked; ids must be unique. Custom rules must also pass
    `check_linear`."""
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for file in files:
        for rule in load_file(file.path, file.data):
            if file.custom:
                check_linear(rule)
            if rule.id in seen:
                raise RuleError(
                    f"{file.path}: rule {rule.id!r} is already defined in {seen[rule.id]}"
                )
            seen[rule.id] = str(file.path)
            rules.append(rule)
    return rules


def load_catalogue(paths: Iterable[Path] = ()) -> list[Rule]:
    """The shipped catalogue plus any custom rule files or folders, read and checked."""
    return parse_catalogue(read_catalogue(paths))


# The fields that make a Rule (the others are derived from them), and those of them that hold
# a tuple: a record of the start-up cache (detectors/catalogue_cache.py) stores them as lists.
_RECORD_FIELDS = tuple(f.name for f in fields(Rule) if f.init and f.compare)
_RECORD_KEYS = frozenset(_RECORD_FIELDS)
_TUPLE_FIELDS = ("patterns", "keywords", "examples", "negative_examples")


def rule_record(rule: Rule) -> dict[str, Any]:
    """The rule as JSON data: `rule_from_record` makes the same Rule from it."""
    record: dict[str, Any] = {name: getattr(rule, name) for name in _RECORD_FIELDS}
    for name in _TUPLE_FIELDS:
        record[name] = list(record[name])
    record["allow"] = sorted(rule.allow)
    return record


def rule_from_record(record: dict[str, Any]) -> Rule:
    """The Rule of a `rule_record`; ValueError when the record has other fields."""
    if not isinstance(record, dict) or record.keys() != _RECORD_KEYS:
        raise ValueError("not a rule record")
    values = dict(record)
    for name in _TUPLE_FIELDS:
        values[name] = tuple(values[name])
    values["allow"] = frozenset(values["allow"])
    return Rule(**values)
