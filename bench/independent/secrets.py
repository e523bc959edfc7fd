"""An independent corpus of credentials in prompts: planted values and hard negatives.

Every value is built here from the provider's published format (prefix, length, alphabet,
checksum; GitHub's and npm's CRC-32 computed with zlib), never from Airlock's patterns,
validators or allow list: the generation code imports nothing from `detectors` (only the
Prompt and Span records of bench.corpus). Values sit in what people paste into an assistant,
in English and French: code, configuration, logs, shell history, `.env` files, Kubernetes
manifests, HTTP requests. Hard negatives are planted beside them and labelled as nothing:
commit SHAs, SHA-256 digests, UUIDs, base64 images, npm integrity strings, placeholders,
documented example keys, URLs, routes, CSS selectors, ARNs and empty assignments.

Span.category is the category a finding must have (`secret`, or `credential_hash` for password
hashes); Span.kind is the family: cloud, ai, source, saas, commandline, kubernetes, pem, hash,
generic. Decoys have category "".

    python -m bench.independent.secrets --seed 7 --count 1200   # recall/precision per family
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import random
import string
import uuid
import zlib
from collections import defaultdict
from collections.abc import Callable

from bench.records import Prompt, Span

DIGITS = string.digits
LOWER = string.ascii_lowercase
UPPER = string.ascii_uppercase
HEX = "0123456789abcdef"
ALNUM = string.ascii_letters + DIGITS
BASE62 = DIGITS + UPPER + LOWER
URLSAFE = ALNUM + "-_"
B64 = ALNUM + "+/"
CRYPT64 = "./" + ALNUM
BASE32 = UPPER + "234567"
PASSWORD = ALNUM + "#%+=_.-!"

FAMILIES = ("cloud", "ai", "source", "saas", "commandline", "kubernetes", "pem", "hash", "generic")


class Writer:
    """Text written piece by piece, with the spans of planted values and decoys."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.labels: list[Span] = []
        self.decoys: list[Span] = []

    def __call__(self, text: str) -> Writer:
        self.parts.append(text)
        self.length += len(text)
        return self

    def value(self, text: str, kind: str, category: str = "secret") -> Writer:
        self.labels.append(Span(self.length, self.length + len(text), category, kind))
        return self(text)

    def decoy(self, text: str, kind: str) -> Writer:
        self.decoys.append(Span(self.length, self.length + len(text), "", kind))
        return self(text)

    def prompt(self, prompt_id: str) -> Prompt:
        return Prompt(prompt_id, "".join(self.parts), self.labels, self.decoys)


class Values:
    """Random values in published formats, drawn from one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def chars(self, alphabet: str, length: int) -> str:
        while True:
            value = "".join(self.rng.choice(alphabet) for _ in range(length))
            # A typed placeholder looks like this; a random draw that does is drawn again.
            if not any(w in value.lower() for w in ("xxxx", "example", "test", "dummy", "fake")):
                return value

    def password(self) -> str:
        return self.chars(ALNUM, 1) + self.chars(PASSWORD, self.rng.randint(11, 17)) + "7"

    def crc32_token(self, prefix: str) -> str:
        """GitHub's classic token (and npm's): 30 random base62 characters, then their CRC-32
        (zlib) in base62, left-padded to 6 characters."""
        body = self.chars(BASE62, 30)
        crc = zlib.crc32(body.encode())
        encoded = ""
        while crc:
            crc, digit = divmod(crc, 62)
            encoded = BASE62[digit] + encoded
        return f"{prefix}_{body}{encoded.rjust(6, '0')}"

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def pem_body(self, lines: int) -> str:
        return "\n".join(self.chars(B64, 64) for _ in range(lines)) + "\n" + self.chars(B64, 40)

    def pem(self, label: str = "RSA PRIVATE KEY", lines: int = 10) -> str:
        return f"-----BEGIN {label}-----\n{self.pem_body(lines)}==\n-----END {label}-----"


# --------------------------------------------------------------------------------------------
# Formats: name -> (family, category, value maker, line template). The template holds {v}.

Maker = Callable[[Values], str]


def _formats() -> dict[str, tuple[str, str, Maker, list[str]]]:
    env = ["export {name}={v}", "{name}={v}", '{name}: "{v}"', "{name} = '{v}'"]
    formats: dict[str, tuple[str, str, Maker, list[str]]] = {
        # cloud
        "aws-access-key": (
            "cloud",
            "secret",
            lambda g: "AKIA" + g.chars(BASE32, 16),
            ["aws_access_key_id = {v}", "export AWS_ACCESS_KEY_ID={v}"],
        ),
        "aws-secret": (
            "cloud",
            "secret",
            lambda g: g.chars(B64, 40),
            ["aws_secret_access_key = {v}", "AWS_SECRET_ACCESS_KEY={v}"],
        ),
        "gcp-api-key": (
            "cloud",
            "secret",
            lambda g: "AIza" + g.chars(URLSAFE, 35),
            ["GOOGLE_MAPS_SERVER_KEY={v}", "const key = '{v}'; // clé Google Cloud"],
        ),
        "azure-storage-key": (
            "cloud",
            "secret",
            lambda g: g.chars(B64, 86) + "==",
            [
                "DefaultEndpointsProtocol=https;AccountName=acmeprod;AccountKey={v};EndpointSuffix=core.windows.net"
            ],
        ),
        "digitalocean-pat": (
            "cloud",
            "secret",
            lambda g: "dop_v1_" + g.chars(HEX, 64),
            ["DIGITALOCEAN_TOKEN={v}", "doctl auth init -t {v}"],
        ),
        # AI
        "openai-project": (
            "ai",
            "secret",
            lambda g: "sk-proj-" + g.chars(URLSAFE, 74) + "T3BlbkFJ" + g.chars(URLSAFE, 74),
            ["OPENAI_API_KEY={v}", 'client = OpenAI(api_key="{v}")'],
        ),
        "anthropic": (
            "ai",
            "secret",
            lambda g: "sk-ant-api03-" + g.chars(URLSAFE, 93) + "AA",
            ["ANTHROPIC_API_KEY={v}", "-H 'x-api-key: {v}'"],
        ),
        "huggingface": (
            "ai",
            "secret",
            lambda g: "hf_" + g.chars(string.ascii_letters, 34),
            ["HF_TOKEN={v}", "huggingface-cli login --token {v}"],
        ),
        "groq": ("ai", "secret", lambda g: "gsk_" + g.chars(ALNUM, 52), env),
        "openrouter": ("ai", "secret", lambda g: "sk-or-v1-" + g.chars(HEX, 64), env),
        "nvidia": ("ai", "secret", lambda g: "nvapi-" + g.chars(URLSAFE, 64), env),
        "tavily": ("ai", "secret", lambda g: "tvly-dev-" + g.chars(ALNUM, 32), env),
        "langfuse": ("ai", "secret", lambda g: "sk-lf-" + g.uuid(), env),
        "astra": (
            "ai",
            "secret",
            lambda g: "AstraCS:" + g.chars(ALNUM, 24) + ":" + g.chars(HEX, 64),
            env,
        ),
        "neon": ("ai", "secret", lambda g: "napi_" + g.chars(LOWER + DIGITS, 64), env),
        "firecrawl": ("ai", "secret", lambda g: "fc-" + g.chars(HEX, 32), env),
        # source hosting and packages
        "github-classic": ("source", "secret", lambda g: g.crc32_token("ghp"), env),
        "github-oauth": ("source", "secret", lambda g: g.crc32_token("gho"), env),
        "npm": (
            "source",
            "secret",
            lambda g: g.crc32_token("npm"),
            ["//registry.npmjs.org/:_authToken={v}", "NPM_TOKEN={v}"],
        ),
        "github-fine-grained": (
            "source",
            "secret",
            lambda g: "github_pat_" + g.chars(ALNUM, 22) + "_" + g.chars(ALNUM, 59),
            env,
        ),
        "gitlab": (
            "source",
            "secret",
            lambda g: "glpat-" + g.chars(URLSAFE, 20),
            [
                "git clone https://oauth2:{v}@gitlab.acme.local/infra/terraform.git",
                "GITLAB_TOKEN={v}",
            ],
        ),
        "pypi": (
            "source",
            "secret",
            lambda g: "pypi-AgEIcHlwaS5vcmc" + g.chars(URLSAFE, 80),
            ["[pypi]\n  username = __token__\n  password = {v}"],
        ),
        # SaaS
        "slack-bot": (
            "saas",
            "secret",
            lambda g: f"xoxb-{g.chars(DIGITS, 12)}-{g.chars(DIGITS, 13)}-{g.chars(ALNUM, 24)}",
            env,
        ),
        "stripe-live": ("saas", "secret", lambda g: "sk_live_" + g.chars(ALNUM, 99), env),
        "sendgrid": (
            "saas",
            "secret",
            lambda g: "SG." + g.chars(URLSAFE, 22) + "." + g.chars(URLSAFE, 43),
            env,
        ),
        "linear": ("saas", "secret", lambda g: "lin_api_" + g.chars(ALNUM, 40), env),
        "posthog": ("saas", "secret", lambda g: "phx_" + g.chars(ALNUM, 43), env),
        "postman": (
            "saas",
            "secret",
            lambda g: "PMAK-" + g.chars(HEX, 24) + "-" + g.chars(HEX, 34),
            env,
        ),
        "doppler": ("saas", "secret", lambda g: "dp.pt." + g.chars(ALNUM, 43), env),
        "telnyx": (
            "saas",
            "secret",
            lambda g: "KEY" + g.chars("0123456789ABCDEF", 32) + "_" + g.chars(ALNUM, 22),
            env,
        ),
        "trello": (
            "saas",
            "secret",
            lambda g: "ATTA" + g.chars(HEX, 64) + g.chars("0123456789ABCDEF", 8),
            env,
        ),
        "zoho": (
            "saas",
            "secret",
            lambda g: "1000." + g.chars(HEX, 32) + "." + g.chars(HEX, 32),
            env,
        ),
        "resend": (
            "saas",
            "secret",
            lambda g: "re_" + g.chars(ALNUM, 8) + "_" + g.chars(ALNUM, 24),
            env,
        ),
        "amplitude": (
            "saas",
            "secret",
            lambda g: g.chars(HEX, 32),
            ["AMPLITUDE_SECRET_KEY={v}", 'amplitude_api_secret = "{v}"'],
        ),
        "openweathermap": (
            "saas",
            "secret",
            lambda g: g.chars(HEX, 32),
            ["OPENWEATHERMAP_API_KEY={v}", "owm_key: {v}"],
        ),
        "binance": (
            "saas",
            "secret",
            lambda g: g.chars(ALNUM, 64),
            ["BINANCE_API_SECRET={v}", 'binance_secret_key = "{v}"'],
        ),
        "infura": (
            "saas",
            "secret",
            lambda g: g.chars(HEX, 32),
            ["ETH_RPC=https://mainnet.infura.io/v3/{v}"],
        ),
        "alchemy": (
            "saas",
            "secret",
            lambda g: g.chars(URLSAFE, 32),
            ["RPC_URL=https://eth-mainnet.g.alchemy.com/v2/{v}"],
        ),
        # password hashes
        "bcrypt": (
            "hash",
            "credential_hash",
            lambda g: "$2b$12$" + g.chars(CRYPT64, 53),
            ["INSERT INTO users VALUES (12, 'lbernard', '{v}');", "admin:{v}"],
        ),
        "sha512crypt": (
            "hash",
            "credential_hash",
            lambda g: "$6$" + g.chars(CRYPT64, 16) + "$" + g.chars(CRYPT64, 86),
            ["deploy:{v}:19700:0:99999:7:::"],
        ),
        "md5crypt": (
            "hash",
            "credential_hash",
            lambda g: "$1$" + g.chars(CRYPT64, 8) + "$" + g.chars(CRYPT64, 22),
            ["root:{v}:19512:0:99999:7:::"],
        ),
        "argon2": (
            "hash",
            "credential_hash",
            lambda g: "$argon2id$v=19$m=65536,t=3,p=4$" + g.chars(B64, 22) + "$" + g.chars(B64, 43),
            ["password_hash = '{v}'"],
        ),
        "django-pbkdf2": (
            "hash",
            "credential_hash",
            lambda g: "pbkdf2_sha256$870000$" + g.chars(ALNUM, 22) + "$" + g.chars(B64, 43) + "=",
            ["auth_user.password = {v}"],
        ),
        "ntlm": (
            "hash",
            "credential_hash",
            lambda g: g.chars(HEX, 32),
            ["svc_backup:1104:aad3b435b51404eeaad3b435b51404ee:{v}:::"],
        ),
        "asrep": (
            "hash",
            "credential_hash",
            lambda g: (
                "$krb5asrep$23$svc_old@CORP.LOCAL:" + g.chars(HEX, 32) + "$" + g.chars(HEX, 300)
            ),
            ["{v}"],
        ),
        "tgs": (
            "hash",
            "credential_hash",
            lambda g: (
                "$krb5tgs$23$*svc_sql$CORP.LOCAL$MSSQLSvc/sql01*$"
                + g.chars(HEX, 32)
                + "$"
                + g.chars(HEX, 500)
            ),
            ["[*] Hash : {v}"],
        ),
    }
    return formats


# --------------------------------------------------------------------------------------------
# Hard negatives: never credentials.


def _decoys(g: Values) -> list[tuple[str, str]]:
    pixels = base64.b64encode(bytes(g.rng.getrandbits(8) for _ in range(60))).decode()
    digest = hashlib.sha256(g.chars(ALNUM, 20).encode()).hexdigest()
    return [
        ("commit " + hashlib.sha1(g.chars(ALNUM, 12).encode()).hexdigest(), "commit-sha"),
        ("sha256:" + digest, "digest"),
        (g.uuid(), "uuid"),
        ("data:image/png;base64," + pixels, "base64-image"),
        (
            "sha512-" + base64.b64encode(hashlib.sha512(digest.encode()).digest()).decode(),
            "integrity",
        ),
        ("ghp_" + "x" * 36, "placeholder"),
        ("OPENAI_API_KEY=sk-proj-<your-key>", "placeholder"),
        ("AKIAIOSFODNN7EXAMPLE", "documented-example"),
        ("sk_test_4eC39HqLyjWDarjtT1zdp7dc", "documented-example"),
        ("https://api.acme.io/v1/token/refresh?client=web", "url"),
        ("app.post('/account/password/reset/:token', resetPassword)", "route"),
        (".password-strength-meter__bar--strong { width: 100%; }", "css"),
        ("arn:aws:secretsmanager:eu-west-3:123456789012:secret:prod/db-password-Ab12Cd", "arn"),
        ('label: "Mot de passe (12 caractères minimum)"', "ui-label"),
        ("DB_PASSWORD=${DB_PASSWORD}", "template"),
        ("API_KEY=0123456789abcdef0123456789abcdef", "filler"),
        ("md5sum: " + hashlib.md5(digest.encode()).hexdigest(), "checksum"),
    ]


# --------------------------------------------------------------------------------------------
# Prompts


INTROS_EN = [
    "Can you help me debug this? It fails in production since this morning.\n\n",
    "Here is my config, why does the client return 401?\n\n",
    "Please review this snippet before I open the PR:\n\n",
]
INTROS_FR = [
    "Bonjour, tu peux m'aider ? Ça plante en prod depuis ce matin.\n\n",
    "Voici ma config, pourquoi l'appel renvoie 401 ?\n\n",
    "Peux-tu relire ce bout de code avant que j'ouvre la PR ?\n\n",
]


def _intro(g: Values, w: Writer) -> None:
    w(g.rng.choice(INTROS_FR if g.rng.random() < 0.4 else INTROS_EN))


def _decoy_lines(g: Values, w: Writer, count: int) -> None:
    for text, kind in g.rng.sample(_decoys(g), count):
        w.decoy(text, kind)
        w("\n")


def _format_prompt(
    g: Values, w: Writer, names: list[str], formats: dict[str, tuple[str, str, Maker, list[str]]]
) -> None:
    _intro(g, w)
    for name in names:
        family, category, make, templates = formats[name]
        template = g.rng.choice(templates)
        before, _, after = template.partition("{v}")
        env_name = name.upper().replace("-", "_") + "_TOKEN"
        w(before.replace("{name}", env_name)).value(make(g), family, category)(after + "\n")
        if g.rng.random() < 0.5:
            _decoy_lines(g, w, 1)
    _decoy_lines(g, w, 2)
    w("\nThanks!" if g.rng.random() < 0.6 else "\nMerci d'avance !")


def _commandline(g: Values, w: Writer) -> None:
    _intro(g, w)
    pw = g.password()
    kind = "commandline"
    choice = g.rng.randrange(9)
    if choice == 0:
        w("$ curl -s -u deploy:").value(pw, kind)(" https://jenkins.acme.local/job/release/build\n")
    elif choice == 1:
        w(r"PS> psexec \\srv-app02 -u CORP\svc_deploy -p ").value(pw, kind)(" cmd /c whoami\n")
    elif choice == 2:
        w("Connect-VIServer -Server vc01.acme.local -User ")
        w.value("administrator@vsphere.local", "email", "pii")(" -Password ").value(pw, kind)("\n")
    elif choice == 3:
        w('smtp.Credentials = new NetworkCredential("').value("alerts@acme.fr", "email", "pii")
        w('", "').value(pw, kind)('");\n')
    elif choice == 4:
        w("docker login -u ci-bot -p ").value(pw, kind)(" registry.acme.io\n")
    elif choice == 5:
        w("sqlcmd -S sql01.corp.local -U sa -P ").value(pw, kind)(' -Q "SELECT @@VERSION"\n')
    elif choice == 6:
        token = g.chars(ALNUM, 40)
        w('curl -H "Authorization: Token ').value(token, kind)(
            '" https://api.acme.io/v2/invoices\n'
        )
    elif choice == 7:
        token = g.chars(ALNUM, 36)
        w("GET /api/v4/projects HTTP/1.1\nHost: gitlab.acme.local\nPRIVATE-TOKEN: ").value(
            token, kind
        )
        w("\n")
    else:
        w("mysql -h db01 -u billing -p").value(pw, kind)(" billing < dump.sql\n")
    _decoy_lines(g, w, 2)
    w("\nhistory | tail -3\n  501  ls -la\n  502  git status\n")


def _kubernetes(g: Values, w: Writer) -> None:
    _intro(g, w)
    kind = "kubernetes"
    choice = g.rng.randrange(4)
    if choice == 0:
        secret = base64.b64encode(g.password().encode()).decode()
        w("apiVersion: v1\nkind: Secret\nmetadata:\n  name: billing-db\ntype: Opaque\ndata:\n")
        w("  username: ").decoy(base64.b64encode(b"billing").decode(), "k8s-username")("\n")
        w("  password: ").value(secret, kind)("\n")
    elif choice == 1:
        w(
            "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://10.0.0.1:6443\n"
        )
        w("  name: prod\nusers:\n- name: ci\n  user:\n    token: ").value(g.chars(ALNUM, 48), kind)
        w("\ncurrent-context: prod\n")
    elif choice == 2:
        token = g.chars(LOWER + DIGITS, 6) + "." + g.chars(LOWER + DIGITS, 16)
        w("kubeadm join 10.0.0.10:6443 --token ").value(token, kind)
        w(" --discovery-token-ca-cert-hash ").decoy("sha256:" + g.chars(HEX, 64), "ca-hash")("\n")
    else:
        w("kubectl create secret generic api -n prod --from-literal=API_TOKEN=")
        w.value(g.password(), kind)("\n")
    w("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n")
    w("data:\n  LOG_LEVEL: info\n")
    w("  IMAGE: ").decoy("registry.acme.io/api@sha256:" + g.chars(HEX, 64), "image-digest")("\n")


def _pem(g: Values, w: Writer) -> None:
    _intro(g, w)
    kind = "pem"
    choice = g.rng.randrange(4)
    if choice == 0:
        w.value(g.pem(), kind)("\n")
    elif choice == 1:
        encoded = base64.b64encode((g.pem("PRIVATE KEY") + "\n").encode()).decode()
        w("SSH_DEPLOY_KEY_B64=").value(encoded, kind)("\n")
    elif choice == 2:
        escaped = g.pem("PRIVATE KEY").replace("\n", "\\n")
        w('{"type": "service_account", "private_key": "').value(escaped, kind)('\\n"}\n')
    else:
        lines = g.pem("RSA PRIVATE KEY").split("\n")
        quoted = "\n".join(f'    "{line}\\n" +' for line in lines[:-1]) + f'\n    "{lines[-1]}"'
        w("private static final String KEY =\n").value(quoted, kind)(";\n")
    w("-----BEGIN CERTIFICATE-----\n")
    w.decoy(g.pem_body(6), "certificate")("==\n-----END CERTIFICATE-----\n")


def _generic(g: Values, w: Writer) -> None:
    _intro(g, w)
    kind = "generic"
    pw = g.password()
    choice = g.rng.randrange(4)
    if choice == 0:
        w("# .env\nDB_HOST=10.0.3.7\nDB_USER=billing\nDB_PASSWORD=").value(pw, kind)("\n")
    elif choice == 1:
        w("spring:\n  datasource:\n    username: crm\n    password: ").value(pw, kind)("\n")
    elif choice == 2:
        w("Pour le serveur de recette : identifiant admin, mot de passe : ").value(pw, kind)("\n")
    else:
        w('{"username": "svc-backup", "password": "').value(pw, kind)('"}\n')
    _decoy_lines(g, w, 2)


def prompts(seed: int, count: int = 1200) -> list[Prompt]:
    """`count` prompts, spread evenly over the families, each with planted values and decoys."""
    g = Values(random.Random(seed))
    formats = _formats()
    by_family: dict[str, list[str]] = defaultdict(list)
    for name, (family, _category, _make, _templates) in formats.items():
        by_family[family].append(name)
    builders: dict[str, Callable[[Values, Writer], None]] = {
        "commandline": _commandline,
        "kubernetes": _kubernetes,
        "pem": _pem,
        "generic": _generic,
    }
    out: list[Prompt] = []
    for index in range(count):
        family = FAMILIES[index % len(FAMILIES)]
        w = Writer()
        if family in builders:
            builders[family](g, w)
        else:
            names = g.rng.sample(
                by_family[family], min(len(by_family[family]), g.rng.randint(1, 3))
            )
            _format_prompt(g, w, names, formats)
        out.append(w.prompt(f"independent-secrets-{seed}-{index}"))
    return out


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--count", type=int, default=1200)
    parser.add_argument("--jsonl", action="store_true", help="print the labelled corpus instead")
    args = parser.parse_args(argv)
    corpus = prompts(args.seed, args.count)
    if args.jsonl:
        for prompt in corpus:
            print(json.dumps(prompt.labelled(), ensure_ascii=False))
        return 0
    # Scoring only: the engine judges the corpus, it never made it.
    from detectors.engine import Engine
    from detectors.masking import mask

    engine = Engine(hash_key=b"airlock-independent-corpus")
    labels: dict[str, int] = defaultdict(int)
    found: dict[str, int] = defaultdict(int)
    findings: dict[str, int] = defaultdict(int)
    true_findings: dict[str, int] = defaultdict(int)
    misses: dict[str, list[str]] = defaultdict(list)
    false_positives: dict[str, list[str]] = defaultdict(list)
    for index, prompt in enumerate(corpus):
        family = FAMILIES[index % len(FAMILIES)]
        hits = [f for f in engine.scan(prompt.text) if f.category in ("secret", "credential_hash")]
        for label in prompt.labels:
            labels[label.kind] += 1
            if any(
                f.category == label.category and _overlaps(f.start, f.end, label.start, label.end)
                for f in hits
            ):
                found[label.kind] += 1
            else:
                misses[label.kind].append(mask(prompt.text[label.start : label.end]))
        for f in hits:
            findings[family] += 1
            if any(
                f.category == label.category and _overlaps(f.start, f.end, label.start, label.end)
                for label in prompt.labels
            ):
                true_findings[family] += 1
            else:
                false_positives[family].append(f"{f.detector} {f.masked}")
    print(f"{len(corpus)} prompts, seed {args.seed}")
    print(f"{'family':<14}{'recall':>8}{'precision':>11}{'labels':>8}{'findings':>10}")
    for family in FAMILIES:
        recall = found[family] / labels[family] if labels[family] else float("nan")
        precision = true_findings[family] / findings[family] if findings[family] else float("nan")
        print(
            f"{family:<14}{recall:8.3f}{precision:11.3f}{labels[family]:8d}{findings[family]:10d}"
        )
    for family in FAMILIES:
        for line in sorted(set(misses[family]))[:5]:
            print(f"  missed {family}: {line}")
        for line in sorted(set(false_positives[family]))[:5]:
            print(f"  false positive {family}: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
