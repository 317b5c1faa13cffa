"""YAML, JSON and TOML configs: keys whose value names a model, with the line it is on."""

from __future__ import annotations

import yaml

from auditor.sources.discover.notebook import LineIndex, PositionDecoder, PosStr
from auditor.sources.discover.shell import scan_shell_lines
from auditor.sources.discover.sink import Sink
from auditor.sources.discover.vocabulary import (
    CONFIG_EXCLUDED,
    CONFIG_KEYS,
    CONFIG_SUFFIXES,
    INTERPOLATION_RE,
    QUOTED_RE,
    TOML_INLINE_RE,
    TOML_LINE_RE,
)
from auditor.yamlfile import BoundedLoader


def _config_key(key: object) -> bool:
    if not isinstance(key, str):
        return False
    key = key.strip().lower().replace("-", "_")
    if key in CONFIG_EXCLUDED:
        return False
    return key in CONFIG_KEYS or key.endswith(CONFIG_SUFFIXES)


def _config_value(sink: Sink, value: str, line: int, key: str) -> None:
    if sink.ignored(line):
        return
    via = f"config key {key!r}"
    if INTERPOLATION_RE.search(value):
        sink.found(line, via, expression=f"{key}: {value}")
        return
    repo_id = sink.classify(value, allow_bare=False)
    if repo_id is not None:
        sink.found(line, via, repo_id=repo_id)


def scan_yaml(text: str, sink: Sink) -> None:
    sink.lines = text.splitlines()
    try:
        documents = list(yaml.compose_all(text, Loader=BoundedLoader))  # bounded: repo files come from PRs
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        sink.warn(
            mark.line + 1 if mark is not None else 0, f"not scanned, invalid YAML: {getattr(exc, 'problem', exc)}"
        )
        documents = []
    seen: set[int] = set()
    for document in documents:
        if document is not None:
            _walk_yaml(document, sink, 0, seen)
    if "download" in text or "clone" in text:
        scan_shell_lines([(line, number) for number, line in enumerate(sink.lines, start=1)], sink, {})


def _walk_yaml(node: yaml.Node, sink: Sink, depth: int, seen: set[int]) -> None:
    """Each node once: an alias names a node already walked, so an alias bomb costs what its text costs."""
    if depth > 100 or id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        siblings = {
            k.value: v.value for k, v in node.value if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode)
        }
        repo_type = siblings.get("repo_type")
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is not None and _config_key(key) and repo_type in (None, "model"):
                values = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for item in values:
                    if isinstance(item, yaml.ScalarNode) and item.tag == "tag:yaml.org,2002:str":
                        _config_value(sink, str(item.value), item.start_mark.line + 1, str(key))
            _walk_yaml(value_node, sink, depth + 1, seen)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _walk_yaml(item, sink, depth + 1, seen)


def scan_json(text: str, sink: Sink) -> None:
    sink.lines = text.splitlines()
    try:
        data = PositionDecoder().decode(text)
    except (ValueError, RecursionError):
        return  # JSON that does not parse is data, not configuration (JSON5, JSONC, fragments, nested too deep)
    lines_of = LineIndex(text)

    def walk(value: object, depth: int) -> None:
        if depth > 100:
            return
        if isinstance(value, dict):
            repo_type = value.get("repo_type")
            for key, item in value.items():
                if _config_key(key) and repo_type in (None, "model"):
                    for candidate in item if isinstance(item, list) else [item]:
                        if isinstance(candidate, PosStr):
                            _config_value(sink, str(candidate), lines_of.line_of(candidate.pos), key)
                walk(item, depth + 1)
        elif isinstance(value, list):
            for item in value:
                walk(item, depth + 1)

    walk(data, 0)


def scan_toml(text: str, sink: Sink) -> None:
    """Line by line: key = "value", key = ["a", "b"] and inline tables; multi-line arrays are not read."""
    sink.lines = text.splitlines()
    for number, line in enumerate(sink.lines, start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "[")):
            continue
        pairs: list[tuple[str, str]] = []
        match = TOML_LINE_RE.match(line)
        if match:
            pairs.append((match.group(1), match.group(2)))
        pairs.extend((m.group(1), m.group(2)) for m in TOML_INLINE_RE.finditer(line))
        for key, rest in pairs:
            if not _config_key(key):
                continue
            rest = rest.strip()
            if rest.startswith("{"):
                continue  # an inline table: its own keys are matched above
            if rest.startswith("["):
                rest = rest.split("]", 1)[0]
            elif rest[:1] in ("'", '"'):
                quoted_value = QUOTED_RE.match(rest)
                rest = quoted_value.group(0) if quoted_value else ""
            else:
                continue
            for quoted in QUOTED_RE.finditer(rest):
                _config_value(sink, quoted.group(2), number, key)
