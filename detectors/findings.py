"""The Finding: what the engine reports for one detected value, never the value itself.

Kept apart from detectors/engine.py because the engine may be compiled with mypyc (setup.py)
and a compiled class cannot subclass a tuple; this module stays interpreted.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class _FindingFields(NamedTuple):
    detector: str
    category: str
    severity: str
    label: str
    start: int
    end: int
    confidence: str
    masked: str
    value_hash: str


class Finding(_FindingFields):
    """One detected value: where it is and what it is, never the value itself.

    Immutable, with the fields, equality and hash of a frozen dataclass. A named tuple because
    the scan builds one per finding: a tuple is made in one step, where a frozen dataclass
    sets its fields one by one through object.__setattr__.
    """

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        return dict(zip(self._fields, self, strict=True))

    # Like a dataclass, a Finding equals only a Finding, not the plain tuple of its fields,
    # and has no order.
    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return tuple.__eq__(self, other)
        return False if isinstance(other, tuple) else NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = tuple.__hash__  # a frozen dataclass's: the hash of the tuple of its fields

    def __lt__(self, other: object) -> bool:
        return NotImplemented

    __le__ = __gt__ = __ge__ = __lt__
