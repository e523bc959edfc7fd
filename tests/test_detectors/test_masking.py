"""Masked previews keep only edges, and never reveal a long secret's length; the keyed hash is
HMAC-SHA256."""

from __future__ import annotations

import hashlib
import hmac
import random

import pytest

from detectors.masking import MAX_STARS, KeyedHash, keyed_hash, mask


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


def _reference_mask(value: str) -> str:
    """mask as first written: keep 4, 2 or 0 characters each side, stars in between."""
    length = len(value)
    keep = 4 if length >= 16 else 2 if length >= 8 else 0
    stars = "*" * min(max(length - 2 * keep, 1), MAX_STARS)
    if keep == 0:
        return stars
    preview = value[:keep] + stars + value[-keep:]
    return "".join(ch if ch.isprintable() else " " for ch in preview)


def test_mask_of_every_length_keeps_its_rule() -> None:
    rng = random.Random(7)
    alphabet = "ab09 *\n\t\x00é中😀\u2028\ud83d"
    for length in range(40):
        for _ in range(50):
            value = "".join(rng.choices(alphabet, k=length))
            assert mask(value) == _reference_mask(value), repr(value)


@pytest.mark.parametrize("key_length", [0, 1, 21, 63, 64, 65, 200])
def test_keyed_hash_is_truncated_hmac_sha256(key_length: int) -> None:
    # Keys shorter than, equal to and longer than SHA-256's block, which HMAC hashes first.
    rng = random.Random(key_length)
    key = rng.randbytes(key_length)
    hasher = KeyedHash(key)
    for value in ["", "AKIAQ3EGRXT5KLM4NB2P", "clé 中 😀", "\ud800 lone", "x" * 300]:
        data = value.encode("utf-8", "surrogatepass")
        expected = hmac.new(key, data, hashlib.sha256).hexdigest()[:32]
        assert hasher(value) == expected
        assert keyed_hash(value, key) == expected
