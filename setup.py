"""Airlock is pure Python: pyproject.toml says everything, and `pip install .` needs no compiler.

The optional accelerator: with AIRLOCK_MYPYC=1 the modules on the per-event path (ACCELERATED)
are compiled to C extensions with mypyc, from the same type-checked sources, in the same build,
so a compiled module can never be older than its source. In the whole pipeline they cut the
worker's CPU per event by about a sixth (bench/README.md); tests never need them.

    AIRLOCK_MYPYC=1 pip install --no-build-isolation .      # a compiled wheel (mypy installed)
    make accelerate                                         # in place, in a checkout
"""

import os

from setuptools import setup

ACCELERATED = [
    *(f"detectors/{m}.py" for m in ("engine", "masking", "validators", "rules", "source_code")),
    "detectors/pattern_shape.py",
    *(f"streams/{m}.py" for m in ("pipeline", "policy", "ocsf", "metrics")),
]


def accelerated() -> list:
    if os.environ.get("AIRLOCK_MYPYC") != "1":
        return []
    from mypyc.build import mypycify

    # One group, whose shared library lives inside the detectors package, so that every entry
    # point finds it on the package's own path (mypyc's default puts it at the top of the tree).
    return mypycify(ACCELERATED, group_name="detectors.native")


setup(ext_modules=accelerated())
