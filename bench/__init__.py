"""Benchmarks: a labelled prompt corpus, detection quality, scan throughput, the pipeline."""
