"""`airlock scan` and `airlock rules`: the detection engine from the command line."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from airlock.config import Settings
from airlock.startup import build_engine, collection_paused
from detectors.findings import Finding
from detectors.redaction import RedactionContext, redact
from detectors.rules import Rule, RuleError

EXIT_CLEAN, EXIT_FOUND, EXIT_ERROR = 0, 1, 2
# Inputs larger than this get a progress bar when standard error is a terminal.
PROGRESS_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class Document:
    id: Any
    text: str


class InputError(Exception):
    """A bad input line or file; scanning goes on and the run exits with status 2. A line that
    is not a {"id", "text"} object is scanned all the same, as plain text (`document`)."""

    def __init__(self, message: str, document: Document | None = None) -> None:
        super().__init__(message)
        self.document = document


_SURROGATE = re.compile("[\ud800-\udfff]")


def decode_text(data: bytes) -> str:
    """Bytes as text: UTF-16 when they say so (a byte-order mark with the zero bytes of UTF-16
    text, or many zero bytes alone), else UTF-8; invalid sequences become U+FFFD."""
    sample = data[:4096]
    zeros = sample.count(0)
    bom = sample[:2] in (b"\xff\xfe", b"\xfe\xff")
    if len(sample) >= 4 and (zeros * 3 > len(sample) or (bom and zeros * 10 > len(sample))):
        if bom:
            return data.decode("utf-16", "replace")
        odd_zeros = sample[1::2].count(0)
        even_zeros = sample[0::2].count(0)
        return data.decode("utf-16-le" if odd_zeros > even_zeros else "utf-16-be", "replace")
    return data.decode("utf-8", "replace")


def add_parser(subparsers: Any) -> None:
    scan = subparsers.add_parser(
        "scan",
        help="scan text for secrets, personal data and confidential content",
        description="Scan files (or standard input) and report findings. Exit status: 0 when "
        "nothing is found, 1 when something is, 2 on error. Invalid UTF-8 is read with "
        "U+FFFD replacement characters; offsets are character offsets into the decoded text.",
    )
    scan.add_argument("files", nargs="*", type=Path, metavar="FILE", help="default: stdin")
    scan.add_argument(
        "--jsonl", action="store_true", help='input lines are {"id": ..., "text": ...} objects'
    )
    scan.add_argument("--format", choices=("table", "json", "jsonl"), default="table")
    scan.add_argument("--redact", action="store_true", help="print the redacted text instead")
    scan.set_defaults(handler=run_scan)

    rules = subparsers.add_parser("rules", help="list the detection catalogue")
    rules.add_argument("--format", choices=("table", "json"), default="table")
    rules.add_argument(
        "--stats",
        action="store_true",
        help="print the catalogue's figures instead: providers, rules, rules per category, "
        "countries and validators",
    )
    rules.set_defaults(handler=run_rules)


def finding_summary(finding: Finding) -> dict[str, Any]:
    return {
        "detector": finding.detector,
        "category": finding.category,
        "start": finding.start,
        "end": finding.end,
        "confidence": finding.confidence,
        "masked": finding.masked,
    }


def run_scan(args: argparse.Namespace) -> int:
    try:
        return _scan(args)
    except Exception as exc:  # an internal failure is an error (2), never "found" (1)
        print(f"airlock scan: internal error ({type(exc).__name__})", file=sys.stderr)
        return EXIT_ERROR


def _scan(args: argparse.Namespace) -> int:
    try:
        # The engine lives as long as the command: no collection need walk it (nor the one at
        # exit, a tenth of a short scan's time).
        with collection_paused(freeze=True):
            engine = build_engine(Settings())
    except (RuleError, ValueError, OSError) as exc:
        print(f"airlock scan: {exc}", file=sys.stderr)
        return EXIT_ERROR
    out = sys.stdout
    context = RedactionContext()
    found = errors = 0
    collected: list[dict[str, Any]] = []
    for item in _documents(args.files or [Path("-")], args.jsonl):
        if isinstance(item, InputError):
            print(f"airlock scan: {item}", file=sys.stderr)
            errors += 1
            if item.document is None:
                continue
            item = item.document  # a bad line is still scanned, as the text it is
        findings = engine.scan(item.text)
        found += bool(findings)
        if args.redact:
            redacted = redact(item.text, findings, context).text
            if args.jsonl:
                out.write(orjson.dumps({"id": item.id, "text": redacted}).decode() + "\n")
            else:
                out.write(redacted)
        elif args.format == "jsonl":
            line = {"id": item.id, "findings": [finding_summary(f) for f in findings]}
            out.write(orjson.dumps(line).decode() + "\n")
        elif args.format == "json":
            collected.append({"id": item.id, "findings": [finding_summary(f) for f in findings]})
        else:
            _write_table(out, item.id, findings)
    if args.format == "json" and not args.redact:
        out.write(orjson.dumps(collected, option=orjson.OPT_INDENT_2).decode() + "\n")
    if errors:
        return EXIT_ERROR
    return EXIT_FOUND if found else EXIT_CLEAN


def _write_table(out: IO[str], doc_id: Any, findings: list[Finding]) -> None:
    for f in findings:
        out.write(
            f"{doc_id!s:<16} {f.detector:<32} {f.category:<12} {f.confidence:<6} "
            f"{f.start:>7}-{f.end:<7} {f.masked}\n"
        )


def _documents(paths: list[Path], jsonl: bool) -> Iterator[Document | InputError]:
    for path in paths:
        try:
            stream = sys.stdin.buffer if str(path) == "-" else path.open("rb")
        except OSError as exc:
            yield InputError(f"{path}: cannot read: {exc.strerror}")
            continue
        with stream:
            size = path.stat().st_size if str(path) != "-" else 0
            show = sys.stderr.isatty() and (size > PROGRESS_BYTES or str(path) == "-")
            with _progress(size, show) as progress:
                if not jsonl:
                    data = stream.read()
                    progress.update(len(data))
                    yield Document(str(path), decode_text(data))
                    continue
                for number, raw in enumerate(stream, start=1):
                    progress.update(len(raw))
                    if raw.strip():
                        yield _parse_line(raw, f"{path}:{number}", number)


class _NoProgress:
    """The progress bar when none shows."""

    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def update(self, _count: int) -> None:
        return None


def _progress(total: int, show: bool) -> Any:
    """A progress bar of `total` bytes (0: unknown) on standard error, or none; tqdm is imported
    only to show one (it costs a scan of one prompt a tenth of its start-up)."""
    if not show:
        return _NoProgress()
    from tqdm import tqdm

    return tqdm(total=total or None, unit="B", unit_scale=True, file=sys.stderr)


def _parse_line(raw: bytes, where: str, number: int) -> Document | InputError:
    as_text = Document(number, raw.decode("utf-8", "replace"))
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        try:
            # orjson refuses escaped lone surrogates ("\ud800"); Python's parser reads them,
            # and they become U+FFFD like any other invalid text.
            record = json.loads(raw.decode("utf-8", "replace"))
        except ValueError:
            return InputError(f"{where}: not JSON ({exc.msg}); scanned as plain text", as_text)
    if not isinstance(record, dict):
        return InputError(f"{where}: expected an object with 'id' and 'text'", as_text)
    text = record.get("text")
    if not isinstance(text, str):
        return InputError(f"{where}: 'text' must be a string; scanned as plain text", as_text)
    return Document(record.get("id", number), _SURROGATE.sub("\ufffd", text))


def run_rules(args: argparse.Namespace) -> int:
    try:
        # Compiled as the worker compiles them: a pattern Hyperscan rejects fails here too.
        with collection_paused(freeze=True):
            rules = build_engine(Settings()).rules
    except (RuleError, ValueError, OSError) as exc:
        print(f"airlock rules: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.stats:
        return _write_stats(catalogue_stats(rules), args.format)
    rows = [
        {
            "id": r.id,
            "name": r.name,
            "category": r.category,
            "provider": r.provider,
            "country": r.country,
            "validator": r.validator,
        }
        for r in rules
    ]
    if args.format == "json":
        sys.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n")
        return EXIT_CLEAN
    for row in rows:
        sys.stdout.write(
            f"{row['id']:<40} {row['category']:<12} {row['country'] or '-':<7} "
            f"{row['validator'] or '-':<20} {row['name']}\n"
        )
    counts: dict[str, int] = {}
    for r in rules:
        counts[r.category] = counts.get(r.category, 0) + 1
    summary = ", ".join(f"{n} {c}" for c, n in sorted(counts.items()))
    sys.stdout.write(f"{len(rules)} rules: {summary}\n")
    return EXIT_CLEAN


def catalogue_stats(rules: list[Rule]) -> dict[str, Any]:
    """The catalogue's figures: distinct providers (secret and credential-hash rules name one),
    rules in all and per category, distinct countries and distinct validators."""
    per_category: dict[str, int] = {}
    for rule in rules:
        per_category[rule.category] = per_category.get(rule.category, 0) + 1
    providers = sorted({r.provider for r in rules if r.provider}, key=str.lower)
    return {
        "providers": len(providers),
        "rules": len(rules),
        "categories": dict(sorted(per_category.items())),
        "countries": sorted({r.country for r in rules if r.country}),
        "validators": sorted({r.validator for r in rules if r.validator}),
        "provider_names": providers,
    }


def _write_stats(stats: dict[str, Any], output_format: str) -> int:
    if output_format == "json":
        sys.stdout.write(orjson.dumps(stats, option=orjson.OPT_INDENT_2).decode() + "\n")
        return EXIT_CLEAN
    width = max(len(c) for c in stats["categories"]) if stats["categories"] else 0
    lines = [
        f"providers   {stats['providers']}",
        f"rules       {stats['rules']}",
        *(f"  {category:<{width}}  {count}" for category, count in stats["categories"].items()),
        f"countries   {len(stats['countries'])}  ({', '.join(stats['countries'])})",
        f"validators  {len(stats['validators'])}  ({', '.join(stats['validators'])})",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_CLEAN
