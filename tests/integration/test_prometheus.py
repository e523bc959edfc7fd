"""A real Prometheus scrapes a running worker and a running gateway while they handle real
events and requests: every PromQL expression of the Grafana dashboard and of the alert rules
evaluates without error, and the dashboard's panels return data.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai
import orjson
import pytest
import yaml

from tests.canaries import aws_key, random_email
from tests.integration.pipeline_support import (
    GatewayProcess,
    Namespace,
    WorkerProcess,
    encoded,
    free_port,
    produce,
    prompt_event,
)
from tests.test_helm.conftest import CHART, find_tool

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(300)]

DASHBOARD = CHART / "files" / "dashboard.json"
RULES = CHART / "files" / "alerts.yaml"
WAIT_S = 90.0
# Grafana's variables, as the dashboard's defaults resolve them: every tenant and app; the rate
# window spans the whole test so that both batches of events are in it.
GRAFANA_VARIABLES = {
    "$__rate_interval": "1m",
    "$__range": "5m",
    "$tenant": ".*",
    "$app": ".*",
}


class Prometheus:
    """Debian's prometheus server on a free loopback port, with its data in tmp_path."""

    def __init__(self, tmp_path: Path, worker_port: int, gateway_port: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(RULES)],
            "scrape_configs": [
                {
                    "job_name": "airlock-worker",
                    "static_configs": [{"targets": [f"127.0.0.1:{worker_port}"]}],
                },
                {
                    "job_name": "airlock-gateway",
                    "static_configs": [{"targets": [f"127.0.0.1:{gateway_port}"]}],
                },
            ],
        }
        text = yaml.safe_dump(config)
        self.config_path = tmp_path / "prometheus.yml"
        self.config_path.write_text(text)
        self.log_path = tmp_path / "prometheus.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    find_tool("prometheus"),
                    f"--config.file={self.config_path}",
                    f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--log.level=warn",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def api(self, path: str, **params: str) -> Any:
        url = f"{self.url}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=10) as response:
            return orjson.loads(response.read())

    def query(self, expr: str) -> dict[str, Any]:
        """The instant query's whole answer; an error answer (HTTP 400/422) as a dict too."""
        try:
            answer: dict[str, Any] = self.api("query", query=expr)
        except urllib.error.HTTPError as error:
            answer = orjson.loads(error.read())
        return answer

    def wait_until(self, what: str, ready: Callable[[], bool]) -> None:
        deadline = time.monotonic() + WAIT_S
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"prometheus exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                if ready():
                    return
            except OSError:
                pass  # not listening yet
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.25)

    def value(self, expr: str) -> float:
        result = self.query(expr)["data"]["result"]
        return float(result[0]["value"][1]) if result else 0.0


@pytest.fixture
def prometheus_for(
    tmp_path: Path,
) -> Iterator[Callable[[WorkerProcess, GatewayProcess], Prometheus]]:
    servers: list[Prometheus] = []

    def start(worker: WorkerProcess, gateway: GatewayProcess) -> Prometheus:
        server = Prometheus(tmp_path, worker.metrics_port, gateway.port)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, PromQL) of every target, Grafana's variables filled in."""
    queries = []
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(variable, value)
            assert "$" not in expr, f"{panel['title']}: a variable left unfilled in {expr}"
            queries.append((panel["title"], expr))
    return queries


def rule_expressions() -> list[tuple[str, str]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [
        (rule.get("alert") or rule["record"], rule["expr"])
        for group in groups
        for rule in group["rules"]
    ]


def events(run: str, batch: int, rng: random.Random) -> list[tuple[bytes | None, bytes | None]]:
    """Clean prompts, secrets (block and alert), personal data (redact) and a dead letter, over
    two tenants and three apps."""
    messages: list[tuple[bytes | None, bytes | None]] = []
    texts = [
        "Summarise the main themes of Pride and Prejudice in three bullet points.",
        f"Deploy fails with AccessDenied:\naws_access_key_id = {aws_key(rng)}\nWhat is wrong?",
        f"Draft a polite reply to {random_email(rng)} saying the invoice was paid.",
    ]
    for i in range(24):
        event = prompt_event(
            f"{run}-{batch}-{i}",
            texts[i % len(texts)],
            tenant=("acme", "globex")[i % 2],
            app=("chatgpt", "claude", "gemini")[i % 3],
        )
        messages.append(encoded(event))
    messages.append((None, b'{"event_id": "broken", "content": {"text": "unterminated'))
    return messages


def test_prometheus_evaluates_every_dashboard_and_alert_expression(
    namespace: Namespace,
    start_worker: Callable[..., WorkerProcess],
    start_gateway: Callable[..., GatewayProcess],
    prometheus_for: Callable[[WorkerProcess, GatewayProcess], Prometheus],
) -> None:
    worker = start_worker()
    gateway = start_gateway()
    probe = f"http://127.0.0.1:{worker.metrics_port}"
    for path, body in (("/healthz", b"ok\n"), ("/readyz", b"ready\n")):
        with urllib.request.urlopen(probe + path, timeout=5) as response:
            assert (response.status, response.read()) == (200, body), path

    prometheus = prometheus_for(worker, gateway)

    def targets_up() -> bool:
        targets = prometheus.api("targets")["data"]["activeTargets"]
        up = {t["labels"]["job"] for t in targets if t["health"] == "up"}
        return up == {"airlock-worker", "airlock-gateway"}

    prometheus.wait_until("the worker's and the gateway's targets to be up", targets_up)

    # Two batches, each seen by Prometheus before the next: the counters rise between scrapes,
    # so rates and latency quantiles have something to show.
    rng = random.Random(19)
    run = uuid.uuid4().hex[:8]
    decided = 0
    for batch in (1, 2):
        messages = events(run, batch, rng)
        produce(namespace.bootstrap, namespace.topics.prompts, messages)
        decided += len(messages) - 1
        prometheus.wait_until(
            f"{decided} decisions in Prometheus",
            lambda: prometheus.value("sum(airlock_events_total)") >= decided,  # noqa: B023
        )
    # Requests through the gateway, a clean one forwarded and one with a key blocked, in two
    # rounds each seen by Prometheus before the next, so that rates have two samples.
    client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key="sk-test-upstream", max_retries=0)
    for sent in (2, 4):
        for text in ("Summarise the plot of Hamlet in two lines.", f"my key {aws_key(rng)} fails"):
            with contextlib.suppress(openai.PermissionDeniedError):  # the blocked one
                client.chat.completions.create(
                    model="gpt-4o-mini", messages=[{"role": "user", "content": text}]
                )
        prometheus.wait_until(
            f"{sent} gateway requests in Prometheus",
            lambda: prometheus.value("sum(airlock_gateway_requests_total)") >= sent,  # noqa: B023
        )
    prometheus.wait_until(
        "the consumer lag gauge",
        lambda: bool(prometheus.query("airlock_consumer_lag")["data"]["result"]),
    )

    failures = []
    for title, expr in dashboard_queries():
        answer = prometheus.query(expr)
        if answer["status"] != "success":
            failures.append(f"panel {title!r}: {expr}: {answer.get('error')}")
            continue
        if "airlock_gateway_fallbacks" in expr:
            continue  # no request fell back to a fail mode: empty is the right answer
        values = [float(sample["value"][1]) for sample in answer["data"]["result"]]
        if not any(math.isfinite(value) for value in values):
            failures.append(f"panel {title!r} has no data: {expr} -> {answer['data']['result']}")
    for name, expr in rule_expressions():
        answer = prometheus.query(expr)
        if answer["status"] != "success":
            failures.append(f"rule {name}: {answer.get('error')}")
    assert not failures, "\n".join(failures)

    # Grafana's template variables list the tenants and apps the worker counted.
    tenants = prometheus.api("label/tenant/values", **{"match[]": "airlock_events_total"})
    assert {"acme", "globex"} <= set(tenants["data"])
    apps = prometheus.api("label/app/values", **{"match[]": 'airlock_events_total{tenant=~".*"}'})
    assert {"chatgpt", "claude", "gemini"} <= set(apps["data"])
    # What Prometheus holds is what the worker counted: decisions by action, alerts raised.
    counted: dict[str, float] = {}
    for (name, labels), value in worker.metrics().items():
        if name == "airlock_events_total":
            action = dict(labels)["action"]
            counted[action] = counted.get(action, 0.0) + value
        elif name == "airlock_alerts_total":
            counted["alerts"] = counted.get("alerts", 0.0) + value
    assert counted.get("block", 0) > 0 and counted.get("alerts", 0) > 0, counted
    scraped = {
        sample["metric"]["action"]: float(sample["value"][1])
        for sample in prometheus.query("sum by (action) (airlock_events_total)")["data"]["result"]
    }
    scraped["alerts"] = prometheus.value("sum(airlock_alerts_total)")
    assert scraped == counted

    # The server itself evaluated every rule of the file without an error.
    def every_rule_evaluated() -> bool:
        groups = prometheus.api("rules")["data"]["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        return len(rules) == len(rule_expressions()) and all(
            not rule["lastEvaluation"].startswith("0001") for rule in rules
        )

    prometheus.wait_until("every rule to be evaluated", every_rule_evaluated)
    for group in prometheus.api("rules")["data"]["groups"]:
        for rule in group["rules"]:
            assert rule["health"] == "ok", f"{rule['name']}: {rule.get('lastError')}"
