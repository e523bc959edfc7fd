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


@dataclass(frozen=True, slots=True)
class Dictionary:
    name: str
    terms: tuple[str, ...]
    category: str = "confidential"
    severity: str = "high"
    caseless: bool = True

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise RuleError(f"dictionary {self.name!r}: name must be lowercase words")
        if self.category not in CATEGORIES or self.severity not in SEVERITIES:
            raise RuleError(f"dictionary {self.name!r}: unknown category or severity")
        if any(not term.strip() for term in self.terms):
            raise RuleError(f"dictionary {self.name!r}: empty term")

    @classmethod
    def from_file(cls, path: Path, category: str = "confidential") -> Dictionary:
        """One term per line; blank lines and lines starting with '#' are skipped.

        The dictionary is named after the file (`customers.txt` -> `customers`).
        """
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise RuleError(f"{path}: cannot read dictionary: {exc}") from None
        kept = (line.strip() for line in lines)
        terms = tuple(dict.fromkeys(t for t in kept if t and not t.startswith("#")))
        return cls(name=path.stem.lower(), terms=terms, category=category)

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
