"""Every rule's own examples are found and its negative examples are not, by the full engine."""

from __future__ import annotations

import pytest

from detectors.engine import Engine
from detectors.rules import load_catalogue

RULES = load_catalogue()


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_examples_are_found(engine: Engine, rule) -> None:
    for example in rule.examples:
        found = [f.detector for f in engine.scan(example)]
        assert rule.id in found, f"{rule.source}: {rule.id} misses example {example!r}: {found}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_negative_examples_are_not_found(engine: Engine, rule) -> None:
    for example in rule.negative_examples:
        found = [f.detector for f in engine.scan(example)]
        assert rule.id not in found, f"{rule.source}: {rule.id} fires on {example!r}"
