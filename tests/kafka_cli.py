"""Runs `airlock kafka ...` in-process, as the command line parses it, for the tests of
streams/kafka_local.py with and without a broker."""

from __future__ import annotations

import argparse
import random

from streams import kafka_local

# Test brokers take ports below Linux's ephemeral range (32768-60999 by default): a port in that
# range can be handed to any process's outgoing connection between the test's check and the
# broker's bind, most of all on a busy machine.
TEST_PORTS = range(20000, 32000, 2)


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="airlock")
    kafka_local.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["kafka", *argv])
    status: int = args.handler(args)
    return status


def free_port_pair() -> int:
    """A port whose next port is free too (the controller's), outside the ephemeral range."""
    for port in random.sample(TEST_PORTS, 50):
        if not kafka_local._port_in_use(port) and not kafka_local._port_in_use(port + 1):
            return port
    raise AssertionError("no two consecutive free ports on 127.0.0.1")
