"""Evaluation corpora made independently of Airlock's rules and validators."""
