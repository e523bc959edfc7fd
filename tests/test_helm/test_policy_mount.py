"""Policies reach the worker through a ConfigMap volume and are reloaded in place.

The kubelet updates a ConfigMap volume atomically: it writes the new files into a fresh
`..<timestamp>` folder, swaps the `..data` symlink to it with a rename, and the files the pod
sees are symlinks through `..data`. The worker's policy reload must see such an update, so the
chart does not restart the pods for a policy change (rules and dictionaries, read only at
start, do roll them: test_chart)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from streams.policy import PolicyStore
from tests.test_helm.conftest import CHART, Render, by_kind

DEFAULT = (
    "id: default\nversion: 1\nrules:\n  - name: block-secrets\n    match:\n"
    "      categories: [secret]\n    action: block\n"
)


def tenant(version: int) -> str:
    return (
        f"id: acme\nversion: {version}\nextends: default\nrules:\n  - name: warn-pii\n"
        "    match:\n      categories: [pii]\n    action: warn\n"
    )


def kubelet_write(volume: Path, stamp: str, files: dict[str, str]) -> None:
    """Publish `files` in `volume` the way the kubelet's atomic writer does."""
    payload = volume / f"..{stamp}"
    payload.mkdir()
    for name, text in files.items():
        (payload / name).write_text(text)
    swap = volume / "..data_tmp"
    swap.symlink_to(payload.name)
    old = os.readlink(volume / "..data") if (volume / "..data").is_symlink() else None
    os.replace(swap, volume / "..data")
    for name in files:
        link = volume / name
        if not link.is_symlink():
            link.symlink_to(f"..data/{name}")
    for link in volume.iterdir():
        if link.is_symlink() and not link.name.startswith("..") and link.name not in files:
            link.unlink()
    if old is not None:
        for stale in (volume / old).iterdir():
            stale.unlink()
        (volume / old).rmdir()


def test_an_updated_configmap_volume_is_reloaded_in_place(tmp_path: Path) -> None:
    kubelet_write(
        tmp_path, "2026_12_07_20_00_00.1", {"default.yaml": DEFAULT, "acme.yaml": tenant(1)}
    )
    policies = PolicyStore(tmp_path)
    assert set(policies.tenants) == {"acme", "default"}
    assert policies.for_tenant("acme").version == "1"

    globex = tenant(1).replace("id: acme", "id: globex")
    kubelet_write(
        tmp_path,
        "2026_12_07_20_01_00.2",
        {"default.yaml": DEFAULT, "acme.yaml": tenant(2), "globex.yaml": globex},
    )
    assert policies.reload_if_changed() == []
    assert policies.for_tenant("acme").version == "2"
    assert set(policies.tenants) == {"acme", "default", "globex"}

    kubelet_write(
        tmp_path, "2026_12_07_20_02_00.3", {"default.yaml": DEFAULT, "acme.yaml": tenant(3)}
    )
    assert policies.reload_if_changed() == []
    assert set(policies.tenants) == {"acme", "default"}
    assert policies.for_tenant("acme").version == "3"


def test_policies_are_mounted_whole_and_do_not_roll_the_pods(render: Render) -> None:
    values = CHART / "ci" / "minimal-values.yaml"

    def worker(**sets: str) -> dict[str, Any]:
        return next(
            d
            for d in by_kind(render(values, **sets), "Deployment")
            if d["metadata"]["name"].endswith("-worker")
        )

    before = worker(**{"policies.default\\.yaml": DEFAULT})
    after = worker(**{"policies.default\\.yaml": DEFAULT.replace("version: 1", "version: 2")})
    annotations = before["spec"]["template"]["metadata"]["annotations"]
    assert annotations == after["spec"]["template"]["metadata"]["annotations"]
    mounts = before["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    policy_mount = next(m for m in mounts if m["name"] == "policies")
    # A subPath mount is never updated by the kubelet: the folder must be mounted whole.
    assert "subPath" not in policy_mount
