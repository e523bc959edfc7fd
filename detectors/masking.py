"""The one place that turns a sensitive value into what may be shown or stored: a masked
preview and a keyed hash. Nothing else in Airlock renders a detected value."""

from __future__ import annotations

import hashlib
import hmac

MAX_STARS = 12


def mask(value: str) -> str:
    """A preview that keeps a few edge characters: `4111********1111`, `jo******om`.

    Long values keep four characters each side, medium ones two, short ones none; the middle
    becomes at most MAX_STARS stars, so the preview never tells the length of a long secret.
    Control characters and line breaks in kept characters become spaces.
    """
    length = len(value)
    keep = 4 if length >= 16 else 2 if length >= 8 else 0
    stars = "*" * min(max(length - 2 * keep, 1), MAX_STARS)
    if keep == 0:
        return stars
    preview = value[:keep] + stars + value[-keep:]
    if preview.isprintable():
        return preview
    return "".join(ch if ch.isprintable() else " " for ch in preview)


def keyed_hash(value: str, key: bytes) -> str:
    """HMAC-SHA256 of the value under the deployment's key, 32 hex characters.

    Keyed so that someone holding the alerts cannot confirm a guessed value offline; stable so
    that the same value correlates across prompts, users and days.
    """
    data = value.encode("utf-8", "surrogatepass")
    return hmac.digest(key, data, hashlib.sha256)[:16].hex()
