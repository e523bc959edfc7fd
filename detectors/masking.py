"""The one place that turns a sensitive value into what may be shown or stored: a masked
preview and a keyed hash. Nothing else in Airlock renders a detected value."""

from __future__ import annotations

import hashlib

MAX_STARS = 12

# The middle of a preview by its length: one string each rather than building it per value.
_STARS = tuple("*" * count for count in range(MAX_STARS + 1))


def mask(value: str) -> str:
    """A preview that keeps a few edge characters: `4111********1111`, `jo******om`.

    Long values keep four characters each side, medium ones two, short ones none; the middle
    becomes at most MAX_STARS stars, so the preview never tells the length of a long secret.
    Control characters and line breaks in kept characters become spaces.
    """
    length = len(value)
    if length < 8:
        return _STARS[length or 1]
    if length < 16:
        preview = value[:2] + _STARS[length - 4] + value[-2:]
    else:
        preview = value[:4] + _STARS[min(length - 8, MAX_STARS)] + value[-4:]
    if preview.isprintable():
        return preview
    return "".join(ch if ch.isprintable() else " " for ch in preview)


# HMAC (RFC 2104) over SHA-256: the key padded to the hash's block, XORed with these bytes.
_BLOCK = 64
_INNER_PAD = bytes(byte ^ 0x36 for byte in range(256))
_OUTER_PAD = bytes(byte ^ 0x5C for byte in range(256))


class KeyedHash:
    """keyed_hash under one key, for hashing many values.

    HMAC hashes the padded key before each value and before the inner digest; both states
    depend on the key alone, so they are computed once here and copied per value. hmac.digest
    sets them up again every time: twice the work on a short value. The construction is RFC
    2104's, as the hmac module's own fallback does it, and gives the same digest.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(key.translate(_INNER_PAD))
        self._outer = hashlib.sha256(key.translate(_OUTER_PAD))

    def __call__(self, value: str) -> str:
        inner = self._inner.copy()
        inner.update(value.encode("utf-8", "surrogatepass"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()[:16].hex()


def keyed_hash(value: str, key: bytes) -> str:
    """HMAC-SHA256 of the value under the deployment's key, 32 hex characters.

    Keyed so that someone holding the alerts cannot confirm a guessed value offline; stable so
    that the same value correlates across prompts, users and days.
    """
    return KeyedHash(key)(value)
