"""The one source of Kafka topic names, and the creation of those topics.

Every producer, consumer, test and tool takes its topic names from `Topics.from_prefix`, so a
deployment that changes `topic_prefix` moves every topic at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airlock.startup import kafka_bootstrap

if TYPE_CHECKING:
    from airlock.config import Settings

DEFAULT_PREFIX = "airlock."


@dataclass(frozen=True)
class Topics:
    """The four topics of the pipeline.

    prompts: prompt events from the edge gateways (raw prompts: the most sensitive topic).
    decisions: one decision per prompt event, keyed by event_id.
    alerts: OCSF Data Security Findings for the SOC.
    deadletter: bad input, keyed by "<topic>:<partition>:<offset>"; it carries the original
        payload, so it is as sensitive as the prompts topic.
    """

    prompts: str
    decisions: str
    alerts: str
    deadletter: str

    @classmethod
    def from_prefix(cls, prefix: str = DEFAULT_PREFIX) -> Topics:
        """`airlock.` -> airlock.prompts, airlock.decisions, airlock.alerts, airlock.deadletter."""
        return cls(
            prompts=f"{prefix}prompts",
            decisions=f"{prefix}decisions",
            alerts=f"{prefix}alerts",
            deadletter=f"{prefix}deadletter",
        )

    def all(self) -> tuple[str, str, str, str]:
        return (self.prompts, self.decisions, self.alerts, self.deadletter)


# --- creation (admin client) ---------------------------------------------------------------------

CREATE_TIMEOUT_S = 30.0


class TopicError(RuntimeError):
    """A topic could not be created; the message names the topic and the broker's reason."""


def kafka_config(settings: Settings) -> dict[str, Any]:
    """The librdkafka connection settings (bootstrap, security) of every confluent client."""
    config: dict[str, Any] = {
        "bootstrap.servers": kafka_bootstrap(settings),
        "security.protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_sasl_mechanism:
        config["sasl.mechanism"] = settings.kafka_sasl_mechanism
    if settings.kafka_username:
        config["sasl.username"] = settings.kafka_username
    if settings.kafka_password is not None:
        config["sasl.password"] = settings.kafka_password.get_secret_value()
    if settings.kafka_ssl_cafile is not None:
        config["ssl.ca.location"] = str(settings.kafka_ssl_cafile)
    return config


def create_topics(settings: Settings, topics: Topics) -> list[str]:
    """Create the pipeline's topics that do not exist yet; return the names created.

    Idempotent: existing topics are left as they are (their partitions and retention are not
    changed). Partitions and replication come from the settings; the prompts topic holds raw
    prompts and gets its own, shorter retention (`prompts_retention_ms`).
    """
    # Imported here so that the topic names above stay importable without a Kafka client.
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import AdminClient
    from confluent_kafka.cimpl import NewTopic

    admin = AdminClient(kafka_config(settings))
    try:
        existing = set(admin.list_topics(timeout=CREATE_TIMEOUT_S).topics)
    except KafkaException as exc:
        raise TopicError(f"cannot list the topics on {kafka_bootstrap(settings)}: {exc}") from exc
    wanted = [name for name in topics.all() if name not in existing]
    if not wanted:
        return []
    new_topics = [
        NewTopic(
            name,
            num_partitions=settings.topic_partitions,
            replication_factor=settings.topic_replication,
            config={
                "retention.ms": str(
                    settings.prompts_retention_ms
                    if name == topics.prompts
                    else settings.retention_ms
                ),
                # A batch the broker accepts is at most this large (compressed): the prompts
                # topic takes an event of max_event_bytes with room for the batch header; the
                # outputs are bounded by the worker (streams.pipeline.MAX_OUTPUT_BYTES).
                "max.message.bytes": str(
                    max(settings.max_event_bytes + 64 * 1024, 1 << 20)
                    if name == topics.prompts
                    else 1 << 20
                ),
            },
        )
        for name in wanted
    ]
    created: list[str] = []
    for name, future in admin.create_topics(new_topics, request_timeout=CREATE_TIMEOUT_S).items():
        try:
            future.result(timeout=CREATE_TIMEOUT_S)
        except KafkaException as exc:
            error = exc.args[0] if exc.args else None
            if isinstance(error, KafkaError) and error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                continue  # created meanwhile by another worker: fine
            raise TopicError(
                f"cannot create topic {name} on {kafka_bootstrap(settings)}: {exc}"
            ) from exc
        created.append(name)
    _wait_until_visible(admin, wanted)
    return created


def _wait_until_visible(admin: Any, names: list[str]) -> None:
    """Wait until the metadata shows every partition of `names` with a leader."""
    deadline = time.monotonic() + CREATE_TIMEOUT_S
    while time.monotonic() < deadline:
        metadata = admin.list_topics(timeout=CREATE_TIMEOUT_S)
        ready = all(
            name in metadata.topics
            and metadata.topics[name].error is None
            and metadata.topics[name].partitions
            and all(p.leader >= 0 for p in metadata.topics[name].partitions.values())
            for name in names
        )
        if ready:
            return
        time.sleep(0.1)
    raise TopicError(
        f"topics {', '.join(names)} did not get partition leaders within {CREATE_TIMEOUT_S:.0f} s"
    )
