"""Tenant dictionaries: lists of terms (project code names, customer names) found as whole words.

Terms compile as literals into the same Hyperscan database as the catalogue, so a list of
100,000 terms costs one compile (cached) and adds next to nothing per scan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from detectors.rules import CATEGORIES, SEVERITIES, Rule, RuleError

_NAME = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
# Terms shorter than this, or common words, would fire on most prompts: refused unless forced.
MIN_TERM_CHARS = 3
STOP_WORDS = frozenset(
    (
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "out",
        "she",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "too",
        "up",
        "us",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "all",
        "any",
        "been",
        "both",
        "each",
        "few",
        "more",
        "most",
        "other",
        "some",
        "such",
        "only",
        "own",
        "same",
        "very",
        "just",
        "now",
        "here",
        "about",
        "after",
        "again",
        "against",
        "before",
        "below",
        "between",
        "during",
        "over",
        "under",
        "yes",
        "ok",
        "okay",
        "please",
        "thanks",
        "hello",
        "hi",
        "test",
        "data",
        "file",
        "name",
        "user",
        "project",
        "client",
        "customer",
        "team",
        "company",
        "code",
    )
)
# In a dictionary file, a term written with this prefix is kept even if short or common.
FORCE_PREFIX = "!"


@dataclass(frozen=True, slots=True)
class Dictionary:
    name: str
    terms: tuple[str, ...]
    category: str = "confidential"
    severity: str = "high"
    caseless: bool = True
    forced: frozenset[str] = frozenset()  # terms kept although short or common

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise RuleError(f"dictionary {self.name!r}: name must be lowercase words")
        if self.category not in CATEGORIES or self.severity not in SEVERITIES:
            raise RuleError(f"dictionary {self.name!r}: unknown category or severity")
        if any(not term.strip() for term in self.terms):
            raise RuleError(f"dictionary {self.name!r}: empty term")
        weak = [
            term
            for term in self.terms
            if term not in self.forced
            and (len(term) < MIN_TERM_CHARS or term.casefold() in STOP_WORDS)
        ]
        if weak:
            shown = ", ".join(repr(t) for t in weak[:5]) + (" ..." if len(weak) > 5 else "")
            raise RuleError(
                f"dictionary {self.name!r}: {len(weak)} terms shorter than {MIN_TERM_CHARS} "
                f"characters or common words would match most prompts: {shown}; write a term "
                f"as {FORCE_PREFIX}term to keep it anyway"
            )

    @classmethod
    def from_file(cls, path: Path, category: str = "confidential") -> Dictionary:
        """One term per line; blank lines and lines starting with '#' are skipped.

        The dictionary is named after the file (`customers.txt` -> `customers`).
        """
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise RuleError(f"{path}: cannot read dictionary: {exc}") from None
        kept = [line.strip() for line in lines]
        kept = [t for t in kept if t and not t.startswith("#")]
        forced = frozenset(
            t[len(FORCE_PREFIX) :].strip() for t in kept if t.startswith(FORCE_PREFIX)
        )
        terms = tuple(
            dict.fromkeys(
                t[len(FORCE_PREFIX) :].strip() if t.startswith(FORCE_PREFIX) else t for t in kept
            )
        )
        try:
            return cls(name=path.stem.lower(), terms=terms, category=category, forced=forced)
        except RuleError as exc:
            raise RuleError(f"{path}: {exc}") from None

    def rule(self) -> Rule:
        """The catalogue record its findings are reported under: `dictionary.<name>`."""
        return Rule(
            id=f"dictionary.{self.name}",
            name=f"Tenant dictionary {self.name}",
            category=self.category,
            severity=self.severity,
            patterns=(),
            source=f"dictionary {self.name}",
            label=self.name.upper().replace("-", "_"),
            caseless=self.caseless,
            confidence="high",
            priority=1,
        )
