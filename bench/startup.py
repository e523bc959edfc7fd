"""Whole-process start-up: `airlock scan` of one short prompt, beside gitleaks on the same file.

A user running the command line, or a hook per commit, waits for the whole process: the
interpreter, the imports, the catalogue and the Hyperscan database, one scan of a few words,
exit. Each run is timed from spawn to exit (wall time, and the child's CPU time):

- **cold**: an empty cache folder (`AIRLOCK_CACHE_DIR`), so the catalogue is checked and the
  Hyperscan database compiled (once: it takes long);
- **catalogue cold**: the compiled database kept, the start-up cache (detectors/
  catalogue_cache.py) removed: a start after an upgrade of Airlock's code (once);
- **warm**: both caches in place, as every later start (`--runs` times).

gitleaks, the best-known secret scanner's single binary, scans the same file with its default
rules (`gitleaks dir FILE`), taking turns with Airlock's warm runs; it is installed with
`go install` into a folder of the user's cache (outside the checkout) the first time. Where
that fails (no Go, no network) the output says so and still prints Airlock's figures.

`--baseline DIR` times another source tree of Airlock too (a checkout or `git archive` of an
older commit, run with PYTHONPATH=DIR by the same interpreter), taking turns with the others.

    python -m bench.startup                      # 15 warm runs each
    python -m bench.startup --runs 31 --gitleaks-version v8.30.1
    python -m bench.startup --skip-gitleaks --baseline /tmp/airlock-before
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.host import StealMeter
from detectors import catalogue_cache

GITLEAKS_MODULE = "github.com/zricethezav/gitleaks/v8"
GITLEAKS_VERSION = "v8.30.1"
TOOLS_DIR = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "airlock-bench"
PROMPT = "Can you rewrite this e-mail so it sounds friendlier? Thanks for the quick reply.\n"
GOAL_S = 0.3


@dataclass(frozen=True)
class Run:
    wall: float  # seconds from spawn to exit
    cpu: float  # the child's user + system seconds


def timed(command: list[str], env: dict[str, str], cwd: Path, expected: int) -> Run:
    """Run the command to its end; its wall and CPU time. A run that fails is no figure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != expected:
        raise SystemExit(
            f"{Path(command[0]).name} exited {result.returncode}, expected {expected}: "
            f"{result.stderr.decode(errors='replace')[-500:]}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, cpu)


def gitleaks_binary(version: str) -> tuple[str | None, str]:
    """The gitleaks binary of that version, installed with `go install` the first time; or
    None and why not."""
    folder = TOOLS_DIR / "gitleaks" / version
    binary = folder / "gitleaks"
    if binary.exists():
        return str(binary), f"gitleaks {version} ({binary})"
    go = shutil.which("go")
    if go is None:
        return None, "gitleaks: not installed, and Go is not on PATH to install it"
    print(f"installing gitleaks {version} with go install into {folder} ...", flush=True)
    env = dict(os.environ, GOBIN=str(folder))
    try:
        subprocess.run(
            [go, "install", f"{GITLEAKS_MODULE}@{version}"],
            env=env,
            capture_output=True,
            check=True,
            timeout=1800,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        last = detail.decode(errors="replace").strip().splitlines()[-1:] or ["timed out"]
        return None, f"gitleaks: go install failed ({last[0]})"
    return str(binary), f"gitleaks {version} ({binary}, just installed)"


def describe(name: str, runs: list[Run]) -> str:
    walls = [r.wall for r in runs]
    cpus = [r.cpu for r in runs]
    return (
        f"{name:<28} median {statistics.median(walls) * 1000:7.0f} ms wall, "
        f"min {min(walls) * 1000:5.0f}, max {max(walls) * 1000:5.0f}; "
        f"CPU median {statistics.median(cpus) * 1000:5.0f} ms ({len(runs)} runs)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--runs", type=int, default=15, help="warm runs of each command")
    parser.add_argument("--gitleaks-version", default=GITLEAKS_VERSION)
    parser.add_argument("--skip-gitleaks", action="store_true")
    parser.add_argument(
        "--baseline", type=Path, help="another source tree of Airlock to time beside this one"
    )
    args = parser.parse_args(argv)

    airlock = Path(sys.executable).with_name("airlock")
    if args.skip_gitleaks:
        gitleaks, about_gitleaks = None, "gitleaks: skipped"
    else:
        gitleaks, about_gitleaks = gitleaks_binary(args.gitleaks_version)
    with tempfile.TemporaryDirectory(prefix="airlock-startup-") as workdir:
        work = Path(workdir)
        prompt = work / "prompt.txt"
        prompt.write_text(PROMPT, encoding="utf-8")
        cache = work / "cache"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRLOCK_")}
        env["AIRLOCK_CACHE_DIR"] = str(cache)
        # Bytecode is cached, as an installed package has it (pip compiles it), outside the
        # checkout: a process that compiled every module from source would time that instead.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(TOOLS_DIR / "pycache")
        scan = [str(airlock), "scan", str(prompt)]
        leaks = [
            str(gitleaks),
            "dir",
            str(prompt),
            "--no-banner",
            "--log-level",
            "error",
            "--report-path",
            str(work / "gitleaks.json"),
        ]
        baseline_env = None
        if args.baseline is not None:
            baseline_env = dict(env, PYTHONPATH=str(args.baseline.resolve()))
        load = os.getloadavg()[0]
        with StealMeter() as meter:
            cold = timed(scan, env, work, expected=0)
            for stale in cache.glob(f"{catalogue_cache.PREFIX}*"):
                stale.unlink()
            catalogue_cold = timed(scan, env, work, expected=0)
            warm: list[Run] = []
            peer: list[Run] = []
            before: list[Run] = []
            if gitleaks is not None:
                timed(leaks, env, work, expected=0)  # its first start, not counted
            if baseline_env is not None:
                timed(scan, baseline_env, work, expected=0)  # its own caches, not counted
            for _ in range(args.runs):  # taking turns, so that all see the same machine
                warm.append(timed(scan, env, work, expected=0))
                if gitleaks is not None:
                    peer.append(timed(leaks, env, work, expected=0))
                if baseline_env is not None:
                    before.append(timed(scan, baseline_env, work, expected=0))

    print(
        f"airlock scan of one prompt of {len(PROMPT)} characters; load average {load:.1f} "
        f"before; {meter.describe()}"
    )
    print(describe("airlock, cold (no cache)", [cold]))
    print(describe("airlock, catalogue cold", [catalogue_cold]))
    print(describe("airlock, warm", warm))
    airlock_median = statistics.median(r.wall for r in warm)
    verdict = "met" if airlock_median < GOAL_S else "not met"
    print(f"goal: warm under {GOAL_S * 1000:.0f} ms: {verdict}")
    if before:
        print(describe(f"airlock of {args.baseline}", before))
        ratio = statistics.median(r.wall for r in before) / airlock_median
        print(f"baseline / this tree: {ratio:.2f}x the wall time")
    print(about_gitleaks)
    if peer:
        print(describe("gitleaks dir", peer))
        ratio = airlock_median / statistics.median(r.wall for r in peer)
        print(f"airlock warm / gitleaks: {ratio:.2f}x the wall time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
