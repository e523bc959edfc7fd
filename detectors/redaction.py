"""Redaction with placeholders a model can still reason about, and their restoration.

`[EMAIL_1]` tells the model an e-mail address stood there; the same value keeps the same
placeholder for as long as a RedactionContext lives (one per conversation), so "write to
[EMAIL_1]" in a reply maps back to the right person. The context remembers values by their
keyed hash only, so a pipeline may keep it for a whole conversation without holding a secret;
the placeholder-to-value mapping is built from the text at hand and returned to the caller only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from detectors.findings import Finding

PLACEHOLDER = re.compile(r"\[[A-Z][A-Z0-9_]*_\d+\]")


@dataclass
class RedactionContext:
    """Placeholder numbering shared by every redaction of one conversation."""

    placeholders: dict[str, str] = field(default_factory=dict)  # value hash -> placeholder
    counters: dict[str, int] = field(default_factory=dict)  # label -> last number used

    def placeholder(self, finding: Finding) -> str:
        known = self.placeholders.get(finding.value_hash)
        if known is not None:
            return known
        number = self.counters.get(finding.label, 0) + 1
        self.counters[finding.label] = number
        placeholder = self.placeholders[finding.value_hash] = f"[{finding.label}_{number}]"
        return placeholder


@dataclass(frozen=True, slots=True)
class Replacement:
    """Where a placeholder went: offsets into the original text, never the value."""

    start: int
    end: int
    placeholder: str
    detector: str


@dataclass(frozen=True, slots=True)
class Redacted:
    text: str
    replacements: tuple[Replacement, ...]
    mapping: dict[str, str]  # placeholder -> original value: for the caller only


def redact(
    text: str, findings: Sequence[Finding], context: RedactionContext | None = None
) -> Redacted:
    """Replace each finding's span by its placeholder.

    A finding inside one already replaced (a secret inside a redacted block of code) goes with
    it; of findings starting at the same offset, the longest is replaced.
    """
    context = context if context is not None else RedactionContext()
    parts: list[str] = []
    replacements: list[Replacement] = []
    mapping: dict[str, str] = {}
    position = 0
    for finding in sorted(findings, key=lambda f: (f.start, -f.end)):
        if finding.start < position:
            continue
        placeholder = context.placeholder(finding)
        parts.append(text[position : finding.start])
        parts.append(placeholder)
        mapping[placeholder] = text[finding.start : finding.end]
        replacements.append(Replacement(finding.start, finding.end, placeholder, finding.detector))
        position = finding.end
    parts.append(text[position:])
    return Redacted("".join(parts), tuple(replacements), mapping)


def restore(text: str, mapping: Mapping[str, str]) -> str:
    """Put the original values back wherever a model's answer repeats a known placeholder."""
    return PLACEHOLDER.sub(lambda m: mapping.get(m.group(0), m.group(0)), text)
