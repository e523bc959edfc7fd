"""The benchmark corpus: labels lie inside their texts, categories are real, a seed repeats."""

from __future__ import annotations

import json

from bench.corpus import (
    CHECKED,
    TEMPLATES,
    from_record,
    iter_jsonl,
    labelled_corpus,
    skipped_kinds,
    throughput_corpus,
)
from bench.evaluate import Report, score
from detectors.engine import Allowlist
from detectors.findings import Finding
from detectors.rules import CATEGORIES


def test_labels_and_decoys_lie_inside_their_texts() -> None:
    prompts = labelled_corpus(seed=3, count=150)
    assert any(p.labels for p in prompts) and any(not p.labels for p in prompts)
    for prompt in prompts:
        for span in [*prompt.labels, *prompt.decoys]:
            assert 0 <= span.start < span.end <= len(prompt.text), prompt.id
            assert prompt.text[span.start : span.end].strip(), prompt.id
        for label in prompt.labels:
            assert label.category in CATEGORIES
        for decoy in prompt.decoys:
            assert not any(d.start < decoy.end and decoy.start < d.end for d in prompt.labels), (
                f"{prompt.id}: decoy {decoy.kind} overlaps a label"
            )


def test_same_seed_same_corpus_other_seed_other_corpus() -> None:
    first = [p.labelled() for p in labelled_corpus(seed=11, count=40)]
    again = [p.labelled() for p in labelled_corpus(seed=11, count=40)]
    other = [p.labelled() for p in labelled_corpus(seed=12, count=40)]
    assert first == again
    assert first != other


def test_every_template_renders_in_both_languages_and_modes() -> None:
    import random

    from bench.corpus import prompt

    rng = random.Random(5)
    for name in TEMPLATES:
        for sensitive in (True, False):
            for _ in range(4):
                item = prompt(rng, 0, sensitive, template=name)
                assert item.text
                if not sensitive:
                    assert not item.labels, f"{name}: a clean prompt carries labels"


def test_planted_secrets_never_look_like_placeholders() -> None:
    allowlist = Allowlist()
    for prompt in labelled_corpus(seed=9, count=300):
        for label in prompt.labels:
            if label.category == "secret":
                assert not allowlist.is_placeholder(prompt.text[label.start : label.end]), (
                    label.kind
                )


def test_checked_values_pass_and_broken_values_fail_their_validator() -> None:
    import random

    rng = random.Random(1)
    for kind, spec in CHECKED.items():
        if kind in skipped_kinds() or spec.validator is None:
            continue
        for _ in range(5):
            assert spec.validator(spec.valid(rng)), kind
            if spec.required:
                assert not spec.validator(spec.broken(rng)), kind


def test_jsonl_round_trip() -> None:
    prompts = labelled_corpus(seed=4, count=20)
    back = [from_record(json.loads(line)) for line in iter_jsonl(prompts, labelled=True)]
    assert [p.labelled() for p in back] == [p.labelled() for p in prompts]
    plain = [json.loads(line) for line in iter_jsonl(prompts, labelled=False)]
    assert all(set(record) == {"id", "text"} for record in plain)


def test_throughput_corpus_size_and_sensitive_share() -> None:
    prompts = throughput_corpus(seed=2, megabytes=0.3)
    size = sum(len(p.text.encode()) for p in prompts)
    assert 0.3e6 <= size < 0.31e6
    assert 800 <= size / len(prompts) <= 1300
    share = sum(1 for p in prompts if p.labels) / len(prompts)
    assert 0.05 <= share <= 0.2


def _finding(detector: str, category: str, start: int, end: int) -> Finding:
    return Finding(detector, category, "high", "X", start, end, "high", "**", "00")


def test_score_matches_on_overlap_and_category() -> None:
    [prompt] = [p for p in labelled_corpus(seed=3, count=60) if len(p.labels) >= 2][:1]
    first, second = prompt.labels[0], prompt.labels[1]
    findings = [
        _finding("right", first.category, first.start + 1, first.end),  # overlap, same category
        _finding(
            "wrong",
            "confidential" if second.category != "confidential" else "pii",
            second.start,
            second.end,
        ),  # overlap, other category
    ]
    report = Report()
    score(prompt, findings, report)
    overall = report.overall
    assert overall.findings == 2 and overall.true_findings == 1
    assert overall.labels == len(prompt.labels) and overall.found_labels == 1
    assert set(report.false_positives) == {"wrong"}
