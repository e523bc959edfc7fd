"""Runs `airlock kafka ...` in-process, as the command line parses it, for the tests of
streams/kafka_local.py with and without a broker."""

from __future__ import annotations

import argparse

from streams import kafka_local


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="airlock")
    kafka_local.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["kafka", *argv])
    status: int = args.handler(args)
    return status
