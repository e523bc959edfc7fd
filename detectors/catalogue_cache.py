"""The start-up cache: the checked catalogue, its patterns' shapes and the allow list, kept on
disk beside the compiled Hyperscan databases, so that a start with nothing changed reads no YAML
and parses no regex (the engine compiles each regex on its first hit).

A file is keyed by a hash of all it derives from: the rule files' paths and bytes (shipped and
custom, in load order), the allow list's bytes, the source of the `detectors` package (the code
that checks the rules and derives the shapes), the Python version (whose `re` parser reads the
patterns) and this file's format. It is written only once an engine was built from what it
holds (every rule checked, custom patterns proven linear, every pattern accepted by Hyperscan),
so a warm start only ever reads a checked catalogue; a changed rule file makes another key, and
so a full check. The file starts with the SHA-256 of its body: a corrupt, truncated or foreign
file is ignored and rebuilt. Tenant dictionaries are not in it: they are read and checked at
each start, and their terms are part of the Hyperscan database's own key.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import orjson

from detectors import PACKAGE_DIR
from detectors.engine import ALLOWLIST_FILE, Allowlist, PatternShape, pattern_shapes
from detectors.rules import (
    Rule,
    RuleFile,
    parse_catalogue,
    read_catalogue,
    rule_from_record,
    rule_record,
)

FORMAT = 1
PREFIX = "catalogue-"


class Sources(NamedTuple):
    """What a catalogue is made of, read: the rule files and the allow list's bytes."""

    files: list[RuleFile]
    allowlist: bytes


class Catalogue(NamedTuple):
    """The rules, checked, each rule's `pattern_shapes` and the allow list: what `Engine` is
    built from."""

    rules: list[Rule]
    shapes: list[tuple[PatternShape, ...]]
    allowlist: Allowlist


def read_sources(paths: Iterable[Path] = ()) -> Sources:
    """The shipped rule files, the custom ones (`paths`: files or folders) and the allow list."""
    return Sources(read_catalogue(paths), ALLOWLIST_FILE.read_bytes())


def derive(sources: Sources) -> Catalogue:
    """The catalogue of the sources, checked and shaped: what a cache miss computes, and what
    the cache holds."""
    rules = parse_catalogue(sources.files)
    return Catalogue(
        rules,
        [pattern_shapes(rule) for rule in rules],
        Allowlist(ALLOWLIST_FILE, data=sources.allowlist),
    )


def cache_key(sources: Sources) -> str:
    """The hash of everything the catalogue of these sources derives from."""
    digest = hashlib.sha256(f"catalogue {FORMAT}; {sys.version}".encode())

    def add(label: str, data: bytes) -> None:
        name = label.encode("utf-8", "surrogateescape")
        digest.update(len(name).to_bytes(4, "big") + name + len(data).to_bytes(8, "big") + data)

    for source in sorted(PACKAGE_DIR.glob("*.py")):
        add(f"code {source.name}", source.read_bytes())
    add("allowlist", sources.allowlist)
    for file in sources.files:
        add(f"{'custom' if file.custom else 'shipped'} {file.path}", file.data)
    return digest.hexdigest()


def cache_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / f"{PREFIX}{key}.json"


def read(cache_dir: Path, key: str) -> Catalogue | None:
    """The catalogue stored under the key, or None when there is none or it cannot be trusted
    (not whole, not this format, not this key)."""
    try:
        blob = cache_path(cache_dir, key).read_bytes()
    except OSError:
        return None
    checksum, _, body = blob.partition(b"\n")
    if hashlib.sha256(body).hexdigest().encode("ascii") != checksum:
        return None
    try:
        document = orjson.loads(body)
        if document["format"] != FORMAT or document["key"] != key:
            return None
        rules = [rule_from_record(record) for record in document["rules"]]
        shapes = [tuple(PatternShape(*shape) for shape in rule) for rule in document["shapes"]]
        values, markers = document["allowlist"]
        allowlist = Allowlist(listed=(values, markers))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
    if len(shapes) != len(rules) or any(
        len(rule_shapes) != len(rule.patterns)
        for rule, rule_shapes in zip(rules, shapes, strict=True)
    ):
        return None
    return Catalogue(rules, shapes, allowlist)


def write(cache_dir: Path, key: str, catalogue: Catalogue) -> None:
    """Store the catalogue under the key, atomically, in the private cache folder; a folder that
    cannot be written only costs the full load next time."""
    body = orjson.dumps(
        {
            "format": FORMAT,
            "key": key,
            "rules": [rule_record(rule) for rule in catalogue.rules],
            "shapes": [[list(shape) for shape in rule] for rule in catalogue.shapes],
            "allowlist": catalogue.allowlist.listed(),
        }
    )
    blob = hashlib.sha256(body).hexdigest().encode("ascii") + b"\n" + body
    path = cache_path(cache_dir, key)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(blob)
        partial.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
