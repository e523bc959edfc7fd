"""The `airlock` command: one entry point whose subcommands live beside the code they drive."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from airlock.startup import collection_paused

# Each subcommand, and the module that registers it: the module exposes
# `add_parser(subparsers)`, which registers its subcommands and sets `handler` (a function
# taking the parsed namespace and returning the exit status). A command imports only its own
# module: `airlock scan` does not load the broker's clients or the gateway's web server.
COMMANDS = {
    "scan": "detectors.cli",
    "rules": "detectors.cli",
    "kafka": "streams.kafka_local",
    "worker": "streams.worker",
    "produce": "streams.produce",
    "tail": "streams.tail",
    "demo": "streams.demo",
    "gateway": "edge.cli",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of one command's module when `command` is one of COMMANDS, else of all of
    them (the top-level help and usage errors list every command)."""
    parser = argparse.ArgumentParser(
        prog="airlock",
        description="Data-loss prevention for generative-AI prompts.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules = [COMMANDS[command]] if command in COMMANDS else dict.fromkeys(COMMANDS.values())
    for name in modules:
        importlib.import_module(name).add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    command = arguments[0] if arguments else None
    with collection_paused(freeze=True):  # the command's imports, kept to the end
        parser = build_parser(command)
    args = parser.parse_args(arguments)
    try:
        status: int = args.handler(args)
    except BrokenPipeError:
        # The reader went away (`airlock scan ... | head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    return status


if __name__ == "__main__":
    sys.exit(main())
