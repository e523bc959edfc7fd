"""`airlock kafka up|down|status` against the real local broker (streams/kafka_local.py)."""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]  # no re-export

from streams import kafka_local
from tests.kafka_cli import free_port_pair, run_cli

pytestmark = pytest.mark.kafka


def recorded_pid() -> int:
    return int(kafka_local.state_folder().pid_file.read_text().strip())


def port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def create_topic(bootstrap: str, name: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)])
    futures[name].result(timeout=30)


def topic_names(bootstrap: str) -> set[str]:
    metadata = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10)
    return set(metadata.topics)


@pytest.fixture
def separate_broker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kafka_bootstrap: str
) -> Iterator[int]:
    """Point the module at a second state folder and free ports, reusing the fetched jars."""
    shared_libs = kafka_local.state_folder().libs
    (tmp_path / "kafka").mkdir()
    (tmp_path / "kafka" / "libs").symlink_to(shared_libs)
    port = free_port_pair()
    monkeypatch.setenv("AIRLOCK_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("AIRLOCK_KAFKA_PORT", str(port))
    yield port
    kafka_local.stop()


def test_status_says_running_with_the_recorded_pid(
    kafka_bootstrap: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert kafka_local.is_running()
    assert run_cli("status") == 0
    out = capsys.readouterr().out
    pid = recorded_pid()
    assert "running" in out
    assert kafka_bootstrap in out
    assert str(pid) in out
    os.kill(pid, 0)  # the recorded process exists
    assert port_answers(int(kafka_bootstrap.rsplit(":", 1)[1]))


def test_status_says_stopped_where_no_broker_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AIRLOCK_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("AIRLOCK_KAFKA_PORT", str(free_port_pair()))
    assert not kafka_local.is_running()
    assert run_cli("status") == kafka_local.EXIT_STOPPED == 3
    assert "stopped" in capsys.readouterr().out


def test_up_twice_keeps_the_same_broker(
    kafka_bootstrap: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pid = recorded_pid()
    assert run_cli("up") == 0
    assert run_cli("up") == 0
    out = capsys.readouterr().out
    assert out.count("already running") == 2
    assert recorded_pid() == pid
    assert kafka_local.ensure_running() == kafka_bootstrap
    assert recorded_pid() == pid


def test_message_produced_to_a_new_topic_is_consumed_back(kafka_bootstrap: str) -> None:
    topic = f"airlock-test-{uuid.uuid4().hex}"
    create_topic(kafka_bootstrap, topic)
    payload = uuid.uuid4().bytes

    producer = Producer({"bootstrap.servers": kafka_bootstrap, "acks": "all"})
    delivery_errors: list[object] = []
    producer.produce(
        topic, key=b"k", value=payload, on_delivery=lambda err, _msg: delivery_errors.append(err)
    )
    assert producer.flush(30) == 0
    assert delivery_errors == [None]

    consumer = Consumer(
        {
            "bootstrap.servers": kafka_bootstrap,
            "group.id": f"airlock-test-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
        }
    )
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + 60
        received = None
        while received is None and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is None:
                continue
            assert message.error() is None, message.error()
            received = message
    finally:
        consumer.close()
    assert received is not None, "no message consumed within 60 s"
    assert received.key() == b"k"
    assert received.value() == payload
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    admin.delete_topics([topic])[topic].result(timeout=30)


def test_topics_are_not_created_on_first_use(kafka_bootstrap: str) -> None:
    # A producer's metadata request asks the broker to create a missing topic; ours must refuse.
    topic = f"airlock-test-{uuid.uuid4().hex}"
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    producer.list_topics(topic, timeout=10)
    assert topic not in topic_names(kafka_bootstrap)


def test_up_refuses_a_port_held_by_another_process(
    separate_broker: int, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", separate_broker))
        squatter.listen()
        assert run_cli("up") == 1
    err = capsys.readouterr().err
    assert f"127.0.0.1:{separate_broker} is already in use by another process" in err
    assert not kafka_local.is_running()


def test_down_stops_the_broker_and_fresh_wipes_its_data(
    separate_broker: int, kafka_bootstrap: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bootstrap = kafka_local.ensure_running()
    assert bootstrap == f"127.0.0.1:{separate_broker}" != kafka_bootstrap
    first_pid = recorded_pid()
    create_topic(bootstrap, "kept-until-fresh")

    assert run_cli("up", "--fresh") == 0
    assert recorded_pid() != first_pid
    assert "kept-until-fresh" not in topic_names(bootstrap)

    pid = recorded_pid()
    assert run_cli("down") == 0
    assert run_cli("status") == 3
    assert not kafka_local.is_running()
    assert not kafka_local.state_folder().pid_file.exists()
    assert not Path(f"/proc/{pid}").exists()
    assert not port_answers(separate_broker)
    assert run_cli("down") == 0  # nothing to stop: still fine
    assert "not running" in capsys.readouterr().out

    # The shared broker of the session was left alone.
    assert port_answers(int(kafka_bootstrap.rsplit(":", 1)[1]))
