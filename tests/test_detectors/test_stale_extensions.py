"""A compiled module of the optional accelerator older than its source must not be imported
silently."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from detectors import refuse_stale_extensions

SUFFIX = ".cpython-311-x86_64-linux-gnu.so"


def _write(path: Path, mtime: float) -> None:
    path.write_text("")
    os.utime(path, (mtime, mtime))


def test_an_extension_older_than_its_source_fails_the_import(tmp_path: Path) -> None:
    _write(tmp_path / f"engine{SUFFIX}", 1_000)
    _write(tmp_path / "engine.py", 2_000)
    with pytest.raises(ImportError, match=r"engine\.py: run `make accelerate`"):
        refuse_stale_extensions(tmp_path)


def test_a_fresh_extension_and_a_lone_source_pass(tmp_path: Path) -> None:
    _write(tmp_path / "engine.py", 1_000)
    _write(tmp_path / f"engine{SUFFIX}", 2_000)
    _write(tmp_path / "findings.py", 3_000)  # interpreted: no extension to compare
    refuse_stale_extensions(tmp_path)
