"""YAML files people write (policy, inventory, lock), loaded safely with the line of every value.

Errors in these files must name the file and line, so mappings and lists remember where each of
their items was written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from auditor.errors import InputFileError

MAX_FILE_BYTES = 8 * 1024 * 1024


class LinedDict(dict[str, Any]):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LinedList(list[Any]):
    """A list that knows its own line and the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


class _Loader(yaml.SafeLoader):
    pass


def _build(loader: _Loader, node: yaml.Node, path: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        mapping = LinedDict()
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        for key_node, value_node in node.value:
            key = _build(loader, key_node, path)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise InputFileError(path, key_node.start_mark.line + 1, "mapping keys must be plain scalars")
            key = str(key)
            if key in mapping:
                raise InputFileError(path, key_node.start_mark.line + 1, f"duplicate key {key!r}")
            mapping[key] = _build(loader, value_node, path)
            mapping.key_lines[key] = key_node.start_mark.line + 1
        return mapping
    if isinstance(node, yaml.SequenceNode):
        items = LinedList()
        items.line = node.start_mark.line + 1
        items.item_lines = []
        for item in node.value:
            items.append(_build(loader, item, path))
            items.item_lines.append(item.start_mark.line + 1)
        return items
    try:
        return loader.construct_object(node, deep=True)
    except ValueError as exc:  # e.g. an impossible date such as 2025-13-01
        raise InputFileError(path, node.start_mark.line + 1, f"invalid value {node.value!r}: {exc}") from None


def parse_yaml(text: str, path: str) -> Any:
    """Parse one YAML document safely, keeping lines; a syntax error names its line."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        return _build(loader, node, path)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise InputFileError(path, line, f"invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise InputFileError(path, None, f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()


def load_yaml(path: Path | str) -> Any:
    """Read and parse a YAML file a person wrote; unreadable files are input errors, not crashes."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputFileError(name, None, f"cannot read file: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise InputFileError(name, None, f"file is larger than {MAX_FILE_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(name, None, f"not UTF-8 text ({exc.reason})") from None
    return parse_yaml(text, name)
