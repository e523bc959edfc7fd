"""Start-up wiring: the settings made into what runs (the broker's address, the engine, the
policies, the pipeline), in one place for the worker, the command line, the gateway and the
benchmarks. `airlock.config` only reads settings; everything that builds lives here.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airlock.config import Settings
    from detectors.engine import Engine
    from streams.pipeline import Pipeline
    from streams.policy import PolicyStore


class StartError(Exception):
    """A rule or policy file that cannot be loaded; the message names it and says why."""


@contextmanager
def collection_paused(freeze: bool = False) -> Iterator[None]:
    """Python's cyclic garbage collector held off while start-up builds what lives as long as
    the process (modules, the catalogue, the engine): those allocations free nothing, and the
    collections they set off would take a tenth of a short `airlock scan`. With `freeze`, what
    exists at the end is moved out of the collector's sight for good (gc.freeze, as the worker
    does once loaded), so that neither the next collection nor the one at exit walks it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()


def kafka_bootstrap(settings: Settings) -> str:
    """The Kafka bootstrap servers to use: configured, or the local broker's."""
    if settings.kafka_bootstrap:
        return settings.kafka_bootstrap
    from streams.kafka_local import bootstrap_servers

    return bootstrap_servers(settings)


def build_engine(settings: Settings, **overrides: Any) -> Engine:
    """The detection engine the settings describe: the catalogue, the extra rules and the
    tenant dictionaries, compiled (or loaded from the disk cache: the checked catalogue with
    its patterns' shapes, and the Hyperscan database)."""
    from detectors import catalogue_cache
    from detectors.dictionary import Dictionary
    from detectors.engine import Engine

    with collection_paused():
        sources = catalogue_cache.read_sources(settings.rules)
        key = catalogue_cache.cache_key(sources)
        catalogue = catalogue_cache.read(settings.cache_dir, key)
        cached = catalogue is not None
        if catalogue is None:
            catalogue = catalogue_cache.derive(sources)
        engine = Engine(
            catalogue.rules,
            shapes=catalogue.shapes,
            allowlist=catalogue.allowlist,
            hash_key=settings.hash_key_bytes,
            dictionaries=[Dictionary.from_file(p) for p in settings.dictionaries],
            cache_dir=settings.cache_dir,
            **overrides,
        )
    if not cached:  # stored once Hyperscan has accepted every pattern of it too
        catalogue_cache.write(settings.cache_dir, key, catalogue)
    return engine


def load_policies(settings: Settings) -> PolicyStore:
    """The tenants' policies; StartError on a malformed default policy (a tenant's broken file
    gives that tenant the fail mode: `PolicyStore.load_errors`)."""
    from streams.policy import PolicyError, PolicyStore

    try:
        return PolicyStore(
            settings.policy_dir,
            monitor_only=settings.monitor_only,
            fail_mode=settings.policy_fail_mode,
        )
    except PolicyError as exc:
        raise StartError(f"bad policy: {exc}") from None


def load_pipeline(settings: Settings) -> Pipeline:
    """The pipeline that decides prompt events: the engine and the policies; StartError on a
    rule the catalogue or Hyperscan rejects, or a malformed policy."""
    from detectors.rules import RuleError
    from streams.pipeline import Pipeline

    policies = load_policies(settings)
    try:
        engine = build_engine(settings)
    except (RuleError, ValueError, OSError) as exc:
        raise StartError(f"cannot load the detection rules: {exc}") from None
    return Pipeline(
        engine,
        policies,
        settings.max_event_bytes,
        scan_deadline_s=settings.scan_deadline_ms / 1000,
        fail_mode=settings.policy_fail_mode,
    )
