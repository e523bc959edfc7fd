"""The container image's Dockerfile: linted by hadolint, and its build steps kept true."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from tests.test_helm.conftest import REPO, find_tool, run

DOCKERFILE = REPO / "Dockerfile"


def test_hadolint_passes() -> None:
    result = run(find_tool("hadolint"), "--failure-threshold", "info", str(DOCKERFILE))
    assert result.stdout.strip() == ""


def test_the_image_builds_the_accelerator_from_the_sources_it_installs() -> None:
    """The per-event modules are compiled by the same pip build that installs their sources
    (setup.py's AIRLOCK_MYPYC), so the image cannot hold a module older than its source."""
    build = DOCKERFILE.read_text().split("\nFROM ", 2)[1]
    assert "AIRLOCK_MYPYC=1 pip install --no-cache-dir --no-build-isolation /src" in build
    assert "COPY setup.py" in build or "setup.py" in build.split("COPY pyproject.toml", 1)[1]


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
        line for line in DOCKERFILE.read_text().splitlines() if "build_engine(Settings())" in line
    )
    code = shlex.split(line.split("RUN ", 1)[1].split("&&", 1)[0].rstrip(" \\"))[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRLOCK_")}
    env["AIRLOCK_CACHE_DIR"] = str(tmp_path)
    for _ in range(2):
        subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=300, cwd=tmp_path)
        databases = list(tmp_path.glob("*.hsdb"))
        assert len(databases) == 1, databases
