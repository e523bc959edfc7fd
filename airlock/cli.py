"""The `airlock` command: one entry point whose subcommands live beside the code they drive."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

# Each module here exposes `add_parser(subparsers)`, which registers its subcommand and sets
# `handler` (a function taking the parsed namespace and returning the exit status).
COMMAND_MODULES = (
    "detectors.cli",
    "streams.kafka_local",
    "streams.worker",
    "streams.produce",
    "streams.tail",
    "streams.demo",
    "edge.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="airlock",
        description="Data-loss prevention for generative-AI prompts.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status: int = args.handler(args)
    except BrokenPipeError:
        # The reader went away (`airlock scan ... | head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    return status


if __name__ == "__main__":
    sys.exit(main())
