"""A decompression bomb is inflated in bounded memory: the consumer's gzip decoder keeps small
records as they are and replaces an oversized one's value by a marker the pipeline dead-letters
as too_large (issue 18: a 400 MB gzip event took 1.8 GB of worker memory)."""

from __future__ import annotations

import tracemalloc

import orjson
from aiokafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder

from streams import inflate
from streams.pipeline import Pipeline
from tests.test_streams.conftest import make_event

BOMB_BYTES = 64 << 20
LIMIT = 1 << 20


def gzip_batch(values: list[bytes]) -> bytearray:
    builder = DefaultRecordBatchBuilder(
        magic=2,
        compression_type=DefaultRecordBatch.CODEC_GZIP,
        is_transactional=0,
        producer_id=-1,
        producer_epoch=-1,
        base_sequence=-1,
        batch_size=1 << 30,
    )
    for offset, value in enumerate(values):
        builder.append(
            offset,
            timestamp=1_760_000_000_000,
            key=b"k%d" % offset,
            value=value,
            headers=[("h", b"v")],
        )
    return bytearray(builder.build())


def test_a_gzip_bomb_is_inflated_in_bounded_memory_and_dead_lettered(pipeline: Pipeline) -> None:
    small = orjson.dumps(make_event("Write a haiku about the sea."))
    batch = gzip_batch([small, b"{" + b" " * BOMB_BYTES + b"}", small])
    assert len(batch) < BOMB_BYTES // 100  # what the broker sees: a small batch
    inflate.install(record_limit=LIMIT + 1024, batch_limit=32 << 20)
    tracemalloc.start()
    try:
        records = list(DefaultRecordBatch(batch))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20  # the 64 MB value was never held
    assert [r.offset for r in records] == [0, 1, 2]
    assert [r.key for r in records] == [b"k0", b"k1", b"k2"]
    assert records[0].value == small and records[2].value == small
    assert inflate.too_large_size(records[1].value) == BOMB_BYTES + 2
    outcome = pipeline.process(records[1].value, topic="airlock.prompts", partition=0, offset=1)
    assert outcome.deadletter is not None and outcome.deadletter["reason"] == "too_large"
    assert str(BOMB_BYTES + 2) in outcome.deadletter["detail"]
    decided = pipeline.process(records[0].value, topic="airlock.prompts", partition=0, offset=0)
    assert decided.decision is not None
