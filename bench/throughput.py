"""Scan throughput on one core: Airlock against raw Hyperscan, Presidio, a `re` loop, Kingfisher.

Everything runs in one process on the same generated corpus of ~1 KiB realistic prompts
(bench.corpus, ~12% of them carrying sensitive values), after a warm-up, timed with
time.perf_counter. MB is 10**6 bytes of UTF-8 text. The slow peers are timed on a prefix of the
corpus and say so. Kingfisher is a separate program: its figure is whole-process wall time
over the same prompts written to one file, with its rule cache warmed first. Airlock, raw
Hyperscan and Presidio take turns for --rounds passes (5) and the best pass of each counts;
every round prints its own rates and the host's steal share (bench/host.py), so the spread shows.

    python -m bench.throughput --megabytes 20
    python -m bench.throughput --megabytes 5 --profile   # plus a cProfile of Engine.scan
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from bench.corpus import THROUGHPUT_SENSITIVE_SHARE, throughput_corpus
from bench.host import StealMeter
from detectors.engine import Engine
from detectors.hyperscan_db import Scanner

HASH_KEY = b"airlock-bench-throughput"
WARMUP_PROMPTS = 300


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    megabytes: float
    seconds: float
    findings: int
    note: str = ""

    @property
    def rate(self) -> float:
        return self.megabytes / self.seconds if self.seconds else float("nan")


def _prefix(texts: Sequence[str], megabytes: float) -> list[str]:
    """The first prompts of the corpus, about `megabytes` MB of them."""
    out: list[str] = []
    size = 0
    for text in texts:
        if size >= megabytes * 1e6:
            break
        out.append(text)
        size += len(text.encode("utf-8"))
    return out


def _size(texts: Sequence[str]) -> float:
    return sum(len(t.encode("utf-8")) for t in texts) / 1e6


def bench_airlock(engine: Engine, texts: Sequence[str]) -> Result:
    """One pass of Engine.scan over the corpus, with no clock call per prompt (like the raw
    Hyperscan loops)."""
    for text in texts[:WARMUP_PROMPTS]:
        engine.scan(text)
    found = 0
    clock = time.perf_counter
    started = clock()
    for text in texts:
        found += len(engine.scan(text))
    elapsed = clock() - started
    return Result("Airlock Engine.scan (full catalogue)", _size(texts), elapsed, found)


def airlock_latencies(engine: Engine, texts: Sequence[str]) -> list[float]:
    """Seconds per prompt, from a pass of its own."""
    clock = time.perf_counter
    latencies: list[float] = []
    for text in texts:
        t0 = clock()
        engine.scan(text)
        latencies.append(clock() - t0)
    return latencies


def bench_hyperscan(engine: Engine, texts: Sequence[str], encode: bool) -> Result:
    """Hyperscan alone on the engine's database, through Airlock's binding, counting matches in
    C: the limit for any post-processing."""
    scanner = Scanner(engine.database, [])
    data = [t.encode("utf-8", "surrogatepass") for t in texts]
    for block in data[:WARMUP_PROMPTS]:
        scanner.count(block)
    hits = 0
    clock = time.perf_counter
    if encode:
        started = clock()
        for text in texts:
            hits += scanner.count(text.encode("utf-8", "surrogatepass"))
        elapsed = clock() - started
        name = "raw Hyperscan, same database, incl. str->bytes encode"
    else:
        started = clock()
        for block in data:
            hits += scanner.count(block)
        elapsed = clock() - started
        name = "raw Hyperscan, same database, pre-encoded bytes"
    return Result(name, _size(texts), elapsed, hits, "pattern hits, not findings")


def bench_re_loop(engine: Engine, texts: Sequence[str], note: str) -> Result:
    regexes = [regex for rule in engine.rules for regex in rule.compiled]
    for text in texts[:50]:
        for regex in regexes:
            for _ in regex.finditer(text):
                pass
    found = 0
    clock = time.perf_counter
    started = clock()
    for text in texts:
        for regex in regexes:
            for _ in regex.finditer(text):
                found += 1
    elapsed = clock() - started
    return Result(f"Python re loop, {len(regexes)} patterns", _size(texts), elapsed, found, note)


def presidio_analyzer() -> Any:
    """Presidio's AnalyzerEngine with its English pattern recognizers only, no model download.

    A blank spaCy pipeline stands in for the NLP model (tokenizer only); the NER recognizer and
    the phone recognizer (not a pattern recognizer) are removed; tldextract uses its bundled
    suffix list instead of fetching one.
    """
    import spacy
    import tldextract
    import tldextract.tldextract
    from presidio_analyzer import AnalyzerEngine, PatternRecognizer
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    tldextract.tldextract.TLD_EXTRACTOR = offline
    tldextract.extract = offline  # type: ignore[assignment]

    class BlankSpacyNlpEngine(SpacyNlpEngine):
        def load(self) -> None:
            self.nlp = cast(Any, {"en": spacy.blank("en")})

    nlp_engine = BlankSpacyNlpEngine(models=[{"lang_code": "en", "model_name": "blank"}])
    nlp_engine.load()
    analyzer = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])
    recognizer: Any
    for recognizer in list(analyzer.registry.recognizers):
        if not isinstance(recognizer, PatternRecognizer):
            analyzer.registry.remove_recognizer(recognizer.name)
    return analyzer


def bench_presidio(analyzer: Any, texts: Sequence[str], note: str) -> Result:
    for text in texts[:20]:
        analyzer.analyze(text, language="en")
    found = 0
    clock = time.perf_counter
    started = clock()
    for text in texts:
        found += len(analyzer.analyze(text, language="en"))
    elapsed = clock() - started
    recognizers = len(analyzer.registry.recognizers)
    return Result(
        f"Presidio AnalyzerEngine, {recognizers} pattern recognizers",
        _size(texts),
        elapsed,
        found,
        note,
    )


def kingfisher_binary() -> str | None:
    here = Path(sys.executable).parent / "kingfisher"
    return str(here) if here.exists() else shutil.which("kingfisher")


def bench_kingfisher(texts: Sequence[str], jobs: int | None, workdir: Path) -> Result | None:
    binary = kingfisher_binary()
    if binary is None:
        return None
    corpus = workdir / "prompts.txt"
    if not corpus.exists():
        corpus.write_text("\n\n".join(texts), encoding="utf-8")
        (workdir / "warmup.txt").write_text("\n\n".join(texts[:100]), encoding="utf-8")
    cache = workdir / "rule-cache"
    report = workdir / "findings.jsonl"

    def run(path: Path) -> float:
        command = [
            binary,
            "scan",
            str(path),
            "--no-validate",
            "--format",
            "jsonl",
            "--no-update-check",
            "--rule-cache-dir",
            str(cache),
            "-o",
            str(report),
        ]
        if jobs is not None:
            command += ["--jobs", str(jobs)]
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        return time.perf_counter() - started

    run(workdir / "warmup.txt")  # compiles and caches its rule database
    elapsed = run(corpus)
    findings = sum(1 for line in report.read_text(encoding="utf-8").splitlines() if line.strip())
    threads = f"--jobs {jobs}" if jobs is not None else "default jobs (2 threads)"
    return Result(
        f"Kingfisher scan FILE --no-validate, {threads}",
        corpus.stat().st_size / 1e6,
        elapsed,
        findings,
        "whole process wall time",
    )


def profile_airlock(engine: Engine, texts: Sequence[str], top: int = 25) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for text in texts:
        engine.scan(text)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def round_summary(round_: int, timings: Sequence[Result], meter: StealMeter) -> str:
    """One round's rates and goal ratios, so that the spread between rounds shows."""
    airlock, raw = timings[0], timings[1]
    line = (
        f"round {round_}: Airlock {airlock.rate:.2f} MB/s, raw Hyperscan {raw.rate:.2f} MB/s "
        f"({airlock.rate / raw.rate:.2f}x)"
    )
    presidio = next((t for t in timings if t.name.startswith("Presidio")), None)
    if presidio is not None:
        line += f", Presidio {presidio.rate:.2f} MB/s ({airlock.rate / presidio.rate:.0f}x)"
    return f"{line}; {meter.describe()}"


def render(results: Sequence[Result], airlock: Result, latencies: Sequence[float]) -> str:
    lines = [
        f"{'scanner':<62}{'MB':>7}{'seconds':>9}{'MB/s':>9}{'found':>9}  note",
    ]
    for r in results:
        lines.append(
            f"{r.name:<62}{r.megabytes:>7.2f}{r.seconds:>9.2f}{r.rate:>9.2f}{r.findings:>9}  "
            f"{r.note}"
        )
    lines.append("")
    goals = {"raw Hyperscan, same database, pre-encoded bytes": ">= 0.5", "Presidio": ">= 100"}
    for r in results:
        if r is airlock:
            continue
        goal = next((g for key, g in goals.items() if r.name.startswith(key)), "")
        ratio = airlock.rate / r.rate if r.rate else float("nan")
        lines.append(f"Airlock / {r.name:<60} {ratio:9.2f}x  {'goal ' + goal if goal else ''}")
    micro = [s * 1e6 for s in latencies]
    lines += [
        "",
        f"Airlock per-prompt latency: p50 {percentile(micro, 50):.0f} us, "
        f"p99 {percentile(micro, 99):.0f} us, p99.9 {percentile(micro, 99.9):.0f} us, "
        f"mean {statistics.fmean(micro):.0f} us, max {max(micro):.0f} us",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.throughput",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--megabytes", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--presidio-megabytes", type=float, default=0.5)
    parser.add_argument("--re-megabytes", type=float, default=1.0)
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["presidio", "re", "kingfisher"],
        help="leave a peer out",
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="interleaved Airlock / raw Hyperscan passes"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile Engine.scan afterwards")
    args = parser.parse_args(argv)

    def step(message: str) -> None:
        print(f"... {message}", file=sys.stderr, flush=True)

    step(f"generating {args.megabytes} MB of prompts")
    prompts = throughput_corpus(args.seed, args.megabytes)
    texts = [p.text for p in prompts]
    sensitive = sum(1 for p in prompts if p.labels) / len(prompts)
    step("compiling the catalogue")
    started = time.perf_counter()
    engine = Engine(hash_key=HASH_KEY)
    compile_seconds = time.perf_counter() - started
    print(
        f"corpus: {len(texts)} prompts, {_size(texts):.2f} MB, mean "
        f"{_size(texts) * 1e6 / len(texts):.0f} bytes, {sensitive:.1%} carrying sensitive values "
        f"(target {THROUGHPUT_SENSITIVE_SHARE:.0%}); catalogue: {len(engine.rules)} rules, "
        f"compiled in {compile_seconds:.1f} s; "
        f"one core, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs seen, load average {os.getloadavg()[0]:.1f}"
    )
    # The machine's speed drifts over minutes: Airlock and its two goal peers take turns, and
    # the best pass of each counts, so that their ratios compare like with like.
    # Presidio, the slowest, runs on a prefix of the corpus in the same rounds, so that its
    # ratio too compares passes taken minutes apart at most.
    analyzer = presidio_analyzer() if "presidio" not in args.skip else None
    presidio_texts = _prefix(texts, args.presidio_megabytes)
    presidio_note = f"first {_size(presidio_texts):.2f} MB only"
    best: dict[str, Result] = {}
    for round_ in range(1, args.rounds + 1):
        step(f"Airlock, raw Hyperscan and Presidio, round {round_} of {args.rounds}")
        with StealMeter() as meter:
            timings = [
                bench_airlock(engine, texts),
                bench_hyperscan(engine, texts, encode=False),
                bench_hyperscan(engine, texts, encode=True),
            ]
            if analyzer is not None:
                timings.append(bench_presidio(analyzer, presidio_texts, presidio_note))
        print(round_summary(round_, timings, meter), flush=True)
        for timed in timings:
            if timed.name not in best or timed.seconds < best[timed.name].seconds:
                best[timed.name] = timed
    results: list[Result] = list(best.values())
    airlock = results[0]
    latencies = airlock_latencies(engine, texts)
    if "re" not in args.skip:
        subset = _prefix(texts, args.re_megabytes)
        step(f"re loop on {_size(subset):.2f} MB")
        results.append(bench_re_loop(engine, subset, f"first {_size(subset):.2f} MB only"))
    if "kingfisher" not in args.skip:
        with tempfile.TemporaryDirectory(prefix="airlock-bench-") as workdir:
            for jobs in (None, 1):
                step(f"Kingfisher jobs={jobs or 'default'}")
                result = bench_kingfisher(texts, jobs, Path(workdir))
                if result is None:
                    print("kingfisher not installed (pip install kingfisher-bin): skipped")
                    break
                results.append(result)
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} (other processes share the cores)")
    print(render(results, airlock, latencies))
    if args.profile:
        subset = _prefix(texts, min(args.megabytes, 5.0))
        print(f"\ncProfile of Engine.scan over {_size(subset):.2f} MB (top by own time):")
        print(profile_airlock(engine, subset))
    return 0


if __name__ == "__main__":
    sys.exit(main())
