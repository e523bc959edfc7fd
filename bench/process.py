"""The worker's CPU per event without Kafka: `Engine.scan` beside `Pipeline.process` and metrics.

One process, one core, the same generated corpus as bench/throughput.py (~1 KiB prompts, ~12%
carrying sensitive values), each prompt wrapped into a prompt event the way `airlock produce`
wraps `{"id", "text"}` lines (streams.produce.wrap; tenants and AI apps vary as in
bench/pipeline.py) and serialised to bytes. Timed side by side, in rounds that alternate them:
(a) `Engine.scan` alone on the prompt texts;
(b) `Pipeline.process` on the raw bytes (checks, scan, policy, decision, alert) and the
    outputs serialized, what the worker does per event besides Kafka;
(c) the metrics the worker records once an event's outputs are delivered
    (streams.app.record_outcome, on the outcomes of (b)).
Each figure is the best round's mean µs per event, for clean prompts, prompts carrying
sensitive values and all of them; "overhead" is (b) + (c) - (a), what the worker adds to the
scan. After setup the heap is frozen (gc.freeze), as `airlock worker` does.

    python -m bench.process --megabytes 5
    python -m bench.process --megabytes 2 --profile   # plus a cProfile of Pipeline.process
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from airlock.config import Settings
from bench.corpus import throughput_corpus
from detectors.engine import Engine
from streams.app import WorkerCounts, record_outcome
from streams.metrics import Metrics
from streams.pipeline import DEADLETTER_REASONS, Outcome, Pipeline
from streams.policy import PolicyStore
from streams.produce import Defaults, wrap

HASH_KEY = b"airlock-bench-process"
WARMUP_EVENTS = 300
# The mix of bench/pipeline.py: three tenants (two with policies of their own), six AI apps.
TENANTS = ("default", "acme", "globex")
AI_APPS = ("chatgpt", "claude", "gemini", "copilot", "mistral", "perplexity")
PROMPTS_TOPIC = "airlock.prompts"


def decide(pipeline: Pipeline, value: bytes, offset: int) -> Outcome:
    """What the worker does per event besides Kafka: decide it and serialize its outputs."""
    outcome = pipeline.process(value, topic=PROMPTS_TOPIC, partition=0, offset=offset)
    for output in (outcome.decision, outcome.alert, outcome.deadletter):
        if output is not None:
            orjson.dumps(output)
    return outcome


@dataclass(frozen=True, slots=True)
class Sample:
    """The events of one kind of prompt, in the forms each step takes."""

    name: str
    texts: list[str]
    raw: list[bytes]


def samples(seed: int, megabytes: float) -> tuple[Sample, Sample]:
    """Clean prompts and prompts carrying sensitive values, as texts and as event bytes."""
    now_ms = int(time.time() * 1000)
    clean = Sample("clean", [], [])
    sensitive = Sample("sensitive", [], [])
    for i, prompt in enumerate(throughput_corpus(seed, megabytes)):
        defaults = Defaults(tenant=TENANTS[i % len(TENANTS)], app=AI_APPS[i % len(AI_APPS)])
        event = wrap(prompt.plain(), defaults, now_ms=now_ms)
        sample = sensitive if prompt.labels else clean
        sample.texts.append(prompt.text)
        sample.raw.append(orjson.dumps(event))
    return clean, sensitive


def scan_all(engine: Engine, texts: Sequence[str]) -> float:
    clock = time.perf_counter
    started = clock()
    for text in texts:
        engine.scan(text)
    return clock() - started


def process_all(pipeline: Pipeline, raw: Sequence[bytes]) -> tuple[float, float]:
    """Seconds for all the events, and the part of them `Pipeline.process` spent scanning.

    Outcomes are dropped as they come, as the worker drops them once delivered: keeping
    thousands alive would make every allocation reach for memory out of the cache.
    """
    scanning = 0.0
    clock = time.perf_counter
    started = clock()
    for offset, value in enumerate(raw):
        scanning += decide(pipeline, value, offset).scan_seconds
    return clock() - started, scanning


def record_all(metrics: Metrics, counts: WorkerCounts, outcomes: Sequence[Outcome]) -> float:
    clock = time.perf_counter
    started = clock()
    for outcome in outcomes:
        record_outcome(outcome, metrics, counts)
    return clock() - started


@dataclass
class Timings:
    """Best round, seconds per event, per step."""

    scan: float = float("inf")
    process: float = float("inf")
    inner_scan: float = float("inf")  # the scanning inside the best round of (b)
    record: float = float("inf")

    def keep_best(self, scan: float, process: tuple[float, float], record: float) -> None:
        self.scan = min(self.scan, scan)
        if process[0] < self.process:
            self.process, self.inner_scan = process
        self.record = min(self.record, record)


def measure(
    engine: Engine, pipeline: Pipeline, sample: Sample, rounds: int
) -> tuple[Timings, list[Outcome]]:
    outcomes = [decide(pipeline, value, offset) for offset, value in enumerate(sample.raw)]
    metrics = Metrics(DEADLETTER_REASONS)
    counts = WorkerCounts()
    scan_all(engine, sample.texts[:WARMUP_EVENTS])
    process_all(pipeline, sample.raw[:WARMUP_EVENTS])
    record_all(metrics, counts, outcomes[:WARMUP_EVENTS])
    timings = Timings()
    n = len(sample.raw)
    for _ in range(rounds):
        scan = scan_all(engine, sample.texts)
        elapsed, scanning = process_all(pipeline, sample.raw)
        record = record_all(metrics, counts, outcomes)
        timings.keep_best(scan / n, (elapsed / n, scanning / n), record / n)
    return timings, outcomes


COLUMNS = (
    ("(a) scan", "Engine.scan alone"),
    (
        "(b) process",
        "Pipeline.process on the event's bytes, outputs serialized",
    ),
    ("scan in (b)", "the part of (b) spent in Engine.scan"),
    ("rest of (b)", "(b) without its scan: checks, policy, decision, alert"),
    ("(c) metrics", "streams.app.record_outcome"),
    ("(b)+(c)", "the worker's CPU per event, Faust and Kafka aside"),
    ("overhead", "(b) + (c) - (a): what the worker adds to the scan"),
)


def render(results: Sequence[tuple[Sample, Timings, list[Outcome]]]) -> str:
    def row(name: str, count: int, alerts: int, t: Timings) -> str:
        both = t.process + t.record
        values = (
            t.scan,
            t.process,
            t.inner_scan,
            t.process - t.inner_scan,
            t.record,
            both,
            both - t.scan,
        )
        cells = (f"{v * 1e6:>{len(c) + 2}.1f}" for v, (c, _) in zip(values, COLUMNS, strict=True))
        return f"{name:<10}{count:>7}{alerts:>7}{''.join(cells)}"

    header = f"{'events':<10}{'count':>7}{'alerts':>7}" + "".join(f"  {c}" for c, _ in COLUMNS)
    lines = ["µs per event, best of the rounds:", header]
    weighted = Timings(0.0, 0.0, 0.0, 0.0)
    total = alerts_total = 0
    for sample, t, outcomes in results:
        n = len(sample.raw)
        alerts = sum(1 for o in outcomes if o.alert is not None)
        lines.append(row(sample.name, n, alerts, t))
        total += n
        alerts_total += alerts
        weighted.scan += t.scan * n
        weighted.process += t.process * n
        weighted.inner_scan += t.inner_scan * n
        weighted.record += t.record * n
    mean = Timings(
        weighted.scan / total,
        weighted.process / total,
        weighted.inner_scan / total,
        weighted.record / total,
    )
    lines.append(row("all", total, alerts_total, mean))
    lines.append("")
    lines += [f"{c:<12} {meaning}" for c, meaning in COLUMNS]
    return "\n".join(lines)


def profile(call: Callable[[], Any], top: int = 30) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    call()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.process",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--megabytes", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds; the best counts")
    parser.add_argument(
        "--policy-dir", type=Path, help="default: AIRLOCK_POLICY_DIR, else streams/policies"
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile Pipeline.process afterwards"
    )
    args = parser.parse_args(argv)

    def step(message: str) -> None:
        print(f"... {message}", file=sys.stderr, flush=True)

    step(f"generating {args.megabytes} MB of prompt events")
    clean, sensitive = samples(args.seed, args.megabytes)
    step("compiling the catalogue, loading the policies")
    settings = Settings()
    engine = Engine(hash_key=HASH_KEY, cache_dir=settings.cache_dir)
    policies = PolicyStore(args.policy_dir or settings.policy_dir)
    pipeline = Pipeline(engine, policies, settings.max_event_bytes)
    gc.collect()
    gc.freeze()  # as `airlock worker` does once it has loaded everything
    events = len(clean.raw) + len(sensitive.raw)
    size = sum(len(r) for r in clean.raw + sensitive.raw) / events
    print(
        f"corpus: {events} prompt events, mean {size:.0f} bytes, {len(sensitive.raw)} "
        f"({len(sensitive.raw) / events:.1%}) carrying sensitive values; policies of "
        f"{', '.join(policies.tenants)}; {len(engine.rules)} rules; one core, Python "
        f"{sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f}"
    )
    results = []
    for sample in (clean, sensitive):
        step(f"{sample.name}: {args.rounds} rounds")
        timings, outcomes = measure(engine, pipeline, sample, args.rounds)
        results.append((sample, timings, outcomes))
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (other processes share the cores)")
    print(render(results))
    if args.profile:
        raw = clean.raw + sensitive.raw
        print(f"\ncProfile of Pipeline.process over {len(raw)} events (top 30 by own time):")
        print(profile(lambda: process_all(pipeline, raw)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
