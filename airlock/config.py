"""The one configuration loader: environment variables `AIRLOCK_*`, then an optional YAML file.

Every setting has the same name everywhere: field `hash_key` is the environment variable
`AIRLOCK_HASH_KEY`, the key `hash_key:` in the file named by `AIRLOCK_CONFIG`, and `hash_key`
under `config:` in the Helm chart's values. Environment wins over the file.
"""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

CONFIG_ENV = "AIRLOCK_CONFIG"
REPO_ROOT = Path(__file__).resolve().parent.parent
LOCAL_KAFKA_PORT = 9092


class GatewayIdentity(BaseModel):
    """Who a caller is, as the gateway's API-key map names them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    user: str = Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
    groups: tuple[str, ...] = ()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AIRLOCK_", extra="forbid", frozen=True)

    hash_key: SecretStr | None = Field(
        default=None,
        description="Key of the HMAC that fingerprints detected values. Without it a random "
        "per-process key is used, and hashes do not correlate across processes or restarts.",
    )
    rules: list[Path] = Field(
        default_factory=list, description="Extra rule files or folders, added to the catalogue."
    )
    dictionaries: list[Path] = Field(
        default_factory=list,
        description="Tenant dictionaries: text files of terms, one per line, found as words.",
    )
    cache_dir: Path = Field(
        default=Path.home() / ".cache" / "airlock",
        description="Where compiled Hyperscan databases and the checked catalogue are cached "
        "(private: holds the terms and custom rules).",
    )

    # Kafka. With no bootstrap configured, every command uses the local broker that
    # `airlock kafka up` starts.
    kafka_bootstrap: str | None = Field(
        default=None, description="host:port[,host:port]; default: the `airlock kafka up` broker"
    )
    kafka_security_protocol: str = Field(
        default="PLAINTEXT", description="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"
    )
    kafka_sasl_mechanism: str | None = Field(default=None, description="e.g. SCRAM-SHA-512")
    kafka_username: str | None = None
    kafka_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = Field(default=None, description="CA bundle for SSL")
    topic_prefix: str = Field(default="airlock.", description="prefix of every topic name")
    topic_partitions: int = Field(default=4, ge=1, description="partitions of created topics")
    topic_replication: int = Field(default=1, ge=1, description="replication of created topics")
    prompts_retention_ms: int = Field(
        default=24 * 3600 * 1000, description="retention of the prompts topic (raw prompts)"
    )
    retention_ms: int = Field(
        default=7 * 24 * 3600 * 1000, description="retention of decisions, alerts, dead letters"
    )
    group_id: str = Field(default="airlock-worker", description="consumer group of the worker")

    # Worker.
    max_event_bytes: int = Field(
        default=1 << 20, ge=1024, description="larger prompt events go to the dead-letter topic"
    )
    policy_dir: Path = Field(
        default=Path(__file__).resolve().parent.parent / "streams" / "policies",
        description="folder of policy files: default.yaml and <tenant_id>.yaml",
    )
    policy_fail_mode: Literal["block", "allow"] = Field(
        default="block",
        description="what a tenant whose policy file cannot be loaded gets: block (every "
        "prompt blocked) or allow (every prompt allowed); every other tenant runs normally. "
        "Also what a prompt whose scan ran out of time gets: block, or the findings so far decide",
    )
    scan_deadline_ms: int = Field(
        default=1000,
        ge=1,
        description="the scan of one event stops after this long; its decision carries "
        "scan_incomplete and the findings so far (see policy_fail_mode)",
    )
    monitor_only: bool = Field(
        default=False, description="decide and alert, but always allow (overrides policies)"
    )
    metrics_port: int = Field(default=9400, description="port of the Prometheus /metrics server")
    metrics_host: str = Field(default="127.0.0.1", description="address /metrics listens on")
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR")
    kafka_session_timeout_s: float = Field(
        default=10.0,
        ge=6.0,
        description="how long the consumer group waits for a silent worker before moving its "
        "partitions to the others; a worker restarted after a crash waits this long to rejoin",
    )
    producer_linger_ms: float = Field(
        default=5.0,
        ge=0,
        description="how long the worker holds a decision to send it with others: larger "
        "batches for throughput, this much latency per decision at low rates (0 for gateways "
        "that wait on decisions, bench/gateway.py)",
    )
    fetch_max_wait_ms: int = Field(
        default=5,
        ge=0,
        description="how long the broker may hold the worker's fetch until it has "
        "fetch_min_bytes of prompt events",
    )
    fetch_min_bytes: int = Field(
        default=64 * 1024,
        ge=1,
        description="the worker's fetch waits (up to fetch_max_wait_ms) for this much; 1 answers "
        "each event at once",
    )
    policy_reload_interval_s: float = Field(
        default=2.0, gt=0, description="how often the worker checks policy files for changes"
    )

    # The edge gateway (`airlock gateway`, edge/gateway.py).
    gateway_id: str = Field(
        default_factory=lambda: os.uname().nodename or "airlock-gateway",
        min_length=1,
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="this gateway's id in prompt events; its default reply partition is a "
        "stable hash of it (default: the host name)",
    )
    gateway_host: str = Field(default="127.0.0.1", description="address the gateway listens on")
    gateway_port: int = Field(default=8080, ge=1, le=65535, description="port of the gateway")
    gateway_upstream: str | None = Field(
        default=None, description="base URL of the AI API the gateway forwards to"
    )
    gateway_app: str | None = Field(
        default=None,
        description="AI app named in prompt events (chatgpt, claude, ...); default: derived "
        "from the upstream's host name, `other` when unknown",
    )
    gateway_deadline_ms: int = Field(
        default=500, ge=1, description="how long the gateway waits for a decision"
    )
    gateway_fail_mode: Literal["open", "closed"] = Field(
        default="closed",
        description="what the gateway does when no decision comes in time or Kafka is "
        "unreachable: `open` forwards the request uninspected, `closed` refuses it",
    )
    gateway_tenant_fail_modes: dict[str, Literal["open", "closed"]] = Field(
        default_factory=dict,
        description='per-tenant fail modes (JSON: {"acme": "open"}); others use gateway_fail_mode',
    )
    gateway_reply_partition: int | None = Field(
        default=None,
        ge=0,
        description="partition of the decisions topic this gateway reads its decisions from; "
        "default: a stable hash of gateway_id over the topic's partitions",
    )
    gateway_tenant_header: str = Field(
        default="x-airlock-tenant", description="request header naming the caller's tenant"
    )
    gateway_user_header: str = Field(
        default="x-airlock-user", description="request header naming the caller's user id"
    )
    gateway_groups_header: str = Field(
        default="x-airlock-groups", description="request header: the caller's groups, by commas"
    )
    gateway_api_keys: dict[str, GatewayIdentity] = Field(
        default_factory=dict,
        description="callers by API key: SHA-256 (hex) of the key the client sends "
        '(Authorization: Bearer or x-api-key) -> {"tenant": ..., "user": ..., "groups": [...]}; '
        "wins over the headers",
    )
    gateway_default_tenant: str = Field(
        default="default",
        pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$",
        description="tenant of a caller neither a header nor an API key names",
    )
    gateway_inspect_responses: Literal["policy", "never"] = Field(
        default="policy",
        description="`policy`: the model's answer is inspected (operation response) when the "
        "tenant's policy has a rule for responses; `never`: answers are not inspected",
    )
    gateway_max_body_bytes: int = Field(
        default=8 << 20, ge=1024, description="larger requests are refused with HTTP 413"
    )
    gateway_conversations: int = Field(
        default=10000,
        ge=1,
        description="conversations whose placeholder mapping the gateway keeps in memory "
        "(least recently used dropped first)",
    )
    gateway_conversation_ttl_s: float = Field(
        default=3600.0, gt=0, description="a conversation idle this long forgets its mapping"
    )

    # The local broker of `airlock kafka up` (streams/kafka_local.py).
    state_dir: Path = Field(
        default=REPO_ROOT / ".airlock",
        description="root of local state: the local broker keeps its jars, data, logs and pid "
        "file in <state_dir>/kafka, `airlock demo` its logs in <state_dir>/demo",
    )
    kafka_port: int = Field(
        default=LOCAL_KAFKA_PORT,
        description="port of the local broker (1 to 65534); its controller listens on port + 1",
    )

    @field_validator("state_dir", mode="before")
    @classmethod
    def _blank_state_dir(cls, value: Any) -> Any:
        """An empty AIRLOCK_STATE_DIR means the default, as if it were not set."""
        if isinstance(value, str) and not value.strip():
            return REPO_ROOT / ".airlock"
        return value

    @field_validator("state_dir")
    @classmethod
    def _absolute_state_dir(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("kafka_port", mode="before")
    @classmethod
    def _tcp_port(cls, value: Any) -> Any:
        """A port from 1 to 65534 (the controller takes the next one); empty means the default."""
        port = value.strip() if isinstance(value, str) else value
        if port == "":
            return LOCAL_KAFKA_PORT
        if isinstance(port, str) and port.isdigit():
            port = int(port)
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65534:
            raise ValueError(
                f"{value!r}: expected a TCP port from 1 to 65534 (the controller listens on "
                "that port + 1)"
            )
        return port

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = os.environ.get(CONFIG_ENV)
        if path:
            if not Path(path).is_file():
                raise FileNotFoundError(f"{CONFIG_ENV}={path}: no such configuration file")
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=path))
        return tuple(sources)

    @cached_property
    def hash_key_bytes(self) -> bytes:
        if self.hash_key is None:
            return secrets.token_bytes(32)
        return self.hash_key.get_secret_value().encode("utf-8")


def describe_errors(error: ValidationError) -> str:
    """A configuration error as one line naming each setting by its environment variable."""
    return "; ".join(
        f"AIRLOCK_{'_'.join(str(p) for p in problem['loc']).upper()}: {problem['msg']}"
        for problem in error.errors()
    )
