"""Detection: the Hyperscan engine, the rule catalogue, validators, masking and redaction."""

from pathlib import Path

# The package's folder, for its data files (rules, allow list). Compiled modules read it from
# here: while one initialises, mypyc's own __file__ for it points elsewhere.
PACKAGE_DIR = Path(__file__).parent


def refuse_stale_extensions(package: Path) -> None:
    """Fail the import when a compiled module (`make accelerate`, setup.py) is older than its
    source: Python imports the compiled module before the .py, so it would run old code without
    a word."""
    for extension in package.glob("*.so"):
        stem = extension.name.split(".", 1)[0]
        source = extension.with_name(f"{stem}.py")
        if source.exists() and source.stat().st_mtime > extension.stat().st_mtime:
            raise ImportError(
                f"{extension} was compiled from an older {source.name}: run `make accelerate`, "
                "or remove it (`make clean`) to run interpreted"
            )


refuse_stale_extensions(PACKAGE_DIR)
