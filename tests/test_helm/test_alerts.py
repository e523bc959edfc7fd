"""The Prometheus alert rules, checked and unit-tested by the real promtool."""

from __future__ import annotations

from typing import Any

import yaml

from tests.test_helm.conftest import CHART, REPO, run

RULES = CHART / "files" / "alerts.yaml"
RULE_TESTS = REPO / "helm" / "alerts_test.yaml"
ALERTS = {
    "AirlockConsumerLagGrowing",
    "AirlockNoDecisions",
    "AirlockDeadLetterSpike",
    "AirlockBlockRateAnomalous",
    "AirlockWorkerDown",
    "AirlockNoWorker",
    "AirlockDecisionLatencySLOBurn",
    "AirlockGatewayFailingOpen",
}


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def test_promtool_checks_the_rules(promtool: str) -> None:
    result = run(promtool, "check", "rules", str(RULES))
    assert "SUCCESS" in result.stdout


def test_promtool_unit_tests_pass(promtool: str) -> None:
    result = run(promtool, "test", "rules", str(RULE_TESTS))
    assert "SUCCESS" in result.stdout + result.stderr


def test_every_alert_is_there_with_a_runbook_and_a_severity() -> None:
    rules = alert_rules()
    assert {rule["alert"] for rule in rules} == ALERTS
    for rule in rules:
        assert rule["annotations"]["runbook"].strip(), rule["alert"]
        assert rule["annotations"]["summary"].strip(), rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]


def test_every_alert_has_a_case_that_fires_it_and_one_that_stays_quiet() -> None:
    fired: set[str] = set()
    quiet: set[str] = set()
    for case in yaml.safe_load(RULE_TESTS.read_text())["tests"]:
        for check in case["alert_rule_test"]:
            (fired if check["exp_alerts"] else quiet).add(check["alertname"])
    assert fired == ALERTS
    assert quiet == ALERTS
