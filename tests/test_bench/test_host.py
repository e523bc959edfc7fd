"""The steal meter reads the hypervisor's share of CPU time from /proc/stat."""

from __future__ import annotations

from pathlib import Path

from bench.host import CpuTimes, StealMeter, cpu_times, steal_share


def write_stat(path: Path, user: int, idle: int, steal: int) -> None:
    # user nice system idle iowait irq softirq steal guest guest_nice
    path.write_text(
        f"cpu  {user} 0 10 {idle} 0 0 0 {steal} 7 0\ncpu0 1 2 3 4 5 6 7 8 9 10\nintr 1\n",
        encoding="ascii",
    )


def test_cpu_times_sum_the_counted_fields_and_leave_guest_time_out(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    write_stat(stat, user=100, idle=300, steal=40)
    # guest (7) is already inside user: counting it again would dilute the share
    assert cpu_times(stat) == CpuTimes(steal=40, total=100 + 10 + 300 + 40)


def test_share_is_the_stolen_part_of_the_time_between_readings(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    write_stat(stat, user=100, idle=300, steal=40)
    with StealMeter(stat) as meter:
        write_stat(stat, user=150, idle=330, steal=60)  # 100 ticks later, 20 of them stolen
    assert meter.share == 0.2
    assert meter.describe() == "host steal 20%"


def test_no_reading_no_share(tmp_path: Path) -> None:
    missing = tmp_path / "absent"
    assert cpu_times(missing) is None
    with StealMeter(missing) as meter:
        pass
    assert meter.share is None
    assert meter.describe() == "host steal unknown"
    not_linux = tmp_path / "stat"
    not_linux.write_text("intr 1\n", encoding="ascii")
    assert cpu_times(not_linux) is None
    assert steal_share(CpuTimes(1, 10), CpuTimes(1, 10)) is None  # no time passed
