"""`airlock gateway --upstream URL`: a reverse proxy for OpenAI- and Anthropic-style APIs that
publishes each prompt to the pipeline, waits for its decision and enforces it.

Per request: read the caller (tenant, user, groups: from an API-key map or headers), extract
the texts the user sends (`edge.apis`), publish them as one prompt event and await the decision
within the deadline (`edge.client`), then
* allow: forward the request's bytes untouched, and the answer's;
* warn: the same, with the coaching message in the `x-airlock-message` response header;
* redact: forward the request with the spans replaced by the conversation's placeholders and
  put the values back into the answer, streamed or whole (`edge.conversation`, `edge.sse`);
* block: answer HTTP 403 in the provider's own error shape, with the coaching message and an
  incident id the user can quote;
* no decision in time, or Kafka unreachable: the tenant's fail mode, open (forward as allow)
  or closed (HTTP 503 in the provider's shape, not to be retried by the SDK).
When the tenant's policy has rules for model responses, the answer is published too (operation
`response`) and the decision applies to it; a streamed answer is then held until decided.

The caller's upstream credentials are forwarded untouched and never logged; nothing here logs
prompt or answer text: log lines carry event ids, tenants, actions and reasons.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import ipaddress
import logging
import re
import signal
import sys
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import orjson
from aiohttp import ClientSession, ClientTimeout, TCPConnector, web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from edge import apis
from edge.cli import EXIT_CONFIG, READY_LINE
from edge.client import DecisionClient, DecisionUnavailable, StartFailed
from edge.conversation import (
    SEPARATOR,
    Conversation,
    Conversations,
    apply_redactions,
    conversation_id,
    joined_text,
    restore_all,
)
from edge.sse import SSERewriter, split_events

if TYPE_CHECKING:
    from airlock.config import Settings
    from streams.policy import PolicyStore

log = logging.getLogger("airlock.gateway")

EXIT_OK = 0

APP_HOSTS = {
    "openai.com": "chatgpt",
    "anthropic.com": "claude",
    "googleapis.com": "gemini",
    "mistral.ai": "mistral",
    "perplexity.ai": "perplexity",
    "githubcopilot.com": "copilot",
}
# Not forwarded upstream (hop by hop, or recomputed); the rest of the caller's headers,
# credentials included, go on untouched.
HOP_HEADERS = frozenset(
    {
        "host",
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "upgrade",
        "te",
        "trailer",
        "content-length",
    }
)
RESPONSE_SKIP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})
UPSTREAM_TIMEOUT_S = 600.0
TENANT = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")  # schemas/prompt_event.v1.json: tenant_id


def app_name(upstream: str) -> str:
    """The AI app of prompt events, from the upstream's host name."""
    host = (urlsplit(upstream).hostname or "").lower()
    for suffix, name in APP_HOSTS.items():
        if host == suffix or host.endswith("." + suffix):
            return name
    return "other"


@dataclass(frozen=True)
class Caller:
    tenant: str
    user: str
    groups: tuple[str, ...]


class GatewayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "airlock_gateway_requests",
            "Requests by enforced outcome: allow, warn, redact, block, fail_open, fail_closed",
            ["tenant", "app", "action"],
            registry=self.registry,
        )
        self.fallbacks = Counter(
            "airlock_gateway_fallbacks",
            "Requests decided by the fail mode: mode open|closed, reason deadline|unavailable",
            ["tenant", "mode", "reason"],
            registry=self.registry,
        )
        buckets = (0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25,
                   0.5, 1.0, 2.5)  # fmt: skip
        self.added = Histogram(
            "airlock_gateway_added_seconds",
            "Time the gateway adds before forwarding upstream (extract, publish, decide, apply)",
            buckets=buckets,
            registry=self.registry,
        )
        self.upstream = Histogram(
            "airlock_gateway_upstream_seconds",
            "Time from forwarding to the upstream's response headers",
            buckets=(*buckets, 5.0, 10.0, 30.0, 60.0),
            registry=self.registry,
        )


class Gateway:
    def __init__(
        self,
        settings: Settings,
        upstream: str,
        client: DecisionClient,
        policies: PolicyStore | None,
    ) -> None:
        self.settings = settings
        self.upstream = upstream.rstrip("/")
        self.app = settings.gateway_app or app_name(upstream)
        self.client = client
        self.policies = policies
        self.metrics = GatewayMetrics()
        # Responses API answer id -> the conversation it belongs to (least recent out first).
        self.responses: OrderedDict[str, str] = OrderedDict()
        self.conversations = Conversations(
            settings.gateway_conversations, settings.gateway_conversation_ttl_s
        )
        self.key = settings.hash_key_bytes
        self.deadline_s = settings.gateway_deadline_ms / 1000
        self.session: ClientSession | None = None
        self._policies_checked = time.monotonic()
        self.dropped_headers = HOP_HEADERS | {
            settings.gateway_tenant_header.lower(),
            settings.gateway_user_header.lower(),
            settings.gateway_groups_header.lower(),
        }
        self.ready = False

    # --- the web application ----------------------------------------------------------------

    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=self.settings.gateway_max_body_bytes)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics_page)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        app.on_startup.append(self._open)
        app.on_cleanup.append(self._close)
        return app

    async def _open(self, _app: web.Application) -> None:
        self.session = ClientSession(
            connector=TCPConnector(limit=0, ttl_dns_cache=300),
            timeout=ClientTimeout(total=UPSTREAM_TIMEOUT_S),
            auto_decompress=False,
        )

    async def _close(self, _app: web.Application) -> None:
        if self.session is not None:
            await self.session.close()

    async def healthz(self, _request: web.Request) -> web.Response:
        status = 200 if self.ready else 503
        body = {
            "status": "ready" if self.ready else "starting",
            "reply_partition": self.client.reply_partition,
        }
        return web.json_response(body, status=status)

    async def metrics_page(self, _request: web.Request) -> web.Response:
        return web.Response(
            body=generate_latest(self.metrics.registry),
            headers={"Content-Type": CONTENT_TYPE_LATEST},
        )

    # --- one request ------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """One request; an unexpected failure is logged by its type only (its message or a
        traceback could quote the request) and answered 502 in the provider's shape."""
        try:
            return await self._handle(request)
        except (ConnectionResetError, asyncio.CancelledError):
            raise
        except Exception as exc:
            log.error("request %s failed: %s", request.path, type(exc).__name__)
            api = apis.PATHS.get(request.path, apis.CHAT)
            return self._error(api, 502, "The Airlock gateway failed on this request.", "")

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        api = apis.PATHS.get(request.path)
        if api is None or request.method != "POST":
            if request.method in ("GET", "HEAD"):  # model lists and the like: no prompt in them
                return await self.forward(request, await request.read(), None, None)
            missing = apis.error_body(
                apis.CHAT, 404, f"{request.path} is not served by the Airlock gateway", "not_found"
            )
            return web.json_response(missing, status=404)
        started = time.perf_counter()
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._error(api, 413, "The request is larger than the gateway accepts.", "")
        try:
            body: Any = orjson.loads(raw)
        except orjson.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            return self._error(api, 400, "The request body is not a JSON object.", "")
        caller = self.caller(request)
        slots = apis.request_slots(api, body)
        texts = [s for s in slots if s.attachment is None]
        attachments = [s for s in slots if s.attachment is not None]
        if len(attachments) > apis.MAX_ATTACHMENTS:  # the rest are scanned as text
            texts += attachments[apis.MAX_ATTACHMENTS :]
            attachments = attachments[: apis.MAX_ATTACHMENTS]
        # Responses keeps the conversation at the provider (previous_response_id): the answer
        # it continues names the conversation, whose placeholders the provider already holds.
        named = request.headers.get("x-airlock-conversation", "")
        conversation_key = (
            (named if _valid_id(named) else None)
            or self.responses.get(str(body.get("previous_response_id")))
            or conversation_id(self.key, caller.tenant, caller.user, slots)
        )
        text, starts = joined_text(texts)
        if (not text or text.isspace()) and not any(a.text.strip() for a in attachments):
            # Nothing to scan (images, audio, an empty request): the pipeline would set the
            # event aside as a dead letter and the request would wait for its deadline.
            self.metrics.requests.labels(caller.tenant, self.app, "allow").inc()
            return await self.forward(request, raw, None, None, {"x-airlock-action": "allow"})
        event = self.event(caller, conversation_key, text, attachments, "prompt", request)
        if len(orjson.dumps(event)) > self.settings.max_event_bytes:
            log.warning(
                "event %s tenant %s: too large to inspect", event["event_id"], caller.tenant
            )
            self.metrics.requests.labels(caller.tenant, self.app, "block").inc()
            return self._error(
                api, 413, "The prompt is larger than Airlock can inspect.", event["event_id"]
            )
        decision, fallback = await self.decide(event, caller)
        action = decision["action"] if decision is not None else fallback
        headers: dict[str, str] = {"x-airlock-action": str(action)}
        mapping: dict[str, str] | None = None
        forwarded = raw
        conversation: Conversation | None = None
        if action == "fail_closed":
            self.metrics.requests.labels(caller.tenant, self.app, action).inc()
            return self._fail_closed(api, event["event_id"], headers)
        if decision is not None:
            headers["x-airlock-event"] = event["event_id"]
            if decision.get("message") and action != "allow":
                headers["x-airlock-message"] = _header_text(decision["message"])
            if action == "block":
                self.metrics.requests.labels(caller.tenant, self.app, "block").inc()
                return self._block(api, decision, headers)
            if action == "redact":
                conversation = self.conversations.get(conversation_key)
                apply_redactions(
                    texts, starts, attachments, decision["redactions"], conversation, self.key
                )
                forwarded = orjson.dumps(body)
                mapping = conversation.values
        self.metrics.requests.labels(caller.tenant, self.app, action).inc()
        inspect = decision is not None and self.inspects_responses(caller)
        self.metrics.added.observe(time.perf_counter() - started)
        answer_context = (api, caller, conversation_key, inspect)
        return await self.forward(request, forwarded, mapping, answer_context, headers)

    def caller(self, request: web.Request) -> Caller:
        """Who sends: the API-key map first (by the key's SHA-256), then the headers."""
        settings = self.settings
        if settings.gateway_api_keys:
            key = request.headers.get("x-api-key") or ""
            authorization = request.headers.get("authorization") or ""
            if authorization.lower().startswith("bearer "):
                key = key or authorization[7:].strip()
            if key:
                known = settings.gateway_api_keys.get(hashlib.sha256(key.encode()).hexdigest())
                if known is not None:
                    return Caller(known.tenant, known.user, known.groups)
        tenant = request.headers.get(settings.gateway_tenant_header, "").strip().lower()
        if not _valid_tenant(tenant):
            tenant = settings.gateway_default_tenant
        user = request.headers.get(settings.gateway_user_header, "").strip()
        if not _valid_id(user):
            user = "anonymous"
        groups_header = request.headers.get(settings.gateway_groups_header, "")
        groups = tuple(dict.fromkeys(g.strip() for g in groups_header.split(",") if g.strip()))
        return Caller(tenant, user, tuple(g[:256] for g in groups[:256]))

    def event(
        self,
        caller: Caller,
        conversation: str,
        text: str,
        attachments: list[apis.Slot],
        operation: str,
        request: web.Request | None,
    ) -> dict[str, Any]:
        """The prompt event (schemas/prompt_event.v1.json) for the texts of one request."""
        content: dict[str, Any] = {"text": text}
        if attachments:
            content["attachments"] = [
                {"name": (s.attachment or "file")[:512], "media_type": s.media_type, "text": s.text}
                for s in attachments
            ]
            if operation == "prompt":
                operation = "upload"
        user: dict[str, Any] = {"id": caller.user}
        if caller.groups:
            user["groups"] = list(caller.groups)
        event: dict[str, Any] = {
            "schema_version": 1,
            "event_id": f"gw-{uuid.uuid4().hex}",
            "tenant_id": caller.tenant,
            "time": int(time.time() * 1000),
            "gateway": {"id": self.client.gateway_id, "kind": "api_gateway"},
            "user": user,
            "app": {"name": self.app, "operation": operation},
            "conversation_id": conversation,
            "content": content,
        }
        host = urlsplit(self.upstream).hostname
        if host:
            event["app"]["host"] = host[:253]
        if request is not None and request.remote:
            try:
                ipaddress.ip_address(request.remote)
                event["client"] = {"ip": request.remote}
            except ValueError:
                pass
        return event

    async def decide(
        self, event: dict[str, Any], caller: Caller
    ) -> tuple[dict[str, Any] | None, str]:
        """The decision, or (None, fail_open|fail_closed) by the tenant's fail mode."""
        try:
            return await self.client.decide(event, self.deadline_s), ""
        except DecisionUnavailable as exc:
            mode = self.fail_mode(caller)
            self.metrics.fallbacks.labels(caller.tenant, mode, exc.reason).inc()
            log.warning(
                "event %s tenant %s: no decision (%s), fail %s",
                exc.event_id,
                caller.tenant,
                exc.reason,
                mode,
            )
            return None, f"fail_{mode}"

    def fail_mode(self, caller: Caller) -> str:
        """`open` or `closed`: the tenant's own, else the gateway's."""
        modes = self.settings.gateway_tenant_fail_modes
        return modes.get(caller.tenant, self.settings.gateway_fail_mode)

    def inspects_responses(self, caller: Caller) -> bool:
        """Whether the tenant's policy has a rule that acts on model responses."""
        if self.policies is None:
            return False
        now = time.monotonic()
        if now >= self._policies_checked + self.settings.policy_reload_interval_s:
            self._policies_checked = now  # edited files apply here as in the worker
            for error in self.policies.reload_if_changed():
                log.error("policy reload failed, the previous policy stays in force: %s", error)
        policy = self.policies.for_tenant(caller.tenant)
        return any(
            rule.action != "allow" and rule.match.applies_to(self.app, "response", caller.groups)
            for rule in policy.rules
        )

    # --- answers the gateway gives itself ---------------------------------------------------

    def _error(
        self, api: str, status: int, message: str, code: str, headers: dict[str, str] | None = None
    ) -> web.Response:
        body = apis.error_body(api, status, message, code or "airlock_error")
        all_headers = {"x-should-retry": "false", **(headers or {})}
        return web.json_response(body, status=status, headers=all_headers)

    def _block(self, api: str, decision: dict[str, Any], headers: dict[str, str]) -> web.Response:
        incident = decision.get("alert") or decision["event_id"]
        message = decision.get("message") or "This request was blocked by your organisation."
        headers["x-airlock-incident"] = str(incident)
        tenant = decision["tenant_id"]
        log.info("event %s tenant %s: block (incident %s)", decision["event_id"], tenant, incident)
        return self._error(
            api, 403, f"{message} (Airlock incident {incident})", "airlock_blocked", headers
        )

    def _fail_closed(self, api: str, event_id: str, headers: dict[str, str]) -> web.Response:
        headers["x-airlock-incident"] = event_id
        message = (
            "Airlock could not inspect this request in time and your organisation does not let "
            f"uninspected requests through. Try again shortly. (Airlock incident {event_id})"
        )
        return self._error(api, 503, message, "airlock_unavailable", headers)

    # --- forwarding -------------------------------------------------------------------------

    async def forward(
        self,
        request: web.Request,
        body: bytes,
        mapping: dict[str, str] | None,
        answer_context: tuple[str, Caller, str, bool] | None,
        extra_headers: dict[str, str] | None = None,
    ) -> web.StreamResponse:
        assert self.session is not None
        rewrite = mapping is not None or (answer_context is not None and answer_context[3])
        # The caller's own headers, credentials included, go on; the gateway's identity headers
        # (x-airlock-*) are for it alone.
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() not in self.dropped_headers and not k.lower().startswith("x-airlock-")
        }
        if rewrite:  # the answer must be read: ask for it uncompressed
            headers = {k: v for k, v in headers.items() if k.lower() != "accept-encoding"}
            headers["Accept-Encoding"] = "identity"
        url = self.upstream + request.path_qs
        sent = time.perf_counter()
        try:
            upstream = await self.session.request(
                request.method, url, data=body, headers=headers, allow_redirects=False
            )
        except (TimeoutError, OSError) as exc:
            log.warning("upstream %s unreachable: %s", self.upstream, type(exc).__name__)
            api = answer_context[0] if answer_context else apis.CHAT
            return self._error(api, 502, "The AI service could not be reached.", "bad_gateway")
        self.metrics.upstream.observe(time.perf_counter() - sent)
        try:
            out_headers = {
                k: v for k, v in upstream.headers.items() if k.lower() not in RESPONSE_SKIP
            }
            out_headers.update(extra_headers or {})
            streamed = upstream.headers.get("content-type", "").startswith("text/event-stream")
            if not rewrite or answer_context is None or upstream.status >= 400:
                return await self._pass(request, upstream, out_headers)
            api, caller, conversation_key, inspect = answer_context
            if streamed:
                return await self._stream(request, upstream, out_headers, api, mapping, inspect,
                                          caller, conversation_key)  # fmt: skip
            return await self._whole(upstream, out_headers, api, mapping, inspect, caller,
                                     conversation_key)  # fmt: skip
        finally:
            upstream.release()

    async def _pass(
        self, request: web.Request, upstream: Any, headers: dict[str, str]
    ) -> web.StreamResponse:
        """The upstream's answer, byte for byte, streamed as it comes."""
        response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
        response.headers.update(headers)
        await response.prepare(request)
        async for chunk in upstream.content.iter_any():
            await response.write(chunk)
        await response.write_eof()
        return response

    async def _whole(
        self,
        upstream: Any,
        headers: dict[str, str],
        api: str,
        mapping: dict[str, str] | None,
        inspect: bool,
        caller: Caller,
        conversation_key: str,
    ) -> web.StreamResponse:
        raw = await upstream.read()
        try:
            answer = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return web.Response(body=raw, status=upstream.status, headers=headers)
        # The answer as the model wrote it is inspected, before the values the user sent are
        # put back: only what the model itself produced can be its leak.
        if inspect:
            slots = apis.answer_slots(api, answer)
            refused = await self._inspect(api, caller, conversation_key, slots, headers)
            if refused is not None:
                return refused
        if mapping:
            answer = restore_all(answer, mapping)
        if api == apis.RESPONSES and isinstance(answer, dict):
            self.remember_response(answer.get("id"), conversation_key)
        return web.Response(body=orjson.dumps(answer), status=upstream.status, headers=headers)

    async def _stream(
        self,
        request: web.Request,
        upstream: Any,
        headers: dict[str, str],
        api: str,
        mapping: dict[str, str] | None,
        inspect: bool,
        caller: Caller,
        conversation_key: str,
    ) -> web.StreamResponse:
        rewriter = SSERewriter(api, mapping or {})
        response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
        if inspect:  # the answer is held until it is decided, then restored
            held = b"".join([chunk async for chunk in upstream.content.iter_any()])
            events = split_events(held)
            slots = [slot for e in events for _key, slot in apis.stream_deltas(api, e.data)]
            refused = await self._inspect(api, caller, conversation_key, slots, headers, "")
            if refused is not None:
                return refused
            rebuilt = b"".join(
                e.encode(e.data) if apis.stream_deltas(api, e.data) else e.raw + b"\n\n"
                for e in events
            )
            response.headers.update(headers)
            await response.prepare(request)
            await response.write(rewriter.feed(rebuilt) + rewriter.close())
            await response.write_eof()
            self.remember_response(rewriter.response_id, conversation_key)
            return response
        response.headers.update(headers)
        await response.prepare(request)
        async for chunk in upstream.content.iter_any():
            out = rewriter.feed(chunk)
            if out:
                await response.write(out)
        tail = rewriter.close()
        if tail:
            await response.write(tail)
        await response.write_eof()
        self.remember_response(rewriter.response_id, conversation_key)
        return response

    def remember_response(self, response_id: Any, conversation_key: str) -> None:
        if isinstance(response_id, str) and response_id:
            self.responses[response_id] = conversation_key
            self.responses.move_to_end(response_id)
            while len(self.responses) > self.settings.gateway_conversations:
                self.responses.popitem(last=False)

    async def _inspect(
        self,
        api: str,
        caller: Caller,
        conversation_key: str,
        slots: list[apis.Slot],
        headers: dict[str, str],
        separator: str = SEPARATOR,
    ) -> web.Response | None:
        """Publish the model's answer (operation response) and apply its decision: an error
        response for block (or fail closed), else None with the answer's slots rewritten for
        redact (the values are masked by placeholders: they are not the user's to restore)."""
        text, starts = joined_text(slots, separator)
        if not text.strip():
            return None
        event = self.event(caller, conversation_key, text, [], "response", None)
        if len(text) * 4 > self.settings.max_event_bytes and (
            len(orjson.dumps(event)) > self.settings.max_event_bytes
        ):  # the pipeline would set it aside: the tenant's fail mode says what happens
            mode = self.fail_mode(caller)
            log.warning(
                "event %s tenant %s: answer too large to inspect, fail %s",
                event["event_id"],
                caller.tenant,
                mode,
            )
            decision, fallback = None, f"fail_{mode}"
        else:
            decision, fallback = await self.decide(event, caller)
        action = decision["action"] if decision is not None else fallback
        headers["x-airlock-response-action"] = action
        own = {k: v for k, v in headers.items() if k.lower().startswith("x-airlock")}
        if action == "fail_closed":
            return self._fail_closed(api, event["event_id"], own)
        if decision is None or action == "allow":
            return None
        if action == "block":
            return self._block(api, decision, own)
        if decision.get("message"):
            headers["x-airlock-response-message"] = _header_text(decision["message"])
        if action == "redact":
            spans = decision["redactions"]
            apply_redactions(slots, starts, [], spans, Conversation(), self.key)
        log.info("event %s tenant %s: response %s", event["event_id"], caller.tenant, action)
        return None


def _header_text(text: str) -> str:
    """A header value: ASCII as is, anything else percent-encoded (HTTP headers are Latin-1)."""
    flat = " ".join(text.split())
    return flat if flat.isascii() else quote(flat, safe=" ,.;:!?'()/-")


def _valid_id(value: str) -> bool:
    """An id as schemas/prompt_event.v1.json wants it: 1 to 128 printable ASCII characters."""
    return 0 < len(value) <= 128 and all(0x21 <= ord(c) <= 0x7E for c in value)


def _valid_tenant(tenant: str) -> bool:
    return TENANT.fullmatch(tenant) is not None


async def serve(
    settings: Settings,
    upstream: str,
    policies: PolicyStore | None,
    *,
    ready: asyncio.Event | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    client = DecisionClient(settings)
    try:
        await asyncio.get_running_loop().run_in_executor(None, client.start)
    except StartFailed as exc:
        print(f"airlock gateway: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    gateway = Gateway(settings, upstream, client, policies)
    runner = web.AppRunner(gateway.web_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.gateway_host, settings.gateway_port)
    try:
        await site.start()
    except OSError as exc:
        print(f"airlock gateway: cannot listen on port {settings.gateway_port}: {exc}",
              file=sys.stderr)  # fmt: skip
        await runner.cleanup()
        client.close()
        return EXIT_CONFIG
    # What start-up allocated (modules, settings, policies) leaves the collector's sight, so
    # that a full collection scans only what requests allocate (the worker does the same).
    gc.collect()
    gc.freeze()
    gateway.ready = True
    print(
        f"{READY_LINE} on http://{settings.gateway_host}:{settings.gateway_port} -> {upstream} "
        f"(app {gateway.app}, decisions partition {client.reply_partition})",
        flush=True,
    )
    if ready is not None:
        ready.set()
    if stop is None:  # SIGTERM and SIGINT stop it cleanly: in-flight events are flushed
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
        log.info("stopping")
    except asyncio.CancelledError:
        pass
    finally:
        await runner.cleanup()
        client.close()
    return EXIT_OK
