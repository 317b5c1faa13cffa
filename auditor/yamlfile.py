"""YAML files people write (policy, inventory, lock), loaded safely with the line of every value.

Errors in these files must name the file and line, so mappings and lists remember where each of
their items was written. Such files can come from a pull request, so they are read through
`inputfile` (bounded, regular files only) and parsed within budgets: values, aliases expanded,
and depth (auditor.limits).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from auditor import limits
from auditor.errors import InputFileError
from auditor.inputfile import display_name, limit_note, read_text_bounded

MAX_FILE_BYTES = limits.INPUT_FILE_BYTES


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


class YAMLBudgetError(yaml.YAMLError):
    """A YAML document past one of its budgets (values, depth), with the line where it went past."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _Bounded:
    """Counts values and depth while composing (see BoundedLoader); mixed into a loader before its Composer."""

    budget: Budget
    _depth: int
    peek_event: Callable[[], Any]  # the parser's, pure-Python or libyaml's: its events carry their marks

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        line = self.peek_event().start_mark.line + 1
        self._depth += 1
        try:
            self.budget.spend(line, self._depth)
            return super().compose_node(parent, index)  # type: ignore[misc, no-any-return]
        finally:
            self._depth -= 1


class BoundedLoader(_Bounded, yaml.SafeLoader):
    """SafeLoader that counts values and depth while it composes, so neither a million values nor a
    million levels get built. The card loader and the loader of people's files both use it.

    Composing keeps aliases as shared nodes (linear in the file); a budget on the values *built*
    from them (`Budget`) stops the expansion an alias bomb asks for.
    """

    def __init__(self, stream: str, *, nodes: int = limits.YAML_NODES, depth: int = limits.YAML_DEPTH) -> None:
        super().__init__(stream)
        self.budget = Budget(nodes, depth)
        self._depth = 0


_LIBYAML: bool = getattr(yaml, "__with_libyaml__", False)  # PyYAML built with libyaml's scanner and parser

if _LIBYAML:
    from yaml._yaml import CParser

    class _FastBoundedLoader(
        _Bounded, yaml.composer.Composer, CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver
    ):
        """BoundedLoader with libyaml's scanner and parser (4x faster on a policy or lock file) under the
        same Python composer, budgets, resolver and constructor. libyaml only makes the events; nesting
        is still counted before it is built, and any failure is read again by BoundedLoader (parse_yaml)."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self.budget = Budget(limits.YAML_NODES, limits.YAML_DEPTH)
            self._depth = 0


class Budget:
    """Values left, values reached through aliases left, and the deepest level allowed; each value
    built (or composed) spends one, and one more of the alias budget when an alias led to it."""

    def __init__(self, nodes: int, depth: int, aliases: int = limits.YAML_ALIAS_VALUES) -> None:
        self.nodes = nodes
        self.depth = depth
        self.aliases = aliases
        self.left = nodes
        self.aliases_left = aliases
        self._built: set[int] = set()

    def spend_node(self, node: yaml.Node, depth: int) -> None:
        """`spend` for a composed node: built once already means an alias leads here again."""
        if id(node) in self._built:
            self.aliases_left -= 1
            if self.aliases_left < 0:
                raise YAMLBudgetError(
                    node.start_mark.line + 1,
                    f"more than {int(self.aliases)} values reached through aliases ({limit_note(self.aliases)})",
                )
        else:
            self._built.add(id(node))
        self.spend(node.start_mark.line + 1, depth)

    def spend(self, line: int | None, depth: int) -> None:
        self.left -= 1
        if self.left < 0:
            raise YAMLBudgetError(
                line, f"more than {int(self.nodes)} values, aliases expanded ({limit_note(self.nodes)})"
            )
        if depth > self.depth:
            raise YAMLBudgetError(line, f"nested deeper than {int(self.depth)} levels ({limit_note(self.depth)})")


def _build(
    loader: yaml.constructor.SafeConstructor, node: yaml.Node, path: str, budget: Budget | None = None, depth: int = 1
) -> Any:
    """Lined data from a composed node; `budget` counts every value built, aliases as often as they are used."""
    if budget is None:
        budget = Budget(limits.YAML_NODES, limits.YAML_DEPTH)
    try:
        budget.spend_node(node, depth)
    except YAMLBudgetError as exc:
        raise InputFileError(path, exc.line, exc.message) from None
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        mapping = LinedDict()
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        for key_node, value_node in node.value:
            key = _build(loader, key_node, path, budget, depth + 1)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise InputFileError(path, key_node.start_mark.line + 1, "mapping keys must be plain scalars")
            key = str(key)
            if key in mapping:
                raise InputFileError(path, key_node.start_mark.line + 1, f"duplicate key {key!r}")
            mapping[key] = _build(loader, value_node, path, budget, depth + 1)
            mapping.key_lines[key] = key_node.start_mark.line + 1
        return mapping
    if isinstance(node, yaml.SequenceNode):
        items = LinedList()
        items.line = node.start_mark.line + 1
        items.item_lines = []
        for item in node.value:
            items.append(_build(loader, item, path, budget, depth + 1))
            items.item_lines.append(item.start_mark.line + 1)
        return items
    try:
        return loader.construct_object(node, deep=True)
    except ValueError as exc:  # e.g. an impossible date such as 2025-13-01
        raise InputFileError(path, node.start_mark.line + 1, f"invalid value {node.value!r}: {exc}") from None


def parse_yaml(text: str, path: str) -> Any:
    """Parse one YAML document safely and within budgets, keeping lines; a syntax error names its line.

    Through libyaml's parser when PyYAML has it; a document it cannot read (or reads past a budget) is
    read again by the pure-Python loader, so every error and its line are the ones that loader gives."""
    if _LIBYAML:
        fast: _FastBoundedLoader | None = None
        try:
            fast = _FastBoundedLoader(text)
            node = fast.get_single_node()
            return None if node is None else _build(fast, node, path, Budget(limits.YAML_NODES, limits.YAML_DEPTH))
        except (yaml.YAMLError, InputFileError, RecursionError, UnicodeError, ValueError, TypeError):
            pass  # read again below, for the error the pure-Python loader gives
        finally:
            if fast is not None:
                fast.dispose()
    loader: BoundedLoader | None = None
    try:  # the loader reads (and may refuse) its first characters as it is made
        loader = BoundedLoader(text)
        node = loader.get_single_node()
        if node is None:
            return None
        return _build(loader, node, path, Budget(limits.YAML_NODES, limits.YAML_DEPTH))
    except YAMLBudgetError as exc:
        raise InputFileError(path, exc.line, exc.message) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise InputFileError(path, line, f"invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise InputFileError(path, None, f"invalid YAML: {exc}") from None
    except RecursionError:  # not reached within the depth budget; kept so no stack overflow can escape
        raise InputFileError(path, None, f"nested too deeply ({limits.YAML_DEPTH.note})") from None
    finally:
        if loader is not None:
            loader.dispose()


def load_yaml_bounded(path: Path | str, limit: int = limits.INPUT_FILE_BYTES, what: str = "YAML file") -> Any:
    """Read (bounded, regular files or `-` only) and parse a YAML file a person wrote."""
    return parse_yaml(read_text_bounded(path, limit, what), display_name(path))


load_yaml = load_yaml_bounded
