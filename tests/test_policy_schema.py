"""rules/policy.schema.json (for editors) accepts the shipped policies and agrees with the loader's rules."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import yaml
from test_policy_helpers import EXAMPLES, RULES

from auditor.licenses.entry import CATEGORIES
from auditor.policy import Decision, loader

SCHEMA: dict[str, Any] = json.loads((RULES / "policy.schema.json").read_text(encoding="utf-8"))
SHIPPED = [RULES / "policy.yaml", *sorted(EXAMPLES.glob("*.yaml"))]


def _as_json(path: Any) -> Any:
    """The YAML as JSON would carry it: dates become ISO strings."""
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))


def test_schema_is_valid() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_policies_match_the_schema(path: Any) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(_as_json(path))


def test_schema_rejects_unknown_keys() -> None:
    document = _as_json(RULES / "policy.yaml")
    document["uses"]["saas"]["comercial"] = True
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA).validate(document)


def _keys(node: dict[str, Any]) -> set[str]:
    return set(node["properties"])


def test_schema_and_loader_know_the_same_keys() -> None:
    props = SCHEMA["properties"]
    rules = props["rules"]["properties"]
    defs = SCHEMA["$defs"]
    assert _keys(SCHEMA) == set(loader.TOP_KEYS)
    assert _keys(props["company"]) == set(loader.COMPANY_KEYS)
    assert _keys(defs["use"]) == set(loader.USE_KEYS)
    assert set(rules) == set(loader.RULE_KEYS)
    assert _keys(rules["low_confidence"]) == set(loader.LOW_CONFIDENCE_KEYS)
    assert _keys(rules["orgs"]) == set(loader.ORG_KEYS)
    assert _keys(rules["conditions"]) == set(loader.CONDITION_KEYS)
    assert _keys(defs["waiver"]) == set(loader.WAIVER_KEYS)
    assert _keys(defs["use"]["properties"]["categories"]) == set(CATEGORIES)
    assert set(defs["decision"]["enum"]) == {d.value for d in Decision}


def test_schema_and_loader_allow_the_same_actions() -> None:
    rules = SCHEMA["properties"]["rules"]["properties"]
    for name, allowed in loader.RULE_ACTIONS.items():
        assert set(rules[name]["enum"]) == {a.value for a in allowed}, name
    for name, allowed in loader.CONDITION_ACTIONS.items():
        assert set(rules["conditions"]["properties"][name]["enum"]) == {a.value for a in allowed}, name
    assert set(rules["orgs"]["properties"]["outside_allow_list"]["enum"]) == {a.value for a in loader.ORG_ACTIONS}
