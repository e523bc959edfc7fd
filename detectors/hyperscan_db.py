"""Hyperscan block-mode databases and the scan that gathers each pattern's match ends.

Hyperscan comes from the `hyperscan` wheel on PyPI, which ships the library inside it: no
compiler, headers or system package is needed to install Airlock. The wheel calls a Python
function per match; `Scanner.scan` keeps that function to one list append and does the rest
(joining ends into runs, mapping byte offsets to str indices) once per pattern afterwards.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import hyperscan

VERSION: str = metadata.version("hyperscan")
FLAG_CASELESS = hyperscan.HS_FLAG_CASELESS
FLAG_SINGLEMATCH = hyperscan.HS_FLAG_SINGLEMATCH
FLAG_PREFILTER = hyperscan.HS_FLAG_PREFILTER
FLAG_MULTILINE = hyperscan.HS_FLAG_MULTILINE

# UTF-8 continuation bytes: a str index counts the bytes before it that are not one of these.
_CONTINUATION = bytes(range(0x80, 0xC0))


def _cpu_features() -> str:
    """What a database compiled here depends on, for the cache key: the wheel compiles for the
    library's generic target, so the CPU's flags only matter to a different build of it."""
    try:
        for line in (
            Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace").splitlines()
        ):
            if line.startswith("flags"):
                return hashlib.sha256(line.encode()).hexdigest()[:16]
    except OSError:
        pass
    return "unknown"


PLATFORM = _cpu_features()

Error = hyperscan.error


class CompileError(Exception):
    """Hyperscan rejected an expression: `index` names it (-1: the set as a whole)."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.message = message
        self.index = index


class Database:
    """A compiled block-mode database of expressions; expression i reports id i."""

    def __init__(self, compiled: Any) -> None:
        self.compiled = compiled

    @classmethod
    def compile(cls, expressions: Sequence[bytes], flags: Sequence[int]) -> Database:
        database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        try:
            database.compile(
                expressions=list(expressions),
                ids=list(range(len(expressions))),
                elements=len(expressions),
                flags=list(flags),
            )
        except hyperscan.error as exc:
            raise CompileError(str(exc), _rejected_index(expressions, flags)) from None
        return cls(database)

    def serialize(self) -> bytes:
        blob: bytes = hyperscan.dumpb(self.compiled)
        return blob

    @classmethod
    def deserialize(cls, blob: bytes) -> Database:
        """A database from `serialize`'s bytes; Error if this library or CPU cannot run it."""
        return cls(hyperscan.loadb(blob, hyperscan.HS_MODE_BLOCK))

    @property
    def size(self) -> int:
        size: int = self.compiled.size()
        return size


def _rejected_index(expressions: Sequence[bytes], flags: Sequence[int]) -> int:
    """Which expression Hyperscan rejects on its own (the wheel's error does not say)."""
    for index, (expression, flag) in enumerate(zip(expressions, flags, strict=True)):
        try:
            hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK).compile(
                expressions=[expression], ids=[0], elements=1, flags=[flag]
            )
        except hyperscan.error:
            return index
    return -1


class Scanner:
    """Scans text with one database and one scratch. Not thread-safe: one per thread."""

    def __init__(self, database: Database, gaps: Sequence[int]) -> None:
        self.database = database.compiled
        self.scratch = hyperscan.Scratch(self.database)
        self.gaps = list(gaps)  # per pattern id: ends this close (bytes) join one run

    def scan(self, text: str, begin: int, end: int) -> dict[int, list[int]]:
        """Runs of match ends per pattern id, as [first, last, first, last ...]: ends closer
        than the pattern's gap join one run. Ends are str indices into `text`."""
        part = text[begin:end]
        ascii_only = part.isascii()
        data = part.encode("ascii") if ascii_only else part.encode("utf-8", "surrogatepass")
        ends: dict[int, list[int]] = {}
        setdefault = ends.setdefault

        def on_match(pattern: int, _start: int, last: int, _flags: int, _context: Any) -> None:
            setdefault(pattern, []).append(last)

        self.database.scan(data, match_event_handler=on_match, scratch=self.scratch)
        if not ends:
            return ends
        to_index = _offset_to_index(begin, data, ascii_only, ends)
        gaps = self.gaps
        runs: dict[int, list[int]] = {}
        for pattern, offsets in ends.items():
            gap = gaps[pattern]
            offsets.sort()
            joined = [offsets[0], offsets[0]]
            for offset in offsets[1:]:
                if offset - joined[-1] < gap:
                    joined[-1] = offset
                else:
                    joined += (offset, offset)
            runs[pattern] = [to_index(offset) for offset in joined]
        return runs

    def count(self, data: bytes) -> int:
        """The number of matches in the bytes: raw Hyperscan, nothing gathered."""
        matches = 0

        def on_match(_pattern: int, _start: int, _last: int, _flags: int, _ctx: Any) -> None:
            nonlocal matches
            matches += 1

        self.database.scan(data, match_event_handler=on_match, scratch=self.scratch)
        return matches


def _offset_to_index(
    begin: int, data: bytes, ascii_only: bool, ends: dict[int, list[int]]
) -> Callable[[int], int]:
    """A function from a byte offset into `data` to the str index of the text."""
    if ascii_only:
        return begin.__add__
    # The characters before an offset are its bytes less the continuation bytes: counted once
    # over the sorted offsets, each slice of the text counted once.
    index: dict[int, int] = {}
    previous = count = 0
    for offset in sorted({o for offsets in ends.values() for o in offsets}):
        count += len(data[previous:offset].translate(None, _CONTINUATION))
        index[offset] = begin + count
        previous = offset
    return index.__getitem__
