"""The Helm chart, checked by the real helm CLI and the Kubernetes and CRD schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from cloudcoil.models.keda.v1alpha1 import ScaledObject, TriggerAuthentication
from cloudcoil.models.prometheus_operator.v1 import PrometheusRule, ServiceMonitor
from pydantic import BaseModel

from airlock.config import Settings
from detectors.dictionary import Dictionary
from detectors.rules import load_catalogue
from streams.policy import PolicyStore
from tests.test_helm.conftest import (
    CHART,
    CI_VALUES,
    KUBE_VERSION,
    Render,
    by_kind,
    run,
    template_error,
)

MINIMAL = CHART / "ci" / "minimal-values.yaml"
FULL = CHART / "ci" / "sasl-ssl-keda-values.yaml"
# Custom resources, validated against the models that cloudcoil-models-keda and
# cloudcoil-models-prometheus-operator generate from those projects' CRD schemas (no package
# ships the CRDs' JSON schemas themselves).
CRD_MODELS: dict[str, type[BaseModel]] = {
    "ScaledObject": ScaledObject,
    "TriggerAuthentication": TriggerAuthentication,
    "ServiceMonitor": ServiceMonitor,
    "PrometheusRule": PrometheusRule,
}
SECRET_SETTINGS = {"AIRLOCK_HASH_KEY", "AIRLOCK_KAFKA_USERNAME", "AIRLOCK_KAFKA_PASSWORD"}


def containers(pod_spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod_spec.get("initContainers", []), *pod_spec["containers"]]


def unknown_fields(given: Any, known: Any, path: str = "") -> list[str]:
    """Fields of `given` that the validated model dropped: names the CRD does not define."""
    if isinstance(given, dict) and isinstance(known, dict):
        missing = [f"{path}.{key}" for key in given if key not in known]
        return missing + [
            problem
            for key in given
            if key in known
            for problem in unknown_fields(given[key], known[key], f"{path}.{key}")
        ]
    if isinstance(given, list) and isinstance(known, list):
        return [
            problem
            for i, (a, b) in enumerate(zip(given, known, strict=False))
            for problem in unknown_fields(a, b, f"{path}[{i}]")
        ]
    return []


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda p: p.name)
def test_lint_strict_passes_with_every_ci_values_file(helm: str, values: Path) -> None:
    result = run(helm, "lint", "--strict", str(CHART), "-f", str(values))
    assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda p: p.name)
def test_every_manifest_validates_against_its_schema(render: Render, values: Path) -> None:
    manifests = render(values)
    assert by_kind(manifests, "Deployment"), "no worker Deployment rendered"
    for manifest in manifests:
        name = f"{manifest['kind']}/{manifest['metadata']['name']}"
        model = CRD_MODELS.get(manifest["kind"])
        if model is None:
            try:
                kubernetes_validate.validate(manifest, KUBE_VERSION, strict=True)
            except kubernetes_validate.ValidationError as exc:
                raise AssertionError(f"{values.name}: {name}: {exc.message}") from None
            continue
        validated = model.model_validate(manifest)
        dumped = validated.model_dump(mode="json", by_alias=True, exclude_unset=True)
        assert unknown_fields(manifest, dumped) == [], f"{values.name}: {name}: unknown fields"


def test_the_crd_check_refuses_a_misspelt_field_and_a_bad_value(render: Render) -> None:
    """The custom resources' check can fail: a field the CRD lacks, a malformed interval."""
    monitor = by_kind(render(FULL), "ServiceMonitor")[0]
    monitor["spec"]["endpoints"][0]["intervall"] = "15s"
    dumped = ServiceMonitor.model_validate(monitor).model_dump(
        mode="json", by_alias=True, exclude_unset=True
    )
    assert unknown_fields(monitor, dumped) == [".spec.endpoints[0].intervall"]
    monitor["spec"]["endpoints"][0]["interval"] = "every minute"
    with pytest.raises(ValueError, match="interval"):
        ServiceMonitor.model_validate(monitor)


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda p: p.name)
def test_pods_run_non_root_read_only_without_capabilities(render: Render, values: Path) -> None:
    for deployment in by_kind(render(values), "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        for container in containers(pod):
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, container["name"]
            assert context["allowPrivilegeEscalation"] is False, container["name"]
            assert context["capabilities"]["drop"] == ["ALL"], container["name"]
            assert "add" not in context["capabilities"]


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda p: p.name)
def test_secrets_come_from_existing_secrets_only(render: Render, values: Path) -> None:
    manifests = render(values)
    assert not by_kind(manifests, "Secret"), "the chart must not write a Secret"
    for deployment in by_kind(manifests, "Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            env = {e["name"]: e for e in container["env"]}
            assert "AIRLOCK_HASH_KEY" in env
            for name in SECRET_SETTINGS & env.keys():
                assert "value" not in env[name], f"{name} written as a value"
                assert env[name]["valueFrom"]["secretKeyRef"]["name"]
    for config_map in by_kind(manifests, "ConfigMap"):
        assert not SECRET_SETTINGS & set(config_map.get("data", {}))


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda p: p.name)
def test_configuration_is_what_airlock_config_reads(
    render: Render, values: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every AIRLOCK_* the chart sets is a setting of airlock/config.py, and Settings loads the
    whole ConfigMap (plus the Secret-fed variables) without an error."""
    manifests = render(values)
    config = next(
        m for m in by_kind(manifests, "ConfigMap") if m["metadata"]["name"].endswith("-config")
    )
    data: dict[str, str] = config["data"]
    fields = {f"AIRLOCK_{name.upper()}" for name in Settings.model_fields}
    assert set(data) <= fields, f"not settings: {set(data) - fields}"
    assert {"AIRLOCK_PROMPTS_RETENTION_MS", "AIRLOCK_RETENTION_MS"} <= set(data)
    for name in [n for n in list(__import__("os").environ) if n.startswith("AIRLOCK_")]:
        monkeypatch.delenv(name)
    for name, value in data.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AIRLOCK_HASH_KEY", "from-a-secret")
    settings = Settings()
    assert (
        settings.kafka_bootstrap == yaml.safe_load(values.read_text())["config"]["kafka_bootstrap"]
    )
    assert settings.metrics_host == "0.0.0.0"
    assert str(settings.cache_dir) == "/var/cache/airlock"


def test_worker_probes_use_the_metrics_server(render: Render) -> None:
    worker = next(
        d
        for d in by_kind(render(MINIMAL), "Deployment")
        if d["metadata"]["name"].endswith("-worker")
    )
    container = worker["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    assert container["ports"] == [{"name": "metrics", "containerPort": 9400, "protocol": "TCP"}]


def test_a_change_of_rules_or_dictionaries_rolls_the_pods(render: Render) -> None:
    def checksum(**sets: str) -> str:
        deployment = by_kind(render(MINIMAL, **sets), "Deployment")[0]
        return str(deployment["spec"]["template"]["metadata"]["annotations"]["checksum/config"])

    base = checksum()
    assert checksum() == base, "the checksum must be stable for the same values"
    assert checksum(**{"rules.extra\\.yaml": "rules: []"}) != base
    assert checksum(**{"dictionaries.terms\\.txt": "bluebird"}) != base
    assert checksum(**{"config.log_level": "DEBUG"}) != base


def test_the_ci_policies_rules_and_dictionaries_load_in_airlock(tmp_path: Path) -> None:
    """What the production-like values mount is valid input for the worker's own loaders."""
    values = yaml.safe_load(FULL.read_text())
    folders = {}
    for kind in ("policies", "rules", "dictionaries"):
        folders[kind] = tmp_path / kind
        folders[kind].mkdir()
        for name, text in values[kind].items():
            (folders[kind] / name).write_text(text)
    assert set(PolicyStore(folders["policies"]).tenants) == {"acme", "default"}
    catalogue = load_catalogue(sorted(folders["rules"].iterdir()))
    assert "acme-project-code" in {rule.id for rule in catalogue}
    for path in folders["dictionaries"].iterdir():
        Dictionary.from_file(path)


def test_keda_scales_on_the_prompts_lag(render: Render) -> None:
    manifests = render(FULL)
    scaled = by_kind(manifests, "ScaledObject")[0]
    trigger = scaled["spec"]["triggers"][0]
    assert trigger["type"] == "kafka"
    assert trigger["metadata"]["topic"] == "airlock.prompts"
    assert trigger["metadata"]["consumerGroup"] == "airlock-worker"
    assert trigger["metadata"]["sasl"] == "scram_sha512"
    assert (
        trigger["authenticationRef"]["name"]
        == by_kind(manifests, "TriggerAuthentication")[0]["metadata"]["name"]
    )
    assert not by_kind(manifests, "HorizontalPodAutoscaler")
    worker = by_kind(manifests, "Deployment")
    assert all(
        "replicas" not in d["spec"] for d in worker if d["metadata"]["name"].endswith("-worker")
    )


def test_without_keda_an_hpa_scales_on_the_lag_metric(render: Render) -> None:
    manifests = render(CHART / "ci" / "ssl-hpa-values.yaml")
    hpa = by_kind(manifests, "HorizontalPodAutoscaler")[0]
    external = hpa["spec"]["metrics"][0]["external"]
    assert external["metric"]["name"] == "airlock_consumer_lag"
    assert not by_kind(manifests, "ScaledObject")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--set", "config.kafka_bootstrap=k:9092", "--set", "config.hash_key=x"],
            "additional properties 'hash_key' not allowed",
        ),
        (
            ["--set", "config.kafka_bootstrap=k:9092", "--set", "config.kafka_password=x"],
            "additional properties 'kafka_password' not allowed",
        ),
        (
            [
                "--set",
                "config.kafka_bootstrap=k:9092",
                "--set",
                "config.kafka_security_protocol=TLS",
            ],
            "/config/kafka_security_protocol': value must be one of",
        ),
        (
            ["--set", "config.kafka_bootstrap=k:9092", "--set", "config.retention_ms=0"],
            "/config/retention_ms': minimum",
        ),
        (
            ["--set", "config.kafka_bootstrap=k:9092", "--set", "config.log_level=LOUD"],
            "/config/log_level'",
        ),
        (["--set", "config.kafka_bootstrap=kafka"], "/config/kafka_bootstrap'"),
        ([], "config.kafka_bootstrap is required"),
        (
            [
                "--set",
                "config.kafka_bootstrap=k:9092",
                "--set",
                "config.kafka_security_protocol=SASL_SSL",
                "--set",
                "config.kafka_sasl_mechanism=PLAIN",
            ],
            "secrets.kafkaCredentials.name is required",
        ),
        (
            ["--set", "config.kafka_bootstrap=k:9092", "--set", "gateway.enabled=true"],
            "gateway.upstream is required",
        ),
        (
            [
                "-f",
                str(MINIMAL),
                "--set",
                "autoscaling.keda.enabled=true",
                "--set",
                "autoscaling.hpa.enabled=true",
            ],
            "enable either keda or hpa",
        ),
    ],
)
def test_wrong_values_fail_with_a_clear_message(helm: str, args: list[str], message: str) -> None:
    assert message in template_error(helm, *args)


def test_metrics_services_name_the_scrape_jobs(render: Render) -> None:
    manifests = render(FULL)
    jobs = {s["metadata"]["labels"].get("airlock.io/job") for s in by_kind(manifests, "Service")}
    assert {"airlock-worker", "airlock-gateway"} <= jobs
    monitor = by_kind(manifests, "ServiceMonitor")[0]
    assert monitor["spec"]["jobLabel"] == "airlock.io/job"


def test_prometheus_rule_and_dashboard_ship_the_checked_files(render: Render) -> None:
    manifests = render(FULL)
    rule = by_kind(manifests, "PrometheusRule")[0]
    assert rule["spec"] == yaml.safe_load((CHART / "files" / "alerts.yaml").read_text())
    dashboard = next(
        m for m in by_kind(manifests, "ConfigMap") if m["metadata"]["name"].endswith("-dashboard")
    )
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    shipped = json.loads(dashboard["data"]["airlock.json"])
    assert shipped == json.loads((CHART / "files" / "dashboard.json").read_text())


def test_the_kubernetes_check_refuses_a_misspelt_field(render: Render) -> None:
    deployment = by_kind(render(MINIMAL), "Deployment")[0]
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError, match="readinesProbe"):
        kubernetes_validate.validate(deployment, KUBE_VERSION, strict=True)
