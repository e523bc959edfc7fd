"""What a scan costs when other work has evicted the CPU caches, as Faust's does in the worker.

In `airlock worker` a prompt's scan and decision cost about 1.6 times what bench/process.py
measures in a tight loop while the consumer is behind, and about 3.7 times at a steady 1,000
events/s, where batches are a few events long and Faust's fetcher and producer run between
them (py-spy on the worker of bench/pipeline.py). This benchmark shows where that goes: each
step is timed on the same prompts twice, back to back ("warm") and with a 16 MiB buffer copied
before every prompt ("cold": the copy pushes the Hyperscan database, the rules and the
interpreter's own state out of the L1 and L2 caches and most of the L3 a core gets here):
(a) raw Hyperscan on the engine's database, counting matches;
(b) `Engine.scan`;
(c) `Pipeline.process` on the prompt as a prompt event.
It prints µs per prompt (best of --rounds), cold / warm, and the share of each cold step that
(a) is: the database's footprint, not our Python, is what a cold cache makes dear.

    python -m bench.cache [--prompts 600] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from airlock.config import Settings
from bench.corpus import throughput_corpus
from detectors.engine import Engine
from detectors.hyperscan_db import Scanner
from streams.pipeline import Pipeline
from streams.policy import PolicyStore
from streams.produce import Defaults, wrap

HASH_KEY = b"airlock-bench-cache"
EVICTION_BYTES = 16 << 20
PROMPTS_TOPIC = "airlock.prompts"


def timed(step: Callable[[int], Any], count: int, evict: Callable[[], None] | None) -> float:
    """Mean seconds of step(i) over i < count, with `evict` run (untimed) before each."""
    clock = time.perf_counter
    total = 0.0
    for i in range(count):
        if evict is not None:
            evict()
        started = clock()
        step(i)
        total += clock() - started
    return total / count


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.cache",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--prompts", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3, help="the best round counts")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    settings = Settings()
    engine = Engine(hash_key=HASH_KEY, cache_dir=settings.cache_dir)
    pipeline = Pipeline(engine, PolicyStore(settings.policy_dir), settings.max_event_bytes)
    prompts = throughput_corpus(args.seed, megabytes=args.prompts * 1.1e-3)[: args.prompts]
    texts = [p.text for p in prompts]
    blocks = [t.encode("utf-8", "surrogatepass") for t in texts]
    now_ms = int(time.time() * 1000)
    events = [orjson.dumps(wrap(p.plain(), Defaults(), now_ms=now_ms)) for p in prompts]

    database = engine.database
    scanner = Scanner(database, [])
    steps: dict[str, Callable[[int], Any]] = {
        "(a) raw Hyperscan": lambda i: scanner.count(blocks[i]),
        "(b) Engine.scan": lambda i: engine.scan(texts[i]),
        "(c) Pipeline.process": lambda i: pipeline.process(
            events[i], topic=PROMPTS_TOPIC, partition=0, offset=i
        ),
    }
    source = bytearray(EVICTION_BYTES)
    target = bytearray(EVICTION_BYTES)

    def evict() -> None:
        target[:] = source

    for step in steps.values():  # warm-up: lazily built state, first-use compiles
        timed(step, len(texts), None)
    best = {name: [float("inf"), float("inf")] for name in steps}
    for _ in range(args.rounds):
        for name, step in steps.items():
            best[name][0] = min(best[name][0], timed(step, len(texts), None))
            best[name][1] = min(best[name][1], timed(step, len(texts), evict))

    size = database.size / 1e6
    print(
        f"{len(texts)} prompts of ~1 KiB, {len(engine.rules)} rules, Hyperscan database "
        f"{size:.1f} MB; cold: a {EVICTION_BYTES >> 20} MiB copy before each prompt"
    )
    print(f"{'step':<24}{'warm us':>9}{'cold us':>9}{'cold/warm':>11}{'(a) of cold':>13}")
    raw_cold = best["(a) raw Hyperscan"][1]
    for name, (warm, cold) in best.items():
        print(
            f"{name:<24}{warm * 1e6:>9.1f}{cold * 1e6:>9.1f}{cold / warm:>10.1f}x"
            f"{raw_cold / cold:>13.0%}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
