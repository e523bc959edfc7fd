"""Where `airlock kafka` keeps the local broker and on which port, from the one settings loader
(environment or AIRLOCK_CONFIG file), without starting a broker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from airlock.config import REPO_ROOT, Settings
from airlock.startup import kafka_bootstrap
from streams import kafka_local
from tests.kafka_cli import free_port_pair, run_cli


@pytest.fixture(autouse=True)
def no_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("AIRLOCK_"):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    assert kafka_local.state_folder().root == REPO_ROOT / ".airlock" / "kafka"
    assert kafka_local.broker_port() == 9092
    assert kafka_local.bootstrap_servers() == "127.0.0.1:9092"
    assert kafka_bootstrap(Settings()) == "127.0.0.1:9092"


def test_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AIRLOCK_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("AIRLOCK_KAFKA_PORT", " 19092 ")
    assert kafka_local.state_folder().root == tmp_path / "state" / "kafka"
    assert kafka_local.bootstrap_servers() == "127.0.0.1:19092"
    assert kafka_bootstrap(Settings()) == "127.0.0.1:19092"


def test_relative_and_home_state_dirs_are_made_absolute(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIRLOCK_STATE_DIR", "here")
    assert kafka_local.state_folder().root == tmp_path / "here" / "kafka"
    monkeypatch.setenv("AIRLOCK_STATE_DIR", "~/airlock-state")
    assert kafka_local.state_folder().root == Path.home() / "airlock-state" / "kafka"


def test_empty_values_mean_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRLOCK_STATE_DIR", "")
    monkeypatch.setenv("AIRLOCK_KAFKA_PORT", " ")
    assert kafka_local.state_folder().root == REPO_ROOT / ".airlock" / "kafka"
    assert kafka_local.broker_port() == 9092


def test_configuration_file_and_environment_over_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "airlock.yaml"
    config.write_text(f"state_dir: {tmp_path / 'from-file'}\nkafka_port: 29092\n")
    monkeypatch.setenv("AIRLOCK_CONFIG", str(config))
    assert kafka_local.state_folder().root == tmp_path / "from-file" / "kafka"
    assert kafka_local.broker_port() == 29092
    monkeypatch.setenv("AIRLOCK_KAFKA_PORT", "29093")
    assert kafka_local.broker_port() == 29093


@pytest.mark.parametrize("port", ["abc", "0", "65535", "-1", "9092.5"])
def test_a_bad_port_is_an_error_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], port: str
) -> None:
    monkeypatch.setenv("AIRLOCK_KAFKA_PORT", port)
    with pytest.raises(kafka_local.KafkaLocalError, match=r"AIRLOCK_KAFKA_PORT: .*1 to 65534"):
        kafka_local.broker_port()
    assert run_cli("status") == 1
    assert "AIRLOCK_KAFKA_PORT" in capsys.readouterr().err


def test_status_reports_the_configured_folder_and_port(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    port = free_port_pair()
    config = tmp_path / "airlock.yaml"
    config.write_text(f"state_dir: {tmp_path}\nkafka_port: {port}\n")
    monkeypatch.setenv("AIRLOCK_CONFIG", str(config))
    assert run_cli("status") == kafka_local.EXIT_STOPPED
    out = capsys.readouterr().out
    assert f"bootstrap:    127.0.0.1:{port}" in out
    assert f"state folder: {tmp_path / 'kafka'}" in out
    assert not (tmp_path / "kafka").exists()  # status creates nothing
