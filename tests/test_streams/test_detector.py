"""The detector process: a real child process over its socket, no Kafka. It decides as the
pipeline does in process, reloads policies on request, fails its start with the reason, and
goes when the worker goes."""

from __future__ import annotations

import asyncio
import shutil
import signal
from pathlib import Path

import orjson
import pytest

from airlock.config import Settings
from streams.detector import Decided, DetectorError, DetectorProcess
from streams.pipeline import Pipeline
from streams.policy import PolicyStore

from .conftest import POLICY_DIR, encode, make_event

HASH_KEY = "detector-tests-hash-key"


@pytest.fixture()
def policy_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "policies"
    shutil.copytree(POLICY_DIR, folder)
    return folder


@pytest.fixture()
def configured(
    monkeypatch: pytest.MonkeyPatch, engine_cache_dir: Path, policy_dir: Path
) -> Settings:
    """The environment the child inherits, as `airlock worker` would give it."""
    for name, value in {
        "AIRLOCK_HASH_KEY": HASH_KEY,
        "AIRLOCK_POLICY_DIR": str(policy_dir),
        "AIRLOCK_CACHE_DIR": str(engine_cache_dir),
        "AIRLOCK_MAX_EVENT_BYTES": str(64 * 1024),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AIRLOCK_CONFIG", raising=False)
    return Settings()


def comparable(decided: Decided) -> tuple[object, ...]:
    """Everything but the clock: decided_at and timings differ from one run to the next."""
    decision = orjson.loads(decided.decision) if decided.decision is not None else None
    if decision is not None:
        del decision["decided_at"], decision["timings"]
    alert = orjson.loads(decided.alert) if decided.alert is not None else None
    deadletter = orjson.loads(decided.deadletter) if decided.deadletter is not None else None
    for message in (alert, deadletter):
        if message is not None:
            message.pop("time", None)
            message.pop("failed_at", None)
            message.get("finding_info", {}).pop("created_time", None)
            message.get("metadata", {}).pop("logged_time", None)
    return (
        decided.event_id,
        decided.tenant_id,
        decided.app,
        decided.action,
        decision,
        alert is not None,
        deadletter is not None and deadletter["reason"],
        decided.deadletter_reason,
        decided.findings,
        decided.scanned_bytes,
    )


def test_the_detector_process_decides_as_the_pipeline_does(configured: Settings) -> None:
    values: list[bytes | None] = [
        encode(make_event("How do I write a haiku about the sea?", event_id="clean")),
        encode(make_event("my key AKIAQ5MZ3W7XK2NBR4TY", tenant_id="acme", event_id="secret")),
        encode(make_event("mail jane.doe@example.org, card 4111 1111 1111 1111")),
        b"{",
        b"\xff\xfe",
        None,
    ]
    requests = [(value, "airlock.prompts", 3, offset) for offset, value in enumerate(values)]
    here = Pipeline(
        configured.engine(),
        PolicyStore(configured.policy_dir),
        configured.max_event_bytes,
    )
    expected = [
        Decided.of(here.process(v, topic=t, partition=p, offset=o)) for v, t, p, o in requests
    ]
    detector = DetectorProcess.start()
    try:
        decided = asyncio.run(detector.decide(requests))
    finally:
        detector.stop()
    assert [comparable(d) for d in decided] == [comparable(e) for e in expected]
    assert [d.action for d in decided] == ["allow", "block", decided[2].action, None, None, None]
    assert [d.deadletter_reason for d in decided[3:]] == ["not_json", "invalid_utf8", "not_json"]
    assert decided[1].findings == (("aws-access-key-id", "secret"),)
    assert detector.process.returncode == 0  # it went when its socket closed


def test_policies_reload_on_request_and_a_bad_edit_is_reported(
    configured: Settings, policy_dir: Path
) -> None:
    async def scenario(detector: DetectorProcess) -> tuple[list[str], list[str], Decided]:
        unchanged = await detector.reload_policies()
        (policy_dir / "acme.yaml").write_text("rules: [oops\n", encoding="utf-8")
        broken = await detector.reload_policies()
        event = encode(make_event("my key AKIAQ5MZ3W7XK2NBR4TY", tenant_id="acme"))
        decided = await detector.decide([(event, "airlock.prompts", 0, 0)])
        return unchanged, broken, decided[0]

    detector = DetectorProcess.start()
    try:
        unchanged, broken, decided = asyncio.run(scenario(detector))
    finally:
        detector.stop()
    assert unchanged == []
    assert len(broken) == 1 and "acme.yaml" in broken[0] and "keeping" in broken[0]
    assert decided.action == "block"  # acme's previous policy stays in force


def test_a_bad_policy_fails_the_start_naming_the_file(
    configured: Settings, policy_dir: Path
) -> None:
    (policy_dir / "default.yaml").write_text("rules: 3\n", encoding="utf-8")
    with pytest.raises(DetectorError, match=r"^bad policy: .*default\.yaml"):
        DetectorProcess.start()


def test_a_pipeline_failure_names_the_event_not_the_payload(configured: Settings) -> None:
    detector = DetectorProcess.start()
    try:
        request = ("the payload must be bytes", "airlock.prompts", 0, 7)
        with pytest.raises(DetectorError) as failure:
            asyncio.run(detector.decide([request]))  # type: ignore[list-item]
        assert "airlock.prompts:0:7" in str(failure.value)
        assert "payload" not in str(failure.value)
        assert detector.process.wait(10) == 1  # a failed child exits
    finally:
        detector.stop()


def test_the_child_ignores_termination_signals_and_goes_with_its_socket(
    configured: Settings,
) -> None:
    """Ctrl-C or a SIGTERM to the process group must not take the detector away before the
    worker has stopped; the worker's end of the socket closing (even by SIGKILL) does."""
    detector = DetectorProcess.start()
    try:
        detector.process.send_signal(signal.SIGTERM)
        detector.process.send_signal(signal.SIGINT)
        event = encode(make_event("a haiku"))
        decided = asyncio.run(detector.decide([(event, "airlock.prompts", 0, 0)]))
        assert decided[0].action == "allow"
        detector.sock.close()  # what the worker's death does to its end
        assert detector.process.wait(10) == 0
    finally:
        detector.stop()


def test_an_abandoned_request_is_never_answered_with_the_next_ones_answer(
    configured: Settings,
) -> None:
    """A request cancelled in flight (the agent stopping) leaves its answer on the socket:
    the next request must fail rather than take that answer for its own."""

    async def scenario(detector: DetectorProcess) -> None:
        first = asyncio.ensure_future(
            detector.decide([(encode(make_event("a haiku")), "airlock.prompts", 0, 0)])
        )
        while not detector._lost:
            await asyncio.sleep(0)
        first.cancel()
        await asyncio.gather(first, return_exceptions=True)
        with pytest.raises(DetectorError, match="abandoned"):
            await detector.decide([(encode(make_event("a sonnet")), "airlock.prompts", 0, 1)])

    detector = DetectorProcess.start()
    try:
        asyncio.run(scenario(detector))
    finally:
        detector.stop()
