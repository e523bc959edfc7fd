"""The gateway end to end: the official `openai` and `anthropic` clients pointed at
`airlock gateway` (base_url), through the real broker and a real worker, against a stand-in
upstream that records what it received."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

import anthropic
import openai
import pytest
from confluent_kafka import Producer

from airlock.config import Settings
from edge.client import DecisionClient, DecisionUnavailable
from edge.standin import ECHO, REVERSE, StandInServer
from tests.canaries import aws_key, random_email
from tests.integration.pipeline_support import GatewayProcess, Namespace, WorkerProcess, free_port

pytestmark = pytest.mark.kafka

KEY = "sk-test-upstream-credential-0123456789abcdef"


@pytest.fixture
def pipeline(
    start_worker: Callable[..., WorkerProcess], start_gateway: Callable[..., GatewayProcess]
) -> tuple[WorkerProcess, GatewayProcess]:
    worker = start_worker()
    return worker, start_gateway()


def openai_client(gateway: GatewayProcess, **headers: str) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=f"{gateway.url}/v1", api_key=KEY, max_retries=0, default_headers=headers
    )


def anthropic_client(gateway: GatewayProcess, **headers: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        base_url=gateway.url, api_key=KEY, max_retries=0, default_headers=headers
    )


def chat(client: openai.OpenAI, text: str, **extra: Any) -> Any:
    return client.chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": text}], **extra
    )


def message(client: anthropic.Anthropic, text: str, **extra: Any) -> Any:
    return client.messages.create(
        model="claude-test", max_tokens=64, messages=[{"role": "user", "content": text}], **extra
    )


# --- block --------------------------------------------------------------------------------------


def test_a_blocked_prompt_raises_the_clients_permission_error_with_the_message(
    pipeline: tuple[WorkerProcess, GatewayProcess], standin: StandInServer
) -> None:
    _worker, gateway = pipeline
    secret = aws_key(random.Random())
    with pytest.raises(openai.PermissionDeniedError) as raised:
        chat(openai_client(gateway), f"deploy with key {secret} please")
    assert raised.value.status_code == 403
    assert "credential" in raised.value.message and "Airlock incident" in raised.value.message
    incident = raised.value.response.headers["x-airlock-incident"]
    assert incident in raised.value.message

    with pytest.raises(anthropic.PermissionDeniedError) as raised_anthropic:
        message(anthropic_client(gateway), f"deploy with key {secret} please")
    assert "credential" in raised_anthropic.value.message
    assert "Airlock incident" in raised_anthropic.value.message
    assert standin.standin.received == []  # nothing reached the provider
    assert gateway.sample("airlock_gateway_requests_total", action="block") == 2


# --- redact -------------------------------------------------------------------------------------


def test_redacted_prompts_reach_the_upstream_without_the_values_and_come_back_restored(
    pipeline: tuple[WorkerProcess, GatewayProcess], standin: StandInServer
) -> None:
    _worker, gateway = pipeline
    email = random_email(random.Random())
    prompt = f"Write a short note to {email} about the meeting"
    client = openai_client(gateway)
    aclient = anthropic_client(gateway)

    answers = [
        chat(client, prompt).choices[0].message.content,
        "".join(
            chunk.choices[0].delta.content or ""
            for chunk in chat(client, prompt, stream=True)
            if chunk.choices
        ),
        client.responses.create(model="gpt-test", input=prompt).output_text,
        "".join(
            event.delta
            for event in client.responses.create(model="gpt-test", input=prompt, stream=True)
            if event.type == "response.output_text.delta"
        ),
        message(aclient, prompt).content[0].text,
    ]
    with aclient.messages.stream(
        model="claude-test", max_tokens=64, messages=[{"role": "user", "content": prompt}]
    ) as stream:
        answers.append("".join(stream.text_stream))

    received = standin.standin.wait_for(len(answers))
    for record in received:
        assert email not in record.body.decode()
        assert "[EMAIL_1]" in record.body.decode()
    assert answers == [ECHO + prompt] * len(answers), answers
    assert gateway.sample("airlock_gateway_requests_total", action="redact") == len(answers)


def test_one_conversation_keeps_one_placeholder_per_value_across_turns(
    pipeline: tuple[WorkerProcess, GatewayProcess], standin: StandInServer
) -> None:
    _worker, gateway = pipeline
    rng = random.Random()
    first, second = random_email(rng), random_email(rng)
    client = openai_client(gateway)
    turn1: list[Any] = [{"role": "user", "content": f"Remember {first}"}]
    reply = client.chat.completions.create(model="gpt-test", messages=turn1)
    assert reply.choices[0].message.content == f"{ECHO}Remember {first}"
    turn2: list[Any] = [
        *turn1,
        {"role": "assistant", "content": reply.choices[0].message.content},
        {"role": "user", "content": f"Now write to {second} and copy {first}"},
    ]
    answer = client.chat.completions.create(model="gpt-test", messages=turn2)
    assert answer.choices[0].message.content == f"{ECHO}Now write to {second} and copy {first}"
    upstream_turn2 = standin.standin.wait_for(2)[1].json()["messages"]
    assert upstream_turn2[0]["content"] == "Remember [EMAIL_1]"
    assert upstream_turn2[2]["content"] == "Now write to [EMAIL_2] and copy [EMAIL_1]"


def test_a_responses_conversation_kept_at_the_provider_keeps_its_placeholders(
    pipeline: tuple[WorkerProcess, GatewayProcess], standin: StandInServer
) -> None:
    _worker, gateway = pipeline
    rng = random.Random()
    first, second = random_email(rng), random_email(rng)
    client = openai_client(gateway)
    turn1 = client.responses.create(model="gpt-test", input=f"Remember {first}")
    assert turn1.output_text == f"{ECHO}Remember {first}"
    # Turn 2 sends only the new input; the provider holds turn 1, with [EMAIL_1] for first.
    turn2 = client.responses.create(
        model="gpt-test", input=f"Write to {second} and {first}", previous_response_id=turn1.id
    )
    assert turn2.output_text == f"{ECHO}Write to {second} and {first}"
    assert standin.standin.wait_for(2)[1].json()["input"] == "Write to [EMAIL_2] and [EMAIL_1]"


# --- allow and warn -----------------------------------------------------------------------------


def test_a_clean_prompt_passes_byte_for_byte_both_ways(
    pipeline: tuple[WorkerProcess, GatewayProcess], standin: StandInServer
) -> None:
    _worker, gateway = pipeline
    client = openai_client(gateway)
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-test",
        messages=[{"role": "user", "content": "What is a good name for a cat?"}],
        extra_headers={"x-airlock-user": "alice", "x-airlock-groups": "sales"},
    )
    record = standin.standin.wait_for(1)[0]
    direct = openai.OpenAI(base_url=f"{standin.url}/v1", api_key=KEY, max_retries=0)
    direct.chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "What is a good name for a cat?"}]
    )
    direct_record = standin.standin.wait_for(2)[1]
    assert record.body == direct_record.body  # the request, byte for byte
    assert raw.http_response.content == record.answer  # and the answer
    assert raw.headers["x-airlock-action"] == "allow"
    assert record.headers["authorization"] == f"Bearer {KEY}"  # credentials pass untouched
    assert not [name for name in record.headers if name.startswith("x-airlock")]

    araw = anthropic_client(gateway).messages.with_raw_response.create(
        model="claude-test", max_tokens=64, messages=[{"role": "user", "content": "Hi there"}]
    )
    arecord = standin.standin.wait_for(3)[2]
    assert araw.http_response.content == arecord.answer
    # x-api-key, or a bearer token in the client's newer releases: as the client sent it
    credential = arecord.headers.get("x-api-key") or arecord.headers.get("authorization")
    assert credential in (KEY, f"Bearer {KEY}")
    block = araw.parse().content[0]
    assert isinstance(block, anthropic.types.TextBlock) and block.text == f"{ECHO}Hi there"


def test_a_warned_prompt_is_forwarded_with_the_coaching_message_in_a_header(
    pipeline: tuple[WorkerProcess, GatewayProcess], standin: StandInServer
) -> None:
    _worker, gateway = pipeline
    prompt = "Can you rewrite this memo? It is marked INTERNAL USE ONLY at the top."
    raw = anthropic_client(gateway).messages.with_raw_response.create(
        model="claude-test", max_tokens=64, messages=[{"role": "user", "content": prompt}]
    )
    assert raw.headers["x-airlock-action"] == "warn"
    assert "confidential" in raw.headers["x-airlock-message"]
    record = standin.standin.wait_for(1)[0]
    assert record.json()["messages"][0]["content"] == prompt
    assert raw.http_response.content == record.answer


def test_a_request_without_text_goes_through_without_waiting_for_a_dead_letter(
    pipeline: tuple[WorkerProcess, GatewayProcess], standin: StandInServer
) -> None:
    _worker, gateway = pipeline
    image: Any = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    raw = openai_client(gateway).chat.completions.with_raw_response.create(
        model="gpt-test", messages=[{"role": "user", "content": [image]}]
    )
    assert raw.headers["x-airlock-action"] == "allow"
    assert standin.standin.wait_for(1)[0].json()["messages"][0]["content"] == [image]
    assert gateway.sample("airlock_gateway_fallbacks_total") == 0


# --- responses ----------------------------------------------------------------------------------


def test_a_secret_or_personal_data_coming_back_from_the_model_is_caught(
    pipeline: tuple[WorkerProcess, GatewayProcess], standin: StandInServer
) -> None:
    _worker, gateway = pipeline
    rng = random.Random()
    secret, email = aws_key(rng), random_email(rng)
    client = openai_client(gateway)
    # The prompt holds the values reversed (nothing to find); the model answers them.
    with pytest.raises(openai.PermissionDeniedError) as raised:
        chat(client, REVERSE + secret[::-1])
    assert "credential" in raised.value.message
    assert raised.value.response.headers["x-airlock-response-action"] == "block"
    with pytest.raises(anthropic.PermissionDeniedError):
        message(anthropic_client(gateway), REVERSE + secret[::-1], stream=True)

    answer = client.chat.completions.with_raw_response.create(
        model="gpt-test", messages=[{"role": "user", "content": f"{REVERSE}{email[::-1]} :ot"}]
    )
    assert answer.parse().choices[0].message.content == "to: [EMAIL_1]"
    assert answer.headers["x-airlock-response-action"] == "redact"
    streamed = "".join(
        c.choices[0].delta.content or ""
        for c in chat(client, f"{REVERSE}{email[::-1]} :ot", stream=True)
        if c.choices
    )
    assert streamed == "to: [EMAIL_1]"
    assert len(standin.standin.wait_for(4)) == 4  # each went upstream; the answers were caught


# --- callers ------------------------------------------------------------------------------------


def test_callers_are_mapped_by_api_key_to_their_tenant_and_groups(
    start_worker: Callable[..., WorkerProcess],
    start_gateway: Callable[..., GatewayProcess],
    standin: StandInServer,
) -> None:
    start_worker()
    hr_key = "sk-hr-member-0123456789"
    keys = {
        hashlib.sha256(hr_key.encode()).hexdigest(): {
            "tenant": "acme",
            "user": "hr-1",
            "groups": ["hr"],
        }
    }
    gateway = start_gateway(AIRLOCK_GATEWAY_API_KEYS=json.dumps(keys))
    with urllib.request.urlopen(f"{gateway.url}/healthz", timeout=10) as health:
        assert json.loads(health.read())["status"] == "ready"
    email = random_email(random.Random())
    # Acme's policy blocks personal data from HR; anyone else's is redacted.
    hr = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=hr_key, max_retries=0)
    with pytest.raises(openai.PermissionDeniedError) as raised:
        chat(hr, f"Update the record of {email}")
    assert "HR may not share" in raised.value.message
    other = chat(openai_client(gateway), f"Update the record of {email}")
    assert other.choices[0].message.content == f"{ECHO}Update the record of {email}"
    assert gateway.sample("airlock_gateway_requests_total", tenant="acme", action="block") == 1
    assert gateway.sample("airlock_gateway_requests_total", tenant="default", action="redact") == 1


# --- fail modes ---------------------------------------------------------------------------------


def test_with_the_worker_stopped_each_tenant_fails_open_or_closed_as_configured(
    start_worker: Callable[..., WorkerProcess],
    start_gateway: Callable[..., GatewayProcess],
    standin: StandInServer,
) -> None:
    worker = start_worker()
    # A deadline that a busy machine's delivery and decision fit in well: the fallbacks below
    # must come from the worker's absence, never from a slow spell.
    gateway = start_gateway(
        AIRLOCK_GATEWAY_DEADLINE_MS="10000",
        AIRLOCK_GATEWAY_FAIL_MODE="closed",
        AIRLOCK_GATEWAY_TENANT_FAIL_MODES='{"acme": "open"}',
    )
    # The pipeline answers first, so what follows is the worker's absence, not a slow start.
    chat(openai_client(gateway, **{"x-airlock-tenant": "acme"}), "hello")
    assert worker.stop() == 0

    opened = chat(openai_client(gateway, **{"x-airlock-tenant": "acme"}), "hello again")
    assert opened.choices[0].message.content == f"{ECHO}hello again"
    assert len(standin.standin.wait_for(2)) == 2

    with pytest.raises(openai.InternalServerError) as raised:
        chat(openai_client(gateway, **{"x-airlock-tenant": "globex"}), "hello")
    assert raised.value.status_code == 503
    assert "could not inspect" in raised.value.message
    assert len(standin.standin.received) == 2  # the closed tenant's request never went up

    assert (
        gateway.sample(
            "airlock_gateway_fallbacks_total", tenant="acme", mode="open", reason="deadline"
        )
        == 1
    )
    assert (
        gateway.sample(
            "airlock_gateway_fallbacks_total", tenant="globex", mode="closed", reason="deadline"
        )
        == 1
    )
    assert gateway.sample("airlock_gateway_requests_total", action="fail_open") == 1
    assert gateway.sample("airlock_gateway_requests_total", action="fail_closed") == 1
    lines = [line for line in gateway.log_text().splitlines() if "no decision" in line]
    assert len(lines) == 2 and all("(deadline)" in line for line in lines)
    assert "fail open" in lines[0] and "fail closed" in lines[1]


def test_the_sdk_tells_a_missing_decision_from_a_kafka_that_does_not_take_the_event(
    namespace: Namespace,
) -> None:
    settings = Settings(kafka_bootstrap=namespace.bootstrap, topic_prefix=namespace.prefix)
    client = DecisionClient(settings, gateway_id="sdk-test")
    client.start()

    def event() -> dict[str, Any]:
        return {
            "schema_version": 1,
            "event_id": f"sdk-{uuid.uuid4().hex}",
            "tenant_id": "default",
            "time": 1,
            "gateway": {"id": "sdk-test", "kind": "api_gateway"},
            "user": {"id": "u"},
            "app": {"name": "other", "operation": "prompt"},
            "conversation_id": "c",
            "content": {"text": "hello"},
        }

    working = client._producer
    try:
        # No worker runs: the event reaches the broker, no decision comes back. The deadline
        # leaves a busy machine ample time to deliver the event, which makes it `deadline`.
        with pytest.raises(DecisionUnavailable) as raised:
            asyncio.run(client.decide(event(), 10.0))
        assert raised.value.reason == "deadline"
        # A producer whose broker is gone: the event is never delivered.
        client._producer = Producer({"bootstrap.servers": f"127.0.0.1:{free_port()}"})
        with pytest.raises(DecisionUnavailable) as raised:
            asyncio.run(client.decide(event(), 1.0))
        assert raised.value.reason == "unavailable"
    finally:
        client._producer = working
        client.close()


# --- canaries -----------------------------------------------------------------------------------


def test_planted_values_never_reach_logs_metrics_or_the_upstream_and_keys_are_not_logged(
    pipeline: tuple[WorkerProcess, GatewayProcess], standin: StandInServer
) -> None:
    worker, gateway = pipeline
    rng = random.Random()
    email, secret = random_email(rng), aws_key(rng)
    client = openai_client(gateway)
    answer = chat(client, f"Mail {email} the summary", stream=True)
    restored = "".join(c.choices[0].delta.content or "" for c in answer if c.choices)
    assert restored == f"{ECHO}Mail {email} the summary"
    with pytest.raises(openai.PermissionDeniedError):
        chat(client, f"use {secret}")
    record = standin.standin.wait_for(1)[0]
    assert record.headers["authorization"] == f"Bearer {KEY}"
    seen = {
        "gateway log": gateway.log_text(),
        "gateway metrics": gateway.metrics_text(),
        "worker log": worker.log_text(),
        "upstream": "".join(r.body.decode() for r in standin.standin.received),
    }
    for where, text in seen.items():
        assert email not in text, where
        assert secret not in text, where
    assert KEY not in seen["gateway log"] and KEY not in seen["gateway metrics"]
