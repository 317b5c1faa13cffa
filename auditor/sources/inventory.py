"""Inventory files: the models a product uses, each with its intended use, owner and notes.

```yaml
models:
  - id: meta-llama/Llama-3.1-8B-Instruct
    revision: 0e9e39f249a16976918f6564b8830bc894c89659   # optional
    use: saas                                           # optional; default: the run's --use
    owner: search-team
    notes: reranker
  - openai-community/gpt2                               # a bare id is fine too
```
"""

from __future__ import annotations

from pathlib import Path

from auditor.errors import InputFileError
from auditor.models import ModelRef, Origin
from auditor.sources.refs import parse_model_id
from auditor.yamlfile import LinedDict, LinedList, load_yaml

_KEYS = {"id", "revision", "use", "owner", "notes"}


def read_inventory(path: Path | str) -> list[ModelRef]:
    name = str(path)
    data = load_yaml(path)
    if not isinstance(data, LinedDict) or not isinstance(data.get("models"), LinedList):
        line = data.line if isinstance(data, (LinedDict, LinedList)) else None
        raise InputFileError(name, line, "an inventory needs a top-level 'models:' list")
    unknown = sorted(set(data) - {"models"})
    if unknown:
        raise InputFileError(name, data.line_of(unknown[0]), f"unknown key {unknown[0]!r} (expected 'models')")
    models: LinedList = data["models"]
    refs = []
    for index, item in enumerate(models):
        line = models.line_of(index)
        if isinstance(item, str):
            item = LinedDict({"id": item})
            item.line, item.key_lines = line, {}
        if not isinstance(item, LinedDict):
            raise InputFileError(name, line, "each model is an id or a mapping with 'id'")
        for key in item:
            if key not in _KEYS:
                raise InputFileError(
                    name, item.line_of(key), f"unknown key {key!r} (expected one of {', '.join(sorted(_KEYS))})"
                )
            if item[key] is not None and not isinstance(item[key], str):
                raise InputFileError(name, item.line_of(key), f"{key!r} must be text")
        if not item.get("id"):
            raise InputFileError(name, line, "model entry without 'id'")
        try:
            repo_id, revision = parse_model_id(item["id"])
        except ValueError as exc:
            raise InputFileError(name, item.line_of("id"), str(exc)) from None
        if item.get("revision"):
            if revision and revision != item["revision"]:
                raise InputFileError(name, item.line_of("revision"), "revision given twice, differently")
            revision = item["revision"]
        refs.append(
            ModelRef(
                repo_id,
                revision,
                origin=Origin(name, item.line_of("id")),
                use=item.get("use") or None,
                owner=item.get("owner") or None,
                notes=item.get("notes") or None,
            )
        )
    return refs
