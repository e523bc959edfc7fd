"""Compile the given modules to C extensions with mypyc, in place: `make build` runs this.

All of them build into one group whose shared library lives inside the detectors package
(detectors/native__mypyc.*.so), so every installed entry point finds it on the package's own
path; mypyc's default puts it at the top of the source tree, where only a process started in
the checkout can import it.

    python scripts/compile.py detectors/engine.py streams/pipeline.py ...
"""

from __future__ import annotations

import sys

from mypyc.build import mypycify
from setuptools import setup


def main(sources: list[str]) -> None:
    setup(
        name="airlock-native",
        script_args=["build_ext", "--inplace"],
        ext_modules=mypycify(sources, group_name="detectors.native"),
    )


if __name__ == "__main__":
    main(sys.argv[1:])
