"""Block-mode Hyperscan databases and scanners: Airlock's own binding to libhs
(detectors/hyperscan_binding.c says why)."""

from collections.abc import Sequence

VERSION: str
PLATFORM: str  # the host CPU a database compiles for
FLAG_CASELESS: int
FLAG_SINGLEMATCH: int
FLAG_PREFILTER: int

class Error(Exception): ...

class CompileError(Error):
    message: str
    index: int  # the rejected expression's index, or -1 for the set as a whole

class Database:
    def __init__(self, expressions: Sequence[bytes], flags: Sequence[int]) -> None: ...
    def serialize(self) -> bytes: ...
    @classmethod
    def deserialize(cls, blob: bytes) -> Database: ...
    @property
    def info(self) -> str: ...
    @property
    def size(self) -> int: ...

class Scanner:
    def __init__(self, database: Database, gaps: Sequence[int]) -> None: ...
    def scan(self, text: str, begin: int, end: int) -> dict[int, list[int]]: ...
    def count(self, data: bytes) -> int: ...
