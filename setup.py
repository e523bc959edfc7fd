"""The one C extension written by hand: Airlock's binding to the Hyperscan library.

Everything else about the package is in pyproject.toml. It needs Hyperscan's headers and
library (Debian: libhyperscan-dev, which scripts/require-system-tools installs).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "detectors.hyperscan_binding",
            sources=["detectors/hyperscan_binding.c"],
            libraries=["hs"],
            extra_compile_args=["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
        )
    ]
)
