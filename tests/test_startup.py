"""Configuration is a leaf: reading settings loads nothing of the engine or the broker, and the
wiring builds what the settings describe."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from airlock.cli import COMMANDS, build_parser
from airlock.config import Settings
from airlock.startup import StartError, build_engine, load_pipeline


def test_reading_the_configuration_imports_no_engine_and_no_broker_client() -> None:
    probe = (
        "import json, sys; from airlock.config import Settings; Settings(); "
        "print(json.dumps(sorted(sys.modules)))"
    )
    modules = json.loads(
        subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        ).stdout
    )
    heavy = ("detectors", "streams", "faust", "confluent_kafka", "hyperscan", "aiokafka")
    assert [m for m in modules if m.split(".")[0] in heavy] == []


def test_the_pipeline_is_built_from_the_settings() -> None:
    settings = Settings(hash_key=SecretStr("k"), max_event_bytes=2048)
    pipeline = load_pipeline(settings)
    assert pipeline.max_event_bytes == 2048
    assert "default" in pipeline.policies.tenants
    assert len(pipeline.engine.rules) == len(build_engine(settings).rules) > 100


def test_a_broken_policy_folder_is_a_start_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "default.yaml").write_text("rules: [this is not a policy", encoding="utf-8")
    with pytest.raises(StartError, match=r"default\.yaml"):
        load_pipeline(Settings(policy_dir=tmp_path))


def test_each_command_is_registered_by_the_module_the_dispatch_imports_for_it() -> None:
    """`airlock COMMAND` imports only COMMANDS[COMMAND]: that module must register it, and the
    full parser (help, usage errors) must hold exactly the listed commands."""
    assert set(subcommands(build_parser())) == set(COMMANDS)
    for command in COMMANDS:
        assert command in subcommands(build_parser(command))


def subcommands(parser: argparse.ArgumentParser) -> list[str]:
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(action.choices)
