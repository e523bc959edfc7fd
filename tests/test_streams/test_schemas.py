"""The message schemas: valid draft 2020-12 documents, versioned, strict about prompt events."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator

import schemas

from .conftest import make_event


@pytest.mark.parametrize("name", schemas.NAMES)
def test_schema_file_is_a_valid_versioned_2020_12_schema(name: str) -> None:
    path = schemas.path(name)
    document = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    version = schemas.VERSIONS[name]
    assert path.name == f"{name}.v{version}.json"
    assert document["$id"] == f"https://airlock.dev/schemas/{name}/v{version}.json"
    assert document["additionalProperties"] is False
    assert schemas.load(name) == document


def test_every_file_in_the_folder_is_a_known_schema() -> None:
    files = {p.name for p in schemas.SCHEMA_DIR.glob("*.json")}
    assert files == {f"{n}.v{schemas.VERSIONS[n]}.json" for n in schemas.NAMES}


def test_load_and_validator_are_cached_and_unknown_names_fail() -> None:
    assert schemas.load("decision") is schemas.load("decision")
    assert schemas.validator("decision") is schemas.validator("decision")
    with pytest.raises(KeyError, match="unknown schema"):
        schemas.load("prompt")


def test_our_own_objects_forbid_unknown_properties() -> None:
    """Every object schema we own says additionalProperties: false, except the gateway's
    free-form `extensions`."""

    def walk(node: Any, where: str) -> list[str]:
        loose: list[str] = []
        if isinstance(node, dict):
            is_object = node.get("type") == "object" and "properties" in node
            if is_object and node.get("additionalProperties") is not False:
                loose.append(where)
            for key, value in node.items():
                loose += walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                loose += walk(value, f"{where}/{i}")
        return loose

    for name in schemas.NAMES:
        assert walk(schemas.load(name), name) == []
    extensions = schemas.load("prompt_event")["properties"]["extensions"]
    assert extensions["type"] == "object" and "additionalProperties" not in extensions


def test_sample_event_passes() -> None:
    event = make_event()
    event["content"]["attachments"] = [
        {"name": "notes.txt", "media_type": "text/plain", "size": 120, "text": "hello"}
    ]
    event["extensions"] = {"x-gateway-trace": "abc", "nested": {"any": [1, 2]}}
    assert list(schemas.validator("prompt_event").iter_errors(event)) == []


def test_minimal_event_passes() -> None:
    event = make_event()
    del event["client"]
    del event["gateway"]["version"]
    event["user"] = {"id": "u-1"}
    del event["app"]["host"]
    assert schemas.validator("prompt_event").is_valid(event)


def _broken(change: str) -> dict[str, Any]:
    event = make_event()
    match change:
        case "missing event_id":
            del event["event_id"]
        case "wrong schema_version":
            event["schema_version"] = 2
        case "unknown app":
            event["app"]["name"] = "chatgtp"
        case "unknown operation":
            event["app"]["operation"] = "download"
        case "unknown gateway kind":
            event["gateway"]["kind"] = "firewall"
        case "tenant with a path":
            event["tenant_id"] = "../etc/passwd"
        case "time as a string":
            event["time"] = "2025-10-09T12:00:00Z"
        case "negative time":
            event["time"] = -1
        case "extra top-level field":
            event["prompt"] = "text in the wrong place"
        case "extra content field":
            event["content"]["html"] = "<p>"
        case "bad email":
            event["user"]["email"] = "not an address"
        case "bad ip":
            event["client"]["ip"] = "999.1.1.1"
        case "text not a string":
            event["content"]["text"] = 42
        case "attachment without text":
            event["content"]["attachments"] = [{"name": "a.pdf", "media_type": "application/pdf"}]
        case "bad media type":
            event["content"]["attachments"] = [{"name": "a", "media_type": "pdf", "text": "x"}]
        case "empty event id":
            event["event_id"] = ""
        case "event id with spaces":
            event["event_id"] = "evt 1"
        case "duplicate groups":
            event["user"]["groups"] = ["a", "a"]
        case _:
            raise AssertionError(change)
    return event


@pytest.mark.parametrize(
    "change",
    [
        "missing event_id",
        "wrong schema_version",
        "unknown app",
        "unknown operation",
        "unknown gateway kind",
        "tenant with a path",
        "time as a string",
        "negative time",
        "extra top-level field",
        "extra content field",
        "bad email",
        "bad ip",
        "text not a string",
        "attachment without text",
        "bad media type",
        "empty event id",
        "event id with spaces",
        "duplicate groups",
    ],
)
def test_invalid_events_fail(change: str) -> None:
    assert not schemas.validator("prompt_event").is_valid(_broken(change))


def test_enums_are_the_issue_lists() -> None:
    app = schemas.load("prompt_event")["$defs"]["app"]["properties"]
    assert app["name"]["enum"] == [
        "chatgpt",
        "claude",
        "gemini",
        "copilot",
        "mistral",
        "perplexity",
        "other",
    ]
    assert app["operation"]["enum"] == ["prompt", "upload", "response"]
    decision = schemas.load("decision")
    assert decision["$defs"]["action"]["enum"] == ["allow", "warn", "redact", "block"]
    from streams.pipeline import DEADLETTER_REASONS

    assert tuple(schemas.load("deadletter")["properties"]["reason"]["enum"]) == DEADLETTER_REASONS


def test_cross_schema_references_resolve() -> None:
    """Decision, alert and dead letter reuse the prompt event's definitions by absolute $id."""
    refs: set[str] = set()
    for name in ("decision", "alert", "deadletter"):
        refs |= set(re.findall(r'"\$ref": "([^"]+)"', schemas.path(name).read_text()))
    registry = schemas.registry()
    for ref in refs:
        if ref.startswith("https://"):
            resolver = registry.resolver()
            assert resolver.lookup(ref).contents is not None, ref


@pytest.mark.parametrize(
    "change",
    [
        "missing event_id",
        "unknown app",
        "tenant with a path",
        "time as a string",
        "extra content field",
        "bad email",
        "bad ip",
        "attachment without text",
        "bad media type",
        "event id with spaces",
        "duplicate groups",
    ],
)
def test_fast_validator_agrees_with_the_reference(change: str) -> None:
    """The worker's hot-path validator (jsonschema-rs) reads the same file and agrees."""
    fast = schemas.fast_validator("prompt_event")
    assert fast.is_valid(make_event())
    assert not fast.is_valid(_broken(change))
