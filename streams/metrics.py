"""The worker's Prometheus metrics, in a registry of their own, served on /metrics.

Labels carry identifiers only (tenant, app, action, detector, category, alert severity,
dead-letter reason, topic, partition), never a value taken from a prompt. The same server
answers Kubernetes' probes: /healthz (the process serves) and /readyz (the worker consumes).
"""

from __future__ import annotations

import platform
import socket
from collections.abc import Callable, Iterable, Mapping
from importlib import metadata
from socketserver import ThreadingMixIn
from threading import Event, Thread
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    generate_latest,
    make_wsgi_app,
)

# Scanning a 1 KiB prompt takes tens of microseconds: the buckets start at 50 µs.
SCAN_BUCKETS = (
    50e-6,
    100e-6,
    250e-6,
    500e-6,
    1e-3,
    2.5e-3,
    5e-3,
    10e-3,
    25e-3,
    50e-3,
    100e-3,
    250e-3,
    1.0,
)
# Event time (the gateway's clock) to decision delivered; the goal is p99 < 50 ms.
LATENCY_BUCKETS = (
    1e-3,
    2.5e-3,
    5e-3,
    10e-3,
    25e-3,
    50e-3,
    100e-3,
    250e-3,
    500e-3,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
)
# Tenant ids come from the events; past this many distinct ones, further tenants are counted
# under "other", so that a flood of made-up tenant ids cannot blow up the series count.
MAX_TENANTS = 1000
OTHER = "other"
# OCSF severity names an alert can carry (streams/ocsf.py); anything else counts as "unknown".
ALERT_SEVERITIES = frozenset({"Informational", "Low", "Medium", "High", "Critical"})


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


class Metrics:
    """Every metric of the worker. `serve` exposes them; `text` renders them (tests, demo)."""

    def __init__(self, deadletter_reasons: Iterable[str] = ()) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.events = Counter(
            "airlock_events",
            "Prompt events decided, by tenant, AI app and action.",
            ("tenant", "app", "action"),
            registry=r,
        )
        self.findings = Counter(
            "airlock_findings",
            "Findings in prompt events, by detector and category.",
            ("detector", "category"),
            registry=r,
        )
        self.scanned_bytes = Counter(
            "airlock_scanned_bytes", "Bytes of prompt text scanned.", registry=r
        )
        self.scan_seconds = Histogram(
            "airlock_scan_seconds",
            "Time to scan one prompt event (all its parts).",
            buckets=SCAN_BUCKETS,
            registry=r,
        )
        self.decision_latency = Histogram(
            "airlock_decision_latency_seconds",
            "From the prompt event's time to its decision being delivered to Kafka.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.deadletters = Counter(
            "airlock_deadletters",
            "Bad prompt events sent to the dead-letter topic, by reason.",
            ("reason",),
            registry=r,
        )
        self.consumer_lag = Gauge(
            "airlock_consumer_lag",
            "Messages not yet committed by the worker: high watermark minus committed offset.",
            ("topic", "partition"),
            registry=r,
        )
        self.alerts = Counter(
            "airlock_alerts",
            "OCSF alerts raised on the alerts topic, by tenant and severity.",
            ("tenant", "severity"),
            registry=r,
        )
        self.policy_reload_errors = Counter(
            "airlock_policy_reload_errors",
            "Policy files that failed to reload (the previous policy stays in force).",
            registry=r,
        )
        self.policy_load_errors = Counter(
            "airlock_policy_load_errors",
            "Tenant policy files that could not be loaded at start-up or have no good version "
            "(the tenant runs in the configured fail mode), by tenant.",
            ["tenant"],
            registry=r,
        )
        self.build = Info("airlock_build", "Versions of Airlock and its engines.", registry=r)
        self.build.info(
            {
                "version": _version("airlock"),
                "python": platform.python_version(),
                "faust": _version("faust-streaming"),
                "hyperscan": _version("hyperscan"),
            }
        )
        for reason in deadletter_reasons:
            self.deadletters.labels(reason=reason)  # present at 0 from the start
        self._tenants: set[str] = set()
        # `labels()` validates and locks on every call (about 1.5 µs): the children are stable,
        # so they are looked up once per label tuple, keyed by the values the worker passes.
        # Bounded: tenants past MAX_TENANTS are not cached, detectors and categories are the
        # catalogue's, apps and actions are enumerations.
        self._event_counters: dict[tuple[str | None, str | None, str], Counter] = {}
        self._finding_counters: dict[tuple[str, str], Counter] = {}
        self._deadletter_counters: dict[str, Counter] = {}
        self._lag_partitions: set[tuple[str, str]] = set()  # (topic, partition) with a lag
        # Set once the worker has joined its consumer group and been given partitions: /readyz.
        self.ready = Event()

    def _tenant(self, tenant_id: str | None) -> str:
        if tenant_id is None:
            return "unknown"
        if tenant_id in self._tenants:
            return tenant_id
        if len(self._tenants) < MAX_TENANTS:
            self._tenants.add(tenant_id)
            return tenant_id
        return OTHER

    def count_decision(
        self,
        *,
        tenant_id: str | None,
        app: str | None,
        action: str,
        findings: Iterable[tuple[str, str]],
        scanned_bytes: int,
        scan_seconds: float,
    ) -> None:
        key = (tenant_id, app, action)
        events = self._event_counters.get(key)
        if events is None:
            tenant = self._tenant(tenant_id)
            events = self.events.labels(tenant=tenant, app=app or "unknown", action=action)
            if tenant != OTHER:  # a flood of made-up tenant ids must not grow the cache
                self._event_counters[key] = events
        events.inc()
        for kind in findings:  # (detector, category)
            counter = self._finding_counters.get(kind)
            if counter is None:
                counter = self._finding_counters[kind] = self.findings.labels(*kind)
            counter.inc()
        self.scanned_bytes.inc(scanned_bytes)
        self.scan_seconds.observe(scan_seconds)

    def count_deadletter(self, reason: str) -> None:
        counter = self._deadletter_counters.get(reason)
        if counter is None:
            counter = self._deadletter_counters[reason] = self.deadletters.labels(reason=reason)
        counter.inc()

    def count_alert(self, tenant_id: str | None, alert: Mapping[str, Any]) -> None:
        """Count one OCSF alert delivered, by its tenant and severity (read from the alert)."""
        severity = alert.get("severity")
        if severity not in ALERT_SEVERITIES:
            severity = "unknown"
        self.alerts.labels(tenant=self._tenant(tenant_id), severity=severity).inc()

    def mark_ready(self) -> None:
        """The worker consumes: /readyz answers 200 from now on."""
        self.ready.set()

    def observe_latency(self, seconds: float) -> None:
        self.decision_latency.observe(max(seconds, 0.0))

    def set_lag(self, topic: str, partition: int, lag: int) -> None:
        self._lag_partitions.add((topic, str(partition)))
        self.consumer_lag.labels(topic=topic, partition=str(partition)).set(max(lag, 0))

    def retain_lag(self, partitions: Iterable[tuple[str, int]]) -> None:
        """Drop the lag of the partitions this worker no longer consumes: after a rebalance
        another worker reports them, and a stale value here would be counted twice."""
        keep = {(topic, str(partition)) for topic, partition in partitions}
        for labels in self._lag_partitions - keep:
            self.consumer_lag.remove(*labels)
        self._lag_partitions &= keep

    def text(self) -> str:
        """The exposition text /metrics serves."""
        return generate_latest(self.registry).decode("utf-8")

    def serve(self, host: str, port: int) -> tuple[WSGIServer, Thread]:
        """Serve /metrics, /healthz and /readyz on host:port from a daemon thread."""
        server_class = _ThreadingServer6 if ":" in host else _ThreadingServer
        server: WSGIServer = make_server(
            host, port, self._wsgi_app(), server_class, handler_class=_QuietHandler
        )
        thread = Thread(target=server.serve_forever, name="airlock-metrics", daemon=True)
        thread.start()
        return server, thread

    def _wsgi_app(self) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
        metrics_app = make_wsgi_app(self.registry)

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            path = environ.get("PATH_INFO", "")
            if path == "/healthz":
                return _plain(start_response, "200 OK", b"ok\n")
            if path == "/readyz":
                if self.ready.is_set():
                    return _plain(start_response, "200 OK", b"ready\n")
                return _plain(start_response, "503 Service Unavailable", b"not consuming yet\n")
            result: Iterable[bytes] = metrics_app(environ, start_response)
            return result

        return app


def _plain(start_response: Callable[..., Any], status: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _ThreadingServer6(_ThreadingServer):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Probes and scrapes come every few seconds: no access log line for each."""
