"""The labelled prompt records every corpus of the benchmarks writes and bench.evaluate reads.

A module of its own, importing nothing of Airlock, so that corpora made independently of
Airlock's rules and validators (bench/independent/) can build them without loading the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    category: str  # for a decoy: "" (labelled as nothing)
    kind: str


@dataclass(slots=True)
class Prompt:
    id: str
    text: str
    labels: list[Span] = field(default_factory=list)
    decoys: list[Span] = field(default_factory=list)

    def labelled(self) -> dict[str, Any]:
        """The JSONL record: id, text, labels (start, end, category, kind), decoys."""
        return {
            "id": self.id,
            "text": self.text,
            "labels": [
                {"start": s.start, "end": s.end, "category": s.category, "kind": s.kind}
                for s in self.labels
            ],
            "decoys": [{"start": s.start, "end": s.end, "kind": s.kind} for s in self.decoys],
        }

    def plain(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text}


def from_record(record: dict[str, Any]) -> Prompt:
    """A Prompt back from a labelled JSONL record."""
    return Prompt(
        id=str(record["id"]),
        text=record["text"],
        labels=[
            Span(x["start"], x["end"], x["category"], x.get("kind", x["category"]))
            for x in record.get("labels", [])
        ],
        decoys=[
            Span(x["start"], x["end"], "", x.get("kind", "")) for x in record.get("decoys", [])
        ],
    )
