"""Redaction at the edge: conversation placeholders, spans across strings, restoring answers."""

from __future__ import annotations

from typing import Any

from edge.apis import Slot
from edge.conversation import (
    Conversation,
    Conversations,
    StreamRestorer,
    apply_redactions,
    conversation_id,
    joined_text,
    restore_all,
)

KEY = b"test-key"


def span(
    part: str, start: int, end: int, placeholder: str, detector: str = "email"
) -> dict[str, Any]:
    return {
        "part": part,
        "start": start,
        "end": end,
        "placeholder": placeholder,
        "detector": detector,
    }


def spans_of(text: str, value: str, placeholder: str, base: int = 0) -> list[dict[str, Any]]:
    found, start = [], text.find(value)
    while start != -1:
        found.append(span("text", base + start, base + start + len(value), placeholder))
        start = text.find(value, start + 1)
    return found


def redact_turn(
    messages: list[dict[str, str]], decision_spans: Any, conversation: Conversation
) -> None:
    slots = [Slot(m, "content", m["role"]) for m in messages]
    _text, starts = joined_text(slots)
    apply_redactions(slots, starts, [], decision_spans, conversation, KEY)


def test_a_value_keeps_its_placeholder_across_turns_whatever_the_event_numbering() -> None:
    conversation = Conversation()
    a, b = "ann@corp.example", "bob@corp.example"
    turn1 = [{"role": "user", "content": f"mail {a}"}]
    redact_turn(turn1, [span("text", 5, 5 + len(a), "[EMAIL_1]")], conversation)
    assert turn1[0]["content"] == "mail [EMAIL_1]"
    # Turn 2 resends turn 1 (as the user saw it) and adds b; the pipeline numbers per event.
    turn2 = [
        {"role": "user", "content": f"mail {a}"},
        {"role": "user", "content": f"now {b} and {a}"},
    ]
    text, _starts = joined_text([Slot(m, "content") for m in turn2])
    decision = spans_of(text, a, "[EMAIL_1]") + spans_of(text, b, "[EMAIL_2]")
    redact_turn(turn2, decision, conversation)
    assert [m["content"] for m in turn2] == ["mail [EMAIL_1]", "now [EMAIL_2] and [EMAIL_1]"]
    assert conversation.values == {"[EMAIL_1]": a, "[EMAIL_2]": b}


def test_a_replica_that_never_saw_the_conversation_derives_the_same_placeholders() -> None:
    a, b = "ann@corp.example", "bob@corp.example"
    history = [
        {"role": "user", "content": f"mail {a}"},
        {"role": "user", "content": f"now {b} and {a}"},
    ]
    text, _ = joined_text([Slot(m, "content") for m in history])
    # This event numbered b first: the placeholders still follow the conversation's order.
    decision = spans_of(text, b, "[EMAIL_1]") + spans_of(text, a, "[EMAIL_2]")
    redact_turn(history, decision, Conversation())
    assert [m["content"] for m in history] == ["mail [EMAIL_1]", "now [EMAIL_2] and [EMAIL_1]"]


def test_a_value_streamed_over_several_fragments_gets_one_placeholder() -> None:
    fragments = [{"t": "write to an"}, {"t": "n@corp.ex"}, {"t": "ample today"}]
    slots = [Slot(f, "t") for f in fragments]
    text, starts = joined_text(slots, "")
    start = text.index("ann@")
    apply_redactions(
        slots, starts, [], [span("text", start, start + 16, "[EMAIL_1]")], Conversation(), KEY
    )
    assert "".join(f["t"] for f in fragments) == "write to [EMAIL_1] today"


def test_attachments_are_redacted_in_place_and_re_encoded() -> None:
    import base64

    document = {
        "data": "data:text/plain;base64," + base64.b64encode(b"id: ann@corp.example").decode()
    }
    attachment = Slot(document, "data", "user", "notes.txt", "text/plain", "data_url")
    apply_redactions(
        [], [], [attachment], [span("attachments[0]", 4, 20, "[EMAIL_1]")], Conversation(), KEY
    )
    assert attachment.text == "id: [EMAIL_1]"
    assert document["data"].startswith("data:text/plain;base64,")


def test_the_stream_restorer_restores_a_placeholder_split_across_fragments() -> None:
    restorer = StreamRestorer({"[EMAIL_1]": "ann@corp.example"})
    out = [restorer.feed(f) for f in ["Write to [EM", "AIL", "_1] now [", "sic] and [E"]]
    out.append(restorer.flush())
    assert "".join(out) == "Write to ann@corp.example now [sic] and [E"
    assert out[0] == "Write to "  # the possible start is held, the rest goes at once


def test_restore_all_reaches_every_string_of_a_document() -> None:
    document = {"a": ["x [IBAN_1] y", {"b": "[IBAN_1]"}], "n": 3, "c": "[OTHER_1]"}
    assert restore_all(document, {"[IBAN_1]": "DE00"}) == {
        "a": ["x DE00 y", {"b": "DE00"}],
        "n": 3,
        "c": "[OTHER_1]",
    }


def test_conversations_are_bounded_least_recently_used_first() -> None:
    store = Conversations(capacity=2, ttl_s=3600)
    first = store.get("a")
    store.get("b")
    assert store.get("a") is first
    store.get("c")  # evicts b, the least recently used
    assert len(store) == 2
    assert store.get("a") is first


def test_a_conversation_id_follows_the_first_user_message_not_the_later_turns() -> None:
    system = {"role": "system", "content": "You are helpful"}
    first = {"role": "user", "content": "hello"}
    turn1 = [Slot(system, "content", "system"), Slot(first, "content", "user")]
    later = [*turn1, Slot({"content": "more"}, "content", "user")]
    assert conversation_id(KEY, "t", "u", turn1) == conversation_id(KEY, "t", "u", later)
    assert conversation_id(KEY, "t", "u", turn1) != conversation_id(KEY, "t", "v", turn1)
    other = [Slot(system, "content", "system"), Slot({"content": "hi"}, "content", "user")]
    assert conversation_id(KEY, "t", "u", turn1) != conversation_id(KEY, "t", "u", other)
