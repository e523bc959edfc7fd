"""Placeholders a model can reason about, stable within a conversation, and restorable."""

from __future__ import annotations

from detectors.engine import Engine
from detectors.redaction import RedactionContext, redact, restore

TEXT = "Write to jane.doe@acme-corp.com and bob@globex.io; cc jane.doe@acme-corp.com."


def test_placeholders_are_numbered_per_label_and_value(engine: Engine) -> None:
    result = redact(TEXT, engine.scan(TEXT))
    assert result.text == "Write to [EMAIL_1] and [EMAIL_2]; cc [EMAIL_1]."
    assert result.mapping == {"[EMAIL_1]": "jane.doe@acme-corp.com", "[EMAIL_2]": "bob@globex.io"}
    assert [r.placeholder for r in result.replacements] == ["[EMAIL_1]", "[EMAIL_2]", "[EMAIL_1]"]
    assert all("@" not in repr(r) for r in result.replacements)


def test_same_value_same_placeholder_across_a_conversation(engine: Engine) -> None:
    conversation = RedactionContext()
    first = redact(TEXT, engine.scan(TEXT), conversation)
    later_text = "Any news from bob@globex.io? Also ask new@initech.com"
    later = redact(later_text, engine.scan(later_text), conversation)
    assert later.text == "Any news from [EMAIL_2]? Also ask [EMAIL_3]"
    assert first.mapping["[EMAIL_2]"] == later.mapping["[EMAIL_2]"]


def test_context_holds_no_raw_values(engine: Engine) -> None:
    conversation = RedactionContext()
    redact(TEXT, engine.scan(TEXT), conversation)
    assert "jane.doe" not in repr(conversation)


def test_restore_puts_values_back_into_the_answer(engine: Engine) -> None:
    result = redact(TEXT, engine.scan(TEXT))
    answer = "Sure. Dear [EMAIL_2], ... I copied [EMAIL_1]. [EMAIL_9] is unknown."
    assert restore(answer, result.mapping) == (
        "Sure. Dear bob@globex.io, ... I copied jane.doe@acme-corp.com. [EMAIL_9] is unknown."
    )


def test_round_trip_restores_the_original(engine: Engine) -> None:
    result = redact(TEXT, engine.scan(TEXT))
    assert restore(result.text, result.mapping) == TEXT


def test_a_finding_inside_a_redacted_region_goes_with_it(engine: Engine) -> None:
    text = "code:\nimport os\nimport sys\n\ndef run():\n    return 'jane.doe@acme-corp.com'\n"
    findings = engine.scan(text)
    assert {f.detector for f in findings} >= {"source-code", "email"}
    result = redact(text, findings)
    assert result.text == "code:\n[SOURCE_CODE_1]\n"
    assert restore(result.text, result.mapping) == text
