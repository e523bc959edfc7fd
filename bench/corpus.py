"""A seeded generator of realistic labelled prompts (English and French) for the benchmarks.

Each prompt is what a person pastes into an AI assistant: a support ticket to answer, a stack
trace to explain, a `.env` or YAML file to fix, an e-mail to rewrite, HR notes to summarise, a CSV
to clean, code to explain, a contract clause to translate. Sensitive values of every category are
planted in it with their ground-truth character spans; hard negatives (documented example keys,
placeholders, hashes, UUIDs, versions, dates, order numbers, values with a broken checksum) are
planted beside them and labelled as nothing. Every value is synthetic: random strings of the
provider's published shape, and numbers drawn at random until the catalogue's own validator
(detectors.validators.REGISTRY) accepts them. A type whose validator does not exist yet is
skipped and named by `skipped_kinds()`.

    python -m bench.corpus --seed 7 --count 2000 --out corpus.jsonl      # labelled
    python -m bench.corpus --seed 7 --megabytes 20 --out prompts.jsonl  # {"id","text"} stream
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import json
import random
import string
import sys
import uuid
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The records live in bench.records (no Airlock import); bench.corpus.Prompt stays their name.
from bench.records import Prompt as Prompt
from bench.records import Span as Span
from bench.records import from_record as from_record
from detectors import validators
from detectors.engine import Allowlist

UPPER = string.ascii_uppercase
LOWER = string.ascii_lowercase
DIGITS = string.digits
HEX = "0123456789abcdef"
ALNUM = string.ascii_letters + string.digits
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
URLSAFE = ALNUM + "-_"
B64 = ALNUM + "+/"
BASE32 = UPPER + "234567"
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

# The labelled corpus: share of prompts written with sensitive values (the rest are clean but
# still carry hard negatives). The throughput corpus: share of prompts carrying sensitive values.
LABELLED_SENSITIVE_SHARE = 0.6
THROUGHPUT_SENSITIVE_SHARE = 0.12
PROMPT_BYTES = 1024

_ALLOWLIST = Allowlist()
MAX_TRIES = 200_000


# --------------------------------------------------------------------------------------------
# Records


# --------------------------------------------------------------------------------------------
# Random strings and checked numbers


def rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choices(alphabet, k=n))


def digits(rng: random.Random, n: int) -> str:
    return rand(rng, DIGITS, n)


def _validator(*names: str) -> validators.Validator | None:
    for name in names:
        if name in validators.REGISTRY:
            return validators.REGISTRY[name]
    return None


@dataclass(frozen=True, slots=True)
class Checked:
    """A number type with a check: candidates of the right shape are drawn until it passes."""

    kind: str
    category: str
    shape: Callable[[random.Random], str]
    validator_names: tuple[str, ...]
    required: bool = True  # False: no checksum exists; the validator, if any, only filters

    @property
    def validator(self) -> validators.Validator | None:
        return _validator(*self.validator_names)

    @property
    def available(self) -> bool:
        return self.validator is not None or not self.required

    def valid(self, rng: random.Random) -> str:
        check = self.validator
        for _ in range(MAX_TRIES):
            value = self.shape(rng)
            if check is None or check(value):
                return value
        raise RuntimeError(f"{self.kind}: no valid value in {MAX_TRIES} tries")

    def broken(self, rng: random.Random) -> str:
        """A valid value with one digit changed so that its check fails."""
        check = self.validator
        value = self.valid(rng)
        positions = [i for i, ch in enumerate(value) if ch.isdigit()]
        if check is None:
            return value
        for _ in range(1000):
            i = rng.choice(positions)
            candidate = value[:i] + rng.choice(DIGITS.replace(value[i], "")) + value[i + 1 :]
            if not check(candidate):
                return candidate
        raise RuntimeError(f"{self.kind}: cannot break the check")


def _group(value: str, sizes: Sequence[int], sep: str) -> str:
    out, i = [], 0
    for size in sizes:
        out.append(value[i : i + size])
        i += size
    if i < len(value):
        out.append(value[i:])
    return sep.join(p for p in out if p)


def _card(rng: random.Random) -> str:
    brand = rng.choice(["visa", "visa", "mc", "mc2", "amex", "discover"])
    if brand == "amex":
        number = rng.choice(["34", "37"]) + digits(rng, 13)
        return _group(number, (4, 6, 5), rng.choice([" ", "-", ""]))
    prefix = {
        "visa": "4",
        "mc": str(rng.randint(51, 55)),
        "mc2": str(rng.randint(2221, 2720)),
        "discover": "6011",
    }[brand]
    number = prefix + digits(rng, 16 - len(prefix))
    return _group(number, (4, 4, 4, 4), rng.choice([" ", " ", "-", ""]))


_IBAN_BODIES: dict[str, Callable[[random.Random], str]] = {
    "FR": lambda r: digits(r, 10) + digits(r, 11) + digits(r, 2),
    "DE": lambda r: digits(r, 18),
    "ES": lambda r: digits(r, 20),
    "IT": lambda r: rand(r, UPPER, 1) + digits(r, 10) + digits(r, 12),
    "GB": lambda r: rand(r, UPPER, 4) + digits(r, 14),
    "NL": lambda r: rand(r, UPPER, 4) + digits(r, 10),
    "BE": lambda r: digits(r, 12),
}


def _iban(rng: random.Random) -> str:
    country = rng.choice(list(_IBAN_BODIES))
    iban = country + digits(rng, 2) + _IBAN_BODIES[country](rng)
    return _group(iban, [4] * 9, " ") if rng.random() < 0.7 else iban


def _nir(rng: random.Random) -> str:
    dept = rng.choice([f"{rng.randint(1, 95):02d}", "2A", "2B", "75", "69", "13"])
    body = (
        rng.choice("12")
        + f"{rng.randint(40, 99):02d}"
        + f"{rng.randint(1, 12):02d}"
        + dept
        + digits(rng, 3)
        + digits(rng, 3)
    )
    key = digits(rng, 2)
    if rng.random() < 0.6:
        return " ".join([body[0], body[1:3], body[3:5], body[5:7], body[7:10], body[10:13], key])
    return body + key


def _siren(rng: random.Random) -> str:
    number = rng.choice("3456789") + digits(rng, 8)
    return _group(number, (3, 3, 3), " ") if rng.random() < 0.6 else number


def _siret(rng: random.Random) -> str:
    number = rng.choice("3456789") + digits(rng, 13)
    return _group(number, (3, 3, 3, 5), " ") if rng.random() < 0.6 else number


def _ssn(rng: random.Random) -> str:
    area = rng.choice([n for n in range(1, 900) if n != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def _nino(rng: random.Random) -> str:
    first = rng.choice("ABCEGHJKLMNOPRSTWXYZ")
    second = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    while first + second in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}:
        second = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    number = digits(rng, 6)
    suffix = rng.choice("ABCD")
    if rng.random() < 0.5:
        return f"{first}{second} {number[:2]} {number[2:4]} {number[4:]} {suffix}"
    return f"{first}{second}{number}{suffix}"


def _nhs(rng: random.Random) -> str:
    number = rng.choice("123456789") + digits(rng, 9)
    return _group(number, (3, 3, 4), " ") if rng.random() < 0.7 else number


def _steuer_id(rng: random.Random) -> str:
    number = rng.choice("123456789") + digits(rng, 10)
    return _group(number, (2, 3, 3, 3), " ") if rng.random() < 0.4 else number


def _dni(rng: random.Random) -> str:
    return digits(rng, 8) + rng.choice("TRWAGMYFPDXBNJZSQVHLCKE")


def _nie(rng: random.Random) -> str:
    return rng.choice("XYZ") + digits(rng, 7) + rng.choice("TRWAGMYFPDXBNJZSQVHLCKE")


def _codice_fiscale(rng: random.Random) -> str:
    consonants = "BCDFGHLMNPRSTVZ"
    day = rng.randint(1, 31) + (40 if rng.random() < 0.5 else 0)
    return (
        rand(rng, consonants, 6)
        + f"{rng.randint(40, 99):02d}"
        + rng.choice("ABCDEHLMPRST")
        + f"{day:02d}"
        + rng.choice("ABCDEFGHILMZ")
        + digits(rng, 3)
        + rand(rng, UPPER, 1)
    )


def _bsn(rng: random.Random) -> str:
    return rng.choice("123456789") + digits(rng, 8)


def _sin(rng: random.Random) -> str:
    number = rng.choice("1234567") + digits(rng, 8)
    return _group(number, (3, 3, 3), rng.choice([" ", "-"]))


def _aadhaar(rng: random.Random) -> str:
    number = rng.choice("23456789") + digits(rng, 11)
    return _group(number, (4, 4, 4), " ") if rng.random() < 0.7 else number


def _cpf(rng: random.Random) -> str:
    n = digits(rng, 11)
    return f"{n[:3]}.{n[3:6]}.{n[6:9]}-{n[9:]}" if rng.random() < 0.7 else n


def _npi(rng: random.Random) -> str:
    return rng.choice("12") + digits(rng, 9)


def _dea(rng: random.Random) -> str:
    return rng.choice("ABFGMPR") + rand(rng, UPPER, 1) + digits(rng, 7)


def _aba(rng: random.Random) -> str:
    return rng.choice(["0", "1", "2", "3"]) + digits(rng, 8)


def _mbi(rng: random.Random) -> str:
    letters = "ACDEFGHJKMNPQRTUVWXY"
    alnum = letters + DIGITS
    value = (
        rng.choice("123456789")
        + rng.choice(letters)
        + rng.choice(alnum)
        + rng.choice(DIGITS)
        + rng.choice(letters)
        + rng.choice(alnum)
        + rng.choice(DIGITS)
        + rng.choice(letters)
        + rng.choice(letters)
        + rng.choice(DIGITS)
        + rng.choice(DIGITS)
    )
    return f"{value[:4]}-{value[4:7]}-{value[7:]}" if rng.random() < 0.4 else value


def _itin(rng: random.Random) -> str:
    group = rng.choice([*range(50, 66), *range(70, 89), 90, 91, 92, *range(94, 100)])
    return f"9{digits(rng, 2)}-{group}-{digits(rng, 4)}"


def _pan(rng: random.Random) -> str:
    return (
        rand(rng, UPPER, 3)
        + rng.choice("PCHFATBLJG")
        + rand(rng, UPPER, 1)
        + digits(rng, 4)
        + rand(rng, UPPER, 1)
    )


def _be_national(rng: random.Random) -> str:
    n = f"{rng.randint(40, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}" + digits(
        rng, 5
    )
    return f"{n[:2]}.{n[2:4]}.{n[4:6]}-{n[6:9]}.{n[9:]}" if rng.random() < 0.7 else n


def _b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = BASE58[rest] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def _btc(rng: random.Random) -> str:
    # Base58Check: the checksum is the first 4 bytes of a double SHA-256; no brute force can
    # find one (1 in 2**32), so it is computed, and the catalogue's validator still has to agree.
    payload = bytes([rng.choice([0x00, 0x05])]) + rng.randbytes(20)
    check = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    return _b58encode(payload + check)


def _eth(rng: random.Random) -> str:
    from Crypto.Hash import keccak  # pycryptodome, a runtime dependency

    address = rand(rng, HEX, 40)
    digest = keccak.new(digest_bits=256, data=address.encode()).hexdigest()
    mixed = "".join(
        c.upper() if c.isalpha() and int(h, 16) >= 8 else c
        for c, h in zip(address, digest[:40], strict=True)
    )
    return "0x" + mixed


CHECKED: dict[str, Checked] = {
    c.kind: c
    for c in (
        Checked("card", "financial", _card, ("luhn",)),
        Checked("iban", "financial", _iban, ("iban_mod97", "iban")),
        Checked("fr-siren", "pii", _siren, ("fr_siren", "siren")),
        Checked("fr-siret", "pii", _siret, ("fr_siret", "siret")),
        Checked("us-aba-routing", "financial", _aba, ("us_aba_routing",)),
        Checked(
            "btc-address",
            "financial",
            _btc,
            ("btc_address", "bitcoin_address", "btc", "base58check"),
        ),
        Checked(
            "eth-address",
            "financial",
            _eth,
            ("eth_address", "eip55", "eth_eip55", "ethereum", "eth"),
        ),
        Checked("fr-nir", "pii", _nir, ("fr_nir", "nir")),
        Checked("us-ssn", "pii", _ssn, ("us_ssn", "ssn"), required=False),
        Checked("uk-nino", "pii", _nino, ("uk_nino", "nino"), required=False),
        Checked("us-itin", "pii", _itin, ("us_itin", "itin"), required=False),
        Checked("in-pan", "pii", _pan, ("in_pan", "pan"), required=False),
        Checked("be-national-number", "pii", _be_national, ("be_national_number", "be_nrn")),
        Checked(
            "de-steuer-id",
            "pii",
            _steuer_id,
            ("de_steuer_id", "de_tax_id", "steuer_id", "iso7064_mod11_10"),
        ),
        Checked("es-dni", "pii", _dni, ("es_dni", "dni")),
        Checked("es-nie", "pii", _nie, ("es_nie", "nie", "es_dni")),
        Checked(
            "it-codice-fiscale",
            "pii",
            _codice_fiscale,
            ("it_codice_fiscale", "codice_fiscale", "it_cf"),
        ),
        Checked("nl-bsn", "pii", _bsn, ("nl_bsn", "bsn", "elfproef")),
        Checked("ca-sin", "pii", _sin, ("ca_sin", "sin")),
        Checked("in-aadhaar", "pii", _aadhaar, ("in_aadhaar", "aadhaar", "verhoeff")),
        Checked("br-cpf", "pii", _cpf, ("br_cpf", "cpf")),
        Checked("uk-nhs", "health", _nhs, ("uk_nhs", "nhs", "nhs_mod11")),
        Checked("us-npi", "health", _npi, ("us_npi", "npi")),
        Checked("us-dea", "health", _dea, ("us_dea", "dea")),
        Checked("us-mbi", "health", _mbi, ("us_mbi", "mbi"), required=False),
    )
}


def skipped_kinds() -> list[str]:
    """Checked types not generated because their validator is not in the registry yet."""
    return sorted(k for k, c in CHECKED.items() if not c.available)


# --------------------------------------------------------------------------------------------
# Secrets, built from the providers' published token shapes


def _clean_secret(make: Callable[[random.Random], str]) -> Callable[[random.Random], str]:
    """Redraw values that contain a placeholder marker (`xxxx`, `<`, `dummy`...) by chance."""

    def draw(rng: random.Random) -> str:
        while True:
            value = make(rng)
            if not _ALLOWLIST.is_placeholder(value):
                return value

    return draw


def _checksummed_token(prefix: str) -> Callable[[random.Random], str]:
    """Tokens in GitHub's classic format, which npm's use too: 30 random characters and their
    CRC-32 in 6 base62 characters (detectors/validators.py, base62_crc32)."""

    def make(rng: random.Random) -> str:
        body = rand(rng, ALNUM, 30)
        crc = zlib.crc32(body.encode())
        encoded = ""
        while crc:
            crc, rest = divmod(crc, 62)
            encoded = BASE62[rest] + encoded
        return prefix + body + encoded.rjust(6, "0")

    return make


def _jwt(rng: random.Random) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": rng.choice(["HS256", "RS256"]), "typ": "JWT"}).encode())
    claims = {
        "sub": str(uuid.UUID(int=rng.getrandbits(128))),
        "iat": rng.randint(1_600_000_000, 1_750_000_000),
        "role": rng.choice(["admin", "service", "user"]),
    }
    payload = b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{header}.{payload}.{rand(rng, URLSAFE, 43)}"


def _pem(label: str) -> Callable[[random.Random], str]:
    def make(rng: random.Random) -> str:
        body = base64.b64encode(rng.randbytes(rng.randint(4, 9) * 48)).decode()
        lines = [body[i : i + 64] for i in range(0, len(body), 64)]
        return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----"

    return make


def _password(rng: random.Random, url: bool = False) -> str:
    """A password as people set them: random (a letter first, as YAML needs) or words+digits.

    In a URL only unreserved characters appear, as they would unencoded.
    """
    symbols = "-_.~" if url else "!#%&*+-_=?"
    style = rng.random()
    if style < 0.5:
        return rand(rng, string.ascii_letters, 1) + rand(rng, ALNUM + symbols, rng.randint(13, 23))
    words = ["Soleil", "Tigre", "Harbor", "Maple", "Quartz", "Orion", "Falcon", "Ciel", "Velvet"]
    return (
        rng.choice(words)
        + rng.choice(words).lower()
        + digits(rng, rng.randint(2, 4))
        + rng.choice(symbols)
    )


def rng_choice(rng: random.Random, options: Sequence[str]) -> str:
    return options[rng.randrange(len(options))]


@dataclass(frozen=True, slots=True)
class SecretKind:
    kind: str
    provider: str
    env: str  # the variable name it lives under in a config file
    make: Callable[[random.Random], str]
    anchored: bool = True  # False: the format has no literal; only shown after its key name


SECRETS: tuple[SecretKind, ...] = tuple(
    SecretKind(s.kind, s.provider, s.env, _clean_secret(s.make), s.anchored)
    for s in (
        SecretKind(
            "aws-access-key-id",
            "AWS",
            "AWS_ACCESS_KEY_ID",
            lambda r: rng_choice(r, ["AKIA", "AKIA", "ASIA"]) + rand(r, BASE32, 16),
        ),
        SecretKind(
            "aws-secret-access-key",
            "AWS",
            "AWS_SECRET_ACCESS_KEY",
            lambda r: rand(r, B64, 40),
            anchored=False,
        ),
        SecretKind("github-pat", "GitHub", "GITHUB_TOKEN", _checksummed_token("ghp_")),
        SecretKind("github-oauth", "GitHub", "GH_OAUTH_TOKEN", _checksummed_token("gho_")),
        SecretKind("github-app", "GitHub", "GH_APP_TOKEN", _checksummed_token("ghs_")),
        SecretKind(
            "github-fine-grained",
            "GitHub",
            "GITHUB_PAT",
            lambda r: "github_pat_11" + rand(r, BASE32 + DIGITS, 20) + "_" + rand(r, ALNUM, 59),
        ),
        SecretKind(
            "gitlab-pat", "GitLab", "GITLAB_TOKEN", lambda r: "glpat-" + rand(r, URLSAFE, 20)
        ),
        SecretKind(
            "slack-bot-token",
            "Slack",
            "SLACK_BOT_TOKEN",
            lambda r: f"xoxb-{digits(r, 12)}-{digits(r, 13)}-{rand(r, ALNUM, 24)}",
        ),
        SecretKind(
            "slack-user-token",
            "Slack",
            "SLACK_USER_TOKEN",
            lambda r: f"xoxp-{digits(r, 12)}-{digits(r, 12)}-{digits(r, 13)}-{rand(r, HEX, 32)}",
        ),
        SecretKind(
            "slack-webhook",
            "Slack",
            "SLACK_WEBHOOK_URL",
            lambda r: (
                f"https://hooks.slack.com/services/T{rand(r, UPPER + DIGITS, 10)}/"
                f"B{rand(r, UPPER + DIGITS, 10)}/{rand(r, ALNUM, 24)}"
            ),
        ),
        SecretKind(
            "stripe-secret-key",
            "Stripe",
            "STRIPE_SECRET_KEY",
            lambda r: (
                "sk_live_" + (rand(r, ALNUM, 24) if r.random() < 0.4 else "51" + rand(r, ALNUM, 97))
            ),
        ),
        SecretKind(
            "stripe-restricted-key",
            "Stripe",
            "STRIPE_RESTRICTED_KEY",
            lambda r: "rk_live_51" + rand(r, ALNUM, 97),
        ),
        SecretKind(
            "stripe-webhook-secret",
            "Stripe",
            "STRIPE_WEBHOOK_SECRET",
            lambda r: "whsec_" + rand(r, ALNUM, 32),
        ),
        SecretKind(
            "openai-api-key",
            "OpenAI",
            "OPENAI_API_KEY",
            lambda r: (
                "sk-proj-" + rand(r, URLSAFE, 74) + "T3BlbkFJ" + rand(r, URLSAFE, 74)
                if r.random() < 0.7
                else "sk-" + rand(r, ALNUM, 20) + "T3BlbkFJ" + rand(r, ALNUM, 20)
            ),
        ),
        SecretKind(
            "anthropic-api-key",
            "Anthropic",
            "ANTHROPIC_API_KEY",
            lambda r: "sk-ant-api03-" + rand(r, URLSAFE, 93) + "AA",
        ),
        SecretKind(
            "google-api-key", "Google", "GOOGLE_API_KEY", lambda r: "AIza" + rand(r, URLSAFE, 35)
        ),
        SecretKind(
            "google-oauth-client-secret",
            "Google",
            "GOOGLE_CLIENT_SECRET",
            lambda r: "GOCSPX-" + rand(r, URLSAFE, 28),
        ),
        SecretKind(
            "azure-storage-key",
            "Azure",
            "AZURE_STORAGE_CONNECTION_STRING",
            lambda r: base64.b64encode(r.randbytes(64)).decode(),
            anchored=False,
        ),
        SecretKind(
            "azure-client-secret",
            "Azure",
            "AZURE_CLIENT_SECRET",
            lambda r: rand(r, ALNUM, 3) + "8Q~" + rand(r, ALNUM + "_~.-", 34),
            anchored=False,
        ),
        SecretKind(
            "twilio-api-key",
            "Twilio",
            "TWILIO_API_KEY",
            lambda r: "SK" + rand(r, HEX, 32),
            anchored=False,
        ),
        SecretKind(
            "sendgrid-api-key",
            "SendGrid",
            "SENDGRID_API_KEY",
            lambda r: "SG." + rand(r, URLSAFE, 22) + "." + rand(r, URLSAFE, 43),
        ),
        SecretKind(
            "mailgun-api-key", "Mailgun", "MAILGUN_API_KEY", lambda r: "key-" + rand(r, HEX, 32)
        ),
        SecretKind("npm-token", "npm", "NPM_TOKEN", _checksummed_token("npm_")),
        SecretKind(
            "pypi-token",
            "PyPI",
            "PYPI_TOKEN",
            lambda r: "pypi-AgEIcHlwaS5vcmc" + rand(r, URLSAFE, 120),
        ),
        SecretKind(
            "dockerhub-pat",
            "Docker Hub",
            "DOCKERHUB_TOKEN",
            lambda r: "dckr_pat_" + rand(r, URLSAFE, 27),
        ),
        SecretKind(
            "huggingface-token",
            "Hugging Face",
            "HF_TOKEN",
            lambda r: "hf_" + rand(r, string.ascii_letters, 34),
        ),
        SecretKind(
            "shopify-access-token",
            "Shopify",
            "SHOPIFY_ACCESS_TOKEN",
            lambda r: "shpat_" + rand(r, HEX, 32),
        ),
        SecretKind(
            "digitalocean-token",
            "DigitalOcean",
            "DIGITALOCEAN_TOKEN",
            lambda r: "dop_v1_" + rand(r, HEX, 64),
        ),
        SecretKind(
            "databricks-token",
            "Databricks",
            "DATABRICKS_TOKEN",
            lambda r: "dapi" + rand(r, HEX, 32),
        ),
        SecretKind(
            "vault-token", "HashiCorp Vault", "VAULT_TOKEN", lambda r: "hvs." + rand(r, URLSAFE, 90)
        ),
        SecretKind(
            "postman-api-key",
            "Postman",
            "POSTMAN_API_KEY",
            lambda r: f"PMAK-{rand(r, HEX, 24)}-{rand(r, HEX, 34)}",
        ),
        SecretKind(
            "newrelic-user-key",
            "New Relic",
            "NEW_RELIC_API_KEY",
            lambda r: "NRAK-" + rand(r, UPPER + DIGITS, 27),
        ),
        SecretKind(
            "linear-api-key", "Linear", "LINEAR_API_KEY", lambda r: "lin_api_" + rand(r, ALNUM, 40)
        ),
        SecretKind(
            "telegram-bot-token",
            "Telegram",
            "TELEGRAM_BOT_TOKEN",
            lambda r: f"{r.randint(1_000_000_000, 7_999_999_999)}:AA{rand(r, URLSAFE, 33)}",
        ),
        SecretKind(
            "atlassian-api-token",
            "Atlassian",
            "JIRA_API_TOKEN",
            lambda r: "ATATT3xFfGF0" + rand(r, URLSAFE, 171) + "=" + rand(r, "0123456789ABCDEF", 8),
        ),
        SecretKind("jwt", "JWT", "SESSION_JWT", _jwt),
        SecretKind("rsa-private-key", "PEM", "PRIVATE_KEY", _pem("RSA PRIVATE KEY")),
        SecretKind("openssh-private-key", "PEM", "SSH_PRIVATE_KEY", _pem("OPENSSH PRIVATE KEY")),
        SecretKind("ec-private-key", "PEM", "EC_PRIVATE_KEY", _pem("EC PRIVATE KEY")),
        SecretKind("password", "generic", "DB_PASSWORD", _password, anchored=False),
    )
)

SECRET_BY_KIND = {s.kind: s for s in SECRETS}


# Hard negatives: things that look like secrets and are not.
DOCUMENTED_EXAMPLES = (
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AKIAI44QH8DHBEXAMPLE",
)
PLACEHOLDERS = (
    "YOUR_API_KEY",
    "<your-api-key>",
    "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "${OPENAI_API_KEY}",
    "ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "{{ secrets.GITHUB_TOKEN }}",
    "changeme",
    "your-secret-here",
    "REDACTED",
    "sk_live_...",
    "xoxb-your-token",
    "<token>",
    "********",
    "${{ secrets.NPM_TOKEN }}",
    "dummy-password",
    "placeholder",
    "AIzaXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
)


def sha(rng: random.Random, algorithm: str = "sha256") -> str:
    return hashlib.new(algorithm, rng.randbytes(16)).hexdigest()


def a_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def version(rng: random.Random) -> str:
    return rng.choice(
        [
            f"{rng.randint(0, 4)}.{rng.randint(0, 30)}.{rng.randint(0, 20)}",
            f"v{rng.randint(1, 22)}.{rng.randint(0, 19)}.{rng.randint(0, 40)}",
            f"{rng.randint(1, 12)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}"
            f".{rng.randint(1000, 9999)}",
            f"v10.0.{rng.randint(17000, 22631)}",
            f"{rng.randint(1, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}",
            f"{rng.randint(1, 3)}.{rng.randint(0, 12)}.{rng.randint(0, 9)}-rc{rng.randint(1, 5)}",
        ]
    )


def date(rng: random.Random, lang: str = "en") -> str:
    y, m, d = rng.randint(2019, 2026), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice(
        [
            f"{y}-{m:02d}-{d:02d}",
            f"{d:02d}/{m:02d}/{y}" if lang == "fr" else f"{m:02d}/{d:02d}/{y}",
            f"{y}-{m:02d}-{d:02d}T{rng.randint(0, 23):02d}"
            f":{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z",
        ]
    )


def order_number(rng: random.Random) -> str:
    return rng.choice(
        [
            f"ORD-{rng.randint(2021, 2026)}-{digits(rng, 6)}",
            f"#{digits(rng, 7)}",
            f"INV-{digits(rng, 5)}",
            f"CMD{digits(rng, 9)}",
            f"PO {digits(rng, 8)}",
            f"1Z{rand(rng, UPPER + DIGITS, 16)}",
            f"TKT-{digits(rng, 5)}",
        ]
    )


# --------------------------------------------------------------------------------------------
# People, places, phrasing

FIRST_EN = [
    "James",
    "Emily",
    "Michael",
    "Sarah",
    "David",
    "Olivia",
    "Daniel",
    "Hannah",
    "Ryan",
    "Chloe",
    "Ethan",
    "Grace",
    "Liam",
    "Megan",
    "Noah",
    "Ava",
    "Lucas",
    "Zoe",
]
LAST_EN = [
    "Smith",
    "Johnson",
    "Walker",
    "Turner",
    "Hughes",
    "Patel",
    "Clarke",
    "Bennett",
    "Morgan",
    "Reed",
    "Carter",
    "Foster",
    "Khan",
    "Murphy",
    "Price",
    "Ward",
]
FIRST_FR = [
    "Camille",
    "Julien",
    "Léa",
    "Nicolas",
    "Manon",
    "Thomas",
    "Chloé",
    "Antoine",
    "Inès",
    "Mathieu",
    "Sophie",
    "Hugo",
    "Élodie",
    "Louis",
    "Aurélie",
    "Théo",
    "Margaux",
]
LAST_FR = [
    "Martin",
    "Bernard",
    "Dubois",
    "Lefèvre",
    "Moreau",
    "Girard",
    "Roux",
    "Fournier",
    "Morel",
    "Lambert",
    "Bonnet",
    "Mercier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Garnier",
]
COMPANIES = [
    "Acme Logistics",
    "Northwind Traders",
    "Blue Harbor Retail",
    "Helios Énergie",
    "Quantix Labs",
    "Vertex Assurances",
    "Boréal Transports",
    "Lumen Health",
    "Kestrel Software",
    "Atelier Saint-Clair",
    "Orion Fintech",
    "Pixel & Co",
]
DOMAINS = [
    "gmail.com",
    "outlook.com",
    "yahoo.co.uk",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "hotmail.fr",
    "web.de",
    "gmx.de",
    "libero.it",
    "telefonica.es",
    "icloud.com",
    "northwind-traders.com",
    "helios-energie.fr",
    "kestrel.io",
    "lumenhealth.co.uk",
]
CITIES = [
    "Lyon",
    "Paris",
    "Bordeaux",
    "Lille",
    "Nantes",
    "Manchester",
    "Leeds",
    "Boston",
    "Austin",
    "Berlin",
    "Madrid",
    "Milan",
    "Toulouse",
    "Rennes",
    "Bristol",
    "Seattle",
]
HOSTS = [
    "db-prod-01.internal",
    "pg.eu-west-3.rds.amazonaws.com",
    "mysql.staging.local",
    "redis-cache.svc.cluster.local",
    "mongo-0.mongo.default.svc",
    "api.kestrel.io",
]


def person(rng: random.Random, lang: str) -> tuple[str, str]:
    if lang == "fr":
        return rng.choice(FIRST_FR), rng.choice(LAST_FR)
    return rng.choice(FIRST_EN), rng.choice(LAST_EN)


def _ascii(name: str) -> str:
    table = str.maketrans("éèêëàâîïôöûüçÉ", "eeeeaaiioouucE")
    return name.translate(table).lower().replace(" ", "")


def email(rng: random.Random, first: str, last: str) -> str:
    f, la = _ascii(first), _ascii(last)
    local = rng.choice(
        [f"{f}.{la}", f"{f[0]}.{la}", f"{f}{la}{rng.randint(1, 99)}", f"{f}_{la}", f"{la}.{f}"]
    )
    return f"{local}@{rng.choice(DOMAINS)}"


def phone(rng: random.Random, country: str) -> str:
    """A phone number of the country, drawn until the catalogue's phone validator accepts it."""
    check = _validator(f"phone_{'gb' if country == 'UK' else country.lower()}")
    for _ in range(MAX_TRIES):
        number = _phone_shape(rng, country)
        if check is None or check(number):
            return number
    raise RuntimeError(f"phone-{country}: no valid number")


def _phone_shape(rng: random.Random, country: str) -> str:
    def d(n: int) -> str:
        return digits(rng, n)

    if country == "FR":
        first = rng.choice("1234567")
        pairs = [d(2) for _ in range(4)]
        return rng.choice(
            [
                f"0{first} " + " ".join(pairs),
                f"+33 {first} " + " ".join(pairs),
                f"0{first}." + ".".join(pairs),
                f"0{first}" + "".join(pairs),
            ]
        )
    if country == "US":
        area, exchange = f"{rng.randint(2, 9)}{d(2)}", f"{rng.randint(2, 9)}{d(2)}"
        while exchange == "555":
            exchange = f"{rng.randint(2, 9)}{d(2)}"
        line = d(4)
        return rng.choice(
            [
                f"({area}) {exchange}-{line}",
                f"{area}-{exchange}-{line}",
                f"+1 {area} {exchange} {line}",
                f"+1 ({area}) {exchange}-{line}",
            ]
        )
    if country == "UK":
        return rng.choice(
            [
                f"07{rng.randint(400, 999)} {d(6)}",
                f"+44 7{rng.randint(400, 999)} {d(6)}",
                f"020 {rng.randint(3, 8)}{d(3)} {d(4)}",
                f"+44 20 {rng.randint(3, 8)}{d(3)} {d(4)}",
            ]
        )
    if country == "DE":
        return rng.choice(
            [
                f"+49 15{rng.randint(1, 9)} {d(8)}",
                f"015{rng.randint(1, 9)} {d(8)}",
                f"+49 30 {d(8)}",
                f"089 {d(7)}",
                f"+49 (0)40 {d(3)} {d(4)}",
            ]
        )
    if country == "ES":
        return rng.choice(
            [
                f"+34 6{d(2)} {d(3)} {d(3)}",
                f"6{d(2)} {d(2)} {d(2)} {d(2)}",
                f"+34 91 {d(3)} {d(2)} {d(2)}",
            ]
        )
    return rng.choice(
        [f"+39 3{d(2)} {d(3)} {d(4)}", f"3{d(2)} {d(7)}", f"+39 02 {d(4)} {d(4)}", f"06 {d(8)}"]
    )


PHONE_COUNTRIES = ("FR", "US", "UK", "DE", "ES", "IT")

MARKINGS = {
    "en": [
        "CONFIDENTIAL",
        "STRICTLY CONFIDENTIAL",
        "INTERNAL USE ONLY",
        "Confidential - Do Not Distribute",
        "Attorney-Client Privileged",
        "PRIVATE & CONFIDENTIAL",
        "Company Confidential",
        "RESTRICTED - INTERNAL",
    ],
    "fr": [
        "CONFIDENTIEL",
        "STRICTEMENT CONFIDENTIEL",
        "Diffusion restreinte",
        "Usage interne uniquement",
        "Document confidentiel \N{EN DASH} ne pas diffuser",
        "CONFIDENTIEL \N{EN DASH} USAGE INTERNE",
        "Secret des affaires",
    ],
    "de": [
        "VERTRAULICH",
        "STRENG VERTRAULICH",
        "Nur für den internen Gebrauch",
        "Vertraulich \N{EN DASH} nicht zur Weitergabe",
    ],
    "es": [
        "CONFIDENCIAL",
        "ESTRICTAMENTE CONFIDENCIAL",
        "Uso interno exclusivo",
        "Documento confidencial \N{EN DASH} no distribuir",
    ],
}

ICD10 = [
    ("E11.9", "type 2 diabetes"),
    ("F32.1", "moderate depressive episode"),
    ("J45.909", "asthma"),
    ("I10", "essential hypertension"),
    ("M54.5", "low back pain"),
    ("F41.1", "generalised anxiety disorder"),
    ("C50.911", "breast cancer"),
    ("G43.909", "migraine"),
    ("K21.9", "gastro-oesophageal reflux"),
    ("F90.0", "ADHD, inattentive type"),
    ("O24.419", "gestational diabetes"),
]

MEDICATIONS = [
    "metformin 500 mg",
    "sertraline 50 mg",
    "salbutamol inhaler",
    "ramipril 5 mg",
    "ibuprofen 400 mg",
    "levothyroxine 75 µg",
    "omeprazole 20 mg",
]


# --------------------------------------------------------------------------------------------
# Prose that carries nothing sensitive, EN and FR


FILLER = {
    "en": [
        "We moved the service to the new cluster last sprint and most dashboards look fine.",
        "The quarterly review is on {date}; please send your slides before then.",
        "Our team uses Python {version} and Node {version} in production.",
        "Customers mostly complain about the delay between the order and the first e-mail.",
        "The build takes about 12 minutes, mostly spent resolving dependencies.",
        "I read the migration guide but it does not say what happens to existing sessions.",
        "We process roughly 40,000 orders a month, with peaks around Black Friday.",
        "The release notes for {version} mention a breaking change in the config format.",
        "The marketing team wants a shorter tagline, ideally under 60 characters.",
        "Please keep the tone friendly but firm; this is the third reminder.",
        "Request id {uuid} appears in every log line of the failing call.",
        "The image digest is sha256:{sha256}, pushed on {date}.",
        "We pinned the commit {sha1} because the next one broke the tests.",
        "Budget for the pilot is 18,500 EUR, to be validated by finance.",
        "Our password policy requires 12 characters and rotation every 90 days.",
        "The customer asked how to reset their password without calling support.",
        "The meeting room on the third floor is booked every Tuesday at 10:30.",
        "Attached is the summary of last week's incident, ticket {order}.",
        "I need this in plain English for a non-technical audience.",
        "The API returns 429 when we exceed 100 requests per second.",
        "The checksum of the archive is {md5}, which matches the download page.",
        "Latency went from 120 ms to 480 ms after the upgrade to {version}.",
        "Can you also suggest a subject line that does not sound like spam?",
        "Windows build {version} is the only one where the installer hangs.",
        "The office will be closed on {date} for the public holiday.",
        "We store timestamps in UTC and convert them in the browser.",
        "Make it sound less like a template and more like a person wrote it.",
        "The pagination cursor looks like {b64}, which is just base64 JSON.",
    ],
    "fr": [
        "Nous avons migré le service vers le nouveau cluster au dernier sprint.",
        "La revue trimestrielle a lieu le {date} ; merci d'envoyer vos slides avant.",
        "L'équipe utilise Python {version} et Java 17 en production.",
        "Les clients se plaignent surtout du délai entre la commande et le premier e-mail.",
        "Le build prend environ 12 minutes, surtout à cause des dépendances.",
        "J'ai lu le guide de migration mais il ne dit rien sur les sessions existantes.",
        "Nous traitons environ 40 000 commandes par mois, avec un pic en novembre.",
        "Les notes de version de la {version} parlent d'un changement de format.",
        "Le service marketing voudrait un slogan plus court, moins de 60 caractères.",
        "Garde un ton cordial mais ferme, c'est la troisième relance.",
        "L'identifiant de requête {uuid} apparaît dans toutes les lignes de log.",
        "Le digest de l'image est sha256:{sha256}, poussé le {date}.",
        "On a figé le commit {sha1} parce que le suivant cassait les tests.",
        "Le budget du pilote est de 18 500 €, à valider par la direction financière.",
        "Notre politique de mot de passe impose 12 caractères et un renouvellement tous les "
        "90 jours.",
        "Le client demande comment réinitialiser son mot de passe sans appeler le support.",
        "La salle du troisième étage est réservée tous les mardis à 10h30.",
        "Voici le résumé de l'incident de la semaine dernière, ticket {order}.",
        "J'ai besoin d'une version simple pour un public non technique.",
        "L'API renvoie 429 au-delà de 100 requêtes par seconde.",
        "La somme de contrôle de l'archive est {md5}, conforme à la page de téléchargement.",
        "La latence est passée de 120 ms à 480 ms après la mise à jour en {version}.",
        "Propose aussi un objet de mail qui ne ressemble pas à du spam.",
        "Les bureaux seront fermés le {date} pour le jour férié.",
        "On stocke les dates en UTC et on les convertit dans le navigateur.",
        "Fais en sorte que ça sonne moins comme un modèle et plus naturel.",
        "Le curseur de pagination ressemble à {b64}, c'est juste du JSON en base64.",
    ],
}

QUESTIONS = {
    "en": [
        "Can you rewrite this email so it sounds more professional?",
        "Summarise the following in three bullet points.",
        "What is the difference between a process and a thread?",
        "Write a short LinkedIn post announcing our new office in {city}.",
        "Give me five ideas for a team-building day in {city} in spring.",
        "Explain Kafka consumer groups like I'm new to distributed systems.",
        "How do I politely decline a meeting invitation from a senior manager?",
        "Translate this paragraph into French, keeping the technical terms in English.",
        "What are the pros and cons of PostgreSQL versus MySQL for a small SaaS?",
        "Draft an agenda for a one-hour retrospective.",
        "Why would a Docker container exit with code 137?",
        "Suggest a name for an internal tool that tracks customer feedback.",
    ],
    "fr": [
        "Peux-tu reformuler cet e-mail pour qu'il soit plus professionnel ?",
        "Résume le texte suivant en trois points.",
        "Quelle est la différence entre un processus et un thread ?",
        "Écris un court post LinkedIn pour annoncer notre nouveau bureau à {city}.",
        "Donne-moi cinq idées de séminaire d'équipe à {city} au printemps.",
        "Explique-moi les groupes de consommateurs Kafka simplement.",
        "Comment refuser poliment une réunion proposée par un directeur ?",
        "Traduis ce paragraphe en anglais en gardant les termes techniques.",
        "Quels sont les avantages de PostgreSQL par rapport à MySQL pour un petit SaaS ?",
        "Propose un ordre du jour pour une rétrospective d'une heure.",
        "Pourquoi un conteneur Docker s'arrête-t-il avec le code 137 ?",
        "Trouve un nom pour un outil interne de suivi des retours clients.",
    ],
}


# --------------------------------------------------------------------------------------------
# The document being written


class Doc:
    """Text written piece by piece; planted values record their spans as they are written."""

    def __init__(
        self, rng: random.Random, lang: str, sensitive: bool, broken_share: float = 1.0
    ) -> None:
        self.rng = rng
        self.lang = lang
        self.sensitive = sensitive
        # share of the empty number slots of a clean prompt that get a broken-checksum decoy
        self.broken_share = broken_share
        self.parts: list[str] = []
        self.size = 0
        self.labels: list[Span] = []
        self.decoys: list[Span] = []

    # writing
    def add(self, *texts: str) -> Doc:
        for text in texts:
            self.parts.append(text)
            self.size += len(text)
        return self

    def say(self, en: str, fr: str) -> Doc:
        return self.add(fr if self.lang == "fr" else en)

    def value(self, text: str, category: str, kind: str) -> Doc:
        self.labels.append(Span(self.size, self.size + len(text), category, kind))
        return self.add(text)

    def decoy(self, text: str, kind: str) -> Doc:
        self.decoys.append(Span(self.size, self.size + len(text), "", kind))
        return self.add(text)

    @property
    def text(self) -> str:
        return "".join(self.parts)

    # choices
    def tr(self, en: str, fr: str) -> str:
        return fr if self.lang == "fr" else en

    def pick(self, options: Sequence[Any]) -> Any:
        return options[self.rng.randrange(len(options))]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def fr(self) -> bool:
        return self.lang == "fr"

    # prose
    def fill(self, text: str) -> str:
        """The sentence with its {fields} drawn at random: only the fields it names."""
        rng, lang = self.rng, self.lang
        makers: dict[str, Callable[[], str]] = {
            "date": lambda: date(rng, lang),
            "version": lambda: version(rng),
            "uuid": lambda: a_uuid(rng),
            "sha256": lambda: sha(rng),
            "sha1": lambda: sha(rng, "sha1"),
            "md5": lambda: sha(rng, "md5"),
            "order": lambda: order_number(rng),
            "city": lambda: rng.choice(CITIES),
            "b64": lambda: base64.b64encode(
                json.dumps({"page": rng.randint(2, 90), "sort": "date"}).encode()
            ).decode(),
        }
        if "{" not in text:
            return text
        fields = {name for _, name, _, _ in string.Formatter().parse(text) if name}
        return text.format(**{name: makers[name]() for name in sorted(fields)})

    def filler(self, sentences: int = 2) -> Doc:
        chosen = self.rng.sample(FILLER[self.lang], sentences)
        return self.add(" ".join(self.fill(s) for s in chosen))

    def question(self) -> str:
        return self.fill(self.pick(QUESTIONS[self.lang]))

    # planted values: in a clean prompt each slot gets a neutral stand-in instead
    def secret(self, kind: SecretKind | None = None, anchored_only: bool = False) -> SecretKind:
        pool = [s for s in SECRETS if s.anchored or not anchored_only]
        spec = kind or self.pick(pool)
        wrapped = spec.kind == "azure-storage-key"  # the key lives inside a connection string
        if wrapped:
            account = self.pick(["acmeprod", "kestrelbackups", "orionlake"])
            self.add(f"DefaultEndpointsProtocol=https;AccountName={account};AccountKey=")
        if self.sensitive and not self.chance(0.12):
            self.value(spec.make(self.rng), "secret", spec.kind)
        else:
            self.placeholder()
        if wrapped:
            self.add(";EndpointSuffix=core.windows.net")
        return spec

    def placeholder(self) -> None:
        if self.chance(0.25):
            self.decoy(self.pick(DOCUMENTED_EXAMPLES), "documented-example")
        else:
            self.decoy(self.pick(PLACEHOLDERS), "placeholder")

    def checked(self, kind: str, fallback: str = "") -> bool:
        """Write a value of a checked type; a broken-checksum decoy in clean prompts."""
        spec = CHECKED[kind]
        if not spec.available:
            self.add(fallback)
            return False
        if self.sensitive and not self.chance(0.15):
            self.value(spec.valid(self.rng), spec.category, kind)
            return True
        if spec.required and spec.validator is not None and self.chance(self.broken_share):
            self.decoy(spec.broken(self.rng), f"bad-checksum:{kind}")
        else:
            self.add(fallback)
        return False

    def email(self, first: str, last: str) -> None:
        if self.sensitive:
            self.value(email(self.rng, first, last), "pii", "email")
        else:
            self.say("(address on file)", "(adresse au dossier)")

    def phone(self, country: str | None = None) -> None:
        country = country or self.pick(PHONE_COUNTRIES)
        if self.sensitive:
            self.value(phone(self.rng, country), "pii", f"phone-{country.lower()}")
        else:
            self.say("(number on file)", "(numéro au dossier)")

    def marking(self, lang: str | None = None) -> None:
        markings = MARKINGS[lang or self.lang]
        if self.sensitive:
            self.value(self.pick(markings), "confidential", "marking")
        else:
            self.say("Internal newsletter", "Lettre d'information")

    def sha_decoy(self) -> None:
        algorithm = self.pick(["sha1", "sha256", "md5"])
        self.decoy(sha(self.rng, algorithm), algorithm)


# --------------------------------------------------------------------------------------------
# Templates: each writes one prompt into a Doc


def ticket(doc: Doc) -> None:
    first, last = person(doc.rng, doc.lang)
    country = "FR" if doc.fr() else doc.pick(["US", "UK", "UK", "DE", "ES", "IT"])
    order = order_number(doc.rng)
    doc.say(
        "Can you draft a polite reply to this support ticket?\n\n---\n",
        "Peux-tu rédiger une réponse polie à ce ticket client ?\n\n---\n",
    )
    doc.say("Subject: Double charge on my order ", "Objet : Double prélèvement sur ma commande ")
    doc.decoy(order, "order-number")
    doc.say(
        "\n\nHello,\n\nI was charged twice for the same order on ",
        "\n\nBonjour,\n\nJ'ai été débité deux fois pour la même commande le ",
    )
    doc.decoy(date(doc.rng, doc.lang), "date")
    doc.say(". My account e-mail is ", ". L'adresse de mon compte est ")
    doc.email(first, last)
    doc.say(" and you can call me on ", " et vous pouvez me joindre au ")
    doc.phone(country)
    doc.add(". ")
    roll = doc.rng.random()
    if roll < 0.45:
        doc.say("I paid with my Visa card ", "J'ai payé avec ma carte bancaire ")
        if not doc.checked("card"):
            doc.say("ending in 4821", "se terminant par 4821")
        doc.say(
            f", expiry {doc.rng.randint(1, 12):02d}/{doc.rng.randint(26, 31)}.",
            f", expiration {doc.rng.randint(1, 12):02d}/{doc.rng.randint(26, 31)}.",
        )
    elif roll < 0.8:
        doc.say(
            "Please refund the second payment to my IBAN ",
            "Merci de rembourser le second paiement sur mon IBAN ",
        )
        doc.checked("iban", doc.tr("on file", "au dossier"))
        doc.add(".")
    else:
        doc.say(
            "The amount was 149.90 EUR each time.", "Le montant était de 149,90 € à chaque fois."
        )
    doc.add("\n\n")
    doc.filler(doc.rng.randint(1, 2))
    doc.say(f"\n\nThanks,\n{first} {last}\n---", f"\n\nCordialement,\n{first} {last}\n---")


def stack_trace(doc: Doc) -> None:
    rng = doc.rng
    doc.say(
        "Why does this fail? It worked yesterday.\n\n", "Pourquoi ça plante ? Hier ça marchait.\n\n"
    )
    host, user, dbname = doc.pick(HOSTS), doc.pick(["app", "svc_orders", "admin", "etl"]), "orders"
    style = rng.random()
    if style < 0.4:
        doc.add(f"{date(rng)} ERROR [worker-{rng.randint(1, 8)}] request_id={a_uuid(rng)}\n")
        doc.add("Traceback (most recent call last):\n")
        doc.add(
            '  File "/srv/app/orders/sync.py", line 88, in run\n    rows = fetch_pending(conn)\n'
        )
        doc.add(
            '  File "/srv/app/orders/db.py", line 41, in connect\n    return engine.connect()\n'
        )
        doc.add(
            "sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to "
            f"server failed\n[SQL: SELECT 1]\nengine url: postgresql://{user}:"
        )
        if doc.sensitive:
            doc.value(_password(rng, url=True), "secret", "password")
        else:
            doc.decoy("***", "masked-password")
        doc.add(f"@{host}:5432/{dbname}\n")
    elif style < 0.7:
        doc.add(
            f'Exception in thread "main" org.springframework.web.client.HttpClientErrorException$'
            f"Unauthorized: 401\n\tat com.kestrel.billing.StripeClient.charge(StripeClient.java:"
            f"{rng.randint(40, 300)})\n\tat com.kestrel.billing.InvoiceService.pay(InvoiceService."
            f"java:{rng.randint(40, 300)})\n"
        )
        doc.add("DEBUG request headers: Authorization=Bearer ")
        doc.secret(
            SECRET_BY_KIND[
                doc.pick(
                    [
                        "stripe-secret-key",
                        "openai-api-key",
                        "github-pat",
                        "slack-bot-token",
                        "sendgrid-api-key",
                    ]
                )
            ]
        )
        doc.add(f"\nclient version {version(rng)}, trace {rand(rng, HEX, 32)}\n")
    else:
        doc.add(
            f"npm ERR! code E401\nnpm ERR! 401 Unauthorized - GET https://registry.npmjs.org/"
            f"@kestrel%2fui-kit - authentication token not valid\nnpm ERR! A complete log "
            f"of this run can be found in: /root/.npm/_logs/{date(rng)}-debug-0.log\n"
            f"# .npmrc\n//registry.npmjs.org/:_authToken="
        )
        doc.secret(SECRET_BY_KIND["npm-token"])
        doc.add(f"\nnode {version(rng)}, npm {version(rng)}\n")
    doc.add("\n")
    doc.filler(1)


def env_file(doc: Doc) -> None:
    rng = doc.rng
    doc.say(
        "Here is my .env, docker compose doesn't seem to load it. What's wrong?\n\n```\n",
        "Voici mon .env, docker compose ne le charge pas. Qu'est-ce qui cloche ?\n\n```\n",
    )
    neutral = [
        "NODE_ENV=production",
        f"PORT={rng.choice([3000, 8000, 8080])}",
        "LOG_LEVEL=info",
        f"APP_VERSION={version(rng)}",
        f"REDIS_URL=redis://{HOSTS[3]}:6379/0",
        f"BUILD_SHA={sha(rng, 'sha1')}",
        f"TENANT_ID={a_uuid(rng)}",
        "FEATURE_NEW_CHECKOUT=true",
        f"RELEASE_DATE={date(rng)}",
    ]
    lines: list[Callable[[], object]] = [
        functools.partial(doc.add, n) for n in rng.sample(neutral, rng.randint(3, 5))
    ]
    for spec in rng.sample(SECRETS, rng.randint(1, 4)):

        def secret_line(spec: SecretKind = spec) -> None:
            if "private-key" in spec.kind:
                doc.add(f'{spec.env}="')
                doc.secret(spec)
                doc.add('"')
            else:
                doc.add(f"{spec.env}=")
                doc.secret(spec)

        lines.append(secret_line)
    db_user = doc.pick(["app", "orders", "postgres"])

    def db_line() -> None:
        doc.add(f"DATABASE_URL=postgres://{db_user}:")
        if doc.sensitive:
            doc.value(_password(rng, url=True), "secret", "password")
        else:
            doc.decoy("${DB_PASSWORD}", "placeholder")
        doc.add(f"@{doc.pick(HOSTS)}:5432/app")

    if doc.chance(0.5):
        lines.append(db_line)
    rng.shuffle(lines)
    for write in lines:
        write()
        doc.add("\n")
    doc.add("```\n")


def yaml_config(doc: Doc) -> None:
    rng = doc.rng
    doc.say(
        "This Kubernetes manifest fails validation, can you fix the indentation?\n\n",
        "Ce manifeste Kubernetes ne passe pas la validation, tu peux corriger l'indentation ?\n\n",
    )
    name = doc.pick(["billing-api", "orders-worker", "notifier", "search"])
    doc.add(
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}-secrets\n  namespace: prod\n"
        f"  annotations:\n    checksum/config: {sha(rng)}\ntype: Opaque\nstringData:\n"
    )
    for spec in rng.sample([s for s in SECRETS if "private-key" not in s.kind], rng.randint(1, 3)):
        doc.add(f"  {spec.env.lower()}: ")
        doc.secret(spec)
        doc.add("\n")
    doc.add("  db_password: ")
    if doc.sensitive:
        doc.value(_password(rng), "secret", "password")
    else:
        doc.decoy("changeme", "placeholder")
    doc.add(
        f"\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n"
        f"  replicas: {rng.randint(2, 6)}\n  template:\n    spec:\n      containers:\n"
        f"        - name: {name}\n          image: ghcr.io/kestrel/{name}@sha256:"
    )
    doc.decoy(sha(rng), "sha256")
    doc.add(
        "\n          env:\n            - name: APP_VERSION\n"
        f'              value: "{version(rng)}"\n'
    )


def json_config(doc: Doc) -> None:
    rng = doc.rng
    doc.say(
        "Convert this JSON config to YAML please:\n\n",
        "Convertis cette config JSON en YAML stp :\n\n",
    )
    if doc.chance(0.35):
        project = doc.pick(["kestrel-data", "orion-ml-prod", "helios-analytics"])
        # A key file: the private key is the secret; its key id is reported by the catalogue as
        # the mark of a key file, so it is labelled a secret too when the key is present.
        doc.add('{\n  "type": "service_account",\n  "project_id": "' + project + '",\n')
        doc.add('  "private_key_id": "')
        if doc.sensitive:
            doc.value(rand(rng, HEX, 40), "secret", "gcp-private-key-id")
            doc.add('",\n  "private_key": "')
            pem = _pem("PRIVATE KEY")(rng)
            doc.value(pem.replace("\n", "\\n"), "secret", "gcp-service-account-key")
            doc.add('\\n",\n  "client_email": "')
            doc.value(f"etl@{project}.iam.gserviceaccount.com", "pii", "email-service-account")
        else:
            doc.decoy("<key id>", "placeholder")
            doc.add('",\n  "private_key": "')
            doc.decoy("<paste the key here>", "placeholder")
            doc.add('\\n",\n  "client_email": "')
            doc.add("<service account e-mail>")
        doc.add(
            f'",\n  "client_id": "{digits(rng, 21)}",\n  "token_uri": '
            '"https://oauth2.googleapis.com/token"\n}\n'
        )
        return
    doc.add(
        '{\n  "Logging": { "LogLevel": { "Default": "Information" } },\n'
        f'  "AppVersion": "{version(rng)}",\n  "InstanceId": "{a_uuid(rng)}",\n'
    )
    for spec in rng.sample([s for s in SECRETS if "private-key" not in s.kind], rng.randint(1, 3)):
        camel = "".join(w.capitalize() for w in spec.env.lower().split("_"))
        doc.add(f'  "{camel}": "')
        doc.secret(spec)
        doc.add('",\n')
    doc.add(f'  "BuildDate": "{date(rng)}",\n  "Commit": "')
    doc.decoy(sha(rng, "sha1"), "git-sha")
    doc.add('"\n}\n')


def customer_email(doc: Doc) -> None:
    rng = doc.rng
    first, last = person(rng, doc.lang)
    agent_first, agent_last = person(rng, doc.lang)
    company = doc.pick(COMPANIES)
    doc.add(
        doc.question()
        if doc.chance(0.2)
        else doc.pick(
            [
                "Rewrite this email to a customer, warmer and shorter:",
                "Fix the grammar in this email before I send it:",
            ]
            if not doc.fr()
            else [
                "Réécris cet e-mail client, plus chaleureux et plus court :",
                "Corrige les fautes de cet e-mail avant que je l'envoie :",
            ]
        )
    )
    doc.say(
        f"\n\nDear {first} {last},\n\nThank you for your message of ",
        f"\n\nBonjour {first} {last},\n\nMerci pour votre message du ",
    )
    doc.decoy(date(rng, doc.lang), "date")
    doc.say(
        ". We have updated your contact details: e-mail ",
        ". Nous avons mis à jour vos coordonnées : e-mail ",
    )
    doc.email(first, last)
    doc.say(", phone ", ", téléphone ")
    doc.phone("FR" if doc.fr() else doc.pick(PHONE_COUNTRIES))
    doc.say(". Your invoice ", ". Votre facture ")
    doc.decoy(order_number(rng), "order-number")
    doc.say(
        " of 1,240.00 EUR will be debited from account ",
        " de 1 240,00 € sera prélevée sur le compte ",
    )
    doc.checked("iban", doc.tr("ending 0193", "se terminant par 0193"))
    doc.say(" within five working days.\n\n", " sous cinq jours ouvrés.\n\n")
    doc.filler(1)
    doc.say(
        f"\n\nBest regards,\n{agent_first} {agent_last}\n{company}",
        f"\n\nBien cordialement,\n{agent_first} {agent_last}\n{company}",
    )


_NATIONAL_IDS = {
    "fr": [("fr-nir", "numéro de sécurité sociale")],
    "us": [("us-ssn", "SSN"), ("us-itin", "ITIN")],
    "uk": [("uk-nino", "National Insurance number")],
    "de": [("de-steuer-id", "Steuer-ID")],
    "es": [("es-dni", "DNI"), ("es-nie", "NIE")],
    "it": [("it-codice-fiscale", "codice fiscale")],
    "nl": [("nl-bsn", "BSN")],
    "ca": [("ca-sin", "SIN")],
    "in": [("in-aadhaar", "Aadhaar number"), ("in-pan", "PAN")],
    "be": [("be-national-number", "numéro de registre national")],
    "br": [("br-cpf", "CPF")],
}


def hr_note(doc: Doc) -> None:
    rng = doc.rng
    first, last = person(rng, doc.lang)
    country = "fr" if doc.fr() else doc.pick([c for c in _NATIONAL_IDS if c != "fr"])
    kind, name = doc.pick(_NATIONAL_IDS[country])
    doc.say(
        "Summarise these HR notes for the manager, without the personal details:\n\n",
        "Résume ces notes RH pour le manager, sans les données personnelles :\n\n",
    )
    doc.marking()
    doc.say(
        f"\nEmployee: {first} {last} (employee no. E{digits(rng, 5)}), hired ",
        f"\nSalarié : {first} {last} (matricule E{digits(rng, 5)}), embauché le ",
    )
    doc.decoy(date(rng, doc.lang), "date")
    doc.say(f"\n{name}: ", f"\n{name} : ")
    doc.checked(kind, "on file" if not doc.fr() else "au dossier")
    doc.say(
        "\nSalary: 52,000 / year, review in Q3.\n",
        "\nSalaire : 52 000 € brut annuel, revue au T3.\n",
    )
    if doc.chance(0.5):
        code, label = doc.pick(ICD10)
        doc.say("Sick leave: 3 weeks, diagnosis ", "Arrêt maladie : 3 semaines, diagnostic ")
        if doc.sensitive:
            doc.value(code, "health", "icd10")
        else:
            doc.say("not disclosed", "non communiqué")
        doc.say(
            f" ({label}); return-to-work interview planned.\n",
            f" ({label}) ; entretien de reprise prévu.\n",
        )
    doc.say("Personal phone: ", "Téléphone perso : ")
    doc.phone({"fr": "FR", "uk": "UK", "de": "DE", "es": "ES", "it": "IT"}.get(country, "US"))
    doc.add("\n")
    doc.filler(1)


def csv_list(doc: Doc) -> None:
    rng = doc.rng
    column = doc.pick(["card", "iban", "id", "none"])
    doc.say(
        "Remove the duplicates from this CSV and sort it by city:\n\n",
        "Supprime les doublons de ce CSV et trie-le par ville :\n\n",
    )
    header = (
        "name,email,phone,city"
        + {"card": ",card_number", "iban": ",iban", "id": ",national_id", "none": ",last_order"}[
            column
        ]
    )
    doc.add(header + "\n")
    for _ in range(rng.randint(3, 7)):
        lang = doc.pick(["en", "fr"])
        first, last = person(rng, lang)
        doc.add(f"{first} {last},")
        doc.email(first, last)
        doc.add(",")
        doc.phone("FR" if lang == "fr" else doc.pick(PHONE_COUNTRIES))
        doc.add(f",{doc.pick(CITIES)},")
        if column == "card":
            doc.checked("card", "n/a")
        elif column == "iban":
            doc.checked("iban", "n/a")
        elif column == "id":
            doc.checked("fr-nir" if lang == "fr" else "us-ssn", "n/a")
        else:
            doc.decoy(order_number(rng), "order-number")
        doc.add("\n")


_CODE: list[Callable[[Doc], None]] = []


def _code(fn: Callable[[Doc], None]) -> Callable[[Doc], None]:
    _CODE.append(fn)
    return fn


@_code
def _python(doc: Doc) -> None:
    fn = doc.pick(["sync_invoices", "load_customers", "push_metrics", "refresh_cache"])
    doc.add('import os\nimport requests\n\nAPI_URL = "https://api.kestrel.io/v2"\nAPI_KEY = "')
    doc.secret(anchored_only=True)
    doc.add(
        f'"\n\n\ndef {fn}(session, since):\n    """Fetch the records changed since a date."""\n'
        f'    headers = {{"Authorization": f"Bearer {{API_KEY}}"}}\n'
        f'    response = session.get(f"{{API_URL}}/items", params={{"since": since}}, '
        f"headers=headers, timeout=10)\n    response.raise_for_status()\n"
        f'    for item in response.json()["items"]:\n        if item.get("deleted"):\n'
        f"            continue\n        yield item\n"
    )


@_code
def _javascript(doc: Doc) -> None:
    doc.add("const express = require('express');\nconst stripe = require('stripe')('")
    doc.secret(SECRET_BY_KIND["stripe-secret-key"])
    doc.add(
        "');\n\nconst app = express();\napp.use(express.json());\n\n"
        "app.post('/checkout', async (req, res) => {\n  const { amount, currency } = req.body;\n"
        "  const intent = await stripe.paymentIntents.create({ amount, currency });\n"
        "  res.json({ clientSecret: intent.client_secret });\n});\n\napp.listen(3000);\n"
    )


@_code
def _java(doc: Doc) -> None:
    cls = doc.pick(["InvoiceService", "CustomerRepository", "ReportJob"])
    doc.add(
        f"package com.kestrel.billing;\n\nimport java.util.List;\nimport java.time.Instant;\n\n"
        f"public class {cls} {{\n    private final Repository repository;\n\n"
        f"    public {cls}(Repository repository) {{\n"
        "        this.repository = repository;\n    }\n\n"
        f"    public List<Invoice> overdue(Instant now) {{\n"
        f"        return repository.findAll().stream()\n"
        f"            .filter(i -> i.dueDate().isBefore(now))\n            .toList();\n    }}\n}}\n"
    )


@_code
def _go(doc: Doc) -> None:
    doc.add(
        'package main\n\nimport (\n\t"fmt"\n\t"net/http"\n\t"os"\n)\n\n'
        "func handler(w http.ResponseWriter, r *http.Request) {\n"
        '\ttoken := os.Getenv("GITHUB_TOKEN")\n\tif token == "" {\n'
        '\t\thttp.Error(w, "missing token", http.StatusUnauthorized)\n\t\treturn\n\t}\n'
        '\tfmt.Fprintf(w, "ok %s", r.URL.Path)\n}\n\nfunc main() {\n'
        '\thttp.HandleFunc("/", handler)\n\thttp.ListenAndServe(":8080", nil)\n}\n'
    )


@_code
def _sql(doc: Doc) -> None:
    doc.add(
        "SELECT c.id, c.email, SUM(o.total) AS revenue\nFROM customers c\n"
        "JOIN orders o ON o.customer_id = c.id\nWHERE o.created_at >= '2024-01-01'\n"
        "  AND o.status = 'paid'\nGROUP BY c.id, c.email\nHAVING SUM(o.total) > 1000\n"
        "ORDER BY revenue DESC\nLIMIT 50;\n"
    )


@_code
def _csharp(doc: Doc) -> None:
    doc.add(
        "using System;\nusing System.Net.Http;\n\nnamespace Kestrel.Reports\n{\n"
        "    public static class ReportClient\n    {\n"
        "        private static readonly HttpClient Client = new HttpClient();\n\n"
        "        public static async Task<string> FetchAsync(string id)\n        {\n"
        '            var response = await Client.GetAsync($"https://reports.kestrel.io/{id}");\n'
        "            response.EnsureSuccessStatusCode();\n"
        "            return await response.Content.ReadAsStringAsync();\n        }\n    }\n}\n"
    )


@_code
def _rust(doc: Doc) -> None:
    doc.add(
        "use std::collections::HashMap;\n\npub struct Cache {\n"
        "    entries: HashMap<String, u64>,\n}\n\n"
        "impl Cache {\n    pub fn new() -> Self {\n"
        "        Self { entries: HashMap::new() }\n    }\n\n"
        "    pub fn hit(&mut self, key: &str) -> u64 {\n"
        "        let count = self.entries.entry(key.to_string()).or_insert(0);\n"
        "        *count += 1;\n        *count\n    }\n}\n"
    )


def code_snippet(doc: Doc) -> None:
    if not doc.sensitive:  # code is itself a labelled category; clean prompts describe it
        doc.say(
            "In Python, what is the idiomatic way to read a large CSV file in chunks? "
            "I import data from Excel every Monday and the function I wrote is slow.",
            "En Python, quelle est la façon idiomatique de lire un gros CSV par morceaux ? "
            "J'importe des données d'Excel chaque lundi et ma fonction est lente.",
        )
        doc.add("\n\n")
        doc.filler(2)
        return
    doc.say(
        doc.pick(
            [
                "Explain what this code does:",
                "Can you review this and suggest improvements?",
                "Add type hints and tests for this:",
            ]
        ),
        doc.pick(
            [
                "Explique-moi ce code :",
                "Tu peux relire ce code et proposer des améliorations ?",
                "Ajoute des tests pour ce code :",
            ]
        ),
    )
    doc.add("\n\n```\n")
    start, labels_before = doc.size, len(doc.labels)
    doc.pick(_CODE)(doc)
    end = doc.size - 1  # the final newline is not code
    doc.labels.insert(labels_before, Span(start, end, "code", "source-code"))
    doc.add("```\n")


def contract(doc: Doc) -> None:
    rng = doc.rng
    supplier, client = rng.sample(COMPANIES, 2)
    doc.say(
        "Translate this contract clause into English and flag anything unusual:\n\n"
        if doc.chance(0.5)
        else "Summarise this clause in plain English:\n\n",
        "Traduis cette clause en anglais et signale ce qui est inhabituel :\n\n"
        if doc.chance(0.5)
        else "Résume cette clause simplement :\n\n",
    )
    doc.marking(
        doc.pick(["fr", "fr", "de", "es"]) if doc.fr() else doc.pick(["en", "en", "de", "es"])
    )
    doc.say(
        f"\n\nArticle 7 \N{EN DASH} Payment terms\nBetween {supplier}, registered under SIREN ",
        f"\n\nArticle 7 \N{EN DASH} Conditions de paiement\nEntre {supplier}, "
        "immatriculée sous le SIREN ",
    )
    doc.checked("fr-siren", doc.tr("(pending)", "(en cours)"))
    doc.say(" (SIRET ", " (SIRET ")
    doc.checked("fr-siret", doc.tr("pending", "en cours"))
    doc.say(
        f"), and {client}, the Client shall pay each invoice within 30 days of ",
        f"), et {client}, le Client règle chaque facture sous 30 jours à compter du ",
    )
    doc.decoy(date(rng, doc.lang), "date")
    doc.say(" by transfer to IBAN ", " par virement sur l'IBAN ")
    doc.checked("iban", doc.tr("stated in the annex", "indiqué en annexe"))
    doc.say(
        ". Late payments bear interest at three times the legal rate. The annual fee of "
        "EUR 84,000 is revised on 1 January each year.\n",
        ". Tout retard porte intérêt à trois fois le taux légal. La redevance annuelle de "
        "84 000 € est révisée au 1er janvier.\n",
    )


def medical_note(doc: Doc) -> None:
    rng = doc.rng
    first, last = person(rng, "en")
    code, label = doc.pick(ICD10)
    uk = doc.chance(0.5)
    doc.say(
        "Summarise this discharge letter for the patient in simple words:\n\n",
        "Résume cette lettre de sortie pour le patient, avec des mots simples :\n\n",
    )
    doc.add(f"Patient: {first} {last}\n")
    if uk:
        doc.add("NHS number: ")
        doc.checked("uk-nhs", "to be confirmed")
    else:
        doc.add("Medicare MBI: ")
        doc.checked("us-mbi", "to be confirmed")
    doc.add("\nAttending physician NPI: ")
    doc.checked("us-npi", "n/a")
    doc.add(f"\nAdmitted: {date(rng)}   Discharged: {date(rng)}\nPrimary diagnosis: ")
    if doc.sensitive:
        doc.value(code, "health", "icd10")
    else:
        doc.add("see letter")
    doc.add(
        f" \N{EN DASH} {label}\nMedication on discharge: {doc.pick(MEDICATIONS)} once daily, "
        f"{doc.pick(MEDICATIONS)} as needed.\nFollow-up with GP in 2 weeks. Prescriber DEA: "
    )
    doc.checked("us-dea", "n/a")
    doc.add("\n")


def devops_log(doc: Doc) -> None:
    rng = doc.rng
    doc.say(
        "Our CI job fails at the deploy step, here is the log:\n\n",
        "Le job CI échoue à l'étape de déploiement, voici le log :\n\n",
    )
    for _ in range(rng.randint(2, 4)):
        doc.add("commit ")
        doc.decoy(sha(rng, "sha1"), "git-sha")
        doc.add(f"\nAuthor: ci-bot\nDate:   {date(rng)}\n\n    bump to {version(rng)}\n\n")
    doc.add("Step 4/9 : FROM python:3.11-slim@sha256:")
    doc.decoy(sha(rng), "sha256")
    doc.add(f"\n ---> {rand(rng, HEX, 12)}\nRun ID {a_uuid(rng)}\n")
    doc.add('+ curl -sf -H "Authorization: token ')
    doc.secret(
        SECRET_BY_KIND[doc.pick(["github-pat", "github-app", "gitlab-pat", "github-fine-grained"])]
    )
    doc.add('" https://api.github.com/repos/kestrel/deploy/dispatches\n')
    doc.add("+ docker login -u ci -p ")
    doc.secret(SECRET_BY_KIND["dockerhub-pat"])
    doc.add(f" registry-1.docker.io\nerror: exit status 22 after {rng.randint(2, 90)}s\n")


def payment_details(doc: Doc) -> None:
    rng = doc.rng
    supplier = doc.pick(COMPANIES)
    doc.say(
        f"Write a short email to {supplier} confirming we will pay invoice ",
        f"Écris un court mail à {supplier} pour confirmer le paiement de la facture ",
    )
    doc.decoy(order_number(rng), "order-number")
    doc.say(" tomorrow to these details:\n", " demain sur ces coordonnées :\n")
    doc.add("IBAN: ")
    doc.checked("iban", doc.tr("as agreed", "comme convenu"))
    doc.add(f"\nBIC: {rand(rng, UPPER, 4)}FRPP{rand(rng, UPPER, 3)}\n")
    if doc.chance(0.5):
        doc.say("ABA routing number: ", "Code ABA (banque US) : ")
        doc.checked("us-aba-routing", "n/a")
        doc.add("\n")
    doc.say("Or in crypto if they prefer: BTC ", "Ou en crypto s'ils préfèrent : BTC ")
    doc.checked("btc-address", doc.tr("address to be sent", "adresse à venir"))
    doc.say(", ETH ", ", ETH ")
    doc.checked("eth-address", doc.tr("address to be sent", "adresse à venir"))
    doc.add("\n\n")
    doc.filler(1)


def personal_chat(doc: Doc) -> None:
    rng = doc.rng
    first, last = person(rng, doc.lang)
    doc.say(
        "Help me fill in this form. My details: ", "Aide-moi à remplir ce formulaire. Mes infos : "
    )
    doc.add(f"{first} {last}, ")
    doc.email(first, last)
    doc.add(", ")
    doc.phone("FR" if doc.fr() else doc.pick(PHONE_COUNTRIES))
    country = "fr" if doc.fr() else doc.pick(list(_NATIONAL_IDS))
    kind, name = doc.pick(_NATIONAL_IDS[country])
    doc.say(f", my {name} is ", f", mon {name} est ")
    doc.checked(kind, doc.tr("on the card", "sur la carte"))
    doc.say(" and my card is ", " et ma carte est ")
    doc.checked("card", doc.tr("the usual one", "la même que d'habitude"))
    doc.add(".\n\n")
    doc.filler(1)


def secret_chat(doc: Doc) -> None:
    spec = doc.pick([s for s in SECRETS if s.anchored and "private-key" not in s.kind])
    doc.say(
        f"I'm getting 401 from the {spec.provider} API with this key: ",
        f"J'ai une erreur 401 sur l'API {spec.provider} avec cette clé : ",
    )
    doc.secret(spec)
    doc.say(
        ". Is it expired or do I need another scope? ",
        ". Elle est expirée ou il me faut un autre scope ? ",
    )
    doc.filler(1)
    if doc.chance(0.4):
        doc.say("\n\nAlso my ssh key in case it matters:\n", "\n\nEt ma clé ssh au cas où :\n")
        doc.secret(
            SECRET_BY_KIND[doc.pick(["rsa-private-key", "openssh-private-key", "ec-private-key"])]
        )
        doc.add("\n")


def meeting_notes(doc: Doc) -> None:
    rng = doc.rng
    doc.say(
        "Turn these meeting notes into a status update:\n\n",
        "Transforme ces notes de réunion en point d'avancement :\n\n",
    )
    doc.marking(doc.pick(["en", "de", "es"]) if not doc.fr() else doc.pick(["fr", "fr", "de"]))
    doc.say(
        f"\nProject Falcon \N{EN DASH} weekly sync \N{EN DASH} {date(rng)}\n"
        f"- Migration to {version(rng)} done\n"
        f"- Incident {order_number(rng)} closed, root cause in the retry logic\n"
        "- Pricing for the Q3 launch still under discussion, do not share outside the team\n",
        f"\nProjet Falcon \N{EN DASH} point hebdo \N{EN DASH} {date(rng, 'fr')}\n"
        f"- Migration en {version(rng)} "
        f"terminée\n- Incident {order_number(rng)} clos, cause dans la logique de retry\n"
        "- Tarifs du lancement T3 en discussion, ne pas diffuser hors de l'équipe\n",
    )
    doc.filler(2)


def plain_question(doc: Doc) -> None:
    """A prompt with nothing sensitive in it whatever the mode (most real prompts)."""
    doc.add(doc.question(), "\n\n")
    doc.filler(doc.rng.randint(2, 4))
    if doc.chance(0.3):
        doc.say(
            " I keep forgetting my password for the staging site, is a password manager worth it?",
            " J'oublie tout le temps mon mot de passe du site de recette, un "
            "gestionnaire de mots de passe vaut le coup ?",
        )
    if doc.chance(0.2):
        doc.say(
            " Could you explain what 'confidential information' usually covers in an NDA?",
            " Tu peux m'expliquer ce que couvre en général une « information confidentielle » "
            "dans un NDA ?",
        )


TEMPLATES: dict[str, Callable[[Doc], None]] = {
    "ticket": ticket,
    "stack_trace": stack_trace,
    "env_file": env_file,
    "yaml_config": yaml_config,
    "json_config": json_config,
    "customer_email": customer_email,
    "hr_note": hr_note,
    "csv_list": csv_list,
    "code_snippet": code_snippet,
    "contract": contract,
    "medical_note": medical_note,
    "devops_log": devops_log,
    "payment_details": payment_details,
    "personal_chat": personal_chat,
    "secret_chat": secret_chat,
    "meeting_notes": meeting_notes,
    "plain_question": plain_question,
}
# Clean prompts are mostly plain questions and prose, like real traffic.
CLEAN_WEIGHTS = {name: 1.0 for name in TEMPLATES} | {"plain_question": 10.0}


# --------------------------------------------------------------------------------------------
# Corpora


def prompt(
    rng: random.Random,
    number: int,
    sensitive: bool,
    template: str | None = None,
    target: int = 0,
    broken_share: float = 1.0,
) -> Prompt:
    """One prompt; padded with prose to about `target` characters when target > 0."""
    lang = "fr" if rng.random() < 0.45 else "en"
    doc = Doc(rng, lang, sensitive, broken_share)
    if template is None:
        names = list(TEMPLATES)
        if sensitive:
            template = rng.choice([n for n in names if n != "plain_question"])
        else:
            template = rng.choices(names, [CLEAN_WEIGHTS[n] for n in names])[0]
    TEMPLATES[template](doc)
    if target:
        pool = FILLER[lang]
        if doc.size < target:
            doc.add("\n\n")
        order: list[str] = []
        while doc.size < target:
            if not order:  # every sentence once before any repeats
                order = rng.sample(pool, len(pool))
            doc.add(doc.fill(order.pop()), " ")
    return Prompt(f"{template}-{number:06d}", doc.text, doc.labels, doc.decoys)


def labelled_corpus(
    seed: int = 7, count: int = 2000, sensitive_share: float = LABELLED_SENSITIVE_SHARE
) -> list[Prompt]:
    """Prompts of every template, `sensitive_share` of them written with sensitive values."""
    rng = random.Random(seed)
    return [prompt(rng, i, rng.random() < sensitive_share) for i in range(count)]


def throughput_corpus(
    seed: int = 7,
    megabytes: float = 20.0,
    prompt_bytes: int = PROMPT_BYTES,
    sensitive_share: float = THROUGHPUT_SENSITIVE_SHARE,
) -> list[Prompt]:
    """About `megabytes` MB (10**6 bytes of UTF-8) of ~prompt_bytes prompts.

    Real clean traffic rarely holds a number with a broken checksum, so only 10% of the empty
    number slots of clean prompts get one (the labelled corpus puts one in every slot).
    """
    rng = random.Random(seed)
    out: list[Prompt] = []
    total = 0
    while total < megabytes * 1e6:
        target = int(prompt_bytes * rng.uniform(0.7, 1.2))
        sensitive = rng.random() < sensitive_share
        item = prompt(rng, len(out), sensitive, target=target, broken_share=0.1)
        out.append(item)
        total += len(item.text.encode("utf-8"))
    return out


def iter_jsonl(prompts: Sequence[Prompt], labelled: bool) -> Iterator[str]:
    for item in prompts:
        yield json.dumps(item.labelled() if labelled else item.plain(), ensure_ascii=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.corpus",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seed", type=int, default=7)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--count", type=int, help="labelled corpus of N prompts (default 2000)")
    size.add_argument(
        "--megabytes", type=float, help='throughput corpus: {"id","text"} lines of ~1 KiB prompts'
    )
    parser.add_argument("--prompt-bytes", type=int, default=PROMPT_BYTES)
    parser.add_argument("--plain", action="store_true", help='write {"id","text"} lines only')
    parser.add_argument("--out", type=Path, help="default: standard output")
    args = parser.parse_args(argv)
    if args.megabytes is not None:
        prompts = throughput_corpus(args.seed, args.megabytes, args.prompt_bytes)
        labelled = False
    else:
        prompts = labelled_corpus(args.seed, args.count or 2000)
        labelled = not args.plain
    skipped = skipped_kinds()
    if skipped:
        print(f"skipped (no validator in the registry yet): {', '.join(skipped)}", file=sys.stderr)
    out = args.out.open("w", encoding="utf-8") if args.out else sys.stdout
    try:
        for line in iter_jsonl(prompts, labelled):
            out.write(line + "\n")
    finally:
        if args.out:
            out.close()
    carrying = sum(1 for p in prompts if p.labels)
    size_mb = sum(len(p.text.encode()) for p in prompts) / 1e6
    print(
        f"{len(prompts)} prompts, {size_mb:.2f} MB, {carrying} with sensitive values "
        f"({carrying / len(prompts):.0%})",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
