"""Server-sent events from the upstream, rewritten only where the model's text must change.

`SSERewriter.feed` takes the upstream's bytes as they come (an event may be split across
chunks, a chunk may hold several events) and returns the bytes to send on: events without model
text pass unchanged; text fragments go through one `StreamRestorer` per streamed text (a chat
choice, a Responses output part, an Anthropic content block). Text held back at the end of a
fragment (a possible placeholder start) goes out with the next fragment of the same text, or,
when that text ends, in an extra event copied from its last fragment, before the event that
ends it.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import orjson

from edge.apis import CHAT, chat_finished, stream_deltas
from edge.conversation import StreamRestorer, restore_all

_BOUNDARY = re.compile(rb"\r?\n\r?\n")
MAX_EVENT_BYTES = 4 << 20  # an upstream event larger than this is passed on unread


class SSEEvent:
    """One event: its lines, with the `data:` JSON parsed when there is one."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.lines = raw.split(b"\n")
        data = [line[5:].lstrip(b" ") for line in self.lines if line.startswith(b"data:")]
        self.data: Any = None
        if data:
            try:
                self.data = orjson.loads(b"\n".join(data))
            except orjson.JSONDecodeError:
                self.data = None

    def encode(self, data: Any) -> bytes:
        """The event with its data replaced (other lines, `event:` and `id:`, kept)."""
        kept = [line for line in self.lines if not line.startswith(b"data:")]
        return b"\n".join([*kept, b"data: " + orjson.dumps(data)]) + b"\n\n"


def split_events(raw: bytes) -> list[SSEEvent]:
    """A whole stream's events (line ends normalised to LF)."""
    return [SSEEvent(part.replace(b"\r\n", b"\n")) for part in _BOUNDARY.split(raw) if part.strip()]


class SSERewriter:
    def __init__(self, api: str, mapping: dict[str, str]) -> None:
        self.api = api
        self.mapping = mapping
        self.buffer = b""
        self.restorers: dict[Any, StreamRestorer] = {}
        self.last: dict[Any, SSEEvent] = {}  # the last fragment event of each text
        self.response_id: str | None = None  # a Responses stream's response id

    def feed(self, chunk: bytes) -> bytes:
        self.buffer += chunk
        out: list[bytes] = []
        while True:
            match = _BOUNDARY.search(self.buffer)
            if match is None:
                if len(self.buffer) > MAX_EVENT_BYTES:
                    out.append(self.buffer)
                    self.buffer = b""
                break
            raw, self.buffer = self.buffer[: match.start()], self.buffer[match.end() :]
            out.append(self._event(raw.replace(b"\r\n", b"\n"), raw + match.group(0)))
        return b"".join(out)

    def close(self) -> bytes:
        rest, self.buffer = self.buffer, b""
        return self._flush_all() + rest

    def _event(self, raw: bytes, original: bytes) -> bytes:
        event = SSEEvent(raw)
        if event.data is None:
            return (self._flush_all() if b"[DONE]" in raw else b"") + original
        deltas = stream_deltas(self.api, event.data)
        if not deltas:
            if isinstance(event.data, dict) and event.data.get("type") == "response.created":
                created = event.data.get("response")
                self.response_id = created.get("id") if isinstance(created, dict) else None
            restored = restore_all(event.data, self.mapping)
            body = original if restored == event.data else event.encode(restored)
            return self._flush_all() + body
        finished = self.api == CHAT and chat_finished(event.data)
        for key, slot in deltas:
            restorer = self.restorers.setdefault(key, StreamRestorer(self.mapping))
            text = restorer.feed(slot.text)
            if finished:
                text += restorer.flush()
            slot.text = text
            self.last[key] = event
        return event.encode(event.data)

    def _flush_all(self) -> bytes:
        out: list[bytes] = []
        for key, restorer in self.restorers.items():
            held = restorer.flush()
            if held and key in self.last:
                event = self.last[key]
                data = copy.deepcopy(event.data)
                for other_key, slot in stream_deltas(self.api, data):
                    slot.text = held if other_key == key else ""
                out.append(event.encode(data))
        return b"".join(out)
