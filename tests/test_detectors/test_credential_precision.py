"""Credential rules stay quiet where scanners usually cry wolf: provider names inside other
identifiers, generic `password`/`secret`/`token` keys whose value is a path, a route, a CSS
selector, a UI label, an ARN or nothing (and then the next line), placeholders and filler
values. Each quiet case has a positive twin that is found, so the tests fail if a rule goes
deaf rather than precise."""

from __future__ import annotations

import pytest

from detectors.engine import Engine, is_filler

CREDENTIAL = ("secret", "credential_hash")
RANDOM_40 = "Vq8mZ2kR7xLp4Tn9Wc3Yb6Hd1Jf5Gs0Ae2Ku8Po4"  # 40 base62 characters
RANDOM_32_HEX = "9f3c1a7e5b2d4086c1e9a7f3b5d20c48"


def credentials(engine: Engine, text: str) -> list[tuple[str, str]]:
    return [
        (f.detector, text[f.start : f.end]) for f in engine.scan(text) if f.category in CREDENTIAL
    ]


def detectors(engine: Engine, text: str) -> set[str]:
    return {detector for detector, _ in credentials(engine, text)}


@pytest.mark.parametrize(
    ("found", "quiet", "rule"),
    [
        # A provider's name as a whole word, or a camelCase or snake_case part, is context...
        (f"COHERE_API_KEY={RANDOM_40}", f"incoherent_api_key = '{RANDOM_40}'", "cohere-api-key"),
        (f'cohereApiKey: "{RANDOM_40}"', f'incoherentApiKey: "{RANDOM_40}"', "cohere-api-key"),
        (
            f"AMPLITUDE_SECRET_KEY={RANDOM_32_HEX}",
            f"preamplitude_secret_key={RANDOM_32_HEX}",
            "amplitude-secret-key",
        ),
        # ... and so is a Java system property (-Dsonar.login=...), but not a longer word.
        (
            "mvn sonar:sonar -Dsonar.login=4c1e9a7f3b5d20c489f3c1a7e5b2d4086c1e9a7f",
            "mvn verify -Dpersonar.login=4c1e9a7f3b5d20c489f3c1a7e5b2d4086c1e9a7f",
            "sonarcloud-token",
        ),
        (
            f"export LINEAR_API_KEY=lin_api_{RANDOM_40}",
            f"nonlinear_api_key = 'lin_api_{RANDOM_40[:20]}'",
            "linear-api-key",
        ),
    ],
)
def test_provider_names_count_only_as_whole_words(
    engine: Engine, found: str, quiet: str, rule: str
) -> None:
    assert rule in detectors(engine, found)
    assert rule not in detectors(engine, quiet)


def test_context_keywords_are_whole_words(engine: Engine) -> None:
    """A rule that needs a keyword nearby (Gemini's `AIza` key) does not take one from inside
    another word."""
    key = "AIzaSyD4" + RANDOM_40[:31]
    assert "google-gemini-api-key" in detectors(engine, f"gemini client, key {key}")
    assert "google-gemini-api-key" not in detectors(engine, f"geminiscope client, key {key}")


GENERIC_QUIET = [
    # URL paths and routes
    "password_reset_url: /account/password/reset/confirm/Mx9kQ2v7Lp",
    "const routes = [{ path: '/settings/password/change-2fa', component: ChangePassword }]",
    "app.get('/api/v1/token/refresh/:userId', handler)",
    "token_endpoint: https://login.acme.io/oauth2/v1/token",
    "TOKEN_URL=https://auth.acme.io/realms/prod/protocol/openid-connect/token",
    "secret_key_path: /etc/acme/keys/secret2.key",
    # ARNs
    "secret_arn: arn:aws:secretsmanager:eu-west-3:123456789012:secret:prod/db/Password-AbCdEf",
    '"SecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-4f1c2a7e-Xy12Zq"',
    # CSS selectors
    "input[type=password].form-control-lg2 { border: 1px solid #ced4da; }",
    ".password-strength-meter__bar--strong3 { width: 100%; }",
    "#token-input-field2 { display: none }",
    # UI labels
    "label: 'Password (8+ characters, 1 digit)'",
    '<label for="password2">Confirm password</label>',
    'password_label = "Mot de passe (12 caractères min.)"',
    # empty values
    'secret: ""',
    "token = ''",
    "PASSWORD=\n",
    "api_token:\n  description: Token used by the CI",
]


@pytest.mark.parametrize("text", GENERIC_QUIET)
def test_generic_assignments_skip_paths_routes_selectors_labels_arns_and_empty_values(
    engine: Engine, text: str
) -> None:
    assert credentials(engine, text) == []


RUN_ON_KEYS = ["password", "DB_PASSWORD", "api_key", "SECRET_KEY", "access_token", "AUTH_TOKEN"]
NEXT_LINE = "gH7kQ2vZ9xLm4Rt8Wn3Ys6Pb"


@pytest.mark.parametrize("key", RUN_ON_KEYS)
@pytest.mark.parametrize("separator", ["=", ": ", ":", " = "])
def test_an_empty_value_never_takes_the_next_line(engine: Engine, key: str, separator: str) -> None:
    assert credentials(engine, f"{key}{separator}\n{NEXT_LINE}") == []
    # The same value on the key's own line is a finding: the rule still reads values.
    assert credentials(engine, f"{key}{separator}{NEXT_LINE}") != []


@pytest.mark.parametrize(
    ("real", "fillers"),
    [
        (
            f"AMPLITUDE_SECRET_KEY={RANDOM_32_HEX}",
            [
                "AMPLITUDE_SECRET_KEY=0123456789abcdef0123456789abcdef",  # hex alphabet run
                "AMPLITUDE_SECRET_KEY=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",  # one repeated
                "AMPLITUDE_SECRET_KEY=fedcba9876543210fedcba9876543210",  # steps down
                "AMPLITUDE_SECRET_KEY=1a2b1a2b1a2b1a2b1a2b1a2b1a2b1a2b",  # a unit repeated
            ],
        ),
        (
            f"export POSTHOG_PERSONAL_API_KEY=phx_{RANDOM_40}xyz",
            [
                "export POSTHOG_PERSONAL_API_KEY=phx_" + "x" * 43,  # xxxx
                "export POSTHOG_PERSONAL_API_KEY=phx_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
                "export POSTHOG_PERSONAL_API_KEY=phx_<your-key>",
            ],
        ),
        (
            "token: ghp_" + RANDOM_40[:36],
            ["token: ghp_" + "A" * 36, "token: ghp_1234567890abcdefghijklmnopqrstuvwxyz"],
        ),
    ],
)
def test_placeholders_and_fillers_are_never_credentials(
    engine: Engine, real: str, fillers: list[str]
) -> None:
    assert credentials(engine, real) != []
    for text in fillers:
        assert credentials(engine, text) == [], text


@pytest.mark.parametrize(
    "value",
    [
        "aaaaaaaaaaaa",
        "0123456789abcdef",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefgh",
        "zyxwvutsrqponmlk",
        "abababababababab",
        "x9kx9kx9kx9kx9kx9k",
        "sk_live_1234567890abcdefghijklmn",
    ],
)
def test_is_filler_finds_runs_steps_and_repeats(value: str) -> None:
    assert is_filler(value)


@pytest.mark.parametrize(
    "value",
    [
        RANDOM_40,
        RANDOM_32_HEX,
        "es7Gj3Lby6L5+2V+",
        "Harborharbor31#",  # a repeated word is longer than a filler's unit
        "4yxm6yxmT#=a417",  # a unit seen twice is no repeat
        "AAAA" + RANDOM_40,  # a short run inside a real token (Dropbox, FCM keys have one)
        "abc",  # too short to judge
    ],
)
def test_is_filler_leaves_random_values_alone(value: str) -> None:
    assert not is_filler(value)
