"""Tenant policies: ordered YAML rules that turn a prompt's findings into an action.

A policy is data (see the comment at the top of `streams/policies/default.yaml` for the format).
`Policy.evaluate` is a pure function `(findings, app, operation, groups) -> Verdict`; the
`PolicyStore` loads `default.yaml` and one `<tenant_id>.yaml` per tenant from a folder and
re-reads them when their files change, keeping the last good policy when an edit is broken.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from detectors.engine import CONFIDENCE_LEVELS
from detectors.findings import Finding
from detectors.rules import CATEGORIES
from schemas import load as load_schema

# Least to most severe: the most severe action of all matching rules wins.
ACTIONS = ("allow", "warn", "redact", "block")
ACTION_RANKS = {action: rank for rank, action in enumerate(ACTIONS)}
CONFIDENCE_RANKS = {level: rank for rank, level in enumerate(CONFIDENCE_LEVELS)}
MODES = ("enforce", "monitor")
DEFAULT_POLICY = "default"
_event_schema = load_schema("prompt_event")
# Policy file names are tenant ids, so only names a valid event could ask for are loaded.
TENANT_ID = re.compile(_event_schema["properties"]["tenant_id"]["pattern"])
APPS: tuple[str, ...] = tuple(_event_schema["$defs"]["app"]["properties"]["name"]["enum"])
OPERATIONS: tuple[str, ...] = tuple(
    _event_schema["$defs"]["app"]["properties"]["operation"]["enum"]
)

_decision_schema = load_schema("decision")
_policy_fields = _decision_schema["properties"]["policy"]["properties"]
# Whatever a policy puts in a decision must fit the decision schema.
MAX_ID = int(_policy_fields["id"]["maxLength"])
MAX_VERSION = int(_policy_fields["version"]["maxLength"])
MAX_RULE_NAME = int(_policy_fields["rule"]["maxLength"])
MAX_MESSAGE = int(_decision_schema["properties"]["message"]["maxLength"])

DEFAULT_MESSAGES: dict[str, str] = {
    "warn": "This prompt contains information that may be sensitive. Check it before sending.",
    "redact": "Sensitive values in this prompt were replaced by placeholders before sending.",
    "block": "This prompt was blocked because it contains sensitive data.",
}

_POLICY_KEYS = {"id", "version", "mode", "extends", "description", "messages", "rules"}
_RULE_KEYS = {"name", "description", "match", "action", "alert", "message"}
_MATCH_KEYS = {
    "categories",
    "detectors",
    "min_confidence",
    "min_count",
    "apps",
    "operations",
    "groups",
    "exclude_groups",
}


class PolicyError(ValueError):
    """A policy file is invalid; the message names the file, the rule and the field."""


def action_rank(action: str) -> int:
    return ACTION_RANKS[action]


@dataclass(frozen=True, slots=True)
class Match:
    """What a rule applies to. Empty sets mean "any"."""

    categories: frozenset[str] = frozenset()
    detectors: frozenset[str] = frozenset()
    min_confidence: str = "low"
    min_count: int = 1
    apps: frozenset[str] = frozenset()
    operations: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    exclude_groups: frozenset[str] = frozenset()

    def applies_to(self, app: str, operation: str, groups: Collection[str]) -> bool:
        """The event-level scope: app, operation and the user's groups."""
        if self.apps and app not in self.apps:
            return False
        if self.operations and operation not in self.operations:
            return False
        if self.groups and self.groups.isdisjoint(groups):
            return False
        return not (self.exclude_groups and not self.exclude_groups.isdisjoint(groups))

    def selects(self, finding: Finding) -> bool:
        """The finding-level filter: category, detector and confidence."""
        return self.selects_kind(finding.detector, finding.category, finding.confidence)

    def selects_kind(self, detector: str, category: str, confidence: str) -> bool:
        """`selects` for any finding of that detector, category and confidence."""
        if self.categories and category not in self.categories:
            return False
        if self.detectors and detector not in self.detectors:
            return False
        return CONFIDENCE_RANKS[confidence] >= CONFIDENCE_RANKS[self.min_confidence]


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    match: Match
    action: str
    alert: bool = False
    message: str | None = None


# Rules as `Policy.evaluate` scans them: with their index in the policy, in file order.
_Scoped = tuple[tuple[int, Rule], ...]
# Bound of the per-policy cache of the rules selecting each kind of finding.
MAX_FINDING_KINDS = 4096


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a policy decided for one prompt.

    action: the policy's action (before monitor mode); `enforced` is what the edge applies.
    finding_actions: per finding (same order as the findings given), the most severe action of
        the rules that selected it, "allow" when none did; redaction replaces the findings whose
        action is "redact" when the prompt's action is "redact".
    """

    action: str
    enforced: str
    rule: str | None
    message: str | None
    alert: bool
    finding_actions: tuple[str, ...]
    matched_rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Policy:
    id: str
    version: str
    mode: str
    rules: tuple[Rule, ...]
    messages: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_MESSAGES))
    source: str = ""
    digest: str = ""
    # Derived from the rules at construction (and by `replace`), for `evaluate`: per app and
    # operation, the rules in scope; per kind of finding, the rules that select it (filled as
    # kinds are seen; detectors are the catalogue's, so it stays small).
    _scopes: Mapping[tuple[str, str], tuple[_Scoped, _Scoped]] = field(
        init=False, repr=False, compare=False
    )
    _selecting: dict[tuple[str, str, str], tuple[int, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        scopes = {(a, o): _scope(self.rules, a, o) for a in APPS for o in OPERATIONS}
        object.__setattr__(self, "_scopes", scopes)
        object.__setattr__(self, "_selecting", {})

    @property
    def monitor(self) -> bool:
        return self.mode == "monitor"

    def message_for(self, rule: Rule) -> str | None:
        if rule.action == "allow":
            return rule.message
        return rule.message or self.messages.get(rule.action)

    def evaluate(
        self, findings: Sequence[Finding], *, app: str, operation: str, groups: Collection[str]
    ) -> Verdict:
        """Every rule is checked; the most severe matching action wins, and among rules with
        that action the first in file order names the decision and gives the message.

        A rule matches when the event is in its scope and at least `min_count` findings pass its
        filters (`min_count: 0` matches on scope alone, e.g. "block every upload to app X").
        """
        # Only the rules whose apps and operations admit the event can match, and without
        # findings only those with `min_count: 0`: both lists are computed once per policy.
        scoped = self._scopes.get((app, operation))
        if scoped is None:  # an app or operation the event schema does not know
            scoped = _scope(self.rules, app, operation)
        candidates = scoped[0] if findings else scoped[1]
        if not candidates:
            return _nothing_matched(len(findings))
        # Which findings each rule selects, from the rules that select each kind of finding.
        selected_by: dict[int, list[int]] = {}
        for i, f in enumerate(findings):
            kind = (f.detector, f.category, f.confidence)
            selecting = self._selecting.get(kind)
            if selecting is None:
                selecting = self._rules_selecting(kind)
            for index in selecting:
                if index in selected_by:
                    selected_by[index].append(i)
                else:
                    selected_by[index] = [i]
        finding_ranks = [0] * len(findings)
        best: Rule | None = None
        best_rank = -1
        alert = False
        matched: list[str] = []
        for index, rule in candidates:
            match = rule.match
            if match.groups and match.groups.isdisjoint(groups):
                continue
            if match.exclude_groups and not match.exclude_groups.isdisjoint(groups):
                continue
            selected = selected_by.get(index, ())
            if len(selected) < match.min_count:
                continue
            matched.append(rule.name)
            rank = ACTION_RANKS[rule.action]
            for i in selected:
                if rank > finding_ranks[i]:
                    finding_ranks[i] = rank
            alert = alert or rule.alert
            if rank > best_rank:
                best, best_rank = rule, rank
        if best is None:
            return _nothing_matched(len(findings))
        action = best.action
        enforced = "allow" if self.monitor else action
        return Verdict(
            action=action,
            enforced=enforced,
            rule=best.name,
            message=self.message_for(best) if enforced != "allow" else None,
            alert=alert,
            finding_actions=tuple([ACTIONS[r] for r in finding_ranks]),
            matched_rules=tuple(matched),
        )

    def _rules_selecting(self, kind: tuple[str, str, str]) -> tuple[int, ...]:
        """The indices of the rules that select findings of (detector, category, confidence)."""
        selecting = tuple(i for i, r in enumerate(self.rules) if r.match.selects_kind(*kind))
        if len(self._selecting) < MAX_FINDING_KINDS:
            self._selecting[kind] = selecting
        return selecting


_NO_FINDING_MATCHED = Verdict(
    action="allow",
    enforced="allow",
    rule=None,
    message=None,
    alert=False,
    finding_actions=(),
    matched_rules=(),
)


def _nothing_matched(findings: int) -> Verdict:
    """The verdict when no rule matches (shared when there are no findings: it is immutable)."""
    if not findings:
        return _NO_FINDING_MATCHED
    return Verdict(
        action="allow",
        enforced="allow",
        rule=None,
        message=None,
        alert=False,
        finding_actions=("allow",) * findings,
        matched_rules=(),
    )


def _scope(rules: Sequence[Rule], app: str, operation: str) -> tuple[_Scoped, _Scoped]:
    """The rules whose apps and operations admit (app, operation), in file order; and of those,
    the ones that can match without findings (`min_count: 0`)."""
    scoped = tuple(
        (i, r)
        for i, r in enumerate(rules)
        if (not r.match.apps or app in r.match.apps)
        and (not r.match.operations or operation in r.match.operations)
    )
    return scoped, tuple((i, r) for i, r in scoped if r.match.min_count == 0)


# --- loading -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Document:
    """One parsed file, before `extends` is resolved."""

    path: Path
    policy: Policy
    extends: str | None


def _fail(where: str, reason: str) -> PolicyError:
    return PolicyError(f"{where}: {reason}")


def _string_set(
    value: Any, where: str, name: str, allowed: Collection[str] | None = None
) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _fail(where, f"field {name!r} must be a list of non-empty strings")
    if allowed is not None:
        unknown = sorted(set(value) - set(allowed))
        if unknown:
            raise _fail(
                where,
                f"field {name!r}: unknown value(s) {', '.join(unknown)}; "
                f"expected any of {', '.join(allowed)}",
            )
    return frozenset(value)


def _parse_match(raw: Any, where: str, detectors: Collection[str] | None) -> Match:
    if not isinstance(raw, dict):
        raise _fail(where, "field 'match' must be a mapping")
    unknown = sorted(set(raw) - _MATCH_KEYS)
    if unknown:
        raise _fail(
            where,
            f"unknown key(s) match.{', match.'.join(unknown)}; "
            f"allowed: {', '.join(sorted(_MATCH_KEYS))}",
        )
    min_confidence = raw.get("min_confidence", "low")
    if min_confidence not in CONFIDENCE_LEVELS:
        raise _fail(
            where,
            f"field 'match.min_confidence' must be one of {', '.join(CONFIDENCE_LEVELS)}",
        )
    min_count = raw.get("min_count", 1)
    if not isinstance(min_count, int) or isinstance(min_count, bool) or min_count < 0:
        raise _fail(where, "field 'match.min_count' must be an integer >= 0")
    return Match(
        categories=_string_set(raw.get("categories", []), where, "match.categories", CATEGORIES),
        detectors=_string_set(raw.get("detectors", []), where, "match.detectors", detectors),
        min_confidence=min_confidence,
        min_count=min_count,
        apps=_string_set(raw.get("apps", []), where, "match.apps", APPS),
        operations=_string_set(raw.get("operations", []), where, "match.operations", OPERATIONS),
        groups=_string_set(raw.get("groups", []), where, "match.groups"),
        exclude_groups=_string_set(raw.get("exclude_groups", []), where, "match.exclude_groups"),
    )


def _parse_rule(raw: Any, index: int, source: str, detectors: Collection[str] | None) -> Rule:
    name = raw.get("name") if isinstance(raw, dict) else None
    where = f"{source}: rule {name!r}" if isinstance(name, str) else f"{source}: rule #{index + 1}"
    if not isinstance(raw, dict):
        raise _fail(where, "each rule must be a mapping")
    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise _fail(
            where, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_RULE_KEYS))}"
        )
    if not isinstance(name, str) or not name.strip():
        raise _fail(where, "field 'name' is required: a non-empty string")
    if len(name) > MAX_RULE_NAME:
        raise _fail(where, f"field 'name' is longer than {MAX_RULE_NAME} characters")
    if "match" not in raw:
        raise _fail(where, "field 'match' is required")
    action = raw.get("action")
    if action not in ACTIONS:
        raise _fail(where, f"field 'action' must be one of {', '.join(ACTIONS)}")
    alert = raw.get("alert", False)
    if not isinstance(alert, bool):
        raise _fail(where, "field 'alert' must be true or false")
    message = raw.get("message")
    if message is not None and (not isinstance(message, str) or not message.strip()):
        raise _fail(where, "field 'message' must be a non-empty string")
    if message is not None and len(message) > MAX_MESSAGE:
        raise _fail(where, f"field 'message' is longer than {MAX_MESSAGE} characters")
    for key in ("description",):
        if key in raw and not isinstance(raw[key], str):
            raise _fail(where, f"field {key!r} must be a string")
    return Rule(
        name=name,
        match=_parse_match(raw["match"], where, detectors),
        action=action,
        alert=alert,
        message=message,
    )


def parse_policy(
    text: str, source: str, detectors: Collection[str] | None = None
) -> tuple[Policy, str | None]:
    """Parse one policy document; returns the policy and the name of the policy it extends.

    `detectors`, when given, is the set of known detector ids: naming another is an error, so
    a typo cannot silently disable a rule.
    """
    try:
        raw = yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None)
        raise PolicyError(f"{source}: invalid YAML{at}: {problem or exc}") from None
    if not isinstance(raw, dict):
        raise PolicyError(f"{source}: a policy file must be a mapping with 'id' and 'rules'")
    unknown = sorted(set(raw) - _POLICY_KEYS)
    if unknown:
        raise PolicyError(
            f"{source}: unknown key(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(_POLICY_KEYS))}"
        )
    policy_id = raw.get("id")
    if not isinstance(policy_id, str) or not policy_id.strip() or len(policy_id) > MAX_ID:
        raise PolicyError(
            f"{source}: field 'id' is required: a non-empty string of at most {MAX_ID} characters"
        )
    version = raw.get("version")
    if isinstance(version, bool) or not isinstance(version, (str, int)) or str(version) == "":
        raise PolicyError(f"{source}: field 'version' is required: a string or an integer")
    if len(str(version)) > MAX_VERSION:
        raise PolicyError(f"{source}: field 'version' is longer than {MAX_VERSION} characters")
    mode = raw.get("mode", "enforce")
    if mode not in MODES:
        raise PolicyError(f"{source}: field 'mode' must be one of {', '.join(MODES)}")
    extends = raw.get("extends")
    if extends is not None and extends != DEFAULT_POLICY:
        raise PolicyError(f"{source}: field 'extends' can only be {DEFAULT_POLICY!r}")
    if "description" in raw and not isinstance(raw["description"], str):
        raise PolicyError(f"{source}: field 'description' must be a string")
    messages_raw = raw.get("messages", {})
    if not isinstance(messages_raw, dict):
        raise PolicyError(f"{source}: field 'messages' must be a mapping of action to text")
    for key, value in messages_raw.items():
        if key not in DEFAULT_MESSAGES:
            raise PolicyError(
                f"{source}: field 'messages.{key}': expected one of {', '.join(DEFAULT_MESSAGES)}"
            )
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_MESSAGE:
            raise PolicyError(
                f"{source}: field 'messages.{key}' must be a non-empty string of at most "
                f"{MAX_MESSAGE} characters"
            )
    rules_raw = raw.get("rules")
    if not isinstance(rules_raw, list):
        raise PolicyError(f"{source}: field 'rules' is required: a list of rules")
    rules = tuple(_parse_rule(r, i, source, detectors) for i, r in enumerate(rules_raw))
    seen: set[str] = set()
    for rule in rules:
        if rule.name in seen:
            raise PolicyError(f"{source}: rule {rule.name!r}: field 'name' is used twice")
        seen.add(rule.name)
    policy = Policy(
        id=policy_id,
        version=str(version),
        mode=mode,
        rules=rules,
        messages={**DEFAULT_MESSAGES, **messages_raw},
        source=source,
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
    )
    return policy, extends


def load_policy(path: Path, detectors: Collection[str] | None = None) -> Policy:
    """One policy file on its own (`extends` is not resolved)."""
    return _read(path, detectors).policy


def _read(path: Path, detectors: Collection[str] | None) -> _Document:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: cannot read policy file: {exc}") from None
    policy, extends = parse_policy(text, str(path), detectors)
    return _Document(path, policy, extends)


def _resolve(document: _Document, base: _Document | None) -> Policy:
    """A policy with `extends: default` checks its own rules first, then the default's."""
    policy = document.policy
    if document.extends is None or base is None:
        return policy
    own_names = {r.name for r in policy.rules}
    inherited = tuple(r for r in base.policy.rules if r.name not in own_names)
    overridden = {k: v for k, v in policy.messages.items() if v != DEFAULT_MESSAGES.get(k)}
    return replace(
        policy,
        rules=policy.rules + inherited,
        messages={**base.policy.messages, **overridden},
        digest=hashlib.sha256((policy.digest + base.policy.digest).encode()).hexdigest()[:16],
    )


FAIL_MODES = ("block", "allow")


def fail_mode_policy(tenant: str, fail_mode: str, source: str) -> Policy:
    """What a tenant whose policy file cannot be loaded gets: block every prompt (fail closed)
    or allow every prompt (fail open), with no other rule."""
    if fail_mode not in FAIL_MODES:
        raise PolicyError(f"policy fail mode {fail_mode!r}: expected one of {FAIL_MODES}")
    rules = (
        "rules:\n"
        "  - name: policy-file-broken\n"
        "    match: {min_count: 0}\n"
        "    action: block\n"
        "    message: >-\n"
        "      Your organisation's AI policy could not be loaded, so prompts are blocked until\n"
        "      an administrator fixes it.\n"
        if fail_mode == "block"
        else "rules: []\n"
    )
    text = f"id: {tenant}\nversion: fail-{fail_mode}\nmode: enforce\n{rules}"
    policy, _extends = parse_policy(text, f"{source} (fail mode {fail_mode})")
    return policy


class PolicyStore:
    """The policies of every tenant, read from `<folder>/default.yaml` and
    `<folder>/<tenant_id>.yaml`, re-read by `reload_if_changed` when files change.

    A tenant's broken file never stops the others: at start-up, and on reload when the tenant
    has no good policy yet, the tenant gets the fail mode (`fail_mode_policy`: block or allow
    every prompt) and the error is kept in `load_errors` (tenant, message naming the file) for
    the worker to log and count. Only a broken default policy raises PolicyError at start-up:
    every tenant without a file of its own depends on it. After start-up a bad edit never
    raises: the tenant keeps its previous good policy, or its fail mode, and the error is
    returned to the caller (the worker logs it and counts it) once per edit.
    """

    def __init__(
        self,
        folder: Path,
        monitor_only: bool = False,
        detectors: Collection[str] | None = None,
        fail_mode: str = "block",
    ) -> None:
        self.folder = Path(folder)
        self.monitor_only = monitor_only
        self.fail_mode = fail_mode
        self.detectors: frozenset[str] | None = (
            frozenset(detectors) if detectors is not None else None
        )
        self._stamps: dict[Path, tuple[int, int]] = {}
        self._documents: dict[str, _Document] = {}
        self._policies: dict[str, Policy] = {}
        self.broken: dict[str, str] = {}  # tenant -> error, for tenants in their fail mode
        self.load_errors: list[tuple[str, str]] = []  # (tenant, error) found at start-up
        fail_mode_policy(DEFAULT_POLICY, fail_mode, "check")  # an unknown mode fails here
        default = self.folder / f"{DEFAULT_POLICY}.yaml"
        if not default.is_file():
            raise PolicyError(f"{default}: the default policy file is missing")
        for path, stamp in self._scan().items():
            self._stamps[path] = stamp
            self._load(path, at_start=True)
        self._build()

    def _load(self, path: Path, *, at_start: bool) -> str | None:
        """Read one tenant's file; on an error, the tenant keeps its good policy or gets the
        fail mode. Returns the error (None when the file loaded)."""
        tenant = _tenant_of(path)
        try:
            self._documents[tenant] = _read(path, self.detectors)
        except PolicyError as exc:
            if tenant == DEFAULT_POLICY and at_start:
                raise
            if tenant in self._documents and tenant not in self.broken:
                return f"{exc} (keeping the previous policy)"
            policy = fail_mode_policy(tenant, self.fail_mode, str(path))
            self._documents[tenant] = _Document(path, policy, None)
            self.broken[tenant] = str(exc)
            message = f"{exc} (no good policy for tenant {tenant}: fail mode {self.fail_mode})"
            if at_start:
                self.load_errors.append((tenant, message))
            return message
        self.broken.pop(tenant, None)
        return None

    def for_tenant(self, tenant_id: str) -> Policy:
        """The tenant's own policy, or the default one."""
        return self._policies.get(tenant_id) or self._policies[DEFAULT_POLICY]

    @property
    def tenants(self) -> tuple[str, ...]:
        return tuple(sorted(self._policies))

    def require_detectors(self, detectors: Collection[str]) -> None:
        """Check every loaded policy against the known detector ids, and every future reload.

        Raises PolicyError naming the file and rule of the first unknown detector.
        """
        known = frozenset(detectors)
        for tenant, document in list(self._documents.items()):
            if tenant in self.broken:
                continue
            try:
                _read(document.path, known)
            except PolicyError as exc:
                if tenant == DEFAULT_POLICY:
                    raise
                policy = fail_mode_policy(tenant, self.fail_mode, str(document.path))
                self._documents[tenant] = _Document(document.path, policy, None)
                self.broken[tenant] = str(exc)
                message = f"{exc} (no good policy for tenant {tenant}: fail mode {self.fail_mode})"
                self.load_errors.append((tenant, message))
        self.detectors = known
        self._build()

    def reload_if_changed(self) -> list[str]:
        """Re-read added and changed files, forget removed ones; return the errors found."""
        errors: list[str] = []
        try:
            current = self._scan()
        except PolicyError as exc:
            return [f"{exc} (keeping every policy)"]
        changed = False
        for path, stamp in current.items():
            if self._stamps.get(path) == stamp:
                continue
            self._stamps[path] = stamp  # report a broken edit once, not on every poll
            tenant = _tenant_of(path)
            had_policy = tenant in self._documents and tenant not in self.broken
            error = self._load(path, at_start=False)
            if error is not None:
                errors.append(error)
            changed = changed or error is None or not had_policy
        for path in set(self._stamps) - set(current):
            del self._stamps[path]
            tenant = _tenant_of(path)
            if tenant == DEFAULT_POLICY:
                errors.append(f"{path}: the default policy file was removed (keeping it)")
                continue
            if tenant in self._documents:
                del self._documents[tenant]
                self.broken.pop(tenant, None)
                changed = True
        if changed:
            self._build()
        return errors

    def _scan(self) -> dict[Path, tuple[int, int]]:
        stamps: dict[Path, tuple[int, int]] = {}
        try:
            paths = sorted(self.folder.glob("*.yaml"))
        except OSError as exc:  # the folder itself went away: keep everything
            raise PolicyError(f"{self.folder}: cannot list policy files: {exc}") from None
        for path in paths:
            if not TENANT_ID.fullmatch(path.stem):
                continue  # not a tenant policy file name (e.g. README.yaml): ignored
            try:
                info = path.stat()
            except OSError:
                continue  # removed while listing
            stamps[path] = (info.st_mtime_ns, info.st_size)
        return stamps

    def _build(self) -> None:
        base = self._documents.get(DEFAULT_POLICY)
        policies: dict[str, Policy] = {}
        for tenant, document in self._documents.items():
            policy = _resolve(document, base)
            if self.monitor_only:
                policy = replace(policy, mode="monitor")
            policies[tenant] = policy
        self._policies = policies  # one assignment: readers see the old or the new set


def _tenant_of(path: Path) -> str:
    return path.stem
