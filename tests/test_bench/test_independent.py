"""The independent corpus: made without Airlock's code, its spans true, its values checked by
python-stdnum or the published rule, its hard negatives failing those checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.evaluate import Report, evaluate, independent_prompts, score
from bench.independent import pii
from bench.records import Prompt, Span
from detectors.engine import Engine
from detectors.findings import Finding

ROOT = Path(__file__).resolve().parents[2]


def test_the_corpus_imports_nothing_of_airlock_detectors() -> None:
    # In a fresh interpreter: the test process itself has imported detectors already.
    program = (
        "import sys\n"
        "from bench.independent import pii\n"
        "pii.prompts(3)\n"
        "print(sorted(n for n in sys.modules if n == 'detectors' or n.startswith('detectors.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_spans_lie_inside_their_texts_and_decoys_are_apart() -> None:
    prompts = pii.prompts(5)
    for prompt in prompts:
        for span in [*prompt.labels, *prompt.decoys]:
            assert 0 <= span.start < span.end <= len(prompt.text), prompt.id
            assert prompt.text[span.start : span.end].strip(), prompt.id
        for label in prompt.labels:
            assert label.category in {"pii", "health", "financial", "confidential"}
        for decoy in prompt.decoys:
            assert decoy.category == ""
            assert not any(d.start < decoy.end and decoy.start < d.end for d in prompt.labels)


def test_planted_values_pass_their_check_and_decoys_of_a_family_fail_it() -> None:
    checks = {f.kind: f.check for f in pii.FAMILIES if f.check is not None}
    planted = broken = 0
    for prompt in pii.prompts(6):
        for span in prompt.labels:
            check = checks.get(span.kind)
            if check is not None:
                planted += 1
                assert check(prompt.text[span.start : span.end]), (span.kind, prompt.id)
        for span in prompt.decoys:
            check = checks.get(span.kind)
            if check is not None:
                broken += 1
                assert not check(prompt.text[span.start : span.end]), (span.kind, prompt.id)
    assert planted > 1000 and broken > 500


def test_thirty_countries_and_every_family_planted() -> None:
    countries = {f.kind.split(":")[1][:2] for f in pii.FAMILIES if ":" in f.kind}
    assert len(countries) >= 30
    kinds = {span.kind for p in pii.prompts(8) for span in p.labels}
    assert {f.kind for f in pii.FAMILIES} <= kinds
    assert {"phone", "email", "ip", "iban", "card", "marking"} <= kinds


def test_same_seed_same_corpus() -> None:
    first = [p.labelled() for p in pii.prompts(9)[:200]]
    assert first == [p.labelled() for p in pii.prompts(9)[:200]]
    assert first != [p.labelled() for p in pii.prompts(10)[:200]]


def _finding(category: str, start: int, end: int) -> Finding:
    return Finding("rule", category, "high", "LABEL", start, end, "medium", "x***", "h")


def test_a_finding_on_a_decoy_counts_against_the_decoys_family() -> None:
    prompt = Prompt(
        "p",
        "PESEL 44051401359, old PESEL 44051401358",
        labels=[Span(6, 17, "pii", "national_id:PL")],
        decoys=[Span(29, 40, "", "national_id:PL")],
    )
    report = Report(scored_categories=frozenset({"pii"}))
    score(prompt, [_finding("pii", 6, 17), _finding("pii", 29, 40), _finding("code", 0, 5)], report)
    family = report.by_kind["national_id:PL"]
    assert (family.findings, family.true_findings, family.labels, family.found_labels) == (
        2,
        1,
        1,
        1,
    )
    assert report.unscored == {"code": 1}  # a category the corpus does not plant


def test_independent_prompts_gather_the_corpora_present() -> None:
    prompts, sources = independent_prompts(12)
    assert "bench.independent.pii" in sources
    assert len(prompts) >= len(pii.prompts(12))


def test_personal_data_evaluation_meets_the_goal_on_another_seed(engine_cache_dir: Path) -> None:
    engine = Engine(hash_key=b"airlock-tests-independent", cache_dir=engine_cache_dir)
    prompts = pii.prompts(11)
    categories = frozenset(label.category for p in prompts for label in p.labels)
    report = evaluate(prompts, engine, categories)
    assert report.failing() == [] and report.failing_kinds() == [], (
        report.failing(),
        report.failing_kinds(),
    )
