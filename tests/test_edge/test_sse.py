"""Streamed answers: placeholders restored across events and network chunks, for each API."""

from __future__ import annotations

import orjson
import pytest

from edge.apis import CHAT, MESSAGES, RESPONSES, stream_deltas
from edge.sse import SSERewriter, split_events
from edge.standin import _events

MAPPING = {"[EMAIL_1]": "ann@corp.example", "[IBAN_1]": "DE89 3704 0044 0532 0130 00"}
ANSWER = "Dear [EMAIL_1], your account [IBAN_1] is fine. Ends with [EMAIL_1]"
EXPECTED = (
    "Dear ann@corp.example, your account DE89 3704 0044 0532 0130 00 is fine. "
    "Ends with ann@corp.example"
)


def stream_bytes(api: str, text: str) -> bytes:
    out = b""
    for name, data in _events(api, text):
        payload = data.encode() if isinstance(data, str) else orjson.dumps(data)
        out += (f"event: {name}\n".encode() if name else b"") + b"data: " + payload + b"\n\n"
    return out


def streamed_text(api: str, raw: bytes) -> str:
    return "".join(slot.text for e in split_events(raw) for _k, slot in stream_deltas(api, e.data))


@pytest.mark.parametrize("api", [CHAT, RESPONSES, MESSAGES])
@pytest.mark.parametrize("chunk", [1, 7, 10_000])
def test_placeholders_split_across_events_and_chunks_are_restored(api: str, chunk: int) -> None:
    raw = stream_bytes(api, ANSWER)
    rewriter = SSERewriter(api, MAPPING)
    out = b"".join(rewriter.feed(raw[i : i + chunk]) for i in range(0, len(raw), chunk))
    out += rewriter.close()
    assert streamed_text(api, out) == EXPECTED
    assert b"[EMAIL_1]" not in out and b"[IBAN_1]" not in out  # the done/completed events too
    # Every event of the original is there, in order (names kept), and nothing else but the
    # held text's own event.
    names = [line for line in out.split(b"\n") if line.startswith(b"event:")]
    original = [line for line in raw.split(b"\n") if line.startswith(b"event:")]
    assert [n for n in names if n in original] == [n for n in names]
    if api == CHAT:
        assert out.endswith(b"data: [DONE]\n\n")


def test_a_stream_without_placeholders_passes_unchanged_but_for_the_encoding() -> None:
    raw = stream_bytes(CHAT, "nothing to restore [here]")
    rewriter = SSERewriter(CHAT, MAPPING)
    out = rewriter.feed(raw) + rewriter.close()
    assert streamed_text(CHAT, out) == "nothing to restore [here]"


def test_a_held_start_that_is_no_placeholder_is_released_when_the_text_ends() -> None:
    raw = stream_bytes(MESSAGES, "ends with [EMAI")
    rewriter = SSERewriter(MESSAGES, MAPPING)
    out = rewriter.feed(raw) + rewriter.close()
    assert streamed_text(MESSAGES, out) == "ends with [EMAI"
    # ... before the event that ends the block
    assert out.index(b"[EMAI") < out.index(b"content_block_stop")


def test_placeholders_in_streamed_tool_call_arguments_are_restored() -> None:
    def chunk(arguments: str) -> bytes:
        call = {"index": 0, "function": {"arguments": arguments}}
        data = {"choices": [{"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": None}]}
        return b"data: " + orjson.dumps(data) + b"\n\n"

    raw = (
        chunk('{"to": "[EMA')
        + chunk('IL_1]", "cc": "[EMAIL_')
        + chunk('1]"}')
        + b"data: [DONE]\n\n"
    )
    rewriter = SSERewriter(CHAT, MAPPING)
    out = rewriter.feed(raw) + rewriter.close()
    events = split_events(out)
    arguments = "".join(
        e.data["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"]
        for e in events
        if isinstance(e.data, dict)
    )
    assert orjson.loads(arguments) == {"to": "ann@corp.example", "cc": "ann@corp.example"}
