"""Fuzzing of what an attacker or a careless operator writes: the event decoder, the policy
loader, the rule loader, the normaliser and the engine never crash and keep their contracts.

Bounded in the default suite; AIRLOCK_FUZZ_EXAMPLES=5000 runs longer, on demand.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import orjson
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import schemas
from detectors.engine import Engine
from detectors.normalize import decoded_runs, normalize
from detectors.rules import RuleError, load_file
from streams.pipeline import Pipeline
from streams.policy import PolicyError, parse_policy
from tests.test_streams.conftest import make_event

EXAMPLES = int(os.environ.get("AIRLOCK_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text as attackers write it: invisible and bidirectional characters, look-alikes, escapes.
INVISIBLE_AND_LOOKALIKE = (
    "\u200b\u00ad\u202e\u202c\ufeff\u0410\uff21\u0301\U000e0041\ud800\x00\u3164"
)
HOSTILE_ALPHABET = st.sampled_from(
    [*"AKIAQ5MZ3W7XK2NBR4TY=%&#;\\ux0123456789abcdef+/_- \n", *INVISIBLE_AND_LOOKALIKE]
)
HOSTILE_TEXT = st.one_of(st.text(HOSTILE_ALPHABET, max_size=300), st.text(max_size=300))
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def check_outcome(pipeline: Pipeline, raw: bytes) -> None:
    outcome = pipeline.process(raw, topic="airlock.prompts", partition=0, offset=0)
    assert (outcome.decision is None) != (outcome.deadletter is None)
    for name, message in (
        ("decision", outcome.decision),
        ("alert", outcome.alert),
        ("deadletter", outcome.deadletter),
    ):
        if message is not None:
            assert [e.message for e in schemas.validator(name).iter_errors(message)] == []


@FUZZ
@given(raw=st.binary(max_size=400))
def test_the_event_decoder_takes_any_bytes(pipeline: Pipeline, raw: bytes) -> None:
    check_outcome(pipeline, raw)


@FUZZ
@given(document=JSON)
def test_the_event_decoder_takes_any_json(pipeline: Pipeline, document: object) -> None:
    check_outcome(pipeline, json.dumps(document).encode())


@FUZZ
@given(text=HOSTILE_TEXT, field=st.sampled_from(["event_id", "tenant_id", "conversation_id"]))
def test_the_event_decoder_takes_any_text_in_any_field(
    pipeline: Pipeline, text: str, field: str
) -> None:
    event = make_event(text)
    event[field] = text
    try:
        raw = orjson.dumps(event)
    except TypeError:  # a lone surrogate: not encodable as JSON by orjson
        raw = orjson.dumps(make_event(text.encode("utf-8", "replace").decode()))
    check_outcome(pipeline, raw)


@FUZZ
@given(text=HOSTILE_TEXT)
def test_the_engine_scans_any_text_with_spans_inside_it(engine: Engine, text: str) -> None:
    findings = engine.scan(text)
    assert [f.start for f in findings] == sorted(f.start for f in findings)
    for finding in findings:
        assert 0 <= finding.start < finding.end <= len(text)


@FUZZ
@given(text=HOSTILE_TEXT)
def test_normalisation_maps_every_span_back_inside_the_original(text: str) -> None:
    normalized = normalize(text)
    if normalized is not None:
        size = len(normalized.text)
        for start in range(size):
            first, last = normalized.span(start, min(size, start + 3))
            assert 0 <= first < last <= len(text)
    for decoded, start, end in decoded_runs(text):
        assert 0 <= start < end <= len(text) and isinstance(decoded, str)


POLICY_KEYS = st.sampled_from(
    ["id", "version", "mode", "rules", "extends", "messages", "description", "x"]
)


@FUZZ
@given(
    document=st.one_of(
        st.dictionaries(POLICY_KEYS, JSON, max_size=6),
        JSON,
    ),
    raw_text=st.text(max_size=200),
)
def test_the_policy_loader_fails_only_with_a_policy_error(document: object, raw_text: str) -> None:
    for text in (yaml.safe_dump(document), raw_text):
        try:
            parse_policy(text, "fuzz.yaml")
        except PolicyError as exc:
            assert str(exc).startswith("fuzz.yaml")


RULE_KEYS = st.sampled_from(
    [
        "id",
        "name",
        "category",
        "severity",
        "patterns",
        "examples",
        "negative_examples",
        "keywords",
        "validator",
        "window",
        "max_width",
        "entropy_min",
        "zzz",
    ]
)


@FUZZ
@given(
    rules=st.lists(st.dictionaries(RULE_KEYS, JSON, max_size=8), max_size=3),
    raw_text=st.text(max_size=200),
)
def test_the_rule_loader_fails_only_with_a_rule_error(
    tmp_path_factory: object, rules: list[dict[str, object]], raw_text: str
) -> None:
    folder = Path(os.environ.get("TMPDIR", "/tmp"))
    del tmp_path_factory
    for text in (yaml.safe_dump({"rules": rules}), raw_text):
        path = folder / f"airlock-fuzz-{os.getpid()}.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            load_file(path)
        except RuleError as exc:
            assert str(path) in str(exc)
        finally:
            path.unlink()
