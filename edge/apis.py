"""The three API shapes the gateway serves: where the user's text is in a request, where the
model's text is in an answer (whole or streamed), and the provider's own error body.

OpenAI Chat Completions (`/v1/chat/completions`), OpenAI Responses (`/v1/responses`) and
Anthropic Messages (`/v1/messages`). A `Slot` is one string of a parsed JSON document that the
gateway scans and may rewrite in place (a redaction); attachments are text files the user sent
inside the request (Anthropic text documents, OpenAI `file`/`input_file` parts with a text/*
data URL), scanned as the prompt event's attachments.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

CHAT, RESPONSES, MESSAGES = "chat", "responses", "messages"
PATHS = {
    "/v1/chat/completions": CHAT,
    "/chat/completions": CHAT,
    "/v1/responses": RESPONSES,
    "/responses": RESPONSES,
    "/v1/messages": MESSAGES,
    "/messages": MESSAGES,
}
MAX_ATTACHMENTS = 64
# Responses stream events that carry a fragment of model text in `delta`: output text, and a
# function call's arguments.
RESPONSES_DELTAS = frozenset(
    {"response.output_text.delta", "response.function_call_arguments.delta"}
)  # schemas/prompt_event.v1.json: content.attachments maxItems


@dataclass
class Slot:
    """One string of a JSON document: `container[key]`, plain, base64 or a base64 data URL."""

    container: Any
    key: str | int
    role: str = ""
    attachment: str | None = None  # the file name when the string is a text attachment
    media_type: str = "text/plain"
    encoding: str = "plain"  # plain | base64 | data_url

    @property
    def text(self) -> str:
        raw = self.container[self.key]
        if self.encoding == "plain":
            return str(raw)
        data = raw.split(",", 1)[1] if self.encoding == "data_url" else raw
        return base64.b64decode(data).decode("utf-8", "replace")

    @text.setter
    def text(self, value: str) -> None:
        if self.encoding == "plain":
            self.container[self.key] = value
            return
        encoded = base64.b64encode(value.encode("utf-8")).decode("ascii")
        if self.encoding == "data_url":
            head = self.container[self.key].split(",", 1)[0]
            encoded = f"{head},{encoded}"
        self.container[self.key] = encoded


def request_slots(api: str, body: dict[str, Any]) -> list[Slot]:
    """Every text the user sends in a request, in document order."""
    if api == CHAT:
        return list(_chat_request(body))
    if api == RESPONSES:
        return list(_responses_request(body))
    return list(_messages_request(body))


def _chat_request(body: dict[str, Any]) -> Iterator[Slot]:
    for message in _dicts(body.get("messages")):
        role = str(message.get("role", ""))
        content = message.get("content")
        if isinstance(content, str):
            yield Slot(message, "content", role)
        for part in _dicts(content):
            if part.get("type") == "text" and isinstance(part.get("text"), str):
                yield Slot(part, "text", role)
            elif part.get("type") == "file" and isinstance(part.get("file"), dict):
                file = part["file"]
                slot = _data_url_slot(file, "file_data", str(file.get("filename") or "file"))
                if slot is not None:
                    yield slot
        for call in _dicts(message.get("tool_calls")):
            function = call.get("function")
            if isinstance(function, dict) and isinstance(function.get("arguments"), str):
                yield Slot(function, "arguments", role)


def _responses_request(body: dict[str, Any]) -> Iterator[Slot]:
    if isinstance(body.get("instructions"), str):
        yield Slot(body, "instructions", "system")
    items = body.get("input")
    if isinstance(items, str):
        yield Slot(body, "input", "user")
    for item in _dicts(items):
        role = str(item.get("role", ""))
        content = item.get("content")
        if isinstance(content, str):
            yield Slot(item, "content", role)
        for part in _dicts(content):
            kind = part.get("type")
            if kind in ("input_text", "output_text", "text") and isinstance(part.get("text"), str):
                yield Slot(part, "text", role)
            elif kind == "input_file":
                slot = _data_url_slot(part, "file_data", str(part.get("filename") or "file"))
                if slot is not None:
                    yield slot
        if item.get("type") == "function_call_output" and isinstance(item.get("output"), str):
            yield Slot(item, "output", "tool")
        if item.get("type") == "function_call" and isinstance(item.get("arguments"), str):
            yield Slot(item, "arguments", "assistant")


def _messages_request(body: dict[str, Any]) -> Iterator[Slot]:
    system = body.get("system")
    if isinstance(system, str):
        yield Slot(body, "system", "system")
    for block in _dicts(system):
        if isinstance(block.get("text"), str):
            yield Slot(block, "text", "system")
    for message in _dicts(body.get("messages")):
        role = str(message.get("role", ""))
        content = message.get("content")
        if isinstance(content, str):
            yield Slot(message, "content", role)
        yield from _anthropic_blocks(content, role)


def _anthropic_blocks(content: Any, role: str) -> Iterator[Slot]:
    for block in _dicts(content):
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            yield Slot(block, "text", role)
        elif kind == "tool_result":
            inner = block.get("content")
            if isinstance(inner, str):
                yield Slot(block, "content", "tool")
            yield from _anthropic_blocks(inner, "tool")
        elif kind == "document" and isinstance(block.get("source"), dict):
            source = block["source"]
            name = str(block.get("title") or "document")
            media = str(source.get("media_type") or "text/plain")
            if source.get("type") == "text" and isinstance(source.get("data"), str):
                yield Slot(source, "data", role, name, media)
            elif (
                source.get("type") == "base64"
                and media.startswith("text/")
                and _decodes(source.get("data"))
            ):
                yield Slot(source, "data", role, name, media, "base64")


def _data_url_slot(container: dict[str, Any], key: str, name: str) -> Slot | None:
    """A `data:text/...;base64,...` string as an attachment; other media are not text."""
    value = container.get(key)
    if not isinstance(value, str) or not value.startswith("data:text/"):
        return None
    head, _, data = value.partition(",")
    if not head.endswith(";base64") or not _decodes(data):
        return None
    media = head[5:].split(";", 1)[0]
    return Slot(container, key, "user", name, media, "data_url")


def _decodes(data: Any) -> bool:
    if not isinstance(data, str):
        return False
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))


# --- answers ---------------------------------------------------------------------------------


def answer_slots(api: str, body: Any) -> list[Slot]:
    """The model's text in a whole (non-streamed) answer."""
    slots: list[Slot] = []
    if not isinstance(body, dict):
        return slots
    if api == CHAT:
        for choice in _dicts(body.get("choices")):
            message = choice.get("message")
            if not isinstance(message, dict):
                continue
            if isinstance(message.get("content"), str):
                slots.append(Slot(message, "content", "assistant"))
            for call in _dicts(message.get("tool_calls")):
                function = call.get("function")
                if isinstance(function, dict) and isinstance(function.get("arguments"), str):
                    slots.append(Slot(function, "arguments", "assistant"))
    elif api == RESPONSES:
        for item in _dicts(body.get("output")):
            for part in _dicts(item.get("content")):
                if isinstance(part.get("text"), str):
                    slots.append(Slot(part, "text", "assistant"))
            if item.get("type") == "function_call" and isinstance(item.get("arguments"), str):
                slots.append(Slot(item, "arguments", "assistant"))
    else:
        for block in _dicts(body.get("content")):
            if isinstance(block.get("text"), str):
                slots.append(Slot(block, "text", "assistant"))
    return slots


def stream_deltas(api: str, event: Any) -> list[tuple[Any, Slot]]:
    """The text fragments of one streamed event, each with the key of the text it continues
    (a choice, a tool call's arguments, an output part, a content block): [] for events
    without model text."""
    if not isinstance(event, dict):
        return []
    if api == CHAT:
        deltas: list[tuple[Any, Slot]] = []
        for choice in _dicts(event.get("choices")):
            delta = choice.get("delta")
            if not isinstance(delta, dict):
                continue
            index = choice.get("index", 0)
            if isinstance(delta.get("content"), str):
                deltas.append((("choice", index), Slot(delta, "content")))
            for position, call in enumerate(_dicts(delta.get("tool_calls"))):
                function = call.get("function")
                if isinstance(function, dict) and isinstance(function.get("arguments"), str):
                    key = ("tool", index, call.get("index", position))
                    deltas.append((key, Slot(function, "arguments")))
        return deltas
    if api == RESPONSES:
        kind = event.get("type")
        if kind in RESPONSES_DELTAS and isinstance(event.get("delta"), str):
            key = (kind, event.get("output_index", 0), event.get("content_index", 0))
            return [(key, Slot(event, "delta"))]
        return []
    if event.get("type") == "content_block_delta":
        delta = event.get("delta")
        if isinstance(delta, dict):
            for field in ("text", "partial_json"):  # text, and a tool call's input
                if isinstance(delta.get(field), str):
                    return [(("block", event.get("index", 0)), Slot(delta, field))]
    return []


def chat_finished(event: Any) -> bool:
    """A Chat Completions chunk that ends a choice (its held text must go out with it)."""
    return isinstance(event, dict) and any(
        choice.get("finish_reason") is not None for choice in _dicts(event.get("choices"))
    )


# --- errors in the provider's own shape -------------------------------------------------------


def error_body(api: str, status: int, message: str, code: str) -> dict[str, Any]:
    """The body the provider itself answers with, so its SDK raises its usual exception:
    403 -> PermissionDeniedError, 503 -> InternalServerError, 413 -> APIStatusError."""
    if api == MESSAGES:
        kind = {403: "permission_error", 413: "request_too_large", 400: "invalid_request_error"}
        return {
            "type": "error",
            "error": {"type": kind.get(status, "api_error"), "message": message},
        }
    kind_openai = {
        403: "permission_error",
        400: "invalid_request_error",
        413: "invalid_request_error",
    }
    return {
        "error": {
            "message": message,
            "type": kind_openai.get(status, "server_error"),
            "param": None,
            "code": code,
        }
    }
