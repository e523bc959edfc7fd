"""The start-up cache: a second start reads the checked catalogue instead of checking it again,
a changed rule file or a damaged cache file means a full load, and the engine built from the
cache is the engine built without it."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from airlock.cli import main
from airlock.config import Settings
from airlock.startup import StartError, build_engine, load_pipeline
from detectors import catalogue_cache
from detectors import rules as rules_module
from detectors.engine import Engine, _Entry
from detectors.rules import RuleError, load_catalogue
from tests.test_detectors.conftest import HASH_KEY

SHIPPED = """
rules:
  - id: acme-token
    name: ACME token
    category: secret
    provider: ACME
    severity: high
    patterns: ['\\bacme_(?P<value>[a-z0-9]{20})\\b']
    keywords: [acme]
    examples: ["token acme_q7w2k9x4m1p8z3r6t5y0"]
    negative_examples: ["acme_short"]
  - id: card-number
    name: Card number
    category: financial
    severity: high
    patterns: ['\\b4[0-9]{3}(?:[ -]?[0-9]{4}){3}\\b']
    validator: luhn
    examples: ["card 4111 1111 1111 1111"]
    negative_examples: ["card 4111 1111 1111 1112"]
"""
CUSTOM = """
rules:
  - id: custom-project
    name: Project code
    category: confidential
    severity: medium
    patterns: ['\\bPRJ-[0-9]{4}\\b']
    examples: ["see PRJ-1234"]
    negative_examples: ["PRJ-12"]
"""
TEXT = "deploy acme_q7w2k9x4m1p8z3r6t5y0 for PRJ-1234, PRJ-98765 and card 4111 1111 1111 1111"


@pytest.fixture
def small_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A shipped catalogue of two rules instead of the real one, whose Hyperscan database
    compiles in a moment: the folder of the custom rule file."""
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "small.yaml").write_text(SHIPPED, encoding="utf-8")
    monkeypatch.setattr(rules_module, "RULES_DIR", shipped)
    custom = tmp_path / "custom"
    custom.mkdir()
    (custom / "project.yaml").write_text(CUSTOM, encoding="utf-8")
    return custom


@pytest.fixture
def derivations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the full loads: each call of the catalogue's check (YAML parse, every regex
    compiled and checked) appends to the list."""
    calls: list[int] = []
    parse = rules_module.parse_catalogue

    def counted(*args: Any) -> Any:
        calls.append(1)
        return parse(*args)

    monkeypatch.setattr(catalogue_cache, "parse_catalogue", counted)
    return calls


def settings_for(tmp_path: Path, custom: Path) -> Settings:
    return Settings(hash_key=SecretStr("k"), rules=[custom], cache_dir=tmp_path / "cache")


def found(engine: Engine) -> list[tuple[str, int, int]]:
    return [(f.detector, f.start, f.end) for f in engine.scan(TEXT)]


def cache_files(settings: Settings) -> list[Path]:
    return sorted(settings.cache_dir.glob(f"{catalogue_cache.PREFIX}*.json"))


def test_the_second_start_reads_the_catalogue_from_the_cache(
    tmp_path: Path, small_catalogue: Path, derivations: list[int]
) -> None:
    settings = settings_for(tmp_path, small_catalogue)
    cold = build_engine(settings)
    assert len(derivations) == 1
    [cached] = cache_files(settings)
    # Private, as the compiled databases are: custom rules may name what a tenant protects.
    assert stat.S_IMODE(settings.cache_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(cached.stat().st_mode) == 0o600
    warm = build_engine(settings)
    assert len(derivations) == 1, "the warm start checked the catalogue again"
    assert warm.rules == cold.rules
    assert (
        found(warm)
        == found(cold)
        == [
            ("acme-token", 12, 32),  # the value group
            ("custom-project", 37, 45),
            ("card-number", 66, 85),
        ]
    )


def test_a_changed_rule_file_is_loaded_and_checked_again(
    tmp_path: Path, small_catalogue: Path, derivations: list[int]
) -> None:
    settings = settings_for(tmp_path, small_catalogue)
    build_engine(settings)
    project = small_catalogue / "project.yaml"
    project.write_text(CUSTOM.replace("[0-9]{4}", "[0-9]{4,5}"), encoding="utf-8")
    engine = build_engine(settings)
    assert len(derivations) == 2
    assert ("custom-project", 47, 56) in found(engine)  # PRJ-98765, found by the new pattern
    # A bad pattern after a good start is refused all the same (the cache is of the old file).
    project.write_text(CUSTOM.replace("'\\bPRJ", "'(\\bPRJ"), encoding="utf-8")
    with pytest.raises(RuleError, match="not a valid regular expression") as error:
        build_engine(settings)
    assert str(project) in str(error.value) and "custom-project" in str(error.value)
    with pytest.raises(StartError, match="custom-project"):
        load_pipeline(settings)


def test_a_changed_shipped_file_is_loaded_again(
    tmp_path: Path, small_catalogue: Path, derivations: list[int]
) -> None:
    settings = settings_for(tmp_path, small_catalogue)
    build_engine(settings)
    shipped = rules_module.RULES_DIR / "small.yaml"
    shipped.write_text(SHIPPED.replace("name: ACME token", "name: ACME API token"), "utf-8")
    engine = build_engine(settings)
    assert len(derivations) == 2
    assert {r.id: r.name for r in engine.rules}["acme-token"] == "ACME API token"
    assert len(cache_files(settings)) == 2  # one per distinct catalogue


@pytest.mark.parametrize(
    "damage",
    [
        lambda blob: blob[: len(blob) // 2],  # cut short
        lambda blob: blob.replace(b"acme-token", b"acme-tokem"),  # a changed byte
        lambda blob: b"not a cache file",
        lambda blob: b"",
    ],
    ids=["truncated", "altered", "foreign", "empty"],
)
def test_a_damaged_cache_file_is_ignored_and_rebuilt(
    tmp_path: Path,
    small_catalogue: Path,
    derivations: list[int],
    damage: Callable[[bytes], bytes],
) -> None:
    settings = settings_for(tmp_path, small_catalogue)
    expected = found(build_engine(settings))
    [cached] = cache_files(settings)
    cached.write_bytes(damage(cached.read_bytes()))
    engine = build_engine(settings)
    assert len(derivations) == 2
    assert found(engine) == expected
    assert {r.id for r in engine.rules} == {"acme-token", "card-number", "custom-project"}
    build_engine(settings)  # rebuilt whole: the next start reads it
    assert len(derivations) == 2


def test_a_cache_file_of_another_key_is_not_read(
    tmp_path: Path, small_catalogue: Path, derivations: list[int]
) -> None:
    """A file renamed to the key of another catalogue holds its own key, and is refused."""
    settings = settings_for(tmp_path, small_catalogue)
    build_engine(settings)
    [cached] = cache_files(settings)
    sources = catalogue_cache.read_sources([small_catalogue])
    other = catalogue_cache.read_sources([])  # the shipped rules alone: another key
    assert catalogue_cache.read(settings.cache_dir, catalogue_cache.cache_key(sources))
    other_key = catalogue_cache.cache_key(other)
    cached.rename(catalogue_cache.cache_path(settings.cache_dir, other_key))
    assert catalogue_cache.read(settings.cache_dir, other_key) is None


def test_airlock_rules_exits_2_on_a_bad_pattern_after_a_warm_start(
    tmp_path: Path,
    small_catalogue: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AIRLOCK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("AIRLOCK_RULES", f'["{small_catalogue}"]')
    assert main(["rules", "--format", "json"]) == 0
    assert main(["rules", "--format", "json"]) == 0  # warm
    capsys.readouterr()
    project = small_catalogue / "project.yaml"
    project.write_text(CUSTOM.replace("'\\bPRJ", "'(\\bPRJ"), encoding="utf-8")
    assert main(["rules", "--format", "json"]) == 2
    error = capsys.readouterr().err
    assert "custom-project" in error and "not a valid regular expression" in error


def entry_fields(entry: _Entry) -> tuple[Any, ...]:
    """Everything an entry holds once it has fired, regexes as their source and flags."""
    entry.regex or entry.compile()
    values: list[Any] = []
    for field in dataclasses.fields(entry):
        value = getattr(entry, field.name)
        if field.name == "rule":
            value = value.id
        elif field.name in ("regex", "anchored") and value is not None:
            value = (value.pattern, value.flags)
        elif field.name == "keywords" and value is not None:
            value = value.words
        values.append(value)
    return tuple(values)


def test_the_cached_catalogue_builds_the_same_engine_as_the_rule_files(
    tmp_path: Path, engine_cache_dir: Path
) -> None:
    """The whole shipped catalogue through the cache file and back: the same rules, the same
    entries (regexes, shapes, groups, validators) and the same findings on every rule's
    examples and negative examples as the engine built straight from the rule files."""
    sources = catalogue_cache.read_sources()
    key = catalogue_cache.cache_key(sources)
    catalogue_cache.write(tmp_path, key, catalogue_cache.derive(sources))
    cached = catalogue_cache.read(tmp_path, key)
    assert cached is not None
    direct = Engine(load_catalogue(), hash_key=HASH_KEY, cache_dir=engine_cache_dir)
    warm = Engine(
        cached.rules,
        shapes=cached.shapes,
        allowlist=cached.allowlist,
        hash_key=HASH_KEY,
        cache_dir=engine_cache_dir,
    )
    assert warm.rules == direct.rules
    assert warm.allowlist.values == direct.allowlist.values
    assert warm.allowlist.markers == direct.allowlist.markers
    assert warm.hyperscan_input() == direct.hyperscan_input()
    texts = [text for rule in direct.rules for text in (*rule.examples, *rule.negative_examples)]
    texts.append("\n".join(texts))  # and all of them in one text
    expected = [direct.scan(text) for text in texts]
    assert sum(map(len, expected)) > 1000
    assert [warm.scan(text) for text in texts] == expected
    assert [entry_fields(e) for e in warm._entries] == [entry_fields(e) for e in direct._entries]


def scan_environment(tmp_path: Path, engine_cache_dir: Path) -> dict[str, str]:
    """The environment of an `airlock scan` with no settings but an empty cache folder of its
    own, into which the test session's compiled databases are linked (a compile takes long)."""
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    for database in engine_cache_dir.glob("*.hsdb"):
        (cache / database.name).symlink_to(database)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRLOCK_")}
    env["AIRLOCK_CACHE_DIR"] = str(cache)
    return env


def test_airlock_scan_exits_1_on_a_key_and_0_on_clean_text_cold_and_warm(
    tmp_path: Path, engine: Engine, engine_cache_dir: Path
) -> None:
    """The installed command, with an empty start-up cache and then a warm one."""
    env = scan_environment(tmp_path, engine_cache_dir)
    planted = tmp_path / "planted.txt"
    planted.write_text("deploy with AKIAZ4Q7UE2RVMN3BX5K please\n", encoding="utf-8")
    clean = tmp_path / "clean.txt"
    clean.write_text("hi\n", encoding="utf-8")
    airlock = Path(sys.executable).with_name("airlock")
    for start in ("cold", "warm"):
        for path, status in ((planted, 1), (clean, 0)):
            result = subprocess.run(
                [str(airlock), "scan", "--format", "jsonl", str(path)],
                env=env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert result.returncode == status, (start, result.stderr)
            assert ("aws-access-key-id" in result.stdout) == (status == 1)
        assert len(list(Path(env["AIRLOCK_CACHE_DIR"]).glob(f"{catalogue_cache.PREFIX}*"))) == 1


def test_a_warm_scan_of_clean_text_loads_no_validator_progress_bar_or_broker_client(
    tmp_path: Path, engine: Engine, engine_cache_dir: Path
) -> None:
    """What `airlock scan` imports: its own module, not the other commands' (the broker's
    clients, Faust, the gateway), no progress bar when none shows, and, from a warm cache, no
    validator (python-stdnum) until a value needs one."""
    env = scan_environment(tmp_path, engine_cache_dir)
    clean = tmp_path / "clean.txt"
    clean.write_text("hi\n", encoding="utf-8")
    probe = (
        "import json, sys; from airlock.cli import main; status = main(['scan', sys.argv[1]]); "
        "print(json.dumps([status, sorted(sys.modules)]))"
    )
    loaded = []
    for _start in ("cold", "warm"):
        result = subprocess.run(
            [sys.executable, "-c", probe, str(clean)],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        status, modules = json.loads(result.stdout)
        assert status == 0
        loaded.append({m.split(".")[0] for m in modules} | set(modules))
    cold, warm = loaded
    never = {"streams", "edge", "faust", "confluent_kafka", "aiokafka", "aiohttp", "tqdm"}
    assert cold & never == warm & never == set()
    assert "detectors.validators" in cold  # a full load checks the validators' names
    assert {"detectors.validators", "stdnum", "phonenumbers", "yaml"} & warm == set()
