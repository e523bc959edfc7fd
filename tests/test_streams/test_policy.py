"""Policies: strict loading with errors naming file, rule and field; evaluation; hot reload."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import textwrap
from pathlib import Path

import pytest

from detectors.engine import Engine
from detectors.findings import Finding
from streams.policy import (
    ACTIONS,
    DEFAULT_MESSAGES,
    Policy,
    PolicyError,
    PolicyStore,
    Verdict,
    load_policy,
    parse_policy,
)

from .conftest import POLICY_DIR


def finding(
    detector: str = "email",
    category: str = "pii",
    confidence: str = "high",
    severity: str = "medium",
    start: int = 0,
) -> Finding:
    return Finding(
        detector=detector,
        category=category,
        severity=severity,
        label=detector.upper().replace("-", "_").replace(".", "_"),
        start=start,
        end=start + 10,
        confidence=confidence,
        masked="ab******yz",
        value_hash=f"{start:032x}",
    )


AWS = finding("aws-access-key-id", "secret", "high", "high")
EMAIL = finding("email", "pii", "high", "medium")
CODE = finding("source-code", "code", "medium", "low")
WEAK_SECRET = finding("generic-secret", "secret", "low", "medium")


def policy(rules: str, header: str = "id: p\nversion: 7\n") -> Policy:
    text = header + "rules:\n" + textwrap.indent(textwrap.dedent(rules), "  ")
    return parse_policy(text, "test.yaml")[0]


def evaluate(
    p: Policy,
    findings: list[Finding],
    app: str = "chatgpt",
    operation: str = "prompt",
    groups: tuple[str, ...] = (),
) -> Verdict:
    return p.evaluate(findings, app=app, operation=operation, groups=groups)


# --- the shipped policies ------------------------------------------------------------------------


def test_shipped_policies_load() -> None:
    store = PolicyStore(POLICY_DIR)
    assert {"default", "acme", "globex"} <= set(store.tenants)
    default = store.for_tenant("default")
    assert default.id == "default" and default.mode == "enforce"
    assert store.for_tenant("unknown-tenant") is default
    acme = store.for_tenant("acme")
    names = [r.name for r in acme.rules]
    assert names[0] == "block-uploads-to-unapproved-apps"
    assert set(r.name for r in default.rules) <= set(names)  # extends default
    assert "Acme policy" in acme.messages["warn"]
    assert acme.messages["block"] == default.messages["block"]
    assert store.for_tenant("globex").monitor


def test_default_policy_decisions() -> None:
    default = PolicyStore(POLICY_DIR).for_tenant("default")
    assert evaluate(default, []).action == "allow"
    assert evaluate(default, [AWS]).action == "block"
    assert evaluate(default, [AWS]).alert
    assert evaluate(default, [EMAIL]).action == "redact"
    assert evaluate(default, [EMAIL]).alert
    card = finding("payment-card", "financial", "high", "high")
    assert evaluate(default, [card]).action == "redact"
    marking = finding("dictionary.codenames", "confidential", "high", "high")
    verdict = evaluate(default, [marking])
    assert (verdict.action, verdict.alert) == ("warn", True)
    assert verdict.message == default.messages["warn"]
    verdict = evaluate(default, [CODE])
    assert (verdict.action, verdict.alert) == ("warn", False)
    verdict = evaluate(default, [WEAK_SECRET])
    assert (verdict.action, verdict.rule, verdict.alert) == (
        "warn",
        "warn-low-confidence-secrets",
        False,
    )
    many = [finding(start=i * 20) for i in range(10)]
    assert evaluate(default, many).rule == "block-bulk-personal-data"
    assert evaluate(default, many[:9]).action == "redact"


def test_shipped_policies_name_only_known_detectors(engine: Engine) -> None:
    store = PolicyStore(POLICY_DIR)
    store.require_detectors([r.id for r in engine.rules])


# --- evaluation --------------------------------------------------------------------------------


def test_most_severe_action_wins_whatever_the_order() -> None:
    p = policy(
        """
        - name: warn-first
          match: {categories: [secret]}
          action: warn
          message: warned
        - name: then-block
          match: {detectors: [aws-access-key-id]}
          action: block
          message: blocked
        - name: redact-too
          match: {categories: [secret]}
          action: redact
        """
    )
    verdict = evaluate(p, [AWS])
    assert (verdict.action, verdict.rule, verdict.message) == ("block", "then-block", "blocked")
    assert verdict.matched_rules == ("warn-first", "then-block", "redact-too")


def test_ties_go_to_the_first_rule_in_file_order() -> None:
    p = policy(
        """
        - name: first
          match: {categories: [pii]}
          action: redact
        - name: second
          match: {detectors: [email]}
          action: redact
          message: second message
        """
    )
    verdict = evaluate(p, [EMAIL])
    assert verdict.rule == "first"
    assert verdict.message == DEFAULT_MESSAGES["redact"]


def test_severity_order_is_block_redact_warn_allow() -> None:
    for actions, expected in [
        (("allow", "warn"), "warn"),
        (("redact", "warn"), "redact"),
        (("redact", "block"), "block"),
        (("block", "allow"), "block"),
        (("allow", "allow"), "allow"),
    ]:
        rules = "".join(
            f"- name: r{i}\n  match: {{}}\n  action: {a}\n" for i, a in enumerate(actions)
        )
        assert evaluate(policy(rules), [EMAIL]).action == expected


def test_alert_when_any_matching_rule_alerts() -> None:
    p = policy(
        """
        - name: block
          match: {categories: [secret]}
          action: block
        - name: note-it
          match: {categories: [secret]}
          action: warn
          alert: true
        - name: not-matching
          match: {categories: [pii]}
          action: warn
          alert: true
        """
    )
    assert evaluate(p, [AWS]).alert
    assert evaluate(p, [AWS]).action == "block"
    assert not evaluate(p, [CODE]).alert


def test_no_matching_rule_allows_without_message() -> None:
    p = policy("- name: r\n  match: {categories: [secret]}\n  action: block\n")
    verdict = evaluate(p, [EMAIL])
    assert (verdict.action, verdict.rule, verdict.message, verdict.alert) == (
        "allow",
        None,
        None,
        False,
    )
    assert verdict.finding_actions == ("allow",)


def test_scope_by_app_operation_and_group() -> None:
    p = policy(
        """
        - name: r
          match:
            categories: [pii]
            apps: [claude, gemini]
            operations: [upload]
            groups: [sales, support]
          action: block
        """
    )
    assert evaluate(p, [EMAIL], "claude", "upload", ("support",)).action == "block"
    assert evaluate(p, [EMAIL], "chatgpt", "upload", ("support",)).action == "allow"
    assert evaluate(p, [EMAIL], "claude", "prompt", ("support",)).action == "allow"
    assert evaluate(p, [EMAIL], "claude", "upload", ("engineering",)).action == "allow"
    assert evaluate(p, [EMAIL], "claude", "upload", ()).action == "allow"


def test_exclude_groups() -> None:
    p = policy(
        "- name: r\n  match: {categories: [code], exclude_groups: [opensource]}\n  action: block\n"
    )
    assert evaluate(p, [CODE], groups=("engineering",)).action == "block"
    assert evaluate(p, [CODE], groups=("engineering", "opensource")).action == "allow"


def test_min_count_counts_the_findings_the_rule_selects() -> None:
    p = policy("- name: bulk\n  match: {detectors: [email], min_count: 3}\n  action: block\n")
    emails = [finding(start=i * 20) for i in range(3)]
    assert evaluate(p, emails[:2]).action == "allow"
    assert evaluate(p, [*emails[:2], AWS]).action == "allow"  # other detectors do not count
    assert evaluate(p, emails).action == "block"


def test_min_count_zero_matches_on_scope_alone() -> None:
    p = policy(
        "- name: no-uploads\n  match: {min_count: 0, operations: [upload]}\n  action: block\n"
    )
    assert evaluate(p, [], operation="upload").action == "block"
    assert evaluate(p, [], operation="prompt").action == "allow"


def reference_verdict(
    p: Policy, findings: list[Finding], app: str, operation: str, groups: tuple[str, ...]
) -> tuple[str, str | None, bool, tuple[str, ...], tuple[str, ...]]:
    """The evaluation rules read literally, rule by rule and finding by finding."""
    ranks = [0] * len(findings)
    best = None
    alert = False
    matched = []
    for rule in p.rules:
        if not rule.match.applies_to(app, operation, groups):
            continue
        selected = [i for i, f in enumerate(findings) if rule.match.selects(f)]
        if len(selected) < rule.match.min_count:
            continue
        matched.append(rule.name)
        for i in selected:
            ranks[i] = max(ranks[i], ACTIONS.index(rule.action))
        alert = alert or rule.alert
        if best is None or ACTIONS.index(rule.action) > ACTIONS.index(best.action):
            best = rule
    action = best.action if best is not None else "allow"
    actions = tuple(ACTIONS[r] for r in ranks)
    return action, best.name if best else None, alert, actions, tuple(matched)


@pytest.mark.parametrize("seed", range(4))
def test_evaluation_agrees_with_a_literal_reading_of_the_rules(seed: int) -> None:
    """`evaluate` precomputes which rules can apply; it must decide as if it did not."""
    rng = random.Random(seed)
    categories = ["secret", "pii", "financial", "code"]
    detectors = ["email", "aws-access-key-id", "iban", "source-code"]
    apps, operations, groups = ["chatgpt", "claude", "other"], ["prompt", "upload"], ["hr", "oss"]

    def some(values: list[str]) -> list[str]:
        return rng.sample(values, rng.randint(1, len(values))) if rng.random() < 0.3 else []

    for _ in range(60):
        rules = ""
        for n in range(rng.randint(0, 6)):
            match = {
                "categories": some(categories),
                "detectors": some(detectors),
                "apps": some(apps),
                "operations": some(operations),
                "groups": some(groups),
                "exclude_groups": some(groups),
                "min_confidence": rng.choice(["low", "medium", "high"]),
                "min_count": rng.choice([0, 1, 1, 2]),
            }
            action = rng.choice(["allow", "warn", "redact", "block"])
            rules += f"- {{name: r{n}, action: {action}, alert: {rng.random() < 0.5}, "
            rules += f"match: {json.dumps(match)}}}\n"
        p = policy(rules or "[]")
        for _ in range(20):
            findings = [
                finding(rng.choice(detectors), rng.choice(categories), rng.choice(["low", "high"]))
                for _ in range(rng.randint(0, 5))
            ]
            app = rng.choice([*apps, "gemini", "not-an-app"])
            operation = rng.choice([*operations, "response"])
            user_groups = tuple(rng.sample(groups, rng.randint(0, 2)))
            v = evaluate(p, findings, app, operation, user_groups)
            assert (v.action, v.rule, v.alert, v.finding_actions, v.matched_rules) == (
                reference_verdict(p, findings, app, operation, user_groups)
            )


def test_min_confidence() -> None:
    p = policy(
        """
        - name: sure
          match: {categories: [secret], min_confidence: medium}
          action: block
        - name: unsure
          match: {categories: [secret]}
          action: warn
        """
    )
    assert evaluate(p, [WEAK_SECRET]).action == "warn"
    assert evaluate(p, [finding("generic-secret", "secret", "medium")]).action == "block"
    assert evaluate(p, [AWS, WEAK_SECRET]).finding_actions == ("block", "warn")


def test_finding_actions_take_the_most_severe_rule_per_finding() -> None:
    p = policy(
        """
        - name: redact-pii
          match: {categories: [pii]}
          action: redact
        - name: warn-code
          match: {categories: [code]}
          action: warn
        """
    )
    verdict = evaluate(p, [EMAIL, CODE, AWS])
    assert verdict.action == "redact"
    assert verdict.finding_actions == ("redact", "warn", "allow")


def test_monitor_mode_decides_and_alerts_but_allows() -> None:
    p = policy(
        "- name: r\n  match: {categories: [secret]}\n  action: block\n  alert: true\n",
        header="id: p\nversion: 1\nmode: monitor\n",
    )
    verdict = evaluate(p, [AWS])
    assert (verdict.action, verdict.enforced, verdict.alert, verdict.message) == (
        "block",
        "allow",
        True,
        None,
    )


def test_store_monitor_only_overrides_every_policy(tmp_path: Path) -> None:
    store = PolicyStore(POLICY_DIR, monitor_only=True)
    for tenant in store.tenants:
        assert store.for_tenant(tenant).monitor
    assert evaluate(store.for_tenant("acme"), [AWS]).enforced == "allow"


def test_messages_per_action_and_per_rule() -> None:
    p = policy(
        """
        - name: w
          match: {categories: [code]}
          action: warn
        - name: b
          match: {categories: [secret]}
          action: block
          message: rotate it
        """,
        header="id: p\nversion: 1\nmessages:\n  warn: think twice\n",
    )
    assert evaluate(p, [CODE]).message == "think twice"
    assert evaluate(p, [AWS]).message == "rotate it"
    assert p.messages["redact"] == DEFAULT_MESSAGES["redact"]


# --- loading errors ------------------------------------------------------------------------------

GOOD_RULE = "  - name: ok\n    match: {categories: [pii]}\n    action: redact\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id: p\nversion: 1\nrules: [\n", r"bad\.yaml: invalid YAML at line \d+"),
        ("- a\n- b\n", r"bad\.yaml: a policy file must be a mapping"),
        ("id: p\nversion: 1\nrulez: []\n", r"bad\.yaml: unknown key\(s\) rulez"),
        ("version: 1\nrules: []\n", r"bad\.yaml: field 'id' is required"),
        ("id: p\nrules: []\n", r"bad\.yaml: field 'version' is required"),
        ("id: p\nversion: 1\nmode: audit\nrules: []\n", r"bad\.yaml: field 'mode'"),
        ("id: p\nversion: 1\nextends: acme\nrules: []\n", r"bad\.yaml: field 'extends'"),
        ("id: p\nversion: 1\n", r"bad\.yaml: field 'rules' is required"),
        ("id: p\nversion: 1\nmessages: {allow: hi}\nrules: []\n", r"field 'messages\.allow'"),
        (
            "id: p\nversion: 1\nrules:\n"
            + GOOD_RULE
            + "  - name: second\n    match: {}\n    action: deny\n",
            r"bad\.yaml: rule 'second': field 'action' must be one of allow, warn, redact, block",
        ),
        (
            "id: p\nversion: 1\nrules:\n" + GOOD_RULE + "  - match: {}\n    action: warn\n",
            r"bad\.yaml: rule #2: field 'name' is required",
        ),
        (
            "id: p\nversion: 1\nrules:\n  - name: r\n    match: {}\n    action: warn\n"
            "    alrt: true\n",
            r"bad\.yaml: rule 'r': unknown key\(s\) alrt",
        ),
        (
            "id: p\nversion: 1\nrules:\n  - name: r\n    match: {category: [pii]}\n"
            "    action: warn\n",
            r"bad\.yaml: rule 'r': unknown key\(s\) match\.category",
        ),
        (
            "id: p\nversion: 1\nrules:\n  - name: r\n    match: {categories: [secrets]}\n"
            "    action: warn\n",
            r"rule 'r': field 'match\.categories': unknown value\(s\) secrets",
        ),
        (
            "id: p\nversion: 1\nrules:\n  - name: r\n    match: {apps: [bard]}\n    action: warn\n",
            r"rule 'r': field 'match\.apps': unknown value\(s\) bard",
        ),
        (
            "id: p\nversion: 1\nrules:\n  - name: r\n    match: {operations: [paste]}\n"
            "    action: warn\n",
            r"rule 'r': field 'match\.operations'",
        ),
        (
            "id: p\nversion: 1\nrules:\n  - name: r\n    match: {min_count: -1}\n"
            "    action: warn\n",
            r"rule 'r': field 'match\.min_count' must be an integer >= 0",
        ),
        (
            "id: p\nversion: 1\nrules:\n  - name: r\n    match: {min_confidence: certain}\n"
            "    action: warn\n",
            r"rule 'r': field 'match\.min_confidence'",
        ),
        (
            "id: p\nversion: 1\nrules:\n  - name: r\n    match: {groups: sales}\n"
            "    action: warn\n",
            r"rule 'r': field 'match\.groups' must be a list",
        ),
        (
            "id: p\nversion: 1\nrules:\n  - name: r\n    match: {}\n    action: warn\n"
            "    alert: yes please\n",
            r"rule 'r': field 'alert' must be true or false",
        ),
        (
            "id: p\nversion: 1\nrules:\n  - name: r\n    action: warn\n",
            r"rule 'r': field 'match' is required",
        ),
        (
            "id: p\nversion: 1\nrules:\n" + GOOD_RULE + GOOD_RULE,
            r"rule 'ok': field 'name' is used twice",
        ),
        ("id: p\nversion: 1\nrules:\n  - just a string\n", r"rule #1: each rule must be a mapping"),
        (
            "id: p\nversion: 1\nrules:\n  - name: r\n    match: {}\n    action: warn\n"
            "    message: " + "x" * 2001 + "\n",
            r"rule 'r': field 'message' is longer than 2000 characters",
        ),
        ("id: " + "p" * 129 + "\nversion: 1\nrules: []\n", r"field 'id' is required"),
    ],
)
def test_bad_policy_files_name_file_rule_and_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(PolicyError, match=expected) as info:
        load_policy(path)
    assert str(path) in str(info.value)


def test_unknown_detector_is_an_error_when_detectors_are_known(tmp_path: Path) -> None:
    path = tmp_path / "default.yaml"
    path.write_text(
        "id: p\nversion: 1\nrules:\n  - name: r\n    match: {detectors: [aws-acess-key]}\n"
        "    action: block\n"
    )
    load_policy(path)  # without a catalogue, any id is accepted
    with pytest.raises(PolicyError, match=r"rule 'r': field 'match\.detectors': unknown value"):
        load_policy(path, detectors={"aws-access-key-id"})
    store = PolicyStore(tmp_path)
    with pytest.raises(PolicyError, match=r"default\.yaml: rule 'r'"):
        store.require_detectors({"aws-access-key-id"})


def test_store_needs_a_default_policy(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"default\.yaml: the default policy file is missing"):
        PolicyStore(tmp_path)


def test_store_puts_a_tenant_with_a_bad_file_at_startup_in_its_fail_mode(tmp_path: Path) -> None:
    shutil.copy(POLICY_DIR / "default.yaml", tmp_path / "default.yaml")
    (tmp_path / "acme.yaml").write_text("id: acme\nversion: 1\nrules:\n  - name: x\n")
    store = PolicyStore(tmp_path)
    ((tenant, error),) = store.load_errors
    assert tenant == "acme"
    assert re.search(r"acme\.yaml: rule 'x'.*fail mode block", error)
    assert store.for_tenant("acme").version == "fail-block"


def test_files_not_named_like_a_tenant_are_ignored(tmp_path: Path) -> None:
    shutil.copy(POLICY_DIR / "default.yaml", tmp_path / "default.yaml")
    (tmp_path / "README.yaml").write_text("not: a policy\n")
    assert PolicyStore(tmp_path).tenants == ("default",)


# --- hot reload ----------------------------------------------------------------------------------


def _write(path: Path, text: str, bump: int) -> None:
    """Write and move the mtime forward, as a later edit would (coarse mtimes on some FS)."""
    path.write_text(text)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + bump * 1_000_000_000))


TENANT = (
    "id: acme\nversion: {version}\nrules:\n  - name: r\n    match: {{categories: [pii]}}\n"
    "    action: {action}\n"
)


def test_reload_picks_up_changed_added_and_removed_files(tmp_path: Path) -> None:
    shutil.copy(POLICY_DIR / "default.yaml", tmp_path / "default.yaml")
    store = PolicyStore(tmp_path)
    assert store.reload_if_changed() == []
    assert store.for_tenant("acme").id == "default"

    tenant = tmp_path / "acme.yaml"
    _write(tenant, TENANT.format(version=1, action="warn"), bump=1)
    assert store.reload_if_changed() == []
    assert store.for_tenant("acme").version == "1"
    assert evaluate(store.for_tenant("acme"), [EMAIL]).action == "warn"

    _write(tenant, TENANT.format(version=2, action="block"), bump=2)
    assert store.reload_if_changed() == []
    assert store.for_tenant("acme").version == "2"
    assert evaluate(store.for_tenant("acme"), [EMAIL]).action == "block"

    tenant.unlink()
    assert store.reload_if_changed() == []
    assert store.for_tenant("acme").id == "default"


def test_broken_edit_keeps_the_previous_policy_and_reports_once(tmp_path: Path) -> None:
    shutil.copy(POLICY_DIR / "default.yaml", tmp_path / "default.yaml")
    tenant = tmp_path / "acme.yaml"
    tenant.write_text(TENANT.format(version=1, action="redact"))
    store = PolicyStore(tmp_path)
    before = store.for_tenant("acme")

    _write(tenant, TENANT.format(version=2, action="obliterate"), bump=1)
    errors = store.reload_if_changed()
    assert len(errors) == 1
    assert str(tenant) in errors[0] and "rule 'r'" in errors[0] and "'action'" in errors[0]
    assert "keeping the previous policy" in errors[0]
    assert store.for_tenant("acme") is before
    assert store.reload_if_changed() == []  # reported once per edit

    _write(tenant, TENANT.format(version=3, action="block"), bump=2)
    assert store.reload_if_changed() == []
    assert store.for_tenant("acme").version == "3"


def test_default_edit_reaches_tenants_that_extend_it(tmp_path: Path) -> None:
    default = tmp_path / "default.yaml"
    default.write_text(TENANT.replace("acme", "default").format(version=1, action="warn"))
    (tmp_path / "acme.yaml").write_text("id: acme\nversion: 1\nextends: default\nrules: []\n")
    store = PolicyStore(tmp_path)
    assert evaluate(store.for_tenant("acme"), [EMAIL]).action == "warn"
    digest = store.for_tenant("acme").digest
    _write(default, TENANT.replace("acme", "default").format(version=2, action="block"), bump=1)
    assert store.reload_if_changed() == []
    assert evaluate(store.for_tenant("acme"), [EMAIL]).action == "block"
    assert store.for_tenant("acme").digest != digest


def test_removing_the_default_policy_keeps_it(tmp_path: Path) -> None:
    shutil.copy(POLICY_DIR / "default.yaml", tmp_path / "default.yaml")
    store = PolicyStore(tmp_path)
    (tmp_path / "default.yaml").unlink()
    errors = store.reload_if_changed()
    assert len(errors) == 1 and "default policy file was removed" in errors[0]
    assert store.for_tenant("anyone").id == "default"


def test_reload_never_raises_when_the_folder_disappears(tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    shutil.copy(POLICY_DIR / "default.yaml", folder / "default.yaml")
    store = PolicyStore(folder)
    shutil.rmtree(folder)
    store.reload_if_changed()
    assert store.for_tenant("x").id == "default"


def test_reload_checks_unknown_detectors_after_require(tmp_path: Path) -> None:
    shutil.copy(POLICY_DIR / "default.yaml", tmp_path / "default.yaml")
    store = PolicyStore(tmp_path)
    store.require_detectors({"email", "aws-access-key-id"})
    _write(
        tmp_path / "acme.yaml",
        "id: acme\nversion: 1\nrules:\n  - name: typo\n    match: {detectors: [emial]}\n"
        "    action: block\n",
        bump=1,
    )
    errors = store.reload_if_changed()
    assert len(errors) == 1 and "rule 'typo'" in errors[0] and "emial" in errors[0]
    # A new file with no good version: the tenant runs in the fail mode, and the error says so.
    assert "fail mode block" in errors[0] and "previous policy" not in errors[0]
    assert store.for_tenant("acme").version == "fail-block"


def test_tenant_relaxes_a_default_rule_by_redefining_it(tmp_path: Path) -> None:
    shutil.copy(POLICY_DIR / "default.yaml", tmp_path / "default.yaml")
    (tmp_path / "acme.yaml").write_text(
        "id: acme\nversion: 1\nextends: default\nrules:\n"
        "  - name: redact-personal-data\n    match: {categories: [pii], groups: [sales]}\n"
        "    action: redact\n"
    )
    acme = PolicyStore(tmp_path).for_tenant("acme")
    assert [r.name for r in acme.rules].count("redact-personal-data") == 1
    assert evaluate(acme, [EMAIL], groups=("sales",)).action == "redact"
    assert evaluate(acme, [EMAIL], groups=("engineering",)).action == "allow"
    assert evaluate(acme, [AWS]).action == "block"  # the other default rules still apply
