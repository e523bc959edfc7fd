"""`airlock worker`: run the Faust app that decides prompt events, configured from AIRLOCK_*.

Startup fails fast, with one line naming what is wrong, on a bad configuration, rule or policy
file (exit 2); the topics are created if missing, /metrics, /healthz and /readyz are served,
and the Faust worker runs until SIGTERM or SIGINT, when it stops consuming, commits what is
delivered and exits.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2

log = logging.getLogger("airlock.worker")

# Libraries that print message keys and values at DEBUG level (faust's producer logs every value
# it sends): they never log below INFO, whatever `log_level` says, so no payload reaches a log.
CHATTY_LOGGERS = ("faust", "aiokafka", "kafka", "mode", "asyncio")


def add_parser(subparsers: Any) -> None:
    worker = subparsers.add_parser(
        "worker",
        help="run the stream worker: prompt events in, decisions, alerts and dead letters out",
        description="Consume prompt events from the prompts topic and publish a decision for "
        "each (plus OCSF alerts and dead letters), at least once. Configured by AIRLOCK_* "
        "environment variables and the optional file named by AIRLOCK_CONFIG (or --config). "
        "Serves Prometheus metrics on AIRLOCK_METRICS_HOST:AIRLOCK_METRICS_PORT. "
        "Exit status: 0 after SIGTERM/SIGINT, 1 when the worker crashed, 2 on a configuration, "
        "rule or policy error.",
    )
    worker.add_argument(
        "--config", type=Path, metavar="FILE", help="YAML configuration file (AIRLOCK_CONFIG)"
    )
    worker.set_defaults(handler=run_worker)


def configure_logging(level_name: str) -> int:
    level = logging.getLevelName(level_name.upper())
    if not isinstance(level, int):
        raise ValueError(f"log_level={level_name!r}: expected DEBUG, INFO, WARNING or ERROR")
    logging.basicConfig(
        level=level, format="[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s"
    )
    logging.getLogger("airlock").setLevel(level)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.INFO))
    return level


def fail(message: str) -> int:
    """Say why the worker cannot start, on one line; the exit status for it."""
    print(f"airlock worker: {message}", file=sys.stderr)
    return EXIT_CONFIG


def run_worker(args: argparse.Namespace) -> int:
    # Heavy imports here, so that `airlock --help` stays fast.
    from airlock.config import Settings, describe_errors
    from streams.topics import TopicError, Topics, create_topics

    if args.config is not None:
        os.environ["AIRLOCK_CONFIG"] = str(args.config)
    try:
        settings = Settings()
        level = configure_logging(settings.log_level)
    except ValidationError as exc:
        return fail(f"bad configuration: {describe_errors(exc)}")
    except (ValueError, OSError) as exc:
        return fail(f"bad configuration: {exc}")

    from streams.metrics import Metrics
    from streams.pipeline import DEADLETTER_REASONS

    if settings.hash_key is None:
        log.warning(
            "AIRLOCK_HASH_KEY is not set: value hashes use a random per-process key and do "
            "not correlate across workers or restarts"
        )
    from airlock.startup import StartError, load_pipeline

    try:
        pipeline = load_pipeline(settings)
    except StartError as exc:
        return fail(str(exc))

    topics = Topics.from_prefix(settings.topic_prefix)
    try:
        created = create_topics(settings, topics)
    except TopicError as exc:
        return fail(str(exc))
    if created:
        log.info("created topics %s", ", ".join(created))

    metrics = Metrics(DEADLETTER_REASONS)
    for tenant, error in pipeline.policies.load_errors:
        metrics.policy_load_errors.labels(tenant=tenant).inc()
        log.error("policy load failed: %s", error)
    try:
        metrics.serve(settings.metrics_host, settings.metrics_port)
    except OSError as exc:
        return fail(
            f"cannot serve metrics on {settings.metrics_host}:{settings.metrics_port}: "
            f"{exc.strerror or exc} (set AIRLOCK_METRICS_PORT)"
        )

    from streams.app import build_app

    app = build_app(settings, pipeline=pipeline, metrics=metrics, topics=topics)
    log.info(
        "worker starting: group %s, %s -> %s, %s, %s; policies for %s%s; %d rules; "
        "metrics on http://%s:%d/metrics",
        settings.group_id,
        topics.prompts,
        topics.decisions,
        topics.alerts,
        topics.deadletter,
        ", ".join(pipeline.policies.tenants),
        " (monitor only)" if settings.monitor_only else "",
        len(pipeline.engine.rules),
        settings.metrics_host,
        settings.metrics_port,
    )
    return run_faust_worker(app, level)


def run_faust_worker(app: Any, level: int) -> int:
    """Run the Faust worker until it stops; return the exit status."""
    import faust

    class Worker(faust.Worker):
        def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
            # mode configures logging again at startup: keep the libraries at INFO or above.
            super().on_setup_root_logger(logger, level)
            _restrict_chatty(level)

    worker = Worker(app, loglevel=logging.getLevelName(level), quiet=True)
    # Everything loaded so far (rules, policies, Faust) lives as long as the process: move it out
    # of the garbage collector's sight, so that a full collection scans only what the stream
    # allocates. Without this, full collections paused the worker for up to ~200 ms
    # (bench/pipeline.py: p99 latency at 1,000 events/s).
    gc.collect()
    gc.freeze()
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        code = exc.code
        status = code if isinstance(code, int) else (EXIT_OK if code is None else EXIT_FAILED)
    else:  # pragma: no cover - execute_from_commandline always exits
        status = EXIT_OK
    crashed = getattr(app, "crash_reason", None) is not None
    if crashed and status == EXIT_OK:
        status = EXIT_FAILED
    log.info("worker stopped (exit status %d)", status)
    return status


def _restrict_chatty(level: int) -> None:
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.INFO))
