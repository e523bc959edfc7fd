"""`airlock gateway`: the command of the edge gateway (edge/gateway.py, imported when run, so
that `airlock --help` stays fast)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from streams.policy import PolicyStore

log = logging.getLogger("airlock.gateway")

EXIT_CONFIG = 2
READY_LINE = "airlock gateway ready"


def add_parser(subparsers: Any) -> None:
    gateway = subparsers.add_parser(
        "gateway",
        help="run the enforcing reverse proxy for OpenAI- and Anthropic-style APIs",
        description="Serve OpenAI Chat Completions and Responses and Anthropic Messages on "
        "--port, publish every prompt to the pipeline, enforce its decision, forward to "
        "--upstream. Settings: AIRLOCK_GATEWAY_* (README, Edge gateway). Prints "
        f"'{READY_LINE} ...' once it serves; /metrics and /healthz on the same port.",
    )
    gateway.add_argument("--upstream", help="base URL of the AI API (AIRLOCK_GATEWAY_UPSTREAM)")
    gateway.add_argument("--port", type=int, help="port to listen on (AIRLOCK_GATEWAY_PORT)")
    gateway.add_argument("--host", help="address to listen on (AIRLOCK_GATEWAY_HOST)")
    gateway.set_defaults(handler=run_gateway)


def run_gateway(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from airlock.config import Settings, describe_errors
    from streams.policy import PolicyError, PolicyStore
    from streams.worker import configure_logging

    overrides: dict[str, Any] = {}
    if args.upstream:
        overrides["gateway_upstream"] = args.upstream
    if args.port:
        overrides["gateway_port"] = args.port
    if args.host:
        overrides["gateway_host"] = args.host
    try:
        settings = Settings(**overrides)
        configure_logging(settings.log_level)
    except ValidationError as exc:
        print(f"airlock gateway: bad configuration: {describe_errors(exc)}", file=sys.stderr)
        return EXIT_CONFIG
    except (ValueError, OSError) as exc:
        print(f"airlock gateway: bad configuration: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if not settings.gateway_upstream:
        print("airlock gateway: --upstream (AIRLOCK_GATEWAY_UPSTREAM) is required", file=sys.stderr)
        return EXIT_CONFIG
    upstream = settings.gateway_upstream
    if urlsplit(upstream).scheme not in ("http", "https"):
        print(f"airlock gateway: --upstream {upstream}: expected an http(s) URL", file=sys.stderr)
        return EXIT_CONFIG
    policies: PolicyStore | None = None
    if settings.gateway_inspect_responses == "policy":
        try:
            policies = PolicyStore(settings.policy_dir, monitor_only=settings.monitor_only)
        except PolicyError as exc:
            print(f"airlock gateway: bad policy: {exc}", file=sys.stderr)
            return EXIT_CONFIG
    if settings.hash_key is None:
        log.warning(
            "AIRLOCK_HASH_KEY is not set: derived conversation ids and placeholders do not "
            "match across gateway replicas or restarts"
        )
    from edge.gateway import serve

    return asyncio.run(serve(settings, upstream, policies))
