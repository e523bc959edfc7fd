"""Fixtures of the broker-backed tests: one real local Kafka broker, started once per session."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from airlock.config import Settings
from airlock.startup import build_engine
from edge.standin import StandInServer
from streams import kafka_local
from streams.topics import create_topics
from tests.integration.pipeline_support import GatewayProcess, Namespace, WorkerProcess


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """The bootstrap address of the local broker, started if needed and left running afterwards
    (the next session, and other engineers, reuse it)."""
    return kafka_local.ensure_running()


# --- the pipeline's tests: run-unique topics, a warm rule cache, worker subprocesses ------------


@pytest.fixture(scope="session")
def warm_engine_cache() -> None:
    """Compile the detection catalogue once, into the disk cache every worker process reads, so
    that each worker the tests start loads it in milliseconds instead of compiling it again."""
    build_engine(Settings())


@pytest.fixture
def namespace(kafka_bootstrap: str) -> Iterator[Namespace]:
    """A run-unique topic prefix and consumer group, with the pipeline's topics created (and
    deleted afterwards)."""
    space = Namespace(kafka_bootstrap)
    settings = Settings(kafka_bootstrap=kafka_bootstrap, topic_prefix=space.prefix)
    create_topics(settings, space.topics)
    yield space
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    for future in admin.delete_topics(list(space.topics.all())).values():
        with contextlib.suppress(Exception):
            future.result(30)


@pytest.fixture
def start_worker(
    namespace: Namespace, tmp_path: Path, warm_engine_cache: None
) -> Iterator[Callable[..., WorkerProcess]]:
    """Start `airlock worker` subprocesses on the test's namespace (each with a free metrics
    port), waiting until they consume; they are stopped after the test whatever happens."""
    workers: list[WorkerProcess] = []

    def start(log_name: str = "worker.log", **env: str) -> WorkerProcess:
        worker = WorkerProcess(namespace, tmp_path / log_name, **env)
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        process = worker.process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(10)


# --- the gateway's tests: a stand-in AI API and `airlock gateway` subprocesses ----------------


@pytest.fixture
def standin() -> Iterator[StandInServer]:
    server = StandInServer().start()
    yield server
    server.stop()


@pytest.fixture
def start_gateway(
    namespace: Namespace, standin: StandInServer, tmp_path: Path
) -> Iterator[Callable[..., GatewayProcess]]:
    gateways: list[GatewayProcess] = []

    def start(log_name: str = "gateway.log", **env: str) -> GatewayProcess:
        gateway = GatewayProcess(namespace, standin.url, tmp_path / log_name, **env)
        gateways.append(gateway)
        return gateway.start()

    yield start
    for gateway in gateways:
        gateway.stop()
