"""Alerts for the SOC: one OCSF 1.3 Data Security Finding (class 2006) per alerting prompt.

Built from the event's metadata, the findings' masked previews and keyed hashes, and the policy
verdict; never from the prompt text. Enumerations follow OCSF 1.3.0:

| Airlock decision                  | action_id       | disposition_id   |
|-----------------------------------|-----------------|------------------|
| block                             | 2 Denied        | 2 Blocked        |
| redact (placeholders sent)        | 4 Modified      | 11 Corrected     |
| warn (user coached, may proceed)  | 4 Modified      | 23 Challenge     |
| allow (a rule alerts, no action)  | 1 Allowed       | 1 Allowed        |
| monitor mode (would have acted)   | 3 Observed      | 15 Detected      |

Warn is a challenge: the edge interrupts the prompt with the coaching message and the user must
acknowledge it to go on, which OCSF files under Modified (its examples: Captcha, Delayed).
Monitor mode maps to Observed/Detected, OCSF's "a policy violation was detected without
further action", so a SOC can tell rollout findings from enforced ones.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from typing import Any

from detectors.engine import CONFIDENCE_LEVELS
from detectors.findings import Finding
from streams.policy import ACTION_RANKS, CONFIDENCE_RANKS, Policy, Verdict

OCSF_VERSION = "1.3.0"
CLASS_UID = 2006
CATEGORY_UID = 2
ACTIVITY_CREATE = 1
TYPE_UID = CLASS_UID * 100 + ACTIVITY_CREATE

# Alert ids are UUIDv5 of tenant and event id: a redelivered event raises the same alert uid.
ALERT_NAMESPACE = uuid.UUID("5d0b7e1c-6a39-4c33-9a55-0e6f5b8a7a01")
_NAMESPACE_BYTES = ALERT_NAMESPACE.bytes

SEVERITY_IDS = {"low": 2, "medium": 3, "high": 4, "critical": 5}
SEVERITY_NAMES = {1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}
SEVERITY_ORDER = ("low", "medium", "high", "critical")
SEVERITY_RANKS = {severity: rank for rank, severity in enumerate(SEVERITY_ORDER)}
CONFIDENCE_IDS = {"low": 1, "medium": 2, "high": 3}
DESCRIPTION_PREVIEWS = 3  # distinct masked previews per detector in the description
ALERT_HASHES = 32  # distinct value hashes in unmapped.airlock.value_hashes

# OCSF data_security.category_id: 1 Personal, 3 Financial, 4 Business, 6 Security.
DATA_CATEGORIES: dict[str, tuple[int, str]] = {
    "pii": (1, "Personal"),
    "health": (1, "Personal"),
    "financial": (3, "Financial"),
    "confidential": (4, "Business"),
    "code": (4, "Business"),
    "secret": (6, "Security"),
    "credential_hash": (6, "Security"),
}
# OCSF data_security.detection_system_id per gateway kind.
DETECTION_SYSTEMS: dict[str, tuple[int, str]] = {
    "api_gateway": (2, "DLP Gateway"),
    "forward_proxy": (5, "Secure Web Gateway"),
    "browser_extension": (1, "Endpoint"),
}
# OCSF analytic.type_id.
ANALYTIC_RULE = 1
ANALYTIC_KEYWORD = 7
ANALYTIC_REGEX = 8
ANALYTIC_EXACT = 9
ANALYTIC_NAMES = {
    ANALYTIC_RULE: "Rule",
    ANALYTIC_KEYWORD: "Keyword Match",
    ANALYTIC_REGEX: "Regular Expressions",
    ANALYTIC_EXACT: "Exact Data Match",
}
ACTIONS: dict[str, tuple[int, str, int, str]] = {
    # decision -> action_id, action, disposition_id, disposition
    "block": (2, "Denied", 2, "Blocked"),
    "redact": (4, "Modified", 11, "Corrected"),
    "warn": (4, "Modified", 23, "Challenge"),
    "allow": (1, "Allowed", 1, "Allowed"),
    "monitor": (3, "Observed", 15, "Detected"),
}


@dataclass(frozen=True, slots=True)
class PartFinding:
    """A finding and the part of the event it was found in: "text" or "attachments[N]"."""

    part: str
    finding: Finding


@dataclass(frozen=True, slots=True)
class Detector:
    """What the alert says about a detector: its display name and how it detects."""

    name: str
    analytic_type_id: int = ANALYTIC_REGEX


@cache
def product_version() -> str:
    try:
        return metadata.version("airlock")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def alert_uid(tenant_id: str, event_id: str) -> str:
    """The alert's `finding_info.uid`, the same for every delivery of one event.

    `uuid.uuid5(ALERT_NAMESPACE, f"{tenant_id}\\x00{event_id}")`, spelt out (RFC 4122 4.3): the
    UUID object it builds on the way cost a few microseconds per alert.
    """
    name = f"{tenant_id}\x00{event_id}".encode()
    digest = hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest()
    version = (digest[6] & 0x0F) | 0x50
    variant = (digest[8] & 0x3F) | 0x80
    h = (digest[:6] + bytes((version,)) + digest[7:8] + bytes((variant,)) + digest[9:16]).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def build_alert(
    event: Mapping[str, Any],
    found: Sequence[PartFinding],
    verdict: Verdict,
    policy: Policy,
    *,
    decided_at: int,
    detectors: Mapping[str, Detector] | None = None,
) -> dict[str, Any]:
    """The OCSF Data Security Finding for one prompt event (valid against alert.v1.json)."""
    detectors = detectors or {}
    uid = alert_uid(event["tenant_id"], event["event_id"])
    app = event["app"]
    user = event["user"]
    gateway = event["gateway"]

    # One pass over the findings: per detector its count and first masked previews, the most
    # severe severity and confidence, the primary finding (most severe action, then severity,
    # then first), and the distinct value hashes.
    counts: dict[str, int] = {}
    previews: dict[str, list[str]] = {}
    hashes: dict[str, None] = {}
    worst = confidence = -1
    primary: Finding | None = None
    primary_key = (-1, -1)
    for pf, action in zip(found, verdict.finding_actions, strict=True):
        f = pf.finding
        if f.detector in counts:
            counts[f.detector] += 1
            shown = previews[f.detector]
            if len(shown) < DESCRIPTION_PREVIEWS and f.masked not in shown:
                shown.append(f.masked)
        else:
            counts[f.detector] = 1
            previews[f.detector] = [f.masked]
        severity = SEVERITY_RANKS[f.severity]
        if severity > worst:
            worst = severity
        if CONFIDENCE_RANKS[f.confidence] > confidence:
            confidence = CONFIDENCE_RANKS[f.confidence]
        key = (ACTION_RANKS[action], severity)
        if key > primary_key:
            primary, primary_key = f, key
        hashes[f.value_hash] = None
    severity_id = SEVERITY_IDS[SEVERITY_ORDER[max(worst, 0)]]
    outcome = "monitor" if policy.monitor and verdict.action != "allow" else verdict.enforced
    action_id, action_name, disposition_id, disposition = ACTIONS[outcome]
    system_id, system_name = DETECTION_SYSTEMS[gateway["kind"]]

    alert: dict[str, Any] = {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Data Security Finding",
        "type_uid": TYPE_UID,
        "type_name": "Data Security Finding: Create",
        "severity_id": severity_id,
        "severity": SEVERITY_NAMES[severity_id],
        "time": event["time"],
        "is_alert": True,
        "status_id": 1,
        "status": "New",
        "action_id": action_id,
        "action": action_name,
        "disposition_id": disposition_id,
        "disposition": disposition,
        "message": _message(app, verdict, policy, counts),
        "metadata": {
            "version": OCSF_VERSION,
            "uid": uid,
            "product": {
                "name": "Airlock",
                "vendor_name": "Airlock",
                "version": product_version(),
            },
            "profiles": ["security_control"],
            "correlation_uid": event["conversation_id"],
            "tenant_uid": event["tenant_id"],
            "logged_time": decided_at,
        },
        "finding_info": {
            "uid": uid,
            "title": _title(primary, app, counts, detectors),
            "desc": _description(previews, verdict, policy),
            "created_time": decided_at,
            "types": ["Data Loss Prevention"],
        },
        "data_security": {
            "data_lifecycle_state_id": 2,
            "data_lifecycle_state": "Data in-Transit",
            "detection_system_id": system_id,
            "detection_system": system_name,
            "policy": {
                "uid": policy.id,
                "name": verdict.rule or policy.id,
                "version": policy.version,
                "desc": f"rule {verdict.rule!r} of policy {policy.id!r}"
                if verdict.rule
                else f"policy {policy.id!r}",
                "is_applied": not policy.monitor,
            },
            "discovery_details": [
                {"type": detector, "count": count} for detector, count in counts.items()
            ],
        },
        "actor": {"user": _user(user)},
        "dst_endpoint": _destination(app),
        "unmapped": {
            "airlock": {
                "event_id": event["event_id"],
                "gateway": {"id": gateway["id"], "kind": gateway["kind"]},
                "app": {"name": app["name"], "operation": app["operation"]},
                "action": verdict.enforced,
                "policy_action": verdict.action,
                "monitor_only": policy.monitor,
                "policy_digest": policy.digest,
                "matched_rules": list(verdict.matched_rules),
                "value_hashes": list(hashes)[:ALERT_HASHES],
            }
        },
    }
    if primary is not None:
        detector = detectors.get(primary.detector, Detector(primary.label))
        category_id, category = DATA_CATEGORIES[primary.category]
        most_confident = CONFIDENCE_LEVELS[confidence]
        alert["confidence_id"] = CONFIDENCE_IDS[most_confident]
        alert["confidence"] = most_confident.capitalize()
        alert["finding_info"]["analytic"] = {
            "uid": primary.detector,
            "name": detector.name,
            "type_id": detector.analytic_type_id,
            "type": ANALYTIC_NAMES.get(detector.analytic_type_id, "Other"),
        }
        alert["data_security"].update(
            {
                "category_id": category_id,
                "category": category,
                "detection_pattern": primary.detector,
                "pattern_match": primary.masked,
            }
        )
    client = event.get("client")
    if client:
        endpoint = {k: client[k] for k in ("ip", "hostname") if k in client}
        if endpoint:
            alert["src_endpoint"] = endpoint
    return alert


def _user(user: Mapping[str, Any]) -> dict[str, Any]:
    rendered: dict[str, Any] = {"uid": user["id"], "type_id": 1, "type": "User"}
    if "email" in user:
        rendered["email_addr"] = user["email"]
    if user.get("groups"):
        rendered["groups"] = [{"name": g} for g in user["groups"]]
    return rendered


def _destination(app: Mapping[str, Any]) -> dict[str, Any]:
    endpoint: dict[str, Any] = {"svc_name": app["name"]}
    if app.get("host"):
        endpoint["hostname"] = app["host"]
    return endpoint


def _title(
    primary: Finding | None,
    app: Mapping[str, Any],
    counts: Mapping[str, int],
    detectors: Mapping[str, Detector],
) -> str:
    where = f"in a {app['operation']} to {app['name']}"
    if primary is None:
        return f"Policy match {where}"
    name = detectors[primary.detector].name if primary.detector in detectors else primary.label
    others = len(counts) - 1
    more = f" and {others} other detector{'s' if others > 1 else ''}" if others > 0 else ""
    return f"{name} {where}{more}"[:300]


def _description(previews: Mapping[str, Sequence[str]], verdict: Verdict, policy: Policy) -> str:
    decided = f"{verdict.action} by rule {verdict.rule!r}" if verdict.rule else verdict.action
    mode = " (monitor only: allowed)" if policy.monitor and verdict.action != "allow" else ""
    listed = "; ".join(f"{d}: {', '.join(p)}" for d, p in previews.items())
    return f"Prompt {decided} of policy {policy.id} v{policy.version}{mode}. Found {listed}."[:2000]


def _message(
    app: Mapping[str, Any], verdict: Verdict, policy: Policy, counts: Mapping[str, int]
) -> str:
    total = sum(counts.values())
    kind = "monitored" if policy.monitor and verdict.action != "allow" else verdict.enforced
    return (
        f"{app['operation'].capitalize()} to {app['name']}: {kind}, {total} finding"
        f"{'s' if total != 1 else ''} ({', '.join(counts)})"
    )[:1000]
