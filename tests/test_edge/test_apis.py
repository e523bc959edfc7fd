"""Where the user's text is in each API's request, and the providers' own error bodies."""

from __future__ import annotations

import base64
from typing import Any

from edge.apis import CHAT, MESSAGES, RESPONSES, answer_slots, error_body, request_slots
from edge.gateway import app_name


def texts(api: str, body: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(s.text, s.attachment) for s in request_slots(api, body)]


def test_chat_completions_messages_parts_tool_results_and_text_files() -> None:
    data = base64.b64encode(b"file body").decode()
    body = {
        "messages": [
            {"role": "system", "content": "sys"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "hi"},
                    {"type": "image_url", "image_url": {"url": "x"}},
                    {
                        "type": "file",
                        "file": {
                            "filename": "a.txt",
                            "file_data": f"data:text/plain;base64,{data}",
                        },
                    },
                    {
                        "type": "file",
                        "file": {
                            "filename": "a.pdf",
                            "file_data": "data:application/pdf;base64,AAAA",
                        },
                    },
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"function": {"name": "f", "arguments": '{"q": 1}'}}],
            },
            {"role": "tool", "content": "tool says"},
        ]
    }
    assert texts(CHAT, body) == [
        ("sys", None),
        ("hi", None),
        ("file body", "a.txt"),
        ('{"q": 1}', None),
        ("tool says", None),
    ]


def test_responses_instructions_input_items_and_function_outputs() -> None:
    assert texts(RESPONSES, {"input": "just text", "instructions": "be brief"}) == [
        ("be brief", None),
        ("just text", None),
    ]
    body = {
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "q"}]},
            {"type": "function_call_output", "call_id": "c", "output": "result"},
        ]
    }
    assert texts(RESPONSES, body) == [("q", None), ("result", None)]


def test_anthropic_system_blocks_tool_results_and_text_documents() -> None:
    body = {
        "system": [{"type": "text", "text": "sys"}],
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "hello"},
                    {
                        "type": "document",
                        "title": "n.txt",
                        "source": {"type": "text", "media_type": "text/plain", "data": "doc"},
                    },
                    {
                        "type": "document",
                        "source": {
                            "type": "base64",
                            "media_type": "application/pdf",
                            "data": "AAAA",
                        },
                    },
                    {
                        "type": "tool_result",
                        "tool_use_id": "t",
                        "content": [{"type": "text", "text": "tool"}],
                    },
                ],
            },
        ],
    }
    assert texts(MESSAGES, body) == [
        ("sys", None),
        ("hello", None),
        ("doc", "n.txt"),
        ("tool", None),
    ]


def test_a_redaction_writes_back_into_the_request() -> None:
    body = {"messages": [{"role": "user", "content": "a secret"}]}
    request_slots(CHAT, body)[0].text = "a [X_1]"
    assert body == {"messages": [{"role": "user", "content": "a [X_1]"}]}


def test_answers_of_each_api() -> None:
    call = {"function": {"name": "send", "arguments": '{"to": 1}'}}
    chat = {"choices": [{"message": {"content": "c", "tool_calls": [call]}}]}
    responses = {
        "output": [
            {"content": [{"type": "output_text", "text": "r"}]},
            {"type": "function_call", "name": "send", "arguments": "{}"},
        ]
    }
    messages = {"content": [{"type": "text", "text": "m"}]}
    assert [s.text for s in answer_slots(CHAT, chat)] == ["c", '{"to": 1}']
    assert [s.text for s in answer_slots(RESPONSES, responses)] == ["r", "{}"]
    assert [s.text for s in answer_slots(MESSAGES, messages)] == ["m"]


def test_errors_in_each_providers_shape() -> None:
    assert error_body(MESSAGES, 403, "no", "x") == {
        "type": "error",
        "error": {"type": "permission_error", "message": "no"},
    }
    assert error_body(CHAT, 403, "no", "airlock_blocked")["error"] == {
        "message": "no",
        "type": "permission_error",
        "param": None,
        "code": "airlock_blocked",
    }


def test_the_app_is_named_from_the_upstream() -> None:
    assert app_name("https://api.openai.com") == "chatgpt"
    assert app_name("https://api.anthropic.com/") == "claude"
    assert app_name("http://127.0.0.1:8000") == "other"
    assert app_name("https://evilopenai.com") == "other"
