"""One tenant's broken policy file never stops the other tenants (issue 18: it made every worker
restart exit 2); that tenant gets the configured fail mode, and the log says what happened."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

from airlock.config import Settings
from airlock.startup import StartError, load_policies
from detectors.engine import Engine
from streams.pipeline import Pipeline
from streams.policy import PolicyStore
from tests.test_streams.conftest import make_event

SHIPPED = Path(__file__).resolve().parents[2] / "streams" / "policies"
BROKEN = "id: initech\nversion: 1\nrules:\n  - name: x\n    action: explode\n"
GOOD = "id: initech\nversion: 2\nextends: default\nrules: []\n"


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    for name in ("default.yaml", "acme.yaml"):
        (tmp_path / name).write_bytes((SHIPPED / name).read_bytes())
    return tmp_path


def action(pipeline: Pipeline, tenant: str, text: str = "Write a haiku about the sea.") -> str:
    raw = orjson.dumps(make_event(text, tenant_id=tenant))
    decision = pipeline.process(raw, topic="airlock.prompts", partition=0, offset=0).decision
    assert decision is not None
    return str(decision["action"])


@pytest.mark.parametrize(("fail_mode", "expected"), [("block", "block"), ("allow", "allow")])
def test_a_broken_tenant_file_at_start_gives_that_tenant_its_fail_mode_only(
    engine: Engine, folder: Path, fail_mode: str, expected: str
) -> None:
    (folder / "initech.yaml").write_text(BROKEN, encoding="utf-8")
    settings = Settings(policy_dir=folder, policy_fail_mode=fail_mode)  # type: ignore[arg-type]
    store = load_policies(settings)
    pipeline = Pipeline(engine, store, max_event_bytes=1 << 20)
    ((tenant, error),) = store.load_errors
    assert tenant == "initech"
    assert str(folder / "initech.yaml") in error and "rule 'x'" in error
    assert f"fail mode {fail_mode}" in error and "previous policy" not in error
    assert action(pipeline, "initech") == expected
    assert action(pipeline, "acme") == "allow"  # the others run normally
    assert action(pipeline, "acme", "key AKIAQ5MZ3W7XK2NBR4TY") == "block"
    assert action(pipeline, "someone-else") == "allow"


def test_a_broken_default_policy_still_stops_the_start(folder: Path) -> None:
    (folder / "default.yaml").write_text(BROKEN.replace("initech", "default"), encoding="utf-8")
    with pytest.raises(StartError, match=r"default\.yaml"):
        load_policies(Settings(policy_dir=folder))


def test_a_broken_new_file_on_reload_says_fail_mode_not_previous_policy(
    engine: Engine, folder: Path
) -> None:
    store = PolicyStore(folder, fail_mode="block")
    pipeline = Pipeline(engine, store, max_event_bytes=1 << 20)
    assert action(pipeline, "initech") == "allow"  # the default policy
    path = folder / "initech.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    (error,) = store.reload_if_changed()
    assert "fail mode block" in error and "previous policy" not in error
    assert action(pipeline, "initech") == "block"
    # Fixed: the tenant's own policy is in force again.
    path.write_text(GOOD + "# fixed\n", encoding="utf-8")
    os.utime(path, ns=(1, 1))
    assert store.reload_if_changed() == []
    assert action(pipeline, "initech") == "allow"
    assert "initech" not in store.broken


def test_a_broken_edit_of_a_good_file_keeps_the_previous_policy(
    engine: Engine, folder: Path
) -> None:
    path = folder / "initech.yaml"
    path.write_text(GOOD, encoding="utf-8")
    store = PolicyStore(folder, fail_mode="block")
    pipeline = Pipeline(engine, store, max_event_bytes=1 << 20)
    path.write_text(BROKEN + "# an edit\n", encoding="utf-8")
    (error,) = store.reload_if_changed()
    assert "keeping the previous policy" in error
    assert action(pipeline, "initech") == "allow"
