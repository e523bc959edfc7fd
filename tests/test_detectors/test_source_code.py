"""Source-code blocks: the scorer on hand-made signals, each kind of code line, and the engine.

`code_blocks` is tested on (kind, start, end) signals placed by hand, so the thresholds are
pinned independently of the rule file. The rule file's patterns are tested one kind at a
time on a typical line, then the whole path (Hyperscan, rule, scorer, merge) on real snippets
and on the hard negatives a code detector must leave alone.
"""

from __future__ import annotations

import re

import pytest

from detectors import source_code
from detectors.engine import Engine
from detectors.masking import mask
from detectors.rules import RULES_DIR, Rule, load_file
from detectors.source_code import code_blocks

[RULE] = load_file(RULES_DIR / "code" / "source.yaml")


def signals_on_lines(text: str, kinds_by_line: dict[int, list[int]]) -> list[tuple[int, int, int]]:
    """One signal per (line, kind), spanning the line's text."""
    starts = [0, *(m.end() for m in re.finditer("\n", text))]
    lines = text.split("\n")
    return [
        (kind, starts[n], starts[n] + len(lines[n]))
        for n, kinds in kinds_by_line.items()
        for kind in kinds
    ]


def kinds_of(text: str, rule: Rule = RULE) -> set[int]:
    return {i for i, regex in enumerate(rule.compiled) if regex.search(text)}


# --------------------------------------------------------------------------------------------
# The scorer


def test_no_signal_no_block() -> None:
    assert code_blocks("plain prose", []) == []


def test_four_lines_of_two_kinds_make_a_block_spanning_first_to_last_signal_line() -> None:
    text = "Intro line\n  alpha\n  beta\n  gamma\n  delta\nOutro"
    signals = signals_on_lines(text, {1: [0], 2: [1], 3: [1], 4: [1]})
    [(start, end)] = code_blocks(text, signals)
    assert text[start:end] == "alpha\n  beta\n  gamma\n  delta"


def test_three_lines_need_three_kinds() -> None:
    text = "a\nb\nc"
    assert code_blocks(text, signals_on_lines(text, {0: [0], 1: [1], 2: [1]})) == []
    assert code_blocks(text, signals_on_lines(text, {0: [0], 1: [1], 2: [2]})) == [(0, 5)]


def test_many_lines_of_one_kind_are_not_code_unless_dense() -> None:
    sparse = "\n".join(["}", "prose", "prose"] * 8)
    signals = signals_on_lines(sparse, {n: [9] for n in range(0, 24, 3)})
    assert code_blocks(sparse, signals) == []
    dense = "\n".join(["#define X 1"] * source_code.MIN_UNIFORM_LINES)
    signals = signals_on_lines(dense, {n: [5] for n in range(source_code.MIN_UNIFORM_LINES)})
    assert code_blocks(dense, signals) == [(0, len(dense))]


def test_several_signals_on_one_line_count_as_one_line() -> None:
    text = "x\ny"
    signals = signals_on_lines(text, {0: [0, 1, 2, 3], 1: [4]})
    assert code_blocks(text, signals) == []


def test_blank_lines_do_not_break_a_run_but_prose_lines_do() -> None:
    code = ["a", "b", "c", "d"]
    spaced = "\n\n\n\n\n".join(code)  # four blank lines between signal lines
    signals = signals_on_lines(spaced, {0: [0], 5: [1], 10: [1], 15: [1]})
    assert code_blocks(spaced, signals) == [(0, len(spaced))]

    gap = ["prose"] * (source_code.MAX_GAP_LINES + 1)
    lines = ["a", "b", "c", "d", *gap, "e", "f", "g", "h"]
    text = "\n".join(lines)
    second = len(code) + len(gap)
    kinds = {0: [0], 1: [1], 2: [1], 3: [1]}
    kinds.update({second + n: kinds[n] for n in range(4)})
    blocks = code_blocks(text, signals_on_lines(text, kinds))
    assert [text[s:e] for s, e in blocks] == ["a\nb\nc\nd", "e\nf\ng\nh"]


def test_a_short_prose_gap_keeps_one_block() -> None:
    lines = ["a", "b", "prose", "c", "d"]
    text = "\n".join(lines)
    blocks = code_blocks(text, signals_on_lines(text, {0: [0], 1: [1], 3: [1], 4: [1]}))
    assert blocks == [(0, len(text))]


def test_block_edges_are_trimmed_of_whitespace_and_crlf() -> None:
    text = "intro\r\n    a\r\n    b\r\n    c\r\n    d  \r\nend"
    signals = signals_on_lines(text, {1: [0], 2: [1], 3: [1], 4: [1]})
    [(start, end)] = code_blocks(text, signals)
    assert text[start:end] == "a\r\n    b\r\n    c\r\n    d"


# --------------------------------------------------------------------------------------------
# One typical line per kind: the index is the pattern's position in source.yaml.

KIND_SAMPLES = {
    0: "def parse(line: str) -> dict:",
    1: "from collections import OrderedDict, defaultdict",
    2: "const fetchUser = async (id) => {",
    3: "    private final Repository repository;",
    4: "func (s *Server) Handle(w http.ResponseWriter, r *http.Request) {",
    5: "#include <stdio.h>",
    6: "    System.out.println(total);",
    7: "    return total * 1.2;",
    8: "if (count > 10) {",
    9: "    for item in items:",
    10: "    except KeyError as exc:",
    11: "});",
    12: "SELECT id, email",
    13: "LEFT JOIN orders o ON o.user_id = u.id",
    14: "@app.route('/health')",
    15: '<div class="card">',
    16: "  <title>Tableau de bord</title>",
    17: "    total = price * quantity",
    18: 'API_URL = "https://api.example.test/v2"',
    19: "print(os.environ.get('HOME'))",
    20: "        return None",
    21: '    """Fetch the records changed since a date."""',
    22: "    # never below zero",
    23: "done",
    24: "#!/usr/bin/env bash",
    25: "    response = session.get(url,",
}


def test_every_kind_has_a_sample() -> None:
    assert set(KIND_SAMPLES) == set(range(len(RULE.patterns)))


@pytest.mark.parametrize("kind", sorted(KIND_SAMPLES))
def test_each_kind_recognises_its_line(kind: int) -> None:
    assert kind in kinds_of(KIND_SAMPLES[kind])


@pytest.mark.parametrize(
    "line",
    [
        "Then import the function from the library and call it.",
        "Select the rows you need from the table.",
        "- review the budget;",
        "Let x = 5 and y = 3.",
        "For example: the class of users who may see the report.",
        "Bonjour à tous ; merci de confirmer votre présence ;",
        "Send the report (see table 2);",
        "Use `const x = 1;` to declare a constant.",
        "Contact <john.doe@acme.com> for access.",
        "if you need help: ask",
        '"name": {',
    ],
)
def test_prose_lines_hold_no_signal(line: str) -> None:
    assert kinds_of(line) == set()


# --------------------------------------------------------------------------------------------
# End to end through the engine

PYTHON = '''def average(values):
    """Mean of a list, 0 for an empty one."""
    if not values:
        return 0
    total = sum(values)
    return total / len(values)'''

JAVA = """public class Invoice {
    private final String id;
    private double amount;

    public Invoice(String id, double amount) {
        this.id = id;
        this.amount = amount;
    }

    public double total() {
        return amount * 1.2;
    }
}"""

SQL = """SELECT c.name, SUM(o.total) AS revenue
FROM customers c
JOIN orders o ON o.customer_id = c.id
WHERE o.created_at >= '2024-01-01'"""

JS = """const express = require('express');
const app = express();

app.get('/health', (req, res) => {
  res.json({ ok: true });
});"""

GO = """package main

import "fmt"

func main() {
\tfmt.Println("hello")
}"""

HTML = """<!DOCTYPE html>
<html lang="fr">
<head>
  <title>Tableau de bord</title>
</head>
</html>"""


def code_findings(engine: Engine, text: str) -> list[tuple[int, int]]:
    return [(f.start, f.end) for f in engine.scan(text) if f.detector == "source-code"]


@pytest.mark.parametrize("snippet", [PYTHON, JAVA, SQL, JS, GO, HTML], ids=lambda s: s[:12])
def test_block_covers_exactly_the_code_not_the_prose_around_it(
    engine: Engine, snippet: str
) -> None:
    before = "Can you explain why this is slow? Here it is:\n\n"
    after = "\n\nThanks a lot, I need it for tomorrow's review."
    text = before + snippet + after
    assert code_findings(engine, text) == [(len(before), len(before) + len(snippet))]


def test_fenced_markdown_block_excludes_the_fences(engine: Engine) -> None:
    text = f"Explique-moi ce code :\n\n```python\n{PYTHON}\n```\nMerci !"
    start = text.index("def average")
    assert code_findings(engine, text) == [(start, start + len(PYTHON))]


def test_crlf_code_is_found(engine: Engine) -> None:
    text = "Here:\r\n" + PYTHON.replace("\n", "\r\n") + "\r\n"
    [(start, end)] = code_findings(engine, text)
    assert text[start:end] == PYTHON.replace("\n", "\r\n")


def test_two_snippets_far_apart_are_two_blocks(engine: Engine) -> None:
    prose = "\n".join(f"Paragraph {n} of the explanation, in plain words." for n in range(5))
    text = f"{PYTHON}\n\n{prose}\n\n{SQL}"
    assert code_findings(engine, text) == [
        (0, len(PYTHON)),
        (len(text) - len(SQL), len(text)),
    ]


def test_code_finding_describes_the_block(engine: Engine) -> None:
    [finding] = [f for f in engine.scan(JAVA) if f.detector == "source-code"]
    assert (finding.category, finding.label, finding.severity) == ("code", "SOURCE_CODE", "medium")
    assert finding.masked == mask(JAVA)  # a preview of the edges, never the code itself


NEGATIVES = {
    "prose-mentions": (
        "To use the SDK, import the function from the library and call it with your data.\n"
        "Then select the rows you need from the table and export them as CSV.\n"
        "Finally, define a class of users who may see the report, and return it to me."
    ),
    "bullets": (
        "Action items:\n- import the Q3 numbers;\n- update the budget (see attached);\n"
        "- return the laptop to IT;\n- schedule the review."
    ),
    "email-semicolons": (
        "Hi team;\n\nThanks for the update; I reviewed the draft (v2); a few notes:\n"
        "the intro is long; the numbers in section 3 don't match (see table 2);\n"
        "and we should remove the appendix.\n\nBest;\nJohn"
    ),
    "french": (
        "Bonjour,\n\nSuite à notre réunion, nous avons décidé de reporter le lancement ; "
        "l'équipe produit doit valider les maquettes (version 3).\n"
        "Pour la suite : si vous avez des remarques, merci de me les envoyer.\nCordialement,"
    ),
    "markdown-inline-code": (
        "## Configure the client\n\nCall `client.connect()` once, then `client.send(msg)`.\n"
        "The `timeout` option is in seconds; set `retries = 3` for flaky networks.\n\n"
        "> Note: `import airlock` is enough.\n\n1. Install the package.\n2. Run `airlock init`."
    ),
    "json": '{\n  "name": "acme",\n  "version": "1.2.3",\n  "dependencies": {\n'
    '    "left-pad": "^1.3.0"\n  },\n  "private": true\n}',
    "yaml": "server:\n  port: 8080\n  host: 0.0.0.0\ndatabase:\n  url: postgres://db/app\n",
    "csv": "id,name,email\n1,Alice,alice@acme.com\n2,Bob,bob@acme.com\n3,Carol,c@acme.com",
    "log": (
        "2024-05-01 12:00:01 INFO  Starting server on port 8080\n"
        "2024-05-01 12:00:03 ERROR Connection refused (db:5432)\n"
        "2024-05-01 12:00:04 INFO  Retrying in 5s"
    ),
    "math": "Let x = 5 and y = 3.\nThen x + y = 8 (obviously).\nIf x > y, f(x) = x^2.\nf(3) = 9",
}


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_hard_negatives_are_not_code(engine: Engine, name: str) -> None:
    assert code_findings(engine, NEGATIVES[name]) == []


def test_long_prose_costs_no_block(engine: Engine) -> None:
    prose = "We import goods from Asia; the class starts at nine. " * 20_000  # ~1 MB
    assert code_findings(engine, prose) == []
