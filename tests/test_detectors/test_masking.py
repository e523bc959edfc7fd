"""Masked previews keep only edges, and never reveal a long secret's length."""

from __future__ import annotations

from detectors.masking import mask


def test_card_preview() -> None:
    assert mask("4111111111111111") == "4111********1111"


def test_long_secret_has_bounded_stars() -> None:
    secret = "x" * 4 + "s3cr3t" * 20 + "y" * 4
    masked = mask(secret)
    assert masked == "xxxx" + "*" * 12 + "yyyy"


def test_short_values_are_fully_masked() -> None:
    assert mask("1234567") == "*******"
    assert mask("ab") == "**"


def test_line_breaks_in_kept_edges_become_spaces() -> None:
    assert "\n" not in mask("ab\ncdefghijklmnopq\nr")
