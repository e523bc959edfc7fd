"""The container image's Dockerfile: linted by hadolint, and its build steps kept true."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from tests.test_helm.conftest import REPO, find_tool, run

DOCKERFILE = REPO / "Dockerfile"


def test_hadolint_passes() -> None:
    result = run(find_tool("hadolint"), "--failure-threshold", "info", str(DOCKERFILE))
    assert result.stdout.strip() == ""


def test_the_image_compiles_the_modules_the_makefile_compiles() -> None:
    makefile = (REPO / "Makefile").read_text()
    detectors, streams = re.search(
        r"COMPILED := \$\(addprefix detectors/,(.*?)\) \$\(addprefix streams/,(.*?)\)",
        makefile.replace("\\\n", " "),
    ).groups()  # type: ignore[union-attr]
    expected = {f"detectors/{m}" for m in detectors.split()} | {
        f"streams/{m}" for m in streams.split()
    }
    compile_step = DOCKERFILE.read_text().split("scripts/compile.py \\", 1)[1].split("&&", 1)[0]
    assert set(compile_step.replace("\\", " ").split()) == expected


def test_the_image_runs_as_a_non_root_user_with_the_database_baked_in() -> None:
    text = DOCKERFILE.read_text()
    runtime = text.rsplit("\nFROM ", 1)[1]
    assert "USER 10001:10001" in runtime
    assert "AIRLOCK_CACHE_DIR=/opt/airlock/cache" in runtime
    assert "COPY --from=build --chown=10001:10001 /opt/airlock/cache /opt/airlock/cache" in runtime
    assert 'ENTRYPOINT ["airlock"]' in runtime
    ignored = (REPO / ".dockerignore").read_text().splitlines()
    assert ignored[1] == "*", "the context must start from nothing and name what it takes"


def test_the_bake_step_writes_a_database_a_second_process_loads(tmp_path: Path) -> None:
    """The Dockerfile's own bake command, run here: it writes one database, and a later process
    (the pod) finds it under the same key instead of compiling another."""
    line = next(
        line for line in DOCKERFILE.read_text().splitlines() if "Settings().engine()" in line
    )
    code = shlex.split(line.split("RUN ", 1)[1].split("&&", 1)[0].rstrip(" \\"))[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRLOCK_")}
    env["AIRLOCK_CACHE_DIR"] = str(tmp_path)
    for _ in range(2):
        subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=300, cwd=tmp_path)
        databases = list(tmp_path.glob("*.hsdb"))
        assert len(databases) == 1, databases
