"""The evasion corpus: each way an attacker hides a secret from a pattern, applied to a fresh
canary key, is found by `Engine.scan` at the exact span of the text the user sent, and the
pipeline's decision and alert never carry the key in any form."""

from __future__ import annotations

import base64
import random
import string
import urllib.parse
from collections.abc import Callable

import orjson
import pytest

from detectors.engine import Engine
from streams.pipeline import Pipeline
from tests.canaries import aws_key
from tests.test_streams.conftest import make_event

DETECTOR = "aws-access-key-id"
ZWSP, ZWNJ, ZWJ, WORD_JOINER, SOFT_HYPHEN, BOM = (
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\xad",
    "\ufeff",
)
RLO, LRO, LRE, PDF = "\u202e", "\u202d", "\u202a", "\u202c"
CYRILLIC = {
    "A": "\u0410",
    "K": "\u041a",
    "T": "\u0422",
    "M": "\u041c",
    "B": "\u0412",
    "E": "\u0415",
}
GREEK = {"A": "\u0391", "K": "\u039a", "I": "\u0399", "T": "\u03a4", "Z": "\u0396", "N": "\u039d"}

# A technique turns the key into (what precedes it, the obfuscated value, what follows it).
Technique = Callable[[str], tuple[str, str, str]]


def interleave(key: str, char: str) -> str:
    return char.join(key)


def mapped(key: str, table: dict[str, str]) -> str:
    return "".join(table.get(c, c) for c in key)


def offset_letters(key: str, upper: int, digit: int | None) -> str:
    """The key in a compatibility alphabet (fullwidth, mathematical...)."""
    out = []
    for c in key:
        if c.isupper():
            out.append(chr(upper + ord(c) - ord("A")))
        elif c.isdigit() and digit is not None:
            out.append(chr(digit + ord(c) - ord("0")))
        else:
            out.append(c)
    return "".join(out)


def inside(value: str) -> tuple[str, str, str]:
    return ("Deploy with access key ", value, " and region eu-west-1.")


def alone(value: str) -> tuple[str, str, str]:
    """An encoded value stands as a token of its own: its span is the whole token."""
    return ("Here is the credential, encoded: ", value, " thanks")


TECHNIQUES: dict[str, Technique] = {
    "zero-width space": lambda k: inside(k[:8] + ZWSP + k[8:]),
    "zero-width space between every character": lambda k: inside(interleave(k, ZWSP)),
    "zero-width non-joiner": lambda k: inside(k[:4] + ZWNJ + k[4:]),
    "zero-width joiner": lambda k: inside(k[:10] + ZWJ + k[10:]),
    "word joiner": lambda k: inside(k[:6] + WORD_JOINER + k[6:]),
    "soft hyphen": lambda k: inside(k[:12] + SOFT_HYPHEN + k[12:]),
    "byte-order mark": lambda k: inside(k[:3] + BOM + k[3:]),
    "invisible separator": lambda k: inside(k[:7] + "\u2063" + k[7:]),
    "tag characters": lambda k: inside(k[:5] + "\U000e0041\U000e0042" + k[5:]),
    "combining grapheme joiner": lambda k: inside(k[:9] + "\u034f" + k[9:]),
    "variation selector": lambda k: inside(k[:4] + "\ufe0f" + k[4:]),
    "combining accents": lambda k: inside("".join(c + "\u0301" for c in k[:-1]) + k[-1]),
    "Hangul filler": lambda k: inside(k[:11] + "\u3164" + k[11:]),
    "right-to-left override, key reversed": lambda k: (
        "Deploy with access key " + RLO,
        k[::-1],
        PDF + " and region eu-west-1.",
    ),
    "left-to-right embedding and override": lambda k: inside(k[:6] + LRE + k[6:12] + LRO + k[12:]),
    "Cyrillic homoglyphs": lambda k: inside(mapped(k, CYRILLIC)),
    "Greek homoglyphs": lambda k: inside(mapped(k, GREEK)),
    "fullwidth letters and digits": lambda k: inside(offset_letters(k, 0xFF21, 0xFF10)),
    "mathematical bold": lambda k: inside(offset_letters(k, 0x1D400, 0x1D7CE)),
    "mathematical monospace": lambda k: inside(offset_letters(k, 0x1D670, 0x1D7F6)),
    "circled letters": lambda k: inside(offset_letters(k, 0x24B6, None)),
    "zero-width space in fullwidth": lambda k: inside(
        offset_letters(k[:10], 0xFF21, 0xFF10) + ZWSP + k[10:]
    ),
    "base64": lambda k: alone(base64.b64encode(k.encode()).decode()),
    "base64 of a sentence": lambda k: alone(base64.b64encode(f"aws key {k}".encode()).decode()),
    "base64url without padding": lambda k: alone(
        base64.urlsafe_b64encode(f"key={k}?".encode()).decode().rstrip("=")
    ),
    "URL-encoded, every character": lambda k: alone("".join(f"%{ord(c):02X}" for c in k)),
    "URL-encoded query": lambda k: alone(
        "https://example.net/cfg?" + urllib.parse.urlencode({"aws key": k}).replace("A", "%41")
    ),
    "hex": lambda k: alone(k.encode().hex()),
    "C hex escapes": lambda k: alone("".join(f"\\x{ord(c):02x}" for c in k)),
    "HTML decimal entities": lambda k: alone("".join(f"&#{ord(c)};" for c in k)),
    "HTML hex entities": lambda k: alone("".join(f"&#x{ord(c):x};" for c in k)),
    "HTML entities on a few characters": lambda k: alone(
        "".join(f"&#{ord(c)};" if i % 3 == 0 else c for i, c in enumerate(k))
    ),
    "JSON unicode escapes": lambda k: alone("".join(f"\\u{ord(c):04x}" for c in k)),
    "JSON escapes on a few characters": lambda k: alone(
        "".join(f"\\u{ord(c):04X}" if i % 4 == 1 else c for i, c in enumerate(k))
    ),
    "quoted-printable": lambda k: alone("".join(f"={ord(c):02X}" for c in k)),
}


def canary(name: str) -> str:
    """A fresh AWS access key id per technique, with no letter the technique cannot map."""
    rng = random.Random(f"evasion {name}")
    key = aws_key(rng)
    if "Greek" in name or "Cyrillic" in name:  # make sure each table has letters to swap
        key = key[:4] + "".join(rng.choice("KTMBEZN234567") for _ in range(16))
    return key


def test_the_corpus_has_at_least_30_techniques() -> None:
    assert len(TECHNIQUES) >= 30


@pytest.mark.parametrize("name", sorted(TECHNIQUES))
def test_an_obfuscated_key_is_found_at_its_original_span(engine: Engine, name: str) -> None:
    key = canary(name)
    before, value, after = TECHNIQUES[name](key)
    assert key not in value  # the technique did hide it from a plain pattern
    assert not [f for f in engine._scan_plain(before + value + after) if f.detector == DETECTOR]
    text = before + value + after
    found = [f for f in engine.scan(text) if f.detector == DETECTOR]
    assert len(found) == 1, (name, found)
    (finding,) = found
    assert text[finding.start : finding.end] == value, name
    assert key not in finding.masked and value not in finding.masked


@pytest.mark.parametrize("name", sorted(TECHNIQUES))
def test_the_decision_and_alert_block_it_and_never_carry_it(pipeline: Pipeline, name: str) -> None:
    key = canary(name)
    before, value, after = TECHNIQUES[name](key)
    raw = orjson.dumps(make_event(before + value + after, tenant_id="default"))
    outcome = pipeline.process(raw, topic="airlock.prompts", partition=0, offset=1)
    assert outcome.decision is not None and outcome.alert is not None
    assert outcome.decision["action"] == "block"
    published = orjson.dumps(outcome.decision) + orjson.dumps(outcome.alert)
    for form in (key, value, key.lower(), key[::-1]):
        assert form.encode() not in published
        assert orjson.dumps(form)[1:-1] not in published


def test_a_non_breaking_space_around_the_equals_sign_does_not_hide_a_secret_key(
    engine: Engine,
) -> None:
    rng = random.Random(5)
    secret = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(40))
    text = f"aws_secret_access_key\u00a0=\u00a0{secret}"
    found = [f for f in engine.scan(text) if f.detector == "aws-secret-access-key"]
    assert [text[f.start : f.end] for f in found] == [secret]


def test_clean_text_in_other_scripts_stays_clean(engine: Engine) -> None:
    texts = [
        "Переведи, пожалуйста, этот абзац на английский язык и сократи его.",  # noqa: RUF001
        "Γράψε ένα σύντομο ποίημα για τη θάλασσα και τον ήλιο.",  # noqa: RUF001
        "請把這段文字翻譯成英文，並保持語氣正式。",  # noqa: RUF001
        "Résumé : la réunion de jeudi est déplacée à 14 h, salle Émeraude.",
        "The ｆｕｌｌｗｉｄｔｈ word and a soft\u00adhyphen and a zero\u200bwidth space.",  # noqa: RUF001
    ]
    for text in texts:
        assert engine.scan(text) == [], text
