"""How much of this machine's CPU the hypervisor gave to other guests while a benchmark ran.

On a virtual machine whose host is shared, a core can be taken away for a while ("steal"
time): a pass timed then runs slower for reasons that have nothing to do with the code, and
its figures drift by tens of percent within minutes. The benchmarks print the steal share of
each timed section, read from the `cpu` line of Linux's /proc/stat, so that a reader can tell a
slow pass from a slow machine. Elsewhere than on Linux there is no such line: the share is None.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PROC_STAT = Path("/proc/stat")
# The fields of the `cpu` line, in clock ticks summed over all CPUs: user nice system idle
# iowait irq softirq steal (guest and guest_nice are already counted in user and nice).
_STEAL = 7
_COUNTED = 8


@dataclass(frozen=True, slots=True)
class CpuTimes:
    steal: int
    total: int


def cpu_times(stat: Path = PROC_STAT) -> CpuTimes | None:
    """The machine's steal and total CPU ticks so far, or None where /proc/stat has no cpu line."""
    try:
        first = stat.read_text(encoding="ascii").split("\n", 1)[0].split()
    except OSError:
        return None
    if len(first) < _COUNTED + 1 or first[0] != "cpu":
        return None
    ticks = [int(field) for field in first[1 : _COUNTED + 1]]
    return CpuTimes(steal=ticks[_STEAL], total=sum(ticks))


def steal_share(before: CpuTimes | None, after: CpuTimes | None) -> float | None:
    """The share of the machine's CPU time that was stolen between two readings."""
    if before is None or after is None or after.total <= before.total:
        return None
    return (after.steal - before.steal) / (after.total - before.total)


class StealMeter:
    """Steal share of the machine over a section of code: `with StealMeter() as meter: ...`."""

    def __init__(self, stat: Path = PROC_STAT) -> None:
        self._stat = stat
        self._before: CpuTimes | None = None
        self.share: float | None = None

    def __enter__(self) -> StealMeter:
        self._before = cpu_times(self._stat)
        return self

    def __exit__(self, *_: object) -> None:
        self.share = steal_share(self._before, cpu_times(self._stat))

    def describe(self) -> str:
        """`host steal 12%`, or `host steal unknown` off Linux."""
        return "host steal unknown" if self.share is None else f"host steal {self.share:.0%}"
