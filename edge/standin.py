"""A stand-in AI API for the demo, the tests and the gateway benchmark: it records every request
it receives and answers in the OpenAI (Chat Completions, Responses) or Anthropic (Messages)
shape, whole or streamed (SSE), echoing the last user text it got (or, for a text starting
with "REVERSE ", the rest of it reversed).

The echo shows what the provider saw: placeholders come back as placeholders, which the gateway
must restore. Streamed answers are cut into fragments of `FRAGMENT` characters, so every
placeholder (at least `[X_1]`, 5 characters, usually longer) straddles two events.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

FRAGMENT = 4
ECHO = "You said: "
REVERSE = "REVERSE "


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answer: bytes = b""  # what the stand-in sent back, whole or the stream's bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


@dataclass
class StandIn:
    """The upstream: its records, and a way to wait for them from another thread."""

    received: list[Received] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)
    port: int = 0

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """Block until `count` requests were received in all; the records."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.received) >= count, timeout):
                raise TimeoutError(f"the stand-in received {len(self.received)} of {count}")
            return list(self.received)

    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=64 << 20)
        app.router.add_post("/v1/chat/completions", self._answer("chat"))
        app.router.add_post("/v1/responses", self._answer("responses"))
        app.router.add_post("/v1/messages", self._answer("messages"))
        return app

    def _answer(self, api: str) -> Callable[[web.Request], Any]:
        async def handler(request: web.Request) -> web.StreamResponse:
            body = await request.read()
            record = Received(
                request.path, {k.lower(): v for k, v in request.headers.items()}, body
            )
            document = orjson.loads(body)
            asked = last_user_text(api, document)
            # "REVERSE <text>" answers the text reversed: a model that produces what the user
            # never sent, for the tests of response inspection.
            text = asked[len(REVERSE) :][::-1] if asked.startswith(REVERSE) else ECHO + asked
            if document.get("stream"):
                response = await _stream(request, api, text, record)
            else:
                record.answer = orjson.dumps(_whole(api, text))
                response = web.Response(body=record.answer, content_type="application/json")
            with self._changed:  # recorded once answered: a waiter sees the whole record
                self.received.append(record)
                self._changed.notify_all()
            return response

        return handler


def last_user_text(api: str, document: dict[str, Any]) -> str:
    """The text of the last user message (strings and text parts joined)."""
    if api == "responses":
        items = document.get("input")
        if isinstance(items, str):
            return items
        messages = [i for i in items or [] if isinstance(i, dict) and i.get("role") == "user"]
    else:
        messages = [m for m in document.get("messages", []) if m.get("role") == "user"]
    if not messages:
        return ""
    content = messages[-1].get("content")
    if isinstance(content, str):
        return content
    return " ".join(
        str(part.get("text")) for part in content or [] if isinstance(part.get("text"), str)
    )


def _whole(api: str, text: str) -> dict[str, Any]:
    if api == "chat":
        return {
            "id": "chatcmpl-standin",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "standin",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    if api == "responses":
        return _response_object(text, "completed")
    return {
        "id": "msg_standin",
        "type": "message",
        "role": "assistant",
        "model": "standin",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }


def _response_object(text: str, status: str) -> dict[str, Any]:
    output = [
        {
            "id": "msg_standin",
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        }
    ]
    return {
        "id": "resp_standin",
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "model": "standin",
        "output": output if status == "completed" else [],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": 1,
            "output_tokens": 1,
            "total_tokens": 2,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0},
        },
    }


def _events(api: str, text: str) -> list[tuple[str | None, Any]]:
    fragments = [text[i : i + FRAGMENT] for i in range(0, len(text), FRAGMENT)]
    if api == "chat":

        def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
            return {
                "id": "chatcmpl-standin",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": "standin",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }

        events: list[tuple[str | None, Any]] = [
            (None, chunk({"role": "assistant", "content": ""}, None))
        ]
        events += [(None, chunk({"content": f}, None)) for f in fragments]
        events += [(None, chunk({}, "stop")), (None, "[DONE]")]
        return events
    if api == "responses":
        sequence = iter(range(10_000))
        created = _response_object("", "in_progress")
        item = {
            "id": "msg_standin",
            "type": "message",
            "status": "in_progress",
            "role": "assistant",
            "content": [],
        }
        part = {"type": "output_text", "text": "", "annotations": []}
        events = [
            ("response.created", {"type": "response.created", "response": created}),
            (
                "response.output_item.added",
                {"type": "response.output_item.added", "output_index": 0, "item": item},
            ),
            (
                "response.content_part.added",
                {
                    "type": "response.content_part.added",
                    "item_id": "msg_standin",
                    "output_index": 0,
                    "content_index": 0,
                    "part": part,
                },
            ),
        ]
        events += [
            (
                "response.output_text.delta",
                {
                    "type": "response.output_text.delta",
                    "item_id": "msg_standin",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": f,
                },
            )
            for f in fragments
        ]
        events += [
            (
                "response.output_text.done",
                {
                    "type": "response.output_text.done",
                    "item_id": "msg_standin",
                    "output_index": 0,
                    "content_index": 0,
                    "text": text,
                },
            ),
            (
                "response.completed",
                {"type": "response.completed", "response": _response_object(text, "completed")},
            ),
        ]
        for _name, data in events:
            data["sequence_number"] = next(sequence)
        return list(events)
    message: dict[str, Any] = {
        "id": "msg_standin",
        "type": "message",
        "role": "assistant",
        "model": "standin",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }
    events = [
        ("message_start", {"type": "message_start", "message": message}),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
    ]
    events += [
        (
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": f}},
        )
        for f in fragments
    ]
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 1},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return events


async def _stream(
    request: web.Request, api: str, text: str, record: Received
) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    for name, data in _events(api, text):
        payload = data.encode() if isinstance(data, str) else orjson.dumps(data)
        head = f"event: {name}\n".encode() if name else b""
        event = head + b"data: " + payload + b"\n\n"
        record.answer += event
        await response.write(event)
    await response.write_eof()
    return response


class StandInServer:
    """The stand-in served on 127.0.0.1 (a free port) by a thread of its own."""

    def __init__(self) -> None:
        self.standin = StandIn()
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.standin.port}"

    def start(self) -> StandInServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(30)
        return self

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.standin.web_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.standin.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
