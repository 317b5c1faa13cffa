"""Inventory files: the models a product uses, each with its intended use, owner, notes and data.

```yaml
models:
  - id: meta-llama/Llama-3.1-8B-Instruct
    revision: 0e9e39f249a16976918f6564b8830bc894c89659   # optional
    use: saas                                           # optional; default: the run's --use
    owner: search-team
    notes: reranker
    data: [internal, personal]     # optional for Hub models: self-hosted, data rules apply only if the policy says
  - openai-community/gpt2                               # a bare id is fine too
  - api: openai/gpt-4o                                  # a hosted (closed) model behind a provider's API
    use: saas
    data: [public, internal]                            # what it receives: the policy's data rules judge it
    offering: api                                       # optional: which of the provider's offerings
```
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from auditor.errors import InputFileError
from auditor.inputfile import display_name
from auditor.models import DataClass, ModelRef, Origin
from auditor.sources.refs import hosted_id, is_key, parse_hosted_id, parse_model_id
from auditor.yamlfile import LinedDict, LinedList, load_yaml_bounded

_TEXT_KEYS = {"id", "api", "revision", "use", "owner", "notes", "offering"}
_KEYS = _TEXT_KEYS | {"data"}
DATA_CLASSES = tuple(c.value for c in DataClass)


def read_inventory(path: Path | str) -> list[ModelRef]:
    name = display_name(path)
    data = load_yaml_bounded(path, what="inventory")
    if not isinstance(data, LinedDict) or not isinstance(data.get("models"), LinedList):
        line = data.line if isinstance(data, (LinedDict, LinedList)) else None
        raise InputFileError(name, line, "an inventory needs a top-level 'models:' list")
    unknown = sorted(set(data) - {"models"})
    if unknown:
        raise InputFileError(name, data.line_of(unknown[0]), f"unknown key {unknown[0]!r} (expected 'models')")
    models: LinedList = data["models"]
    return [_entry(name, item, models.line_of(index)) for index, item in enumerate(models)]


def _entry(name: str, item: object, line: int) -> ModelRef:
    if isinstance(item, str):
        item = LinedDict({"api": item[4:]} if item.strip().startswith("api:") else {"id": item})
        item.line, item.key_lines = line, {}
    if not isinstance(item, LinedDict):
        raise InputFileError(name, line, "each model is an id or a mapping with 'id' (Hub) or 'api' (hosted)")
    for key in item:
        if key not in _KEYS:
            raise InputFileError(
                name, item.line_of(key), f"unknown key {key!r} (expected one of {', '.join(sorted(_KEYS))})"
            )
        if key in _TEXT_KEYS and item[key] is not None and not isinstance(item[key], str):
            raise InputFileError(name, item.line_of(key), f"{key!r} must be text")
    ref = ModelRef(
        "",
        use=item.get("use") or None,
        owner=item.get("owner") or None,
        notes=item.get("notes") or None,
        data=_data_classes(name, item),
    )
    if item.get("id") and item.get("api"):
        raise InputFileError(
            name, item.line_of("api"), "an entry is either a Hub model ('id') or hosted ('api'), not both"
        )
    if item.get("api"):
        if item.get("revision"):
            raise InputFileError(name, item.line_of("revision"), "a hosted model has no Hub revision")
        try:
            provider, model = parse_hosted_id(item["api"])
        except ValueError as exc:
            raise InputFileError(name, item.line_of("api"), str(exc)) from None
        offering = item.get("offering") or None
        if offering is not None and not is_key(offering):
            raise InputFileError(name, item.line_of("offering"), f"not an offering name: {offering[:80]!r}")
        return replace(
            ref, repo_id=hosted_id(provider, model), origin=Origin(name, item.line_of("api")), offering=offering
        )
    if not item.get("id"):
        raise InputFileError(name, line, "model entry without 'id' (a Hub model) or 'api' (a hosted model)")
    if item.get("offering"):
        raise InputFileError(name, item.line_of("offering"), "'offering' applies to hosted ('api:') models only")
    try:
        repo_id, revision = parse_model_id(item["id"])
    except ValueError as exc:
        raise InputFileError(name, item.line_of("id"), str(exc)) from None
    if item.get("revision"):
        if revision and revision != item["revision"]:
            raise InputFileError(name, item.line_of("revision"), "revision given twice, differently")
        revision = item["revision"]
    return replace(ref, repo_id=repo_id, revision=revision, origin=Origin(name, item.line_of("id")))


def _data_classes(name: str, item: LinedDict) -> tuple[DataClass, ...]:
    """`data:` as a list (or one value) of known data classes, each checked at its line."""
    if item.get("data") is None:
        return ()
    value = item["data"]
    items: list[tuple[object, int]]
    if isinstance(value, LinedList):
        items = [(v, value.line_of(i)) for i, v in enumerate(value)]
    else:
        items = [(value, item.line_of("data"))]
    out: dict[DataClass, None] = {}
    for raw, line in items:
        if not isinstance(raw, str) or raw.strip() not in DATA_CLASSES:
            shown = repr(raw) if isinstance(raw, str) else type(raw).__name__
            raise InputFileError(name, line, f"data class {shown} is not one of: {', '.join(DATA_CLASSES)}")
        out[DataClass(raw.strip())] = None
    return tuple(out)
