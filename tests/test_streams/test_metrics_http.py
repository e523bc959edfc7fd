"""The worker's HTTP endpoint: /metrics, and the probes Kubernetes calls (/healthz, /readyz)."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from streams.metrics import Metrics
from tests.integration.pipeline_support import free_port


@pytest.fixture
def served() -> Iterator[tuple[Metrics, str]]:
    metrics = Metrics()
    port = free_port()
    server, thread = metrics.serve("127.0.0.1", port)
    yield metrics, f"http://127.0.0.1:{port}"
    server.shutdown()
    server.server_close()
    thread.join(10)


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_healthz_answers_while_the_process_serves(served: tuple[Metrics, str]) -> None:
    assert get(served[1] + "/healthz") == (200, "ok\n")


def test_readyz_answers_once_the_worker_consumes(served: tuple[Metrics, str]) -> None:
    metrics, url = served
    assert get(url + "/readyz")[0] == 503
    metrics.mark_ready()
    assert get(url + "/readyz") == (200, "ready\n")


def test_metrics_are_served_beside_the_probes(served: tuple[Metrics, str]) -> None:
    metrics, url = served
    metrics.count_deadletter("invalid_json")
    status, text = get(url + "/metrics")
    assert status == 200
    assert 'airlock_deadletters_total{reason="invalid_json"} 1.0' in text
    assert get(url + "/")[0] == 200  # Prometheus' client serves the metrics on any other path


def test_alerts_are_counted_by_tenant_and_severity() -> None:
    metrics = Metrics()
    alert = {"severity": "High", "severity_id": 4, "message": "sk-canary"}
    metrics.count_alert("acme", alert)
    metrics.count_alert("acme", alert)
    metrics.count_alert(None, {"severity": "sk-canary-made-up"})
    text = metrics.text()
    assert 'airlock_alerts_total{severity="High",tenant="acme"} 2.0' in text
    # A severity the OCSF enumeration lacks is not a label value: the series count stays bounded.
    assert 'airlock_alerts_total{severity="unknown",tenant="unknown"} 1.0' in text
    assert "sk-canary" not in text


def test_the_lag_of_partitions_moved_away_is_dropped() -> None:
    metrics = Metrics()
    metrics.set_lag("airlock.prompts", 0, 5)
    metrics.set_lag("airlock.prompts", 1, 7)
    metrics.retain_lag([("airlock.prompts", 1)])
    text = metrics.text()
    assert 'airlock_consumer_lag{partition="1",topic="airlock.prompts"} 7.0' in text
    assert 'partition="0"' not in text
    metrics.retain_lag([])
    assert "airlock_consumer_lag{" not in metrics.text()
