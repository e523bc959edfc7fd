"""The decision path without Kafka: one event of each kind in, the right message out, every
message valid against its schema, and no detected value ever in clear."""

from __future__ import annotations

import base64
import random
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import schemas
from detectors.engine import Engine
from streams.pipeline import INPUT_DEADLETTER_REASONS, Outcome, Pipeline
from streams.policy import PolicyStore
from tests.canaries import aws_key, luhn_card, random_email

from .conftest import CODENAME_DETECTOR, POLICY_DIR, encode, make_event

TOPIC = "airlock.prompts"
AWS_KEY = "AKIAQ5MZ3W7XK2NBR4TY"


def run(pipeline: Pipeline, raw: bytes | None, offset: int = 0, **kw: Any) -> Outcome:
    outcome = pipeline.process(raw, topic=TOPIC, partition=3, offset=offset, **kw)
    assert_valid(outcome)
    return outcome


def assert_valid(outcome: Outcome) -> None:
    """Exactly one of decision / dead letter, each valid against its schema; alerts too."""
    assert (outcome.decision is None) != (outcome.deadletter is None)
    for name, message in (
        ("decision", outcome.decision),
        ("alert", outcome.alert),
        ("deadletter", outcome.deadletter),
    ):
        if message is not None:
            errors = [e.message for e in schemas.validator(name).iter_errors(message)]
            assert errors == [], (name, errors)
    if outcome.decision is not None:
        assert (outcome.alert is not None) == (outcome.decision["alert"] is not None)
        if outcome.alert is not None:
            assert outcome.decision["alert"] == outcome.alert["finding_info"]["uid"]
        orjson.dumps(outcome.decision)  # serialisable as is


# --- one event of each kind --------------------------------------------------------------------


def test_clean_prompt_is_allowed(pipeline: Pipeline) -> None:
    outcome = run(pipeline, encode(make_event("Write a haiku about the sea.")))
    decision = outcome.decision
    assert decision is not None
    assert decision["action"] == decision["policy_action"] == "allow"
    assert decision["reasons"] == [] and decision["redactions"] == []
    assert decision["message"] is None and decision["alert"] is None
    assert decision["policy"] == {
        "id": "default",
        "version": "1",
        "digest": PolicyStore(POLICY_DIR).for_tenant("default").digest,
        "rule": None,
    }
    assert outcome.alert is None and outcome.findings == ()
    assert (outcome.event_id, outcome.tenant_id, outcome.app) == ("evt-0001", "initech", "chatgpt")
    assert outcome.scanned_bytes == len(b"Write a haiku about the sea.")


def test_aws_key_is_blocked_with_an_alert(pipeline: Pipeline) -> None:
    outcome = run(pipeline, encode(make_event(f"why does boto3 reject {AWS_KEY}?")))
    decision = outcome.decision
    assert decision is not None
    assert decision["action"] == "block"
    assert decision["policy"]["rule"] == "block-secrets"
    assert "rotate" in decision["message"]
    assert decision["redactions"] == []
    [reason] = decision["reasons"]
    assert reason["detector"] == "aws-access-key-id"
    assert reason["category"] == "secret"
    assert reason["count"] == 1
    assert reason["masked"] == ["AKIA************R4TY"]
    assert reason["parts"] == ["text"]
    assert reason["action"] == "block"
    assert outcome.alert is not None
    assert [f.detector for f in outcome.findings] == ["aws-access-key-id"]
    assert AWS_KEY not in orjson.dumps(decision).decode()


def test_email_is_redacted_with_spans_and_placeholders(pipeline: Pipeline) -> None:
    text = (
        "Draft a reply to jane.roe@initech.example and cc bill.l@initech.example; "
        "jane.roe@initech.example asked first."
    )
    outcome = run(pipeline, encode(make_event(text)))
    decision = outcome.decision
    assert decision is not None
    assert decision["action"] == "redact"
    assert decision["policy"]["rule"] == "redact-personal-data"
    spans = decision["redactions"]
    assert [text[s["start"] : s["end"]] for s in spans] == [
        "jane.roe@initech.example",
        "bill.l@initech.example",
        "jane.roe@initech.example",
    ]
    assert [s["placeholder"] for s in spans] == ["[EMAIL_1]", "[EMAIL_2]", "[EMAIL_1]"]
    assert {s["part"] for s in spans} == {"text"}
    assert {s["detector"] for s in spans} == {"email"}
    [reason] = decision["reasons"]
    assert reason["count"] == 3 and len(reason["value_hashes"]) == 2
    assert len(reason["masked"]) == 2
    assert outcome.alert is not None
    assert "jane.roe@initech.example" not in orjson.dumps(decision).decode()


def test_redaction_spans_cover_attachments_and_share_placeholders(pipeline: Pipeline) -> None:
    event = make_event("Summarise the attached file for jane.roe@initech.example")
    attachment = "Contact: jane.roe@initech.example, mo.z@initech.example"
    event["content"]["attachments"] = [
        {"name": "contacts.txt", "media_type": "text/plain", "text": attachment}
    ]
    decision = run(pipeline, encode(event)).decision
    assert decision is not None
    spans = decision["redactions"]
    assert [(s["part"], s["placeholder"]) for s in spans] == [
        ("text", "[EMAIL_1]"),
        ("attachments[0]", "[EMAIL_1]"),
        ("attachments[0]", "[EMAIL_2]"),
    ]
    assert attachment[spans[2]["start"] : spans[2]["end"]] == "mo.z@initech.example"
    assert decision["reasons"][0]["parts"] == ["text", "attachments[0]"]


def test_only_findings_of_redact_rules_are_redacted(pipeline: Pipeline) -> None:
    text = "Project Nightjar budget: ask jane.roe@initech.example"
    decision = run(pipeline, encode(make_event(text))).decision
    assert decision is not None
    assert decision["action"] == "redact"
    assert [s["detector"] for s in decision["redactions"]] == ["email"]
    actions = {r["detector"]: r["action"] for r in decision["reasons"]}
    assert actions == {CODENAME_DETECTOR: "warn", "email": "redact"}


def test_confidential_marking_warns_with_the_coaching_message(pipeline: Pipeline) -> None:
    outcome = run(pipeline, encode(make_event("Summarise the Project Nightjar roadmap")))
    decision = outcome.decision
    assert decision is not None
    assert decision["action"] == "warn"
    assert decision["policy"]["rule"] == "warn-confidential"
    default = PolicyStore(POLICY_DIR).for_tenant("default")
    assert decision["message"] == default.messages["warn"]
    assert decision["reasons"][0]["detector"] == CODENAME_DETECTOR
    assert outcome.alert is not None  # confidential documents alert


def test_monitor_tenant_is_allowed_but_alerted(pipeline: Pipeline) -> None:
    outcome = run(pipeline, encode(make_event(f"key {AWS_KEY}", tenant_id="globex")))
    decision = outcome.decision
    assert decision is not None
    assert decision["action"] == "allow"
    assert decision["policy_action"] == "block"
    assert decision["monitor_only"] is True
    assert decision["message"] is None
    assert decision["policy"]["id"] == "globex"
    assert outcome.alert is not None


def test_tenant_scope_rule_blocks_a_clean_upload(pipeline: Pipeline) -> None:
    app = {"name": "perplexity", "host": "www.perplexity.ai", "operation": "upload"}
    event = make_event("", tenant_id="acme", app=app)
    event["content"]["attachments"] = [
        {"name": "plan.txt", "media_type": "text/plain", "text": "Nothing sensitive here."}
    ]
    decision = run(pipeline, encode(event)).decision
    assert decision is not None
    assert decision["action"] == "block"
    assert decision["policy"]["rule"] == "block-uploads-to-unapproved-apps"
    assert decision["reasons"] == []


def test_now_sets_the_decision_time(pipeline: Pipeline) -> None:
    decision = run(pipeline, encode(make_event("hello")), now=1_760_000_001.5).decision
    assert decision is not None
    assert decision["decided_at"] == 1_760_000_001_500
    assert decision["event_time"] == 1_760_000_000_000
    assert decision["timings"]["scan_ms"] >= 0
    assert decision["timings"]["decide_ms"] >= decision["timings"]["scan_ms"]


def test_duplicates_get_the_same_decision(pipeline: Pipeline) -> None:
    raw = encode(make_event(f"mail jane.roe@initech.example with {AWS_KEY}"))
    first = run(pipeline, raw, offset=1)
    second = run(pipeline, raw, offset=2, now=2_000_000_000.0)
    assert first.decision is not None and second.decision is not None
    for message in (first.decision, second.decision):
        del message["timings"], message["decided_at"]
    assert first.decision == second.decision
    assert first.alert is not None and second.alert is not None
    for alert in (first.alert, second.alert):
        del alert["finding_info"]["created_time"], alert["metadata"]["logged_time"]
    assert first.alert == second.alert


# --- dead letters --------------------------------------------------------------------------------


def dead(outcome: Outcome, reason: str, offset: int) -> dict[str, Any]:
    letter = outcome.deadletter
    assert letter is not None
    assert outcome.decision is None and outcome.alert is None
    assert letter["reason"] == reason
    assert letter["source"] == {"topic": TOPIC, "partition": 3, "offset": offset}
    return letter


def test_not_json(pipeline: Pipeline) -> None:
    raw = b'{"event_id": "e1", "content": {"text": "unterminated'
    letter = dead(run(pipeline, raw, offset=10), "not_json", 10)
    assert letter["detail"] == "the message is not valid JSON"
    assert base64.b64decode(letter["payload_b64"]) == raw
    assert letter["payload_bytes"] == len(raw) and not letter["payload_truncated"]
    assert letter["event_id"] is None and letter["tenant_id"] is None


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (b"[1, 2]", "JSON array"),
        (b'"just a string"', "JSON string"),
        (b"42", "JSON number"),
        (b"null", "JSON null"),
        (b"", "empty"),
        (None, "empty"),
    ],
)
def test_not_a_json_object(pipeline: Pipeline, raw: bytes | None, detail: str) -> None:
    letter = dead(run(pipeline, raw, offset=11), "not_json", 11)
    assert detail in letter["detail"]


def test_invalid_utf8(pipeline: Pipeline) -> None:
    raw = encode(make_event("caf\u00e9")).replace(b"caf\xc3\xa9", b"caf\xe9")
    letter = dead(run(pipeline, raw, offset=12), "invalid_utf8", 12)
    assert "not valid UTF-8" in letter["detail"]
    assert base64.b64decode(letter["payload_b64"]) == raw


def test_schema_violation_names_the_field_without_the_value(pipeline: Pipeline) -> None:
    event = make_event(app={"name": "bard-SECRETVALUE", "operation": "prompt"})
    letter = dead(run(pipeline, encode(event), offset=13), "schema_violation", 13)
    assert letter["detail"].startswith("$.app.name: expected one of chatgpt")
    assert "SECRETVALUE" not in letter["detail"]
    assert (letter["event_id"], letter["tenant_id"]) == ("evt-0001", "initech")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda e: e.pop("conversation_id"), "$: missing required field(s) conversation_id"),
        (lambda e: e.update(leak="x"), "$: unexpected field(s)"),
        (lambda e: e["user"].update(email="no-at-sign"), "$.user.email: not a valid email"),
        (lambda e: e.update(time="yesterday"), "$.time: expected type integer, got string"),
        (lambda e: e["content"].update(text=["a"]), "$.content.text: expected type string"),
        (lambda e: e.update(tenant_id="Acme Corp"), "$.tenant_id: does not match the pattern"),
        (
            lambda e: e["content"].update(attachments=[{"name": "a", "media_type": "text/plain"}]),
            "$.content.attachments[0]: missing required field(s) text",
        ),
    ],
)
def test_schema_violation_details(pipeline: Pipeline, change: Any, expected: str) -> None:
    event = make_event()
    change(event)
    letter = dead(run(pipeline, encode(event), offset=14), "schema_violation", 14)
    assert letter["detail"].startswith(expected), letter["detail"]


def test_unreadable_ids_are_null_in_the_dead_letter(pipeline: Pipeline) -> None:
    event = make_event(event_id="has spaces in it", tenant_id="../x")
    letter = dead(run(pipeline, encode(event), offset=15), "schema_violation", 15)
    assert letter["event_id"] is None and letter["tenant_id"] is None


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_no_text(pipeline: Pipeline, text: str) -> None:
    letter = dead(run(pipeline, encode(make_event(text)), offset=16), "no_text", 16)
    assert "content.text" in letter["detail"]
    assert letter["event_id"] == "evt-0001"


def test_attachment_text_alone_is_enough(pipeline: Pipeline) -> None:
    event = make_event("")
    event["content"]["attachments"] = [
        {"name": "a.txt", "media_type": "text/plain", "text": "key " + AWS_KEY}
    ]
    decision = run(pipeline, encode(event)).decision
    assert decision is not None
    assert decision["action"] == "block"
    assert decision["reasons"][0]["parts"] == ["attachments[0]"]


def test_attachments_without_text_are_no_text(pipeline: Pipeline) -> None:
    event = make_event("")
    event["content"]["attachments"] = [{"name": "a.png", "media_type": "image/png", "text": ""}]
    dead(run(pipeline, encode(event), offset=17), "no_text", 17)


def test_too_large_is_checked_before_parsing(engine: Engine) -> None:
    pipeline = Pipeline(
        engine, PolicyStore(POLICY_DIR), max_event_bytes=2048, deadletter_payload_max_bytes=1024
    )
    raw = b"\xff" * 3000  # neither UTF-8 nor JSON: the size check runs first
    letter = dead(run(pipeline, raw, offset=18), "too_large", 18)
    assert "3000 bytes" in letter["detail"] and "2048" in letter["detail"]
    assert letter["payload_bytes"] == 3000
    assert letter["payload_truncated"] is True
    assert base64.b64decode(letter["payload_b64"]) == raw[:1024]
    at_limit = encode(make_event("x" * (2048 - len(encode(make_event(""))))))
    assert len(at_limit) == 2048
    assert run(pipeline, at_limit).decision is not None


def test_every_reason_is_produced(pipeline: Pipeline) -> None:
    small = Pipeline(pipeline.engine, pipeline.policies, max_event_bytes=1024)
    seen = {
        run(pipeline, b"nope").deadletter["reason"],  # type: ignore[index]
        run(pipeline, b"\xc3\x28").deadletter["reason"],  # type: ignore[index]
        run(pipeline, b"{}").deadletter["reason"],  # type: ignore[index]
        run(pipeline, encode(make_event(""))).deadletter["reason"],  # type: ignore[index]
        run(small, b" " * 2000).deadletter["reason"],  # type: ignore[index]
    }
    assert seen == set(INPUT_DEADLETTER_REASONS)


def test_unknown_detector_in_a_policy_fails_when_the_pipeline_starts(
    engine: Engine, tmp_path: Any
) -> None:
    (tmp_path / "default.yaml").write_text(
        "id: d\nversion: 1\nrules:\n  - name: typo\n    match: {detectors: [aws-key]}\n"
        "    action: block\n"
    )
    from streams.policy import PolicyError

    with pytest.raises(PolicyError, match="rule 'typo'"):
        Pipeline(engine, PolicyStore(tmp_path), max_event_bytes=4096)


# --- canary: no detected value ever leaves in clear ----------------------------------------------


def canaries(seed: int) -> dict[str, str]:
    rng = random.Random(seed)
    return {
        "aws": aws_key(rng),
        "email": random_email(rng, prefix="canary.", domain="initech.example"),
        "card": luhn_card(rng),
    }


def hidden_parts(value: str) -> list[str]:
    """What must never appear: the value, and its middle (the part a mask hides)."""
    keep = 4 if len(value) >= 16 else 2
    return [value, value[keep:-keep]]


@pytest.mark.parametrize("seed", range(5))
def test_canaries_never_appear_in_clear(pipeline: Pipeline, seed: int) -> None:
    values = canaries(seed)
    aws, email, card = values["aws"], values["email"], values["card"]
    texts = [
        f"please debug: aws_access_key_id = {aws}",
        f"email {email} about the invoice",
        f"charge card {card} now",
        f"everything: {aws} {email} {card}",
    ]
    outcomes: list[Outcome] = []
    for i, text in enumerate(texts):
        outcomes.append(run(pipeline, encode(make_event(text, event_id=f"c{seed}-{i}")), i))
        outcomes.append(
            run(pipeline, encode(make_event(text, event_id=f"m{seed}-{i}", tenant_id="globex")))
        )
        event = make_event("see attachment", event_id=f"a{seed}-{i}")
        event["content"]["attachments"] = [
            {"name": "f.txt", "media_type": "text/plain", "text": text}
        ]
        outcomes.append(run(pipeline, encode(event)))
    # Canaries inside malformed events: the dead-letter detail never quotes them.
    bad_app = make_event(texts[3], app={"name": aws, "operation": "prompt"})
    bad_email = make_event(texts[3])
    bad_email["user"]["email"] = aws
    bad_type = make_event(texts[3])
    bad_type["content"]["text"] = [aws, email]
    bad_extra = make_event(texts[3])
    bad_extra[email] = card
    letters = [run(pipeline, encode(bad)) for bad in (bad_app, bad_email, bad_type, bad_extra)]
    letters.append(run(pipeline, f'{{"text": "{aws} {email} {card}"'.encode()))
    letters.append(run(pipeline, f"{aws} {email} {card}".encode("latin-1") + b"\xff"))
    assert {o.deadletter["reason"] for o in letters if o.deadletter} == {
        "schema_violation",
        "not_json",
        "invalid_utf8",
    }

    found = {f.detector for o in outcomes for f in o.findings}
    assert {"aws-access-key-id", "email", "payment-card"} <= found
    assert {o.decision["action"] for o in outcomes if o.decision} == {"block", "redact", "allow"}
    assert sum(o.alert is not None for o in outcomes) == len(outcomes)

    published = [orjson.dumps(o.decision) for o in outcomes]
    published += [orjson.dumps(o.alert) for o in outcomes if o.alert is not None]
    for o in letters:
        assert o.deadletter is not None
        without_payload = {k: v for k, v in o.deadletter.items() if k != "payload_b64"}
        published.append(orjson.dumps(without_payload))
    published += [repr(f).encode() for o in outcomes for f in o.findings]
    blob = b"\n".join(published).decode()
    for value in values.values():
        for hidden in hidden_parts(value):
            assert hidden not in blob, f"canary leaked: {hidden[:4]}..."


# --- robustness: no input makes the pipeline raise ----------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(pipeline: Pipeline, raw: bytes) -> None:
    run(pipeline, raw)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(
        [
            ("event_id",),
            ("tenant_id",),
            ("time",),
            ("gateway",),
            ("gateway", "kind"),
            ("user",),
            ("user", "groups"),
            ("user", "email"),
            ("client",),
            ("client", "ip"),
            ("app",),
            ("app", "name"),
            ("app", "operation"),
            ("content",),
            ("content", "text"),
            ("content", "attachments"),
            ("extensions",),
            ("schema_version",),
        ]
    ),
    value=JSON_VALUES,
    delete=st.booleans(),
)
def test_mutated_events_never_raise(
    pipeline: Pipeline, path: tuple[str, ...], value: Any, delete: bool
) -> None:
    event = make_event(f"mail jane.roe@initech.example key {AWS_KEY}")
    target = event
    for key in path[:-1]:
        target = target[key]
    if delete:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value
    run(pipeline, encode(event))
