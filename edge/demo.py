"""The gateway's part of `airlock demo`: `airlock gateway` in front of a stand-in AI API
(edge/standin.py), on the demo's topics and worker, and three requests through it, as an
OpenAI client sends them: one blocked, one redacted and restored in the answer, one clean.
Every value in them is synthetic."""

from __future__ import annotations

import random
import secrets
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import orjson

from edge.cli import READY_LINE
from edge.standin import StandInServer

READY_TIMEOUT_S = 60.0
GATEWAY_COMMAND = (sys.executable, "-m", "airlock.cli", "gateway")


def show_gateway(env: dict[str, str], log_path: Path, port: int) -> int:
    """Run the gateway demo with the worker's environment; 0 when all three behaved."""
    standin = StandInServer().start()
    print(f"\nGateway:      starting on http://127.0.0.1:{port} (log: {log_path})", flush=True)
    with log_path.open("wb") as log:
        gateway = subprocess.Popen(
            [*GATEWAY_COMMAND, "--upstream", standin.url, "--port", str(port)],
            env={**env, "AIRLOCK_GATEWAY_DEADLINE_MS": "5000"},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while READY_LINE not in log_path.read_text(errors="replace"):
            if gateway.poll() is not None or time.monotonic() > deadline:
                print(f"airlock demo: the gateway did not start; see {log_path}", file=sys.stderr)
                return 1
            time.sleep(0.1)
        return _requests(f"http://127.0.0.1:{port}/v1", standin)
    finally:
        gateway.terminate()
        try:
            gateway.wait(20)
        except subprocess.TimeoutExpired:
            gateway.kill()
        standin.stop()


def _requests(base: str, standin: StandInServer) -> int:
    rng = random.Random()
    key = "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))
    email = "".join(rng.choice(string.ascii_lowercase) for _ in range(8)) + "@example-corp.com"
    host = base.removesuffix("/v1")
    print(f"  an OpenAI client's base_url: {base}; an Anthropic client's: {host}")
    ok = True

    status, _headers, raw = _chat(base, f"Deploy with access key {key} please")
    message = orjson.loads(raw).get("error", {}).get("message")
    print(f"  block:  HTTP {status}, {message}")
    ok &= status == 403 and not standin.standin.received

    prompt = f"Write a two-line note to {email} about Friday's review"
    status, headers, raw = _chat(base, prompt)
    sent = standin.standin.wait_for(1)[0].json()["messages"][0]["content"]
    answer = orjson.loads(raw)["choices"][0]["message"]["content"] if status == 200 else raw
    print(f"  redact: the AI service received {sent!r}")
    print(f"          the user got back       {answer!r}")
    ok &= status == 200 and email not in sent and email in str(answer)

    status, headers, raw = _chat(base, "What is a good name for a cat?")
    record = standin.standin.wait_for(2)[1]
    same = record.answer == raw and b"cat?" in record.body
    print(
        f"  allow:  HTTP {status}, action {headers.get('x-airlock-action')}; request and answer "
        f"passed byte for byte: {'yes' if same else 'no'}"
    )
    ok &= status == 200 and same
    return 0 if ok else 1


def _chat(base: str, text: str) -> tuple[int, dict[str, str], bytes]:
    payload = orjson.dumps({"model": "demo", "messages": [{"role": "user", "content": text}]})
    request = urllib.request.Request(
        f"{base}/chat/completions",
        data=payload,
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer sk-demo-{secrets.token_hex(8)}",
            "x-airlock-tenant": "default",
            "x-airlock-user": "demo-user",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            headers = {k.lower(): v for k, v in response.headers.items()}
            return response.status, headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()
