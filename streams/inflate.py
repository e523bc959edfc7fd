"""Bounded inflation of gzip-compressed Kafka record batches: a decompression bomb never fills
the worker's memory.

The broker limits a record batch by its compressed size, so a 400 MB prompt of one repeated
character passes as a 400 kB gzip batch, and aiokafka inflates a batch whole before any record
is handed over. `install()` replaces aiokafka's gzip decoder (in its record modules, C and pure
Python) with `bounded_gzip_records`, which inflates the batch's records one at a time in small
pieces: a record up to `record_limit` bytes is kept as it is, a larger one keeps its key,
offset and timestamp but its value is replaced by `TOO_LARGE_PREFIX` and the inflated size,
which `Pipeline.process` turns into a `too_large` dead letter. Memory stays bounded by the
record limit, whatever the batch inflates to; the partition moves on.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

TOO_LARGE_PREFIX = b"\x00airlock:inflated-too-large:"
CHUNK = 64 * 1024  # compressed bytes handed to zlib at a time


class _Stream:
    """Inflated bytes of a gzip payload (one or more members), read on demand."""

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self._data = memoryview(data)
        self._pos = 0
        self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)
        self._buffer = bytearray()

    def _fill(self, wanted: int) -> bool:
        """Inflate until the buffer holds `wanted` bytes; False when the payload is exhausted."""
        while len(self._buffer) < wanted:
            inflater = self._inflater
            if inflater.unconsumed_tail:
                piece = inflater.unconsumed_tail
            elif inflater.eof and inflater.unused_data:  # another gzip member follows
                piece = inflater.unused_data
                self._inflater = inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)
            elif self._pos < len(self._data):
                piece = bytes(self._data[self._pos : self._pos + CHUNK])
                self._pos += len(piece)
            else:
                return False
            self._buffer += inflater.decompress(piece, max(CHUNK, wanted - len(self._buffer)))
        return True

    def read(self, count: int) -> bytes:
        if not self._fill(count):
            raise ValueError("the compressed record batch ends inside a record")
        out = bytes(self._buffer[:count])
        del self._buffer[:count]
        return out

    def skip(self, count: int) -> None:
        while count > 0:
            if not self._fill(1):
                raise ValueError("the compressed record batch ends inside a record")
            step = min(count, len(self._buffer))
            del self._buffer[:step]
            count -= step

    def varint(self) -> int:
        shift = result = 0
        while True:
            byte = self.read(1)[0]
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return (result >> 1) ^ -(result & 1)  # zigzag
            shift += 7
            if shift > 63:
                raise ValueError("a varint of the record batch is too long")

    def at_end(self) -> bool:
        return not self._fill(1)


def _varint(value: int) -> bytes:
    value = (value << 1) ^ (value >> 63)  # zigzag
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def bounded_gzip_records(
    data: bytes | bytearray | memoryview, record_limit: int, batch_limit: int
) -> bytes:
    """The inflated records of a gzip batch, each at most about `record_limit` bytes: a larger
    record's value is replaced by TOO_LARGE_PREFIX and its inflated size. Inflates at most
    `batch_limit` bytes of records as they are; past that, every record is replaced."""
    stream = _Stream(data)
    out = bytearray()
    while not stream.at_end():
        length = stream.varint()
        if length <= record_limit and len(out) + length <= batch_limit:
            out += _varint(length) + stream.read(length)
            continue
        # Keep what identifies the record (attributes, timestamp, offset, key if small), drop
        # the value and the headers.
        attributes = stream.read(1)
        timestamp_delta = stream.varint()
        offset_delta = stream.varint()
        key_length = stream.varint()
        key: bytes | None = None
        if 0 <= key_length <= 1024:
            key = stream.read(key_length)
        elif key_length > 0:
            stream.skip(key_length)
        value_length = stream.varint()
        read = 0
        if value_length > 0:
            stream.skip(value_length)
            read = value_length
        headers = stream.varint()
        for _ in range(max(0, headers)):
            for _part in range(2):
                size = stream.varint()
                if size > 0:
                    stream.skip(size)
        value = TOO_LARGE_PREFIX + str(read).encode()
        body = (
            attributes
            + _varint(timestamp_delta)
            + _varint(offset_delta)
            + (_varint(-1) if key is None else _varint(len(key)) + key)
            + _varint(len(value))
            + value
            + _varint(0)
        )
        out += _varint(len(body)) + body
    return bytes(out)


def too_large_size(value: bytes | None) -> int | None:
    """The inflated size of a record whose value `install`'s decoder replaced, else None."""
    if value is None or not value.startswith(TOO_LARGE_PREFIX):
        return None
    try:
        return int(value[len(TOO_LARGE_PREFIX) :])
    except ValueError:
        return None


def install(record_limit: int, batch_limit: int) -> None:
    """Make aiokafka inflate gzip batches with `bounded_gzip_records` (idempotent)."""
    import aiokafka.record.default_records as pure

    decoder: Callable[[Any], bytes] = lambda data: bounded_gzip_records(  # noqa: E731
        data, record_limit, batch_limit
    )
    modules: list[Any] = [pure]
    try:
        from aiokafka.record._crecords import default_records as compiled

        modules.append(compiled)
    except ImportError:  # aiokafka without its C extensions
        pass
    for module in modules:
        module.gzip_decode = decoder
