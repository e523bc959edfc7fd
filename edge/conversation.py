"""Redaction at the edge: a decision's spans applied to the request, one placeholder mapping per
conversation, and the values put back into the model's answer, streamed or whole.

The pipeline's decision numbers placeholders per event ([EMAIL_1] is the first e-mail address
of that prompt). The gateway renumbers them per conversation with `detectors.redaction`'s own
`RedactionContext`, so a value keeps its placeholder across turns, and keeps the
placeholder-to-value mapping of the conversation in this process's memory (least recently used
first out, idle ones forgotten) to restore answers. Chat APIs resend the whole history every
turn, and the history is redacted in document order with the same context, so the numbering
is a function of the conversation itself: a replica that never saw the conversation derives
the same placeholders from the history it receives.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from detectors.findings import Finding
from detectors.redaction import PLACEHOLDER, RedactionContext, redact, restore
from edge.apis import Slot

SEPARATOR = "\n\n"  # between the texts joined into content.text
_LABEL = re.compile(r"^\[([A-Z][A-Z0-9_]*)_\d+\]$")
_PLACEHOLDER_START = re.compile(r"\[[A-Z0-9_]*\Z")
MAX_PLACEHOLDER = 64
MAX_VALUES = 4096  # placeholders one conversation remembers


@dataclass
class Conversation:
    context: RedactionContext = field(default_factory=RedactionContext)
    values: dict[str, str] = field(default_factory=dict)  # placeholder -> value
    seen: float = field(default_factory=time.monotonic)


class Conversations:
    """The conversations of this gateway process, bounded in number and idle time."""

    def __init__(self, capacity: int, ttl_s: float) -> None:
        self.capacity = capacity
        self.ttl_s = ttl_s
        self._items: OrderedDict[str, Conversation] = OrderedDict()

    def get(self, conversation_id: str) -> Conversation:
        now = time.monotonic()
        conversation = self._items.pop(conversation_id, None)
        if conversation is None or now - conversation.seen > self.ttl_s:
            conversation = Conversation()
        conversation.seen = now
        self._items[conversation_id] = conversation
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return conversation

    def __len__(self) -> int:
        return len(self._items)


def conversation_id(key: bytes, tenant: str, user: str, slots: Sequence[Slot]) -> str:
    """A conversation's id when the client names none: a keyed hash of who asks and of the
    first user message, which every later turn of a chat resends unchanged."""
    first = next((s for s in slots if s.role == "user"), slots[0] if slots else None)
    digest = hmac.new(key, digestmod=hashlib.sha256)
    for piece in (tenant, user, first.text if first is not None else ""):
        digest.update(piece.encode("utf-8", "surrogatepass") + b"\0")
    return "conv-" + digest.hexdigest()[:32]


def joined_text(slots: Sequence[Slot], separator: str = SEPARATOR) -> tuple[str, list[int]]:
    """content.text of the prompt event (the non-attachment texts, separated; the fragments of
    a streamed answer, joined as they are) and where each of those slots starts in it."""
    parts: list[str] = []
    starts: list[int] = []
    position = 0
    for slot in slots:
        text = slot.text
        starts.append(position)
        parts.append(text)
        position += len(text) + len(separator)
    return separator.join(parts), starts


def apply_redactions(
    texts: Sequence[Slot],
    starts: Sequence[int],
    attachments: Sequence[Slot],
    spans: Sequence[dict[str, Any]],
    conversation: Conversation,
    key: bytes,
) -> int:
    """Replace the decision's spans in the request's strings by the conversation's
    placeholders; return how many values were replaced."""
    per_slot: dict[int, list[tuple[int, int, str, str]]] = {}
    # A value that continues into the next slots (a secret streamed over several fragments)
    # gets its placeholder in the first one and is cut from the start of the others.
    cut: dict[int, int] = {}
    slots = [*texts, *attachments]
    for span in spans:
        start, end, placeholder, detector = (
            span["start"],
            span["end"],
            span["placeholder"],
            span["detector"],
        )
        if span["part"] == "text":
            for index, slot_start in enumerate(starts):
                slot_end = slot_start + len(texts[index].text)
                lo, hi = max(start, slot_start), min(end, slot_end)
                if lo >= hi:
                    continue
                if start < slot_start:
                    cut[index] = max(cut.get(index, 0), hi - slot_start)
                else:
                    per_slot.setdefault(index, []).append(
                        (lo - slot_start, hi - slot_start, placeholder, detector)
                    )
        else:
            index = len(texts) + int(span["part"][len("attachments[") : -1])
            if index < len(slots):
                per_slot.setdefault(index, []).append((start, end, placeholder, detector))
    replaced = 0
    # Document order: the numbering follows the conversation.
    for index in sorted(set(per_slot) | set(cut)):
        slot = slots[index]
        skip = cut.get(index, 0)
        original = slot.text[skip:]
        findings = [
            _finding(original, start - skip, end - skip, placeholder, detector, key)
            for start, end, placeholder, detector in per_slot.get(index, ())
            if skip <= start < end <= len(original) + skip
        ]
        result = redact(original, findings, conversation.context)
        slot.text = result.text
        replaced += len(result.replacements)
        if len(conversation.values) < MAX_VALUES:
            conversation.values.update(result.mapping)
    return replaced


def _finding(
    text: str, start: int, end: int, placeholder: str, detector: str, key: bytes
) -> Finding:
    match = _LABEL.match(placeholder)
    label = match.group(1) if match else "REDACTED"
    value = text[start:end].encode("utf-8", "surrogatepass")
    value_hash = hmac.new(key, value, hashlib.sha256).hexdigest()[:32]
    return Finding(detector, "", "", label, start, end, "", "", value_hash)


def restore_all(document: Any, mapping: dict[str, str]) -> Any:
    """Every string of a JSON document with the conversation's values put back."""
    if isinstance(document, str):
        return restore(document, mapping) if "[" in document else document
    if isinstance(document, list):
        return [restore_all(item, mapping) for item in document]
    if isinstance(document, dict):
        return {name: restore_all(item, mapping) for name, item in document.items()}
    return document


class StreamRestorer:
    """Restores one streamed text as it arrives: a fragment that ends in what may be the start
    of a placeholder (`...write to [EMA`) is held back until the next fragment completes or
    refutes it, so a placeholder split across chunks is still restored."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping
        self.held = ""

    def feed(self, fragment: str) -> str:
        text = self.held + fragment
        cut = len(text)
        bracket = text.rfind("[", max(0, len(text) - MAX_PLACEHOLDER))
        if bracket != -1 and _PLACEHOLDER_START.match(text, bracket):
            cut = bracket
        self.held = text[cut:]
        return restore(text[:cut], self.mapping)

    def flush(self) -> str:
        text, self.held = self.held, ""
        return restore(text, self.mapping)


def has_placeholder(text: str) -> bool:
    return PLACEHOLDER.search(text) is not None
