"""The decision path of one prompt event, without Kafka: raw bytes in, decision, alert or dead
letter out.

`Pipeline.process` is pure apart from the clock: the Faust agent hands it each message's value
with its topic, partition and offset, and produces what the Outcome holds. Checks run cheapest
first (size, JSON, schema, text), so bad input costs little and never reaches the engine.
Nothing in a decision, alert or dead-letter detail is taken from a detected value: only
`Finding.masked` and `Finding.value_hash` describe what was found.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from jsonschema import ValidationError
from jsonschema.exceptions import best_match

import schemas
from detectors.engine import Engine
from detectors.findings import Finding
from detectors.redaction import RedactionContext, redact
from streams.inflate import too_large_size
from streams.ocsf import (
    ANALYTIC_KEYWORD,
    ANALYTIC_REGEX,
    ANALYTIC_RULE,
    Detector,
    PartFinding,
    alert_uid,
    build_alert,
)
from streams.policy import ACTION_RANKS, CONFIDENCE_RANKS, Policy, PolicyStore, Verdict

# Bad input: decided by `Pipeline.process` before any scan.
INPUT_DEADLETTER_REASONS = (
    "not_json",
    "invalid_utf8",
    "schema_violation",
    "no_text",
    "too_large",
)
# Set aside by the worker so that one event cannot stop its partition: the pipeline raised on
# it twice (processing_failed), or an output of it could not be delivered (undeliverable).
WORKER_DEADLETTER_REASONS = ("processing_failed", "undeliverable")
DEADLETTER_REASONS = INPUT_DEADLETTER_REASONS + WORKER_DEADLETTER_REASONS

# Dead letters carry the original payload in base64 (4/3 of its size); beyond this many bytes
# only the first ones are kept, so that a dead letter stays under Kafka's default 1 MB limit.
DEADLETTER_PAYLOAD_MAX_BYTES = 512 * 1024
MAX_MASKED = 3
MAX_HASHES = 32
# Bounds of a decision's lists, whatever the prompt holds: a 1 MB prompt of 140,000 e-mail
# addresses would otherwise list 140,000 spans and exceed Kafka's message size. A prompt with
# more spans to redact than MAX_REDACTIONS cannot be redacted by the edge in full: it is blocked
# (fail closed) and `redactions_omitted` says how many spans there were.
MAX_REDACTIONS = 1000
MAX_REASONS = 256
# No output of the worker is larger than this once serialized (under the broker's and the
# producer's default 1 MB message limits); a larger one is replaced by an `undeliverable` dead
# letter (streams/app.py). With the caps above a decision or alert stays far below it.
MAX_OUTPUT_BYTES = 900_000
_DECISION_VERSION = schemas.VERSIONS["decision"]
SCAN_INCOMPLETE_MESSAGE = (
    "This prompt could not be checked in time and was blocked. Send a shorter text."
)
REDACTIONS_OVERFLOW_MESSAGE = (
    "This prompt holds too much sensitive data to redact and was blocked. Remove the personal "
    "data or split the text."
)


# Not frozen: a frozen dataclass sets each field through object.__setattr__, which cost 1 µs of
# the per-event budget (bench/process.py). Treat an Outcome as read-only all the same.
@dataclass(slots=True)
class Outcome:
    """Everything the worker publishes and counts for one consumed message."""

    event_id: str | None
    tenant_id: str | None
    app: str | None
    decision: dict[str, Any] | None  # valid against schemas/decision.v1.json; None for dead letters
    alert: dict[str, Any] | None  # OCSF 2006, valid against schemas/alert.v1.json, or None
    deadletter: dict[str, Any] | None  # valid against schemas/deadletter.v1.json, or None
    findings: tuple[Finding, ...]  # for metrics (detector, category)
    scanned_bytes: int
    scan_seconds: float
    # The decisions partition the event's gateway reads (gateway.reply_partition), or None.
    reply_partition: int | None = None

    @property
    def action(self) -> str | None:
        return self.decision["action"] if self.decision is not None else None


class Pipeline:
    """Decides prompt events. Not thread-safe (the Engine is not): one per agent."""

    def __init__(
        self,
        engine: Engine,
        policies: PolicyStore,
        max_event_bytes: int,
        *,
        deadletter_payload_max_bytes: int = DEADLETTER_PAYLOAD_MAX_BYTES,
        scan_deadline_s: float | None = None,
        fail_mode: str = "block",
    ) -> None:
        self.engine = engine
        # The scan of one event stops this long after it began; its decision then carries
        # scan_incomplete and, in fail mode "block", blocks (else the findings so far decide).
        self.scan_deadline_s = scan_deadline_s
        self.fail_mode = fail_mode
        self.policies = policies
        self.max_event_bytes = max_event_bytes
        self.deadletter_payload_max_bytes = deadletter_payload_max_bytes
        self._event_check = schemas.fast_validator("prompt_event")
        self._event_validator = schemas.validator("prompt_event")
        self.detectors: dict[str, Detector] = {
            rule.id: Detector(rule.name, ANALYTIC_RULE if rule.aggregate else ANALYTIC_REGEX)
            for rule in engine.rules
        }
        for dictionary in engine.dictionaries:
            rule = dictionary.rule()
            self.detectors[rule.id] = Detector(rule.name, ANALYTIC_KEYWORD)
        policies.require_detectors(self.detectors)

    def process(
        self,
        raw: bytes | None,
        *,
        topic: str,
        partition: int,
        offset: int,
        now: float | None = None,
    ) -> Outcome:
        """Decide one message of the prompts topic; never raises for bad input."""
        started = time.perf_counter()
        clock = now if now is not None else time.time()
        payload = raw if raw is not None else b""
        where = (topic, partition, offset, clock)

        inflated = too_large_size(payload)
        if inflated is not None:
            # The consumer inflated a compressed record past the limit and kept no value
            # (streams/inflate.py): the original stays on the source topic.
            return self._deadletter(
                payload,
                "too_large",
                f"the message inflates to {inflated} bytes or more; the limit "
                f"(max_event_bytes) is {self.max_event_bytes}",
                *where,
            )
        if len(payload) > self.max_event_bytes:
            return self._deadletter(
                payload,
                "too_large",
                f"the message has {len(payload)} bytes; the limit (max_event_bytes) is "
                f"{self.max_event_bytes}",
                *where,
            )
        if not payload:
            return self._deadletter(payload, "not_json", "the message is empty (no value)", *where)
        try:
            document = orjson.loads(payload)
        except orjson.JSONDecodeError:
            try:
                payload.decode("utf-8")
            except UnicodeDecodeError as exc:
                detail = f"the message is not valid UTF-8 (byte {exc.start})"
                return self._deadletter(payload, "invalid_utf8", detail, *where)
            return self._deadletter(payload, "not_json", "the message is not valid JSON", *where)
        if not isinstance(document, dict):
            detail = f"the message is JSON {_json_type(document)}, not an object"
            return self._deadletter(payload, "not_json", detail, *where)
        # jsonschema-rs answers "valid or not" only; the reference validator explains a no.
        if not self._event_check.is_valid(document):
            error = best_match(self._event_validator.iter_errors(document))
            # The two implementations agree on every schema keyword; should a format check
            # ever differ, the stricter verdict wins and the detail says so.
            detail = describe_error(error) if error is not None else "$: rejected by a format check"
            return self._deadletter(payload, "schema_violation", detail, *where, document)
        if _has_duplicate_keys(payload):
            # orjson keeps the last of two equal keys, another reader may keep the first: an
            # event must not mean one text to the edge and another to the scan.
            detail = "$: an object of the event has the same key twice (duplicate keys)"
            return self._deadletter(payload, "schema_violation", detail, *where)
        credential = self._credential_in_identifiers(document)
        if credential is not None:
            # Identifiers are copied into decisions, alerts and logs: none may carry a secret.
            # The dead letter gets no identifier from the event (document not passed).
            return self._deadletter(payload, "schema_violation", credential, *where)
        content = document["content"]
        text = content["text"]
        parts = [("text", text)]
        # `not text.isspace()` is `text.strip() != ""` without copying the text.
        has_text = text and not text.isspace()
        attachments = content.get("attachments")
        if attachments:
            parts += [(f"attachments[{i}]", a["text"]) for i, a in enumerate(attachments)]
            has_text = has_text or any(t and not t.isspace() for _, t in parts)
        if not has_text:
            return self._deadletter(
                payload,
                "no_text",
                "content.text is empty and no attachment has text (nothing to scan)",
                *where,
                document,
            )

        scan = self.engine.scan
        findings: list[Finding] = []
        found: list[PartFinding] = []
        scanned = 0
        scan_started = time.perf_counter()
        budget = self.scan_deadline_s
        deadline = time.monotonic() + budget if budget is not None else None
        incomplete = False
        for part, text in parts:
            if incomplete:
                break
            if text:
                # The engine encodes the text too; ASCII text (most prompts) needs no copy here.
                ascii_only = text.isascii()
                scanned += len(text) if ascii_only else len(text.encode("utf-8", "surrogatepass"))
                part_findings = scan(text, deadline=deadline)
                incomplete = self.engine.incomplete
                if part_findings:
                    findings += part_findings
                    found += [PartFinding(part, f) for f in part_findings]
        scan_seconds = time.perf_counter() - scan_started

        policy = self.policies.for_tenant(document["tenant_id"])
        app = document["app"]
        verdict = policy.evaluate(
            findings,
            app=app["name"],
            operation=app["operation"],
            groups=document["user"].get("groups", ()),
        )
        alert = None
        if verdict.alert:
            alert = build_alert(
                document, found, verdict, policy, decided_at=_ms(clock), detectors=self.detectors
            )
        decision = self._decision(document, parts, found, verdict, policy, alert, incomplete)
        decision["timings"] = {
            "scan_ms": round(scan_seconds * 1000, 3),
            "decide_ms": round((time.perf_counter() - started) * 1000, 3),
        }
        decision["decided_at"] = _ms(now if now is not None else time.time())
        return Outcome(
            event_id=document["event_id"],
            tenant_id=document["tenant_id"],
            app=app["name"],
            decision=decision,
            alert=alert,
            deadletter=None,
            findings=tuple(findings),
            scanned_bytes=scanned,
            scan_seconds=scan_seconds,
            reply_partition=document["gateway"].get("reply_partition"),
        )

    def _decision(
        self,
        event: Mapping[str, Any],
        parts: Sequence[tuple[str, str]],
        found: Sequence[PartFinding],
        verdict: Verdict,
        policy: Policy,
        alert: Mapping[str, Any] | None,
        incomplete: bool = False,
    ) -> dict[str, Any]:
        """The decision, its timings and time still to be set (they are measured last)."""
        app = event["app"]
        action, policy_action, message = verdict.enforced, verdict.action, verdict.message
        if incomplete and self.fail_mode == "block" and policy_action != "block":
            # The scan ran out of time: what it did not read may hold anything (fail closed).
            policy_action = "block"
            action = "allow" if policy.monitor else "block"
            message = SCAN_INCOMPLETE_MESSAGE
        spans = redactions(parts, found, verdict) if action == "redact" else []
        omitted = 0
        if len(spans) > MAX_REDACTIONS:
            # Fail closed: the edge could not replace every span, so the prompt does not go out.
            omitted, spans = len(spans), []
            action = policy_action = "block"
            message = REDACTIONS_OVERFLOW_MESSAGE
        listed = reasons(found, verdict.finding_actions) if found else []
        decision = {
            "schema_version": _DECISION_VERSION,
            "event_id": event["event_id"],
            "tenant_id": event["tenant_id"],
            "conversation_id": event["conversation_id"],
            "user_id": event["user"]["id"],
            "app": {"name": app["name"], "operation": app["operation"]},
            "action": action,
            "policy_action": policy_action,
            "monitor_only": policy.monitor,
            "alert": alert["finding_info"]["uid"] if alert is not None else None,
            "reasons": listed[:MAX_REASONS],
            "redactions": spans,
            "message": message,
            "policy": {
                "id": policy.id,
                "version": policy.version,
                "digest": policy.digest,
                "rule": verdict.rule,
            },
            "timings": None,
            "event_time": event["time"],
            "decided_at": None,
        }
        if omitted:
            decision["redactions_omitted"] = omitted
        if incomplete:
            decision["scan_incomplete"] = True
        if len(listed) > MAX_REASONS:
            decision["reasons_omitted"] = len(listed) - MAX_REASONS
        return decision

    def _credential_in_identifiers(self, document: Mapping[str, Any]) -> str | None:
        """Where an identifier of the event holds what looks like a credential, or None."""
        fields = [
            ("$.event_id", document["event_id"]),
            ("$.conversation_id", document["conversation_id"]),
            ("$.user.id", document["user"]["id"]),
            ("$.gateway.id", document["gateway"]["id"]),
        ]
        joined = "\n".join(value for _, value in fields)
        for finding in self.engine.scan(joined):
            if finding.category == "secret":
                field = fields[joined.count("\n", 0, finding.start)][0]
                return (
                    f"{field}: an identifier holds what looks like a credential "
                    f"({finding.detector}); identifiers are copied into decisions and alerts"
                )
        return None

    def set_aside(
        self,
        raw: bytes | None,
        reason: str,
        detail: str,
        *,
        topic: str,
        partition: int,
        offset: int,
        event_id: str | None = None,
        tenant_id: str | None = None,
    ) -> Outcome:
        """A dead letter the worker publishes in place of an event's outputs (one of
        WORKER_DEADLETTER_REASONS), with the event's ids when its decision had them."""
        document = {"event_id": event_id, "tenant_id": tenant_id}
        payload = raw if raw is not None else b""
        return self._deadletter(
            payload, reason, detail, topic, partition, offset, time.time(), document
        )

    def _deadletter(
        self,
        payload: bytes,
        reason: str,
        detail: str,
        topic: str,
        partition: int,
        offset: int,
        clock: float,
        document: Any = None,
    ) -> Outcome:
        kept = payload[: self.deadletter_payload_max_bytes]
        event_id = _valid_field(document, "event_id", "id")
        tenant_id = _valid_field(document, "tenant_id", None)
        app = None
        if isinstance(document, dict) and isinstance(document.get("app"), dict):
            name = document["app"].get("name")
            app_names = schemas.load("prompt_event")["$defs"]["app"]["properties"]["name"]["enum"]
            app = name if name in app_names else None
        letter = {
            "schema_version": schemas.VERSIONS["deadletter"],
            "reason": reason,
            "detail": detail[:1000],
            "source": {"topic": topic, "partition": partition, "offset": offset},
            "received_at": _ms(clock),
            "event_id": event_id,
            "tenant_id": tenant_id,
            "payload_bytes": len(payload),
            "payload_b64": base64.b64encode(kept).decode("ascii"),
            "payload_truncated": len(kept) < len(payload),
        }
        return Outcome(
            event_id=event_id,
            tenant_id=tenant_id,
            app=app,
            decision=None,
            alert=None,
            deadletter=letter,
            findings=(),
            scanned_bytes=0,
            scan_seconds=0.0,
        )


def reasons(found: Sequence[PartFinding], actions: Sequence[str]) -> list[dict[str, Any]]:
    """One entry per detector, in order of first occurrence, with masked previews and hashes."""
    by_detector: dict[str, dict[str, Any]] = {}
    for pf, action in zip(found, actions, strict=True):
        f = pf.finding
        entry = by_detector.get(f.detector)
        if entry is None:
            entry = by_detector[f.detector] = {
                "detector": f.detector,
                "category": f.category,
                "severity": f.severity,
                "count": 0,
                "confidence": f.confidence,
                "action": action,
                "parts": [],
                "masked": [],
                "value_hashes": [],
            }
        entry["count"] += 1
        if CONFIDENCE_RANKS[f.confidence] > CONFIDENCE_RANKS[entry["confidence"]]:
            entry["confidence"] = f.confidence
        if ACTION_RANKS[action] > ACTION_RANKS[entry["action"]]:
            entry["action"] = action
        if pf.part not in entry["parts"]:
            entry["parts"].append(pf.part)
        if f.value_hash not in entry["value_hashes"] and len(entry["value_hashes"]) < MAX_HASHES:
            entry["value_hashes"].append(f.value_hash)
            if len(entry["masked"]) < MAX_MASKED:
                entry["masked"].append(f.masked)
    return list(by_detector.values())


def redactions(
    parts: Sequence[tuple[str, str]], found: Sequence[PartFinding], verdict: Verdict
) -> list[dict[str, Any]]:
    """The spans to replace: the findings the policy marked redact, part by part.

    One RedactionContext per event: placeholders are numbered per prompt ([EMAIL_1]...), and
    the same value gets the same placeholder in the text and in every attachment.
    """
    context = RedactionContext()
    spans: list[dict[str, Any]] = []
    for part, text in parts:
        selected = [
            pf.finding
            for pf, action in zip(found, verdict.finding_actions, strict=True)
            if pf.part == part and action == "redact"
        ]
        if not selected:
            continue
        for r in redact(text, selected, context).replacements:
            spans.append(
                {
                    "part": part,
                    "start": r.start,
                    "end": r.end,
                    "placeholder": r.placeholder,
                    "detector": r.detector,
                }
            )
    return spans


def describe_error(error: ValidationError) -> str:
    """Where and how a document breaks the schema, without echoing any value from it.

    jsonschema's own messages quote the offending value (which may be prompt text), so the
    detail is rebuilt from the path (property names of the schema, array indices) and the
    keyword with the schema's expectation.
    """
    where = _path(error.absolute_path)
    keyword = str(error.validator)
    expected = error.validator_value
    if keyword == "required" and isinstance(error.instance, dict):
        missing = [k for k in expected if k not in error.instance]
        return f"{where}: missing required field(s) {', '.join(missing)}"
    if keyword == "additionalProperties":
        return f"{where}: unexpected field(s) not defined by the schema"
    if keyword == "type":
        return f"{where}: expected type {expected}, got {_json_type(error.instance)}"
    if keyword in ("enum", "const"):
        allowed = expected if keyword == "enum" else [expected]
        return f"{where}: expected one of {', '.join(map(str, allowed))}"
    if keyword == "format":
        return f"{where}: not a valid {expected}"
    if keyword == "pattern":
        return f"{where}: does not match the pattern {expected}"
    if keyword in ("minLength", "maxLength", "minItems", "maxItems", "minimum", "maximum"):
        return f"{where}: violates {keyword} {expected}"
    if keyword == "uniqueItems":
        return f"{where}: items must be unique"
    return f"{where}: violates the schema keyword {keyword!r}"


def _path(path: Sequence[str | int]) -> str:
    rendered = "$"
    for element in path:
        rendered += f"[{element}]" if isinstance(element, int) else f".{element}"
    return rendered


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


class _DuplicateKey(Exception):
    pass


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _DuplicateKey
    return result


def _has_duplicate_keys(payload: bytes) -> bool:
    """Whether any object of the (valid JSON) payload has the same key twice."""
    try:
        json.loads(payload, object_pairs_hook=_reject_duplicates)
    except _DuplicateKey:
        return True
    except ValueError:  # orjson read it; should Python's parser not, orjson's reading stands
        return False
    return False


def _valid_field(document: Any, name: str, definition: str | None) -> str | None:
    """A top-level identifier of a (possibly invalid) event, when it is itself valid."""
    if not isinstance(document, dict):
        return None
    value = document.get(name)
    if not isinstance(value, str):
        return None
    schema = schemas.load("prompt_event")
    sub = schema["$defs"][definition] if definition else schema["properties"][name]
    validator = schemas.validator("prompt_event")
    return value if validator.evolve(schema=sub).is_valid(value) else None


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


__all__ = [
    "DEADLETTER_REASONS",
    "INPUT_DEADLETTER_REASONS",
    "MAX_OUTPUT_BYTES",
    "WORKER_DEADLETTER_REASONS",
    "Outcome",
    "PartFinding",
    "Pipeline",
    "alert_uid",
    "describe_error",
]
