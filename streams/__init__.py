"""The streaming pipeline: topics, policy, the Faust worker, alerts and metrics."""

from pathlib import Path

from detectors import refuse_stale_extensions

refuse_stale_extensions(Path(__file__).parent)
