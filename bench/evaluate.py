"""Detection quality: the full engine over the labelled corpus, per-category precision and recall.

A finding matches a label when their spans overlap and their categories agree. Precision counts
findings, recall counts labels. The worst false positives (by detector) and false negatives (by
planted kind) are listed with masked previews only: a raw planted value is never printed.
Exit status 1 when any category with labels or findings is below the goal (0.97 precision and
recall), 2 when the catalogue does not load.

`--independent` scores the corpora of bench/independent/ instead, made without Airlock's rules
or validators (python-stdnum's check digits, phonenumbers' example numbers, published formats):
bench.independent.pii and, when present, bench.independent.secrets. It prints precision and
recall per category and per planted family (kind), and fails below the goal in either. Only the
categories those corpora plant are scored; findings of other categories (a pasted snippet is
also source code) are counted apart. A finding's family is that of the label or decoy it
overlaps, so a value with a broken check digit that is reported counts against its family.

    python -m bench.evaluate                     # 2,000 prompts, seed 7, generated in memory
    python -m bench.evaluate --corpus FILE.jsonl # a labelled corpus from bench.corpus
    python -m bench.evaluate --independent       # the independent corpora, seed 7
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.corpus import Prompt, from_record, labelled_corpus, skipped_kinds
from detectors.engine import Engine
from detectors.findings import Finding
from detectors.masking import mask
from detectors.rules import CATEGORIES, RuleError

GOAL = 0.97
HASH_KEY = b"airlock-bench-evaluate"


@dataclass(slots=True)
class Tally:
    findings: int = 0
    true_findings: int = 0
    labels: int = 0
    found_labels: int = 0

    @property
    def precision(self) -> float | None:
        return self.true_findings / self.findings if self.findings else None

    @property
    def recall(self) -> float | None:
        return self.found_labels / self.labels if self.labels else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None or p + r == 0:
            return None
        return 2 * p * r / (p + r)

    def add(self, other: Tally) -> None:
        self.findings += other.findings
        self.true_findings += other.true_findings
        self.labels += other.labels
        self.found_labels += other.found_labels


@dataclass(slots=True)
class Miss:
    """Counts and a few masked examples of one kind of error."""

    count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, example: str, keep: int = 3) -> None:
        self.count += 1
        if len(self.examples) < keep and example not in self.examples:
            self.examples.append(example)


@dataclass(slots=True)
class Report:
    by_category: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_kind: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    false_positives: dict[str, Miss] = field(default_factory=lambda: defaultdict(Miss))
    false_negatives: dict[str, Miss] = field(default_factory=lambda: defaultdict(Miss))
    # Findings of categories no label of the corpus has: not scored, counted (--independent).
    unscored: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    scored_categories: frozenset[str] | None = None  # None: every category
    prompts: int = 0
    characters: int = 0
    seconds: float = 0.0

    @property
    def overall(self) -> Tally:
        total = Tally()
        for tally in self.by_category.values():
            total.add(tally)
        return total

    def failing(self, goal: float = GOAL) -> list[str]:
        """Categories below the goal in precision or recall."""
        return [
            category
            for category, tally in sorted(self.by_category.items())
            if any(v is not None and v < goal for v in (tally.precision, tally.recall))
        ]

    def failing_kinds(self, goal: float = GOAL) -> list[str]:
        """Planted families below the goal in precision or recall."""
        return [
            kind
            for kind, tally in sorted(self.by_kind.items())
            if any(v is not None and v < goal for v in (tally.precision, tally.recall))
        ]


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def _describe(finding: Finding, prompt: Prompt) -> str:
    """Why a finding is false: what it overlaps (a decoy, a label of another category) or not."""
    for decoy in prompt.decoys:
        if _overlaps(finding.start, finding.end, decoy.start, decoy.end):
            return f"{finding.masked} on decoy {decoy.kind}"
    for label in prompt.labels:
        if _overlaps(finding.start, finding.end, label.start, label.end):
            return f"{finding.masked} on a {label.category} label ({label.kind})"
    return f"{finding.masked} on unlabelled text"


def _family(finding: Finding, prompt: Prompt, true: bool) -> str:
    """The planted family a finding counts for: the label it found, else the label or decoy it
    overlaps, else none."""
    for span in prompt.labels if true else (*prompt.labels, *prompt.decoys):
        overlaps = _overlaps(finding.start, finding.end, span.start, span.end)
        if overlaps and (not true or span.category == finding.category):
            return span.kind
    return "(unlabelled text)"


def score(prompt: Prompt, findings: Sequence[Finding], report: Report) -> None:
    """Add one prompt's findings and labels to the report."""
    scored = report.scored_categories
    for finding in findings:
        if scored is not None and finding.category not in scored:
            report.unscored[finding.category] += 1
            continue
        tally = report.by_category[finding.category]
        tally.findings += 1
        true = any(
            label.category == finding.category
            and _overlaps(finding.start, finding.end, label.start, label.end)
            for label in prompt.labels
        )
        kind = report.by_kind[_family(finding, prompt, true)]
        kind.findings += 1
        if true:
            tally.true_findings += 1
            kind.true_findings += 1
        else:
            report.false_positives[finding.detector].add(_describe(finding, prompt))
    for label in prompt.labels:
        hits = [f for f in findings if _overlaps(f.start, f.end, label.start, label.end)]
        found = any(f.category == label.category for f in hits)
        for tally in (report.by_category[label.category], report.by_kind[label.kind]):
            tally.labels += 1
            tally.found_labels += found
        if not found:
            preview = mask(prompt.text[label.start : label.end])
            if hits:
                preview += f" (found as {', '.join(f'{f.detector}/{f.category}' for f in hits)})"
            report.false_negatives[f"{label.category}/{label.kind}"].add(preview)


def evaluate(
    prompts: Sequence[Prompt], engine: Engine, categories: frozenset[str] | None = None
) -> Report:
    """Score the engine on the prompts; `categories`: only those (None: all of them)."""
    report = Report(scored_categories=categories)
    for category in categories if categories is not None else CATEGORIES:
        report.by_category[category]
    started = time.perf_counter()
    for prompt in prompts:
        findings = engine.scan(prompt.text)
        score(prompt, findings, report)
        report.prompts += 1
        report.characters += len(prompt.text)
    report.seconds = time.perf_counter() - started
    return report


def _fmt(value: float | None) -> str:
    return "   -  " if value is None else f"{value:6.3f}"


def render(report: Report, worst: int = 12, goal: float = GOAL, families: bool = False) -> str:
    lines = [
        f"{report.prompts} prompts, {report.characters / 1e6:.2f} M characters, scanned in "
        f"{report.seconds:.2f} s",
        "",
        f"{'category':<14}{'precision':>10}{'recall':>9}{'F1':>9}{'support':>9}{'findings':>10}",
    ]
    rows = [*sorted(report.by_category.items()), ("overall", report.overall)]
    for name, tally in rows:
        flag = ""
        if name != "overall" and name in report.failing(goal):
            flag = "  < goal"
        lines.append(
            f"{name:<14}{_fmt(tally.precision):>10}{_fmt(tally.recall):>9}{_fmt(tally.f1):>9}"
            f"{tally.labels:>9}{tally.findings:>10}{flag}"
        )
    if families:
        lines += [
            "",
            f"{'family':<30}{'precision':>10}{'recall':>9}{'support':>9}{'findings':>10}",
        ]
        failing = report.failing_kinds(goal)
        for kind, tally in sorted(report.by_kind.items()):
            flag = "  < goal" if kind in failing else ""
            lines.append(
                f"{kind:<30}{_fmt(tally.precision):>10}{_fmt(tally.recall):>9}"
                f"{tally.labels:>9}{tally.findings:>10}{flag}"
            )
        if report.unscored:
            counts = ", ".join(f"{c} {n}" for c, n in sorted(report.unscored.items()))
            lines.append(f"findings of categories not planted, not scored: {counts}")
    else:
        lines += ["", "recall by planted kind (support, recall):"]
        kinds = sorted(report.by_kind.items(), key=lambda kv: (kv[1].recall or 0, kv[0]))
        for kind, tally in kinds:
            if tally.labels:
                lines.append(f"  {kind:<30}{tally.labels:>6}  {_fmt(tally.recall)}")
    lines += ["", "worst false positives, by detector (masked):"]
    for detector, miss in sorted(report.false_positives.items(), key=lambda kv: -kv[1].count)[
        :worst
    ]:
        lines.append(f"  {detector:<34}{miss.count:>6}  e.g. {'; '.join(miss.examples)}")
    if not report.false_positives:
        lines.append("  none")
    lines += ["", "worst false negatives, by planted kind (masked):"]
    for kind, miss in sorted(report.false_negatives.items(), key=lambda kv: -kv[1].count)[:worst]:
        lines.append(f"  {kind:<34}{miss.count:>6}  e.g. {'; '.join(miss.examples)}")
    if not report.false_negatives:
        lines.append("  none")
    return "\n".join(lines)


def load_corpus(path: Path) -> list[Prompt]:
    with path.open(encoding="utf-8") as stream:
        return [from_record(json.loads(line)) for line in stream if line.strip()]


def independent_prompts(seed: int) -> tuple[list[Prompt], list[str]]:
    """The prompts of every independent corpus present, and the modules they came from."""
    prompts: list[Prompt] = []
    names = []
    for name in ("bench.independent.pii", "bench.independent.secrets"):
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        prompts += module.prompts(seed)
        names.append(name)
    return prompts, names


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.evaluate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--corpus", type=Path, help="a labelled JSONL corpus instead")
    parser.add_argument(
        "--independent",
        action="store_true",
        help="score the corpora of bench/independent/ per category and per family",
    )
    parser.add_argument("--worst", type=int, default=12, help="rows of worst errors to list")
    parser.add_argument("--goal", type=float, default=GOAL)
    args = parser.parse_args(argv)
    try:
        engine = Engine(hash_key=HASH_KEY)
    except RuleError as exc:
        print(f"bench.evaluate: {exc}", file=sys.stderr)
        return 2
    if args.independent:
        prompts, sources = independent_prompts(args.seed)
        print(f"independent corpora: {', '.join(sources)} (seed {args.seed})")
        categories = frozenset(label.category for p in prompts for label in p.labels)
        print(f"catalogue: {len(engine.rules)} rules")
        report = evaluate(prompts, engine, categories)
        print(render(report, args.worst, args.goal, families=True))
        failing = report.failing(args.goal) + report.failing_kinds(args.goal)
        if failing:
            print(f"\nbelow {args.goal:.2f} precision or recall: {', '.join(failing)}")
            return 1
        print(f"\nevery category and family at or above {args.goal:.2f} precision and recall")
        return 0
    prompts = load_corpus(args.corpus) if args.corpus else labelled_corpus(args.seed, args.count)
    skipped = [] if args.corpus else skipped_kinds()
    if skipped:
        print(f"not planted (no validator in the registry yet): {', '.join(skipped)}")
    print(f"catalogue: {len(engine.rules)} rules")
    report = evaluate(prompts, engine)
    print(render(report, args.worst, args.goal))
    failing = report.failing(args.goal)
    if failing:
        print(f"\nbelow {args.goal:.2f} precision or recall: {', '.join(failing)}")
        return 1
    print(f"\nevery category at or above {args.goal:.2f} precision and recall")
    return 0


if __name__ == "__main__":
    sys.exit(main())
