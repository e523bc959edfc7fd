"""OCSF alerts: Data Security Finding (2006) attributes, enumerations, and parsing with
py-ocsf-models.

py-ocsf-models (0.10, OCSF 1.5 models) has no Data Security Finding class, so the alert is
parsed with the models it does have: the base `Finding` event (metadata, product, finding_info
with its analytic, severity, status, confidence, activity), and the `Policy`, `Group` and
`Analytic` objects on their own. Its `User` model requires `account` and `name`, which OCSF
itself does not, so actor.user is checked against our schema only.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from py_ocsf_models.events.findings.finding import Finding as OcsfFinding
from py_ocsf_models.objects.analytic import Analytic
from py_ocsf_models.objects.group import Group
from py_ocsf_models.objects.policy import Policy as OcsfPolicy

import schemas
from streams.ocsf import ALERT_NAMESPACE, CLASS_UID, OCSF_VERSION, TYPE_UID, alert_uid
from streams.pipeline import Pipeline

from .conftest import encode, make_event

AWS_KEY = "AKIAQ5MZ3W7XK2NBR4TY"


def alert_for(pipeline: Pipeline, text: str, offset: int = 0, **overrides: Any) -> dict[str, Any]:
    outcome = pipeline.process(
        encode(make_event(text, **overrides)), topic="airlock.prompts", partition=0, offset=offset
    )
    assert outcome.alert is not None, outcome.decision
    return outcome.alert


def test_alert_is_a_data_security_finding(pipeline: Pipeline) -> None:
    alert = alert_for(pipeline, f"deploy with {AWS_KEY} please")
    assert list(schemas.validator("alert").iter_errors(alert)) == []
    assert alert["class_uid"] == CLASS_UID == 2006
    assert alert["category_uid"] == 2
    assert alert["activity_id"] == 1
    assert alert["type_uid"] == TYPE_UID == 200601
    assert alert["time"] == 1_760_000_000_000
    assert alert["severity_id"] == 4  # aws-access-key-id is high
    meta = alert["metadata"]
    assert meta["version"] == OCSF_VERSION
    assert meta["product"]["name"] == meta["product"]["vendor_name"] == "Airlock"
    assert meta["correlation_uid"] == "conv-77"
    assert meta["tenant_uid"] == "initech"
    info = alert["finding_info"]
    assert info["uid"] == meta["uid"] == alert_uid("initech", "evt-0001")
    assert info["analytic"] == {
        "uid": "aws-access-key-id",
        "name": info["analytic"]["name"],
        "type_id": 8,
        "type": "Regular Expressions",
    }
    ds = alert["data_security"]
    assert ds["data_lifecycle_state_id"] == 2
    assert ds["detection_system_id"] == 2
    assert ds["detection_pattern"] == "aws-access-key-id"
    assert ds["pattern_match"] == "AKIA************R4TY"
    assert ds["category_id"] == 6
    assert ds["policy"]["uid"] == "default"
    assert ds["policy"]["name"] == "block-secrets"
    assert ds["discovery_details"] == [{"type": "aws-access-key-id", "count": 1}]
    assert (alert["action_id"], alert["disposition_id"]) == (2, 2)
    assert alert["actor"]["user"]["uid"] == "u-1042"
    assert alert["actor"]["user"]["email_addr"] == "peter.gibbons@initech.example"
    assert alert["actor"]["user"]["groups"] == [{"name": "engineering"}]
    assert alert["src_endpoint"] == {"ip": "10.20.30.40", "hostname": "laptop-042"}
    assert alert["dst_endpoint"] == {"svc_name": "chatgpt", "hostname": "chatgpt.com"}
    assert AWS_KEY not in str(alert)


def test_alert_parses_with_py_ocsf_models(pipeline: Pipeline) -> None:
    alert = alert_for(pipeline, f"key {AWS_KEY} and mail to jane.roe@initech.example")
    parsed = OcsfFinding.model_validate(alert)
    assert parsed.activity_id == 1
    assert parsed.severity_id == alert["severity_id"]
    assert parsed.status_id == 1
    assert parsed.confidence_id == alert["confidence_id"]
    assert parsed.metadata.version == OCSF_VERSION
    assert parsed.metadata.product.vendor_name == "Airlock"
    assert parsed.metadata.tenant_uid == "initech"
    assert parsed.metadata.correlation_uid == "conv-77"
    assert parsed.finding_info.uid == alert["finding_info"]["uid"]
    assert parsed.finding_info.title == alert["finding_info"]["title"]
    assert parsed.finding_info.analytic is not None
    assert parsed.finding_info.analytic.type_id == 8
    assert parsed.finding_info.created_time == alert["finding_info"]["created_time"]
    # Objects of the Data Security Finding the package models on their own.
    policy = OcsfPolicy.model_validate(alert["data_security"]["policy"])
    assert policy.uid == "default" and policy.is_applied is True
    Analytic.model_validate(alert["finding_info"]["analytic"])
    for group in alert["actor"]["user"]["groups"]:
        Group.model_validate(group)


@pytest.mark.parametrize(
    ("text", "overrides", "expected"),
    [
        # action, action_id, disposition_id, severity_id, category_id
        (f"key {AWS_KEY}", {}, ("block", 2, 2, 4, 6)),
        ("mail jane.roe@initech.example", {}, ("redact", 4, 11, 3, 1)),
        ("card 4104 3321 8196 0018 exp 12/29", {}, ("redact", 4, 11, None, 3)),
        ("Status report of Project Nightjar", {}, ("warn", 4, 23, None, 4)),
        (f"key {AWS_KEY}", {"tenant_id": "globex"}, ("allow", 3, 15, 4, 6)),
    ],
)
def test_action_and_disposition_per_decision(
    pipeline: Pipeline, text: str, overrides: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    outcome = pipeline.process(
        encode(make_event(text, **overrides)), topic="t", partition=0, offset=0
    )
    assert outcome.decision is not None and outcome.alert is not None
    action, action_id, disposition_id, severity_id, category_id = expected
    assert outcome.decision["action"] == action
    alert = outcome.alert
    assert (alert["action_id"], alert["disposition_id"]) == (action_id, disposition_id)
    if severity_id is not None:
        assert alert["severity_id"] == severity_id
    assert alert["data_security"]["category_id"] == category_id
    assert list(schemas.validator("alert").iter_errors(alert)) == []
    OcsfFinding.model_validate(alert)


def test_monitor_mode_alert_says_policy_not_applied(pipeline: Pipeline) -> None:
    alert = alert_for(pipeline, f"key {AWS_KEY}", tenant_id="globex")
    assert alert["data_security"]["policy"]["is_applied"] is False
    assert alert["unmapped"]["airlock"]["policy_action"] == "block"
    assert alert["unmapped"]["airlock"]["action"] == "allow"


@pytest.mark.parametrize(
    ("kind", "system_id"), [("api_gateway", 2), ("forward_proxy", 5), ("browser_extension", 1)]
)
def test_detection_system_per_gateway_kind(pipeline: Pipeline, kind: str, system_id: int) -> None:
    gateway = {"id": "gw", "kind": kind}
    alert = alert_for(pipeline, f"key {AWS_KEY}", gateway=gateway)
    assert alert["data_security"]["detection_system_id"] == system_id


def test_dictionary_findings_are_keyword_analytics(pipeline: Pipeline) -> None:
    alert = alert_for(pipeline, "notes on Bluefin pricing")
    assert alert["finding_info"]["analytic"]["type_id"] == 7
    assert alert["finding_info"]["analytic"]["uid"] == "dictionary.codenames"


def test_alert_uid_is_stable_per_event_and_distinct_per_tenant() -> None:
    assert alert_uid("acme", "e1") == alert_uid("acme", "e1")
    assert alert_uid("acme", "e1") != alert_uid("globex", "e1")
    assert alert_uid("acme", "e1") != alert_uid("acme", "e2")


@pytest.mark.parametrize(
    ("tenant", "event_id"),
    [("acme", "e1"), ("default", "evt-0001"), ("a", "~!" * 64), ("t-\u00e9", "\u4e2d\U0001f600")],
)
def test_alert_uid_is_the_uuid5_of_tenant_and_event(tenant: str, event_id: str) -> None:
    expected = uuid.uuid5(ALERT_NAMESPACE, f"{tenant}\x00{event_id}")
    assert alert_uid(tenant, event_id) == str(expected)


def test_optional_event_fields_are_left_out(pipeline: Pipeline) -> None:
    event = make_event(f"key {AWS_KEY}")
    del event["client"]
    event["user"] = {"id": "u-9"}
    del event["app"]["host"]
    outcome = pipeline.process(encode(event), topic="t", partition=0, offset=0)
    assert outcome.alert is not None
    assert "src_endpoint" not in outcome.alert
    assert outcome.alert["actor"]["user"] == {"uid": "u-9", "type_id": 1, "type": "User"}
    assert outcome.alert["dst_endpoint"] == {"svc_name": "chatgpt"}
    assert list(schemas.validator("alert").iter_errors(outcome.alert)) == []
    OcsfFinding.model_validate(outcome.alert)
