"""The engine's contract: exact offsets, one finding per value, safe on any input."""

from __future__ import annotations

import itertools
import os
import random
import string
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors import engine as engine_module
from detectors.engine import Allowlist, Engine, merge, shannon_entropy
from detectors.findings import Finding
from detectors.masking import keyed_hash

from .conftest import HASH_KEY

AWS_KEY = "AKIAQ3EGRXT5KLM4NB2P"
CARD = "4954 2555 0349 1068"


def test_offsets_are_character_offsets_in_non_ascii_text(engine: Engine) -> None:
    text = f"Clé d'accès ⚠️ 日本語: {AWS_KEY} — fin"
    [finding] = [f for f in engine.scan(text) if f.detector == "aws-access-key-id"]
    assert text[finding.start : finding.end] == AWS_KEY


def test_finding_carries_masked_preview_and_keyed_hash_never_the_value(engine: Engine) -> None:
    [finding] = engine.scan(f"key={AWS_KEY}")
    assert finding.masked == "AKIA************NB2P"
    assert finding.value_hash == keyed_hash(AWS_KEY, HASH_KEY)
    assert AWS_KEY not in repr(finding)
    assert AWS_KEY not in str(finding.to_dict())


def test_hash_depends_on_the_key() -> None:
    assert keyed_hash(AWS_KEY, b"one") != keyed_hash(AWS_KEY, b"two")


def test_repeated_values_are_each_found(engine: Engine) -> None:
    text = f"{CARD} and again {CARD}"
    spans = [(f.start, f.end) for f in engine.scan(text) if f.detector == "payment-card"]
    assert spans == [(0, len(CARD)), (len(CARD) + 11, 2 * len(CARD) + 11)]


def test_documented_example_key_is_not_a_finding(engine: Engine) -> None:
    assert not [f for f in engine.scan("AKIAIOSFODNN7EXAMPLE") if f.category == "secret"]


def test_validator_gates_and_raises_confidence(engine: Engine) -> None:
    bad = "4954 2555 0349 1069"
    assert not [f for f in engine.scan(f"card {bad}") if f.detector == "payment-card"]
    [plain] = [f for f in engine.scan(f"ref {CARD}") if f.detector == "payment-card"]
    [near] = [f for f in engine.scan(f"credit card {CARD}") if f.detector == "payment-card"]
    assert plain.confidence == "medium"  # base low, validated
    assert near.confidence == "high"  # validated and a keyword nearby


def test_findings_are_ordered_and_disjoint(engine: Engine) -> None:
    text = f"mail bob@acme-corp.com key {AWS_KEY} card {CARD} bob@acme-corp.com"
    findings = engine.scan(text)
    assert len(findings) >= 4
    for before, after in itertools.pairwise(findings):
        assert before.end <= after.start


def test_long_input_is_scanned_across_window_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "CHUNK", 4096)
    monkeypatch.setattr(engine_module, "OVERLAP", 512)
    small_windows = Engine(hash_key=HASH_KEY)
    # Keys placed so that some straddle the 4096-character window edges.
    filler = "lorem ipsum dolor sit amet " * 7
    text = "".join(f"{filler}{AWS_KEY} " for _ in range(200))
    found = [f for f in small_windows.scan(text) if f.detector == "aws-access-key-id"]
    assert len(found) == 200
    assert all(text[f.start : f.end] == AWS_KEY for f in found)


def test_empty_and_whitespace_input(engine: Engine) -> None:
    assert engine.scan("") == []
    assert engine.scan(" \n\t") == []


def test_lone_surrogates_and_control_characters(engine: Engine) -> None:
    text = f"\ud800 \x00\x1b[0m {AWS_KEY} \udfff"
    [finding] = [f for f in engine.scan(text) if f.detector == "aws-access-key-id"]
    assert text[finding.start : finding.end] == AWS_KEY


def test_entropy() -> None:
    assert shannon_entropy("aaaa") == 0
    assert shannon_entropy("abcd") == 2


def test_merge_keeps_one_candidate_per_overlap(engine: Engine) -> None:
    rules = {r.id: r for r in engine.rules}
    strong = engine_module._Candidate(rules["aws-access-key-id"], 10, 30, 2)
    weak = engine_module._Candidate(rules["email"], 5, 25, 1)
    apart = engine_module._Candidate(rules["email"], 40, 50, 1)
    assert merge([weak, apart, strong]) == [strong, apart]


# The session-scoped engine is shared on purpose: compiling it per example would dominate.
SHARED_ENGINE = [HealthCheck.function_scoped_fixture]


@settings(max_examples=300, deadline=None, suppress_health_check=SHARED_ENGINE)
@given(st.text())
def test_any_text_is_safe_and_offsets_stay_inside(engine: Engine, text: str) -> None:
    findings = engine.scan(text)
    for finding in findings:
        assert 0 <= finding.start < finding.end <= len(text)


_PLANTS = st.sampled_from([AWS_KEY, CARD, "jane.doe@acme-corp.com"])


@settings(max_examples=200, deadline=None, suppress_health_check=SHARED_ENGINE)
@given(st.text(max_size=200), _PLANTS, st.text(max_size=200))
def test_planted_values_are_found_whatever_surrounds_them(
    engine: Engine, before: str, value: str, after: str
) -> None:
    text = f"{before}\n{value}\n{after}"
    spans = {text[f.start : f.end] for f in engine.scan(text)}
    # On its own line a value stands apart from its surroundings (" 0" after a card number
    # would make it part of a longer number); they may still extend an e-mail's domain.
    assert any(value in span or span in value for span in spans)


@settings(max_examples=100, deadline=None, suppress_health_check=SHARED_ENGINE)
@given(st.binary(max_size=2000))
def test_invalid_utf8_decoded_with_replacement_is_safe(engine: Engine, data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    for finding in engine.scan(text):
        assert 0 <= finding.start < finding.end <= len(text)


@pytest.fixture(scope="module")
def full_pass_engine() -> Engine:
    """The same catalogue confirming every hit over the whole text, the reference."""
    reference = Engine(hash_key=HASH_KEY)
    reference._entries = [
        engine_module._Entry(e.rule, e.pattern_index, e.expression, None, None, False, e.term)
        for e in reference._entries
    ]
    return reference


_SENSITIVE = st.sampled_from(
    [
        AWS_KEY,
        CARD,
        "jane.doe@acme-corp.com",
        "FR76 3000 6000 0112 3456 7890 189",
        "+33 6 12 34 56 78",
        "def f(x):\n    return x;\n}",
        "password = Xk9#mQ2$vL7!",
        "é",
        "\n",
    ]
)


@settings(max_examples=200, deadline=None, suppress_health_check=SHARED_ENGINE)
@given(st.lists(st.one_of(st.text(max_size=40), _SENSITIVE), max_size=12))
def test_windowed_confirmation_finds_what_a_full_pass_finds(
    engine: Engine, full_pass_engine: Engine, pieces: list[str]
) -> None:
    text = " ".join(pieces)
    assert engine.scan(text) == full_pass_engine.scan(text)


def test_secret_inside_pasted_code_is_reported_with_the_code(engine: Engine) -> None:
    code = (
        "import os\n"
        "import requests\n\n"
        "def upload(path):\n"
        f'    key = "{AWS_KEY}"\n'
        "    with open(path) as handle:\n"
        "        return requests.post(URL, data=handle.read(), auth=(key, SECRET))\n"
    )
    findings = engine.scan("Why does this fail?\n" + code)
    detectors = {f.detector for f in findings}
    assert {"source-code", "aws-access-key-id"} <= detectors


def test_a_gap_of_accented_characters_is_counted_in_characters(engine: Engine) -> None:
    """`[^\\d\\n]{0,15}` allows 15 characters; 14 accented ones take 18 bytes of UTF-8, which
    Hyperscan's byte-mode prefilter must allow too."""
    text = "téléphone été-hélène : 0612345678"
    found = [(f.detector, text[f.start : f.end]) for f in engine.scan(text)]
    assert ("phone-fr", "0612345678") in found


def test_finding_behaves_as_a_frozen_dataclass() -> None:
    fields = ("aws-access-key-id", "secret", "critical", "AWS_KEY", 4, 24, "high", "AK**", "00")
    finding = Finding(*fields)
    same = Finding(*fields)
    assert finding == same
    assert (finding != same) is False
    assert hash(finding) == hash(same) == hash(fields)
    assert finding != fields and fields != finding  # only equal to a Finding
    assert finding != Finding(*fields[:4], 5, *fields[5:])
    assert list(finding.to_dict()) == [
        "detector", "category", "severity", "label", "start", "end", "confidence", "masked",
        "value_hash",
    ]  # fmt: skip
    assert repr(finding).startswith("Finding(detector='aws-access-key-id', category='secret'")
    with pytest.raises(AttributeError):
        finding.start = 0  # type: ignore[misc]
    with pytest.raises(TypeError):
        _ = finding < same


@pytest.mark.parametrize("length", [10, 199, 200, 201, 2000])
def test_placeholder_markers_are_found_in_short_and_long_values(length: int) -> None:
    allowlist = Allowlist()
    rng = random.Random(length)
    for marker in allowlist.markers:
        for _ in range(20):
            body = "".join(rng.choices(string.ascii_letters + string.digits, k=length))
            at = rng.randrange(length)
            value = body[:at] + marker.upper() + body[at:]
            assert allowlist.is_placeholder(value), value
            expected = any(m in body.lower() for m in allowlist.markers)
            assert allowlist.is_placeholder(body) == expected


def test_a_labelled_value_with_a_wrong_check_digit_is_no_bare_shape_finding(engine: Engine) -> None:
    # "TFN: 066 303 497" fails the TFN check; its label says what it is, so the German phone
    # rule, which reports that shape with no keyword, does not claim it either.
    assert not [f.detector for f in engine.scan("Old TFN: 066 303 497 (rejected by the ATO)")]
    # Without the label, the same digits are a German phone number.
    found = [f.detector for f in engine.scan("Ruf an: 066 303 497")]
    assert found == ["phone-de"]
    # A value that passes the check is found by its rule.
    assert "au-tfn" in [f.detector for f in engine.scan("TFN: 123 456 782, tax code 1")]


_EXPRESSIONS_DIGEST = """
import hashlib, sys
import detectors.engine as engine

def capture(expressions, flags, entries, cache_dir):
    print(hashlib.sha256(repr((expressions, flags)).encode()).hexdigest())
    sys.exit(0)

engine.compile_database = capture
engine.Engine(hash_key=b"k", cache_dir=None)
"""


def test_every_process_compiles_the_same_database() -> None:
    # The compiled database is cached under the hash of its expressions: a set iterated in
    # str-hash order would make each worker's start a cache miss and a 17 s compile.
    digests = {
        subprocess.run(
            [sys.executable, "-c", _EXPRESSIONS_DIGEST],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in (1, 2)
    }
    assert len(digests) == 1 and "" not in digests


def test_a_claimed_span_drops_only_the_bare_shapes_it_overlaps(engine: Engine) -> None:
    bare = next(r for r in engine.rules if r.context != "required")
    labelled = next(r for r in engine.rules if r.context == "required")
    candidate = engine_module._Candidate
    candidates = [
        candidate(bare, 0, 5, 0),  # inside the first claim
        candidate(bare, 9, 12, 0),  # overlaps the merged second and third claims
        candidate(bare, 20, 25, 0),  # between claims: kept
        candidate(labelled, 2, 4, 0),  # a rule that needs its label is never dropped
        candidate(bare, 40, 41, 0),  # after every claim: kept
    ]
    claims = [(30, 35), (0, 6), (8, 10), (10, 14)]
    kept = engine_module._unclaimed(candidates, claims)
    assert [(c.start, c.end) for c in kept] == [(20, 25), (2, 4), (40, 41)]
