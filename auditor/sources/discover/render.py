"""Discovery as text: a list file for `scan -r`, an inventory to add uses to, JSON."""

from __future__ import annotations

import json
from collections.abc import Callable

from auditor.sources.discover.model import Discovery, Reference


def _sorted_models(discovery: Discovery) -> list[tuple[str, str | None, list[Reference]]]:
    return sorted(discovery.models(), key=lambda item: (item[0].lower(), item[1] or ""))


def render_list(discovery: Discovery) -> str:
    """A list file `auditor scan -r` reads back: each model with `# file:line` comments above it."""
    lines = [
        "# Models found by `auditor discover`: one ORG/NAME[@REVISION] per line, where each is used above it.",
    ]
    for repo_id, revision, found in _sorted_models(discovery):
        lines.append("# " + ", ".join(ref.where for ref in found))
        lines.append(repo_id if revision is None else f"{repo_id}@{revision}")
    if discovery.unresolved:
        lines.append("")
        lines.append("# Unresolved: the model id is computed at run time. Add the models they load by hand:")
        for ref in discovery.unresolved:
            lines.append(f"#   {ref.where}: {_one_line(ref.expression or '')}")
    return "\n".join(lines) + "\n"


def render_inventory(discovery: Discovery) -> str:
    """An inventory (`models:` list) to complete with each model's intended use and owner."""
    lines = [
        "# Models found by `auditor discover`. Add `use:` and `owner:` to each, then: auditor scan -r THIS_FILE",
        "models:",
    ]
    models = _sorted_models(discovery)
    if not models:
        lines[-1] = "models: []"
    for repo_id, revision, found in models:
        lines.append(f"  - id: {json.dumps(repo_id)}")
        if revision is not None:
            lines.append(f"    revision: {json.dumps(revision)}")
        lines.append(
            f"    notes: {json.dumps('found at ' + ', '.join(ref.where for ref in found), ensure_ascii=False)}"
        )
    for ref in discovery.unresolved:
        lines.append(f"  # unresolved at {ref.where}: {_one_line(ref.expression or '')}")
    return "\n".join(lines) + "\n"


def render_json(discovery: Discovery) -> str:
    def location(ref: Reference) -> dict[str, object]:
        data: dict[str, object] = {"path": ref.origin.path, "line": ref.origin.line, "where": ref.where, "via": ref.via}
        if ref.expression is not None:
            data["expression"] = ref.expression
        return data

    document = {
        "version": 1,
        "files_scanned": discovery.files_scanned,
        "models": [
            {"id": repo_id, "revision": revision, "locations": [location(ref) for ref in found]}
            for repo_id, revision, found in _sorted_models(discovery)
        ],
        "unresolved": [location(ref) for ref in discovery.unresolved],
        "warnings": list(discovery.warnings),
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


RENDERERS: dict[str, Callable[[Discovery], str]] = {
    "list": render_list,
    "inventory": render_inventory,
    "json": render_json,
}
