"""The independent secrets corpus: made without the rules, spans true, a seed repeats."""

from __future__ import annotations

import ast
import random
import zlib
from pathlib import Path

from bench.independent import secrets
from detectors.rules import CATEGORIES

SOURCE = Path(secrets.__file__)


def test_the_generator_imports_nothing_from_the_detectors() -> None:
    """The point of the corpus: the rules did not make it. Only main() (the scoring) may
    import the engine, and only inside its own body."""
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    top_level = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    modules = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in top_level
        for alias in node.names
    ]
    assert not [m for m in modules if m and m.split(".")[0] == "detectors"]


def test_labels_and_decoys_lie_inside_their_texts_for_every_family() -> None:
    prompts = secrets.prompts(seed=5, count=180)
    # Credentials by family, and the e-mail addresses some commands carry, labelled as such.
    kinds = {label.kind for prompt in prompts for label in prompt.labels}
    assert kinds == {*secrets.FAMILIES, "email"}
    for prompt in prompts:
        assert prompt.labels and prompt.decoys, prompt.id
        for span in [*prompt.labels, *prompt.decoys]:
            assert 0 <= span.start < span.end <= len(prompt.text), prompt.id
            assert prompt.text[span.start : span.end].strip(), prompt.id
        for label in prompt.labels:
            assert label.category in CATEGORIES
            expected = {"hash": "credential_hash", "email": "pii"}.get(label.kind, "secret")
            assert label.category == expected
        assert all(decoy.category == "" for decoy in prompt.decoys)


def test_a_seed_repeats_and_another_differs() -> None:
    first = [p.text for p in secrets.prompts(seed=9, count=40)]
    assert first == [p.text for p in secrets.prompts(seed=9, count=40)]
    assert first != [p.text for p in secrets.prompts(seed=10, count=40)]


def test_crc32_tokens_carry_their_checksum() -> None:
    """GitHub's format, computed here with zlib: the last 6 characters are the base62 CRC-32
    of the 30 before them."""
    alphabet = secrets.BASE62
    values = secrets.Values(random.Random(1))
    for prefix in ("ghp", "gho", "npm"):
        token = values.crc32_token(prefix)
        body, check = token[len(prefix) + 1 : -6], token[-6:]
        number = 0
        for ch in check:
            number = number * 62 + alphabet.index(ch)
        assert token.startswith(prefix + "_") and len(body) == 30
        assert number == zlib.crc32(body.encode())
