"""Airlock: data-loss prevention for generative-AI prompts."""

__version__ = "0.1.0"
