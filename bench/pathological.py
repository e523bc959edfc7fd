"""Worst-case scan time per rule, over generated pathological inputs of 1 MiB each.

An attacker picks the prompt: for every rule of the catalogue this repeats, to 1 MiB, the
shapes most likely to make its confirmation slow: its own examples and negative examples, each
pattern's literal prefix alone, and the prefix followed by a run of characters its first
repeated class accepts (a token that starts like the value but never ends like one). Each input
is scanned once with `Engine.scan`, whole (the engine's 1 MiB windows included), and the slowest
input of each rule is its figure. The slowest ten rules are printed, with the goal: every one
under 1 s per MiB.

    python -m bench.pathological                 # the whole catalogue
    python -m bench.pathological --rules putty-private-key generic-password
    python -m bench.pathological --mebibytes 0.25 --top 20
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import dataclass
from re import _parser as sre_parse  # type: ignore[attr-defined]  # the stdlib's regex parser

from detectors.engine import Engine
from detectors.rules import Rule

MIB = 1 << 20
GOAL_S_PER_MIB = 1.0


@dataclass(frozen=True)
class Result:
    rule: str
    shape: str
    seconds: float
    chars: int

    @property
    def per_mib(self) -> float:
        return self.seconds * MIB / self.chars


def literal_prefix(pattern: str, flags: int) -> str:
    """The literal characters every match of the pattern starts with (after its lookaheads)."""
    try:
        parsed = sre_parse.parse(pattern, flags)
    except re.error:
        return ""
    out: list[str] = []
    for op, arg in parsed:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "ASSERT" or name == "AT":
            continue
        elif name == "SUBPATTERN" and not out:
            inner = arg[-1]
            inner_prefix = "".join(chr(a) for o, a in inner if str(o) == "LITERAL")
            if inner_prefix and len(inner_prefix) == len(list(inner)):
                out.append(inner_prefix)
            else:
                break
        else:
            break
    return "".join(out)


def class_sample(pattern: str, flags: int) -> str:
    """A character the pattern's first repeated class accepts ('a' when none is found)."""
    try:
        parsed = sre_parse.parse(pattern, flags)
    except re.error:
        return "a"
    stack = list(parsed)
    while stack:
        op, arg = stack.pop(0)
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT"):
            _low, _high, body = arg
            for sample in "aA0xZ9-_ /+=.":
                if re.fullmatch(_pattern_of(body), sample * 3, flags) is not None:
                    return sample
        elif name == "SUBPATTERN":
            stack[0:0] = list(arg[-1])
    return "a"


def _pattern_of(body: object) -> str:
    """A regex of one repeated body, rebuilt from the parsed form well enough to test a char."""
    items = list(body)  # type: ignore[call-overload]
    if len(items) == 1:
        op, arg = items[0]
        name = str(op)
        if name == "LITERAL":
            return re.escape(chr(arg)) + "+"
        if name == "IN":
            parts = []
            for kind, value in arg:
                kind_name = str(kind)
                if kind_name == "LITERAL":
                    parts.append(re.escape(chr(value)))
                elif kind_name == "RANGE":
                    parts.append(f"{re.escape(chr(value[0]))}-{re.escape(chr(value[1]))}")
                elif kind_name == "CATEGORY":
                    parts.append(
                        {
                            "CATEGORY_DIGIT": r"\d",
                            "CATEGORY_SPACE": r"\s",
                            "CATEGORY_WORD": r"\w",
                            "CATEGORY_NOT_DIGIT": r"\D",
                            "CATEGORY_NOT_SPACE": r"\S",
                            "CATEGORY_NOT_WORD": r"\W",
                        }.get(str(value), "")
                    )
                elif kind_name == "NEGATE":
                    parts.insert(0, "^")
            return f"[{''.join(parts)}]+" if parts else "(?!)"
    return "(?!)"


def repeated(piece: str, size: int) -> str:
    if not piece:
        return ""
    return (piece * (size // len(piece) + 1))[:size]


def shapes(rule: Rule, size: int) -> dict[str, str]:
    """The rule's pathological inputs, by name."""
    inputs: dict[str, str] = {}
    for i, example in enumerate(rule.examples):
        inputs[f"example {i} repeated"] = repeated(example + "\n", size)
    for i, example in enumerate(rule.negative_examples):
        inputs[f"negative example {i} repeated"] = repeated(example + "\n", size)
    for i, pattern in enumerate(rule.patterns):
        prefix = literal_prefix(pattern, rule.flags)
        if not prefix:
            continue
        sample = class_sample(pattern, rule.flags)
        inputs[f"pattern {i} prefix repeated"] = repeated(prefix, size)
        inputs[f"pattern {i} prefix + 64 x {sample!r}"] = repeated(prefix + sample * 64 + " ", size)
        inputs[f"pattern {i} prefix + unbounded {sample!r}"] = prefix + sample * (
            size - len(prefix)
        )
    return inputs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mebibytes", type=float, default=1.0, help="size of each input")
    parser.add_argument("--rules", nargs="*", help="rule ids (default: the whole catalogue)")
    parser.add_argument("--top", type=int, default=10, help="how many of the slowest to print")
    args = parser.parse_args(argv)
    size = int(args.mebibytes * MIB)

    engine = Engine(hash_key=b"bench-pathological")
    rules = [r for r in engine.rules if not args.rules or r.id in args.rules]
    worst: dict[str, Result] = {}
    started = time.perf_counter()
    for rule in rules:
        for shape, text in shapes(rule, size).items():
            t0 = time.perf_counter()
            engine.scan(text)
            seconds = time.perf_counter() - t0
            result = Result(rule.id, shape, seconds, len(text))
            if rule.id not in worst or result.per_mib > worst[rule.id].per_mib:
                worst[rule.id] = result
    elapsed = time.perf_counter() - started
    ranked = sorted(worst.values(), key=lambda r: -r.per_mib)
    print(f"{len(rules)} rules, inputs of {size} characters, {elapsed:.0f} s in all")
    print(f"{'rule':40} {'s per MiB':>10}  worst input")
    for result in ranked[: args.top]:
        print(f"{result.rule:40} {result.per_mib:10.3f}  {result.shape}")
    over = [r for r in ranked if r.per_mib >= GOAL_S_PER_MIB]
    print(
        f"\nrules at or over {GOAL_S_PER_MIB:.0f} s per MiB: {len(over)} of {len(ranked)} "
        f"(goal: none)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
