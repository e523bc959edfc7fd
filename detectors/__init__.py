"""Detection: the Hyperscan engine, the rule catalogue, validators, masking and redaction."""

from pathlib import Path

# The package's folder, for its data files (rules, allow list).
PACKAGE_DIR = Path(__file__).parent
