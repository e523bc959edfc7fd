"""The streaming pipeline: topics, policy, the Faust worker, alerts and metrics."""
