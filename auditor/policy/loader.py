"""Load a policy file and validate every value, so a mistake is reported at its file and line.

People (often legal reviewers, not programmers) write these files, so each message says what is wrong
and what would be right: the allowed values, or the nearest known key.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import functools
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import yaml

from auditor.errors import InputFileError, PolicyError, PolicyErrors
from auditor.inputfile import display_name, read_bytes_bounded
from auditor.licenses.entry import CATEGORIES, LicenseEntry
from auditor.licenses.rights import RIGHTS, EntityType, Right
from auditor.models import Waiver
from auditor.policy.data_model import DataRules
from auditor.policy.data_rules import read_data_rules
from auditor.policy.model import (
    Action,
    Company,
    Decision,
    KnowledgeLookup,
    LowConfidence,
    Policy,
    Rules,
    UseSpec,
)
from auditor.policy.territories import check_code
from auditor.policy.vocabulary import (
    COMPANY_KEYS,
    CONDITION_ACTIONS,
    CONDITION_KEYS,
    FAIL_CLOSED,
    LOW_CONFIDENCE_KEYS,
    MIN_SHA_PREFIX,
    ORG,
    ORG_ACTIONS,
    ORG_KEYS,
    REPO_ID,
    RULE_ACTIONS,
    RULE_KEYS,
    SHA_PREFIX,
    TOP_KEYS,
    USE_KEYS,
    USE_NAME,
    WAIVER_KEYS,
    implied_needs,
)
from auditor.resources import rules_file
from auditor.yamlfile import MAX_FILE_BYTES, BoundedLoader, LinedDict, LinedList, parse_yaml

T = TypeVar("T")
D = TypeVar("D")

POLICY_FILE = "policy.yaml"
BUNDLED_POLICY_LABEL = "rules/policy.yaml (bundled with auditor)"


def bundled_policy_path() -> str:
    """Where the default policy shipped with the tool lives (for messages and reports)."""
    return str(rules_file(POLICY_FILE))


def load_policy(path: Path | str | None, kb: KnowledgeLookup) -> Policy:
    """Read and validate a policy file; None loads the default policy shipped with the tool (rules/)."""
    if path is None:
        resource = rules_file(POLICY_FILE)
        name = str(resource)
        try:
            data = resource.read_bytes()
        except OSError as exc:
            raise PolicyError(name, None, f"cannot read the bundled policy: {exc}") from None
    else:
        name = display_name(path)
        try:
            data = read_bytes_bounded(path, MAX_FILE_BYTES, "policy")
        except InputFileError as exc:
            raise PolicyError(exc.path, exc.line, exc.message) from None
        return parse_policy(data, name, kb)
    policy = parse_policy(data, name, kb)
    # Reports name the bundled default the same way on every machine, so they stay reproducible.
    return dataclasses.replace(policy, path=BUNDLED_POLICY_LABEL)


def check_policy_file(path: Path | str, kb: KnowledgeLookup) -> Policy:
    """`auditor policy check FILE`: the policy when valid, else PolicyError with file and line."""
    return load_policy(path, kb)


def parse_policy(data: bytes, name: str, kb: KnowledgeLookup) -> Policy:
    """Validate policy file bytes; `name` is how errors refer to the file."""
    if len(data) > MAX_FILE_BYTES:
        raise PolicyError(name, None, f"file is larger than {MAX_FILE_BYTES} bytes ({MAX_FILE_BYTES.note})")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(name, None, f"not UTF-8 text ({exc.reason})") from None
    try:
        doc = parse_yaml(text, name)
    except InputFileError as exc:
        raise PolicyError(exc.path, exc.line, exc.message) from None
    except ValueError as exc:  # a scalar YAML resolves but cannot build, e.g. the date 2025-13-01
        raise PolicyError(name, _bad_scalar_line(text), f"invalid value: {exc}") from None
    reader = _Reader(name, kb)
    return reader.policy(doc, hashlib.sha256(data).hexdigest())


def _bad_scalar_line(text: str) -> int | None:
    """The line of the first scalar the YAML loader cannot construct (an impossible date)."""
    try:
        root = yaml.compose(text, Loader=BoundedLoader)
    except yaml.YAMLError:
        return None
    constructor = yaml.SafeLoader("")
    stack: list[yaml.Node] = [root] if root is not None else []
    while stack:
        node = stack.pop(0)
        if isinstance(node, yaml.ScalarNode):
            try:
                constructor.construct_object(node, deep=True)
            except ValueError:
                return int(node.start_mark.line) + 1
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
    return None


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _type_name(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "yes/no"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, datetime.date):
        return "a date"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


class _Reader:
    """Walks the parsed YAML, checking each value where it was written."""

    def __init__(self, path: str, kb: KnowledgeLookup) -> None:
        self.path = path
        self.kb = kb
        self.errors: list[PolicyError] = []

    def fail(self, line: int | None, message: str) -> PolicyError:
        return PolicyError(self.path, line or None, message)

    def attempt(self, read: Callable[[], T], fallback: D) -> T | D:
        """`read()`, or `fallback` with its error kept for the end: every mistake is reported, not the first."""
        try:
            return read()
        except PolicyErrors as exc:
            self.errors.extend(exc.errors)
        except PolicyError as exc:
            self.errors.append(exc)
        return fallback

    # ------------------------------------------------------------ generic readers

    def mapping(self, value: Any, where: str, line: int | None) -> LinedDict:
        if not isinstance(value, LinedDict):
            raise self.fail(line, f"{where} must be a mapping of `key: value` lines, not {_type_name(value)}")
        if line:
            # A missing key is reported where its owner is written (`saas:`), not at the first key under it.
            value.line = line
        return value

    def keys(self, node: LinedDict, allowed: tuple[str, ...], where: str) -> None:
        for key in node:
            if key not in allowed:
                hint = _suggest(key, allowed) or f"; allowed: {', '.join(allowed)}"
                raise self.fail(node.line_of(key), f"unknown key {key!r} in {where}{hint}")

    def required(self, node: LinedDict, key: str, where: str) -> Any:
        if key not in node:
            raise self.fail(node.line, f"{where} is missing {key!r}")
        return node[key]

    def text(self, node: LinedDict, key: str, where: str, *, required: bool = False) -> str | None:
        if key not in node or node[key] is None:
            if required:
                raise self.fail(node.line_of(key), f"{where}.{key} is required")
            return None
        value = node[key]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            # YAML turns 0123456 into the octal number 42798, so a number here cannot be trusted as written.
            raise self.fail(
                node.line_of(key), f"{where}.{key} is read as the number {value!r}; put it in quotes to keep it as text"
            )
        if not isinstance(value, str):
            raise self.fail(node.line_of(key), f"{where}.{key} must be text, not {_type_name(value)}")
        value = value.strip()
        if required and not value:
            raise self.fail(node.line_of(key), f"{where}.{key} must not be empty")
        return value or None

    def flag(self, node: LinedDict, key: str, where: str) -> bool:
        value = self.required(node, key, where)
        if not isinstance(value, bool):
            raise self.fail(
                node.line_of(key), f"{where}.{key} must be true or false, not {_type_name(value)} {value!r}"
            )
        return value

    def count(self, node: LinedDict, key: str, where: str) -> int | None:
        value = node.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(
                node.line_of(key),
                f"{where}.{key} must be a whole number such as 5_000_000 (or ~ when not declared), "
                f"not {_type_name(value)} {value!r}",
            )
        if value < 0:
            raise self.fail(node.line_of(key), f"{where}.{key} must not be negative")
        return value

    def choice(self, node: LinedDict, key: str, where: str, kind: Callable[[str], T], allowed: Iterable[T]) -> T:
        allowed = tuple(allowed)
        names = [str(getattr(a, "value", a)) for a in allowed]
        value = node[key]
        if isinstance(value, str):
            try:
                result = kind(value.strip())
            except ValueError:
                result = None
            if result is not None and result in allowed:
                return result
        shown = f"{value!r}" if isinstance(value, str) else _type_name(value)
        raise self.fail(node.line_of(key), f"{where}.{key} is {shown}; expected one of: {', '.join(names)}")

    def string_list(self, node: LinedDict, key: str, where: str) -> list[tuple[str, int]]:
        """A list of text items with their lines; a single text value counts as a one-item list."""
        value = node[key]
        line = node.line_of(key)
        if isinstance(value, str):
            return [(value.strip(), line)]
        if not isinstance(value, LinedList):
            raise self.fail(line, f"{where}.{key} must be a list, not {_type_name(value)}")
        out = []
        for index, item in enumerate(value):
            if item is False and key == "territories":
                raise self.fail(
                    value.line_of(index),
                    f"{where}.{key}: YAML reads a bare NO (Norway) as 'false'; write it in quotes: 'NO'",
                )
            if not isinstance(item, str) or not item.strip():
                raise self.fail(value.line_of(index), f"{where}.{key} items must be text, not {_type_name(item)}")
            out.append((item.strip(), value.line_of(index)))
        return out

    # ------------------------------------------------------------ the document

    def policy(self, doc: Any, sha256: str) -> Policy:
        if doc is None:
            raise self.fail(None, "the policy file is empty")
        root = self.mapping(doc, "the policy", 1)
        # Each section and each use or waiver is checked on its own, so one run reports every mistake.
        self.attempt(lambda: self.keys(root, TOP_KEYS, "the policy"), None)
        name = self.attempt(lambda: self.text(root, "name", "policy"), None)
        version = self.attempt(lambda: self.text(root, "version", "policy"), None)
        company = (
            self.attempt(lambda: self.company(root["company"], root.line_of("company")), Company())
            if "company" in root
            else Company()
        )
        uses_node = self.mapping(self.required(root, "uses", "the policy"), "uses", root.line_of("uses"))
        if not uses_node:
            raise self.fail(root.line_of("uses"), "uses must define at least one intended use")
        uses: dict[str, UseSpec] = {}
        for use_name in uses_node:
            spec = self.attempt(
                functools.partial(self.use, use_name, uses_node[use_name], uses_node.line_of(use_name)), None
            )
            if spec is not None:
                uses[use_name] = spec
        default_use = self.attempt(lambda: self.text(root, "default_use", "policy", required=True), None)
        if default_use is not None and default_use not in uses_node:
            self.errors.append(
                self.fail(
                    root.line_of("default_use"),
                    f"default_use {default_use!r} is not one of the uses defined: {', '.join(uses_node)}"
                    + _suggest(default_use, uses_node),
                )
            )
        rules = (
            self.attempt(lambda: self.rules(root["rules"], root.line_of("rules")), Rules())
            if "rules" in root
            else Rules()
        )
        waivers = (
            self.attempt(lambda: self.waivers(root["waivers"], root.line_of("waivers"), uses), ())
            if "waivers" in root
            else ()
        )
        data = (
            self.attempt(lambda: read_data_rules(self, root["data"], root.line_of("data")), DataRules())
            if root.get("data") is not None
            else DataRules()
        )
        if self.errors:
            raise PolicyErrors(self.errors)
        assert default_use is not None
        return Policy(
            path=self.path,
            sha256=sha256,
            default_use=default_use,
            company=company,
            uses=_frozen(uses),
            rules=rules,
            waivers=waivers,
            name=name,
            version=version,
            data=data,
        )

    def company(self, value: Any, line: int) -> Company:
        if value is None:
            return Company()
        node = self.mapping(value, "company", line)
        # Every fact is read on its own, so one run reports every mistake in the section.
        self.attempt(lambda: self.keys(node, COMPANY_KEYS, "company"), None)
        territories = self.attempt(lambda: self.territories(node), None)
        place = self.attempt(lambda: self.place(node), None)
        entity = provider = None
        if node.get("entity_type") is not None:
            entity = self.attempt(lambda: self.choice(node, "entity_type", "company", EntityType, EntityType), None)
        if node.get("service_provider") is not None:
            provider = self.attempt(lambda: self.flag(node, "service_provider", "company"), None)
        counts = {
            key: self.attempt(functools.partial(self.count, node, key, "company"), None)
            for key in ("monthly_active_users", "annual_revenue_usd", "daily_active_users", "monthly_visits")
        }
        return Company(
            **counts,
            territories=territories,
            principal_place_of_business=place,
            entity_type=entity,
            service_provider=provider,
        )

    def territories(self, node: LinedDict) -> tuple[str, ...] | None:
        if node.get("territories") is None:
            return None
        items = self.string_list(node, "territories", "company")
        for code, item_line in items:
            problem = check_code(code)
            if problem:
                raise self.fail(item_line, f"company.territories: {problem}")
        territories = tuple(dict.fromkeys(code for code, _ in items))
        if not territories:
            raise self.fail(node.line_of("territories"), "company.territories is empty; use ~ when not declared")
        return territories

    def place(self, node: LinedDict) -> str | None:
        place = self.text(node, "principal_place_of_business", "company")
        problem = check_code(place) if place is not None else None
        if problem:
            where = "company.principal_place_of_business"
            raise self.fail(node.line_of("principal_place_of_business"), f"{where}: {problem}")
        return place

    def use(self, name: str, value: Any, line: int) -> UseSpec:
        where = f"uses.{name}"
        if not USE_NAME.match(name):
            raise self.fail(line, f"use name {name!r} must be lower-case letters, digits and '-'")
        node = self.mapping(value, where, line)
        # Each value is read on its own (a mistake is kept for the end), so one run reports them all.
        self.attempt(lambda: self.keys(node, USE_KEYS, where), None)
        categories: dict[str, Decision] = {}
        if node.get("categories") is not None:
            cats = self.mapping(node["categories"], f"{where}.categories", node.line_of("categories"))
            for category in cats:
                self.attempt(functools.partial(self.category, cats, category, where, categories), None)
        licenses: dict[str, Decision] = {}
        if node.get("licenses") is not None:
            lics = self.mapping(node["licenses"], f"{where}.licenses", node.line_of("licenses"))
            for written in lics:
                self.attempt(functools.partial(self.use_license, lics, written, where, licenses), None)
        commercial, distributes, modifies = (
            bool(self.attempt(functools.partial(self.flag, node, key, where), False))
            for key in ("commercial", "distributes", "modifies")
        )
        if "needs" in node:
            needs = self.attempt(lambda: self.needs(node, where), ())
        else:
            needs = implied_needs(commercial=commercial, distributes=distributes, modifies=modifies)
        return UseSpec(
            name=name,
            description=self.attempt(lambda: self.text(node, "description", where, required=True), None) or "",
            commercial=commercial,
            distributes=distributes,
            modifies=modifies,
            categories=_frozen(categories),
            licenses=_frozen(licenses),
            line=line,
            needs=needs,
        )

    def category(self, cats: LinedDict, category: str, where: str, out: dict[str, Decision]) -> None:
        if category not in CATEGORIES:
            raise self.fail(
                cats.line_of(category),
                f"unknown license category {category!r} in {where}.categories"
                + (_suggest(category, CATEGORIES) or f"; known: {', '.join(CATEGORIES)}"),
            )
        out[category] = self.choice(cats, category, f"{where}.categories", Decision, Decision)

    def use_license(self, lics: LinedDict, written: str, where: str, out: dict[str, Decision]) -> None:
        key = self.license_key(written, lics.line_of(written), f"{where}.licenses")
        if key in out:
            raise self.fail(lics.line_of(written), f"{where}.licenses names {key!r} twice")
        out[key] = self.choice(lics, written, f"{where}.licenses", Decision, Decision)

    def needs(self, node: LinedDict, where: str) -> tuple[Right, ...]:
        """`needs:` as a list of right keys (empty: the use needs no right checked)."""
        if node["needs"] is None:
            return ()
        items = self.string_list(node, "needs", where)
        known = [r.value for r in RIGHTS]
        out: list[Right] = []
        for written, item_line in items:
            if written not in known:
                hint = _suggest(written, known) or f"; known rights: {', '.join(known)}"
                raise self.fail(item_line, f"{where}.needs: unknown right {written!r}{hint}")
            right = Right(written)
            if right in out:
                raise self.fail(item_line, f"{where}.needs names {written!r} twice")
            out.append(right)
        return tuple(out)

    def license_key(self, written: str, line: int, where: str) -> str:
        """The knowledge-base key for a license as written: its key, or a unique Hub/SPDX id or alias."""
        if self.kb.get(written) is not None:
            return written
        wanted = written.strip().lower()
        matches: list[LicenseEntry] = []
        for entry in self.kb:
            names = (entry.key, entry.spdx or "", entry.licenseref or "", *entry.hub_ids, *entry.aliases)
            if wanted in (n.lower() for n in names if n):
                matches.append(entry)
        if len(matches) == 1:
            return matches[0].key
        if len(matches) > 1:
            keys = ", ".join(sorted(e.key for e in matches))
            raise self.fail(line, f"{where}: {written!r} could mean any of {keys}; write the key")
        raise self.fail(
            line,
            f"{where}: unknown license {written!r} (not in the license knowledge base)"
            + _suggest(written, [e.key for e in self.kb]),
        )

    def rules(self, value: Any, line: int) -> Rules:
        if value is None:
            return Rules()
        node = self.mapping(value, "rules", line)
        self.keys(node, RULE_KEYS, "rules")
        defaults = Rules()
        chosen: dict[str, Any] = {}
        for key, allowed in RULE_ACTIONS.items():
            if node.get(key) is not None:
                chosen[key] = self.choice(node, key, "rules", Action, allowed)
        if node.get("low_confidence") is not None:
            low = self.mapping(node["low_confidence"], "rules.low_confidence", node.line_of("low_confidence"))
            self.keys(low, LOW_CONFIDENCE_KEYS, "rules.low_confidence")
            below = self.required(low, "below", "rules.low_confidence")
            if isinstance(below, bool) or not isinstance(below, (int, float)) or not 0 <= below <= 1:
                raise self.fail(low.line_of("below"), "rules.low_confidence.below must be a number from 0 to 1")
            action = defaults.low_confidence.action
            if "action" in low:
                action = self.choice(low, "action", "rules.low_confidence", Action, FAIL_CLOSED)
            chosen["low_confidence"] = LowConfidence(float(below), action)
        if node.get("orgs") is not None:
            orgs = self.mapping(node["orgs"], "rules.orgs", node.line_of("orgs"))
            self.keys(orgs, ORG_KEYS, "rules.orgs")
            for key, field_name in (("deny", "deny_orgs"), ("allow", "allow_orgs")):
                if orgs.get(key) is None:
                    continue
                items = self.string_list(orgs, key, "rules.orgs")
                for org, item_line in items:
                    if not ORG.match(org):
                        raise self.fail(item_line, f"rules.orgs.{key}: {org!r} is not a Hub user or org name")
                chosen[field_name] = tuple(dict.fromkeys(org for org, _ in items))
            both = set(map(str.lower, chosen.get("deny_orgs", ()))) & set(map(str.lower, chosen.get("allow_orgs", ())))
            if both:
                raise self.fail(orgs.line, f"rules.orgs lists {', '.join(sorted(both))} as both allowed and denied")
            if orgs.get("outside_allow_list") is not None:
                chosen["outside_allow_list"] = self.choice(
                    orgs, "outside_allow_list", "rules.orgs", Action, ORG_ACTIONS
                )
        if node.get("conditions") is not None:
            cond = self.mapping(node["conditions"], "rules.conditions", node.line_of("conditions"))
            self.keys(cond, CONDITION_KEYS, "rules.conditions")
            for key, allowed in CONDITION_ACTIONS.items():
                if cond.get(key) is not None:
                    chosen[key] = self.choice(cond, key, "rules.conditions", Action, allowed)
        return Rules(**chosen)

    def waivers(self, value: Any, line: int, uses: Mapping[str, UseSpec]) -> tuple[Waiver, ...]:
        if value is None:
            return ()
        if not isinstance(value, LinedList):
            raise self.fail(line, f"waivers must be a list of `- model: …` entries, not {_type_name(value)}")
        found = [
            self.attempt(functools.partial(self.waiver, item, value.line_of(i), uses), None)
            for i, item in enumerate(value)
        ]
        return tuple(w for w in found if w is not None)

    def waiver(self, value: Any, line: int, uses: Mapping[str, UseSpec]) -> Waiver:
        node = self.mapping(value, "each waiver", line)
        where = "waiver"
        self.keys(node, WAIVER_KEYS, where)
        model = self.text(node, "model", where, required=True) or ""
        where = f"waiver for {model}"
        if not (REPO_ID.match(model) or _hosted_id_ok(model)):
            raise self.fail(
                node.line_of("model"),
                f"waiver model {model!r} is not a Hub repo id like org/name or a hosted model like api:PROVIDER/MODEL",
            )
        revision = self.text(node, "revision", where)
        if revision is not None and not SHA_PREFIX.match(revision):
            raise self.fail(
                node.line_of("revision"),
                f"{where}: revision {revision!r} must be a commit sha (at least {MIN_SHA_PREFIX} hex characters); "
                "branch and tag names move, so a waiver cannot be pinned to them",
            )
        use_names: tuple[str, ...] = ()
        if "uses" in node:
            if node["uses"] is None:
                raise self.fail(node.line_of("uses"), f"{where}: uses is empty; omit it to cover every use")
            items = self.string_list(node, "uses", where)
            if not items:
                raise self.fail(node.line_of("uses"), f"{where}: uses is empty; omit it to cover every use")
            for use, item_line in items:
                if use not in uses:
                    raise self.fail(
                        item_line,
                        f"{where}: unknown use {use!r}; the policy defines: {', '.join(uses)}" + _suggest(use, uses),
                    )
            use_names = tuple(dict.fromkeys(use for use, _ in items))
        expires = self.date(node, "expires", where)
        return Waiver(
            model=model,
            uses=use_names,
            reason=self.text(node, "reason", where, required=True) or "",
            approved_by=self.text(node, "approved_by", where, required=True) or "",
            expires=expires.isoformat(),
            revision=revision.lower() if revision else None,
            ticket=self.text(node, "ticket", where),
            line=line,
        )

    def date(self, node: LinedDict, key: str, where: str) -> datetime.date:
        value = self.required(node, key, where)
        line = node.line_of(key)
        if isinstance(value, datetime.datetime):
            raise self.fail(line, f"{where}: {key} must be a date like 2026-06-30, without a time")
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, str):
            try:
                if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
                    return datetime.date.fromisoformat(value.strip())
            except ValueError as exc:
                raise self.fail(line, f"{where}: {key} {value!r} is not a real date ({exc})") from None
        shown = repr(value) if isinstance(value, str) else _type_name(value)
        raise self.fail(line, f"{where}: {key} must be a date written YYYY-MM-DD, not {shown}")


def _hosted_id_ok(model: str) -> bool:
    from auditor.sources.refs import is_hosted_id, parse_hosted_id

    if not is_hosted_id(model):
        return False
    try:
        parse_hosted_id(model)
    except ValueError:
        return False
    return True


def _frozen(items: Mapping[str, T]) -> Mapping[str, T]:
    return MappingProxyType(dict(items))
